"""Per-sample loss functions: Keras 3's math in plain, traceable ``jax.numpy``.

Each function takes ``(y_true, y_pred, **options)`` and returns one value per sample
(the class axis, usually the last, is reduced). Shapes are checked at trace time.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras import _settings

EPSILON = 1e-7  # default of keras.config.epsilon(); call sites read the live value



def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1: bool = True):
    """Squeeze or expand the last axis when the ranks differ by exactly one (Keras rule)."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = jnp.expand_dims(x2, -1)
        else:
            x1 = jnp.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = jnp.expand_dims(x1, -1)
        else:
            x2 = jnp.squeeze(x2, -1)
    return x1, x2


def _prepare(y_true, y_pred, name: str, same_shape: bool = False, squeeze: bool = True):
    y_pred = jnp.asarray(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype(jnp.float32)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    if squeeze:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    hint = ""
    if name in ("categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge"):
        if y_true.ndim < y_pred.ndim or (y_true.shape[-1:] == (1,) and y_pred.shape[-1] > 1):
            hint = (
                " y_true looks like integer class labels: use "
                "'sparse_categorical_crossentropy', or one-hot encode the labels."
            )
    if same_shape and y_true.shape != y_pred.shape:
        raise ValueError(
            f"Loss {name!r} expects y_true and y_pred of the same shape, received "
            f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}.{hint}"
        )
    try:
        jnp.broadcast_shapes(y_true.shape, y_pred.shape)
    except ValueError:
        raise ValueError(
            f"Loss {name!r} received incompatible shapes: y_true.shape={y_true.shape} "
            f"and y_pred.shape={y_pred.shape}. The model output shape must match the "
            f"targets (up to a trailing axis of size 1).{hint}"
        ) from None
    return y_true, y_pred


def _normalize(x, axis):
    inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inv_norm, 1.0 / _settings.epsilon())


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred, "mean_squared_error")
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred, "mean_absolute_error")
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred, "mean_absolute_percentage_error")
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), _settings.epsilon()))
    return 100.0 * jnp.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred, "mean_squared_logarithmic_error")
    first_log = jnp.log(jnp.maximum(y_pred, _settings.epsilon()) + 1.0)
    second_log = jnp.log(jnp.maximum(y_true, _settings.epsilon()) + 1.0)
    return jnp.mean(jnp.square(first_log - second_log), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    y_true, y_pred = _prepare(y_true, y_pred, "cosine_similarity")
    return -jnp.sum(_normalize(y_true, axis) * _normalize(y_pred, axis), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = _prepare(y_true, y_pred, "huber_loss")
    delta = jnp.asarray(delta, y_pred.dtype)
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    loss = jnp.where(
        abs_error <= delta, 0.5 * jnp.square(error), delta * abs_error - 0.5 * jnp.square(delta)
    )
    return jnp.mean(loss, axis=-1)


def log_cosh(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred, "log_cosh")
    x = y_pred - y_true
    return jnp.mean(x + jax.nn.softplus(-2.0 * x) - jnp.log(2.0).astype(x.dtype), axis=-1)


def kl_divergence(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred, "kl_divergence", squeeze=False)
    y_true = jnp.clip(y_true, _settings.epsilon(), 1)
    y_pred = jnp.clip(y_pred, _settings.epsilon(), 1)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred, "poisson", squeeze=False)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + _settings.epsilon()), axis=-1)


def _hinge_labels(y_true):
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred, "hinge", squeeze=False)
    return jnp.mean(jnp.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred, "squared_hinge", squeeze=False)
    margin = jnp.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)
    return jnp.mean(jnp.square(margin), axis=-1)


def categorical_hinge(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred, "categorical_hinge", squeeze=False)
    pos = jnp.sum(y_true * y_pred, axis=-1)
    neg = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(neg - pos + 1.0, 0.0)


def _smooth_categorical(y_true, label_smoothing):
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    return y_true


def _log_probs(y_pred, from_logits, axis):
    if from_logits:
        return jax.nn.log_softmax(y_pred, axis=axis)
    y_pred = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    return jnp.log(jnp.clip(y_pred, _settings.epsilon(), 1.0 - _settings.epsilon()))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    name = "categorical_crossentropy"
    y_true, y_pred = _prepare(y_true, y_pred, name, same_shape=True, squeeze=False)
    y_true = _smooth_categorical(y_true, label_smoothing)
    return -jnp.sum(y_true * _log_probs(y_pred, from_logits, axis), axis=axis)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    name = "categorical_focal_crossentropy"
    y_true, y_pred = _prepare(y_true, y_pred, name, same_shape=True, squeeze=False)
    y_true = _smooth_categorical(y_true, label_smoothing)
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    output = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    output = jnp.clip(output, _settings.epsilon(), 1.0 - _settings.epsilon())
    cce = -y_true * jnp.log(output)
    focal = jnp.power(1.0 - output, gamma) * alpha * cce
    return jnp.sum(focal, axis=axis)


def _bce(y_true, y_pred, from_logits):
    if from_logits:
        return -y_true * jax.nn.log_sigmoid(y_pred) - (1.0 - y_true) * jax.nn.log_sigmoid(-y_pred)
    y_pred = jnp.clip(y_pred, _settings.epsilon(), 1.0 - _settings.epsilon())
    return -(y_true * jnp.log(y_pred) + (1.0 - y_true) * jnp.log(1.0 - y_pred))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _prepare(y_true, y_pred, "binary_crossentropy", same_shape=True)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return jnp.mean(_bce(y_true, y_pred, from_logits), axis=axis)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    y_true, y_pred = _prepare(y_true, y_pred, "binary_focal_crossentropy", same_shape=True)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    bce = _bce(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal_bce = jnp.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal_bce
    return jnp.mean(focal_bce, axis=axis)


def sparse_categorical_crossentropy_with_mask(
    y_true, y_pred, from_logits=False, ignore_class=None, axis=-1
):
    """Like :func:`sparse_categorical_crossentropy`, also returning the valid-label mask.

    Returns:
        ``(values, mask)``; ``mask`` is a boolean array of ``values.shape`` marking labels
        that are not ``ignore_class``, or ``None`` when ``ignore_class`` is ``None``.
    """
    y_pred = jnp.asarray(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype(jnp.float32)
    y_true = jnp.asarray(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = jnp.squeeze(y_true, axis=axis)
    class_axis = axis % y_pred.ndim if y_pred.ndim else 0
    expected = tuple(d for i, d in enumerate(y_pred.shape) if i != class_axis)
    if y_pred.ndim < 1 or y_true.shape != expected:
        hint = ""
        if y_true.shape == y_pred.shape:
            hint = (
                " y_true looks one-hot encoded: use 'categorical_crossentropy', "
                "or pass integer class labels."
            )
        raise ValueError(
            "Loss 'sparse_categorical_crossentropy' expects integer labels y_true of shape "
            f"{expected} (y_pred's shape without the class axis) for y_pred.shape="
            f"{y_pred.shape}; received y_true.shape={y_true.shape}.{hint}"
        )
    valid = None
    if ignore_class is not None:
        valid = y_true != ignore_class
        y_true = jnp.where(valid, y_true, 0)
        y_pred = jnp.where(jnp.expand_dims(valid, axis), y_pred, 0)
    log_prob = _log_probs(y_pred, from_logits, axis)
    labels = y_true.astype(jnp.int32)
    one_hot = jax.nn.one_hot(labels, y_pred.shape[axis], axis=axis, dtype=y_pred.dtype)
    res = -jnp.sum(one_hot * log_prob, axis=axis)
    if valid is not None:
        res = jnp.where(valid, res, 0.0)
    return res, valid


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    return sparse_categorical_crossentropy_with_mask(
        y_true, y_pred, from_logits=from_logits, ignore_class=ignore_class, axis=axis
    )[0]


# Short aliases (Keras's legacy names).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy
