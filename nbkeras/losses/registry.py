"""Looking losses up by name, config or callable, and checking labels on the host."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nbkeras._errors import unknown_identifier, wrong_type
from nbkeras.losses import functions as F
from nbkeras.losses.base import Loss, LossFunctionWrapper, _snake
from nbkeras.losses.classes import LOSS_CLASSES

_FUNCTIONS: dict[str, Callable] = {
    fn.__name__: fn
    for fn in (
        F.mean_squared_error,
        F.mean_absolute_error,
        F.mean_absolute_percentage_error,
        F.mean_squared_logarithmic_error,
        F.cosine_similarity,
        F.huber,
        F.log_cosh,
        F.hinge,
        F.squared_hinge,
        F.categorical_hinge,
        F.kl_divergence,
        F.poisson,
        F.binary_crossentropy,
        F.binary_focal_crossentropy,
        F.categorical_crossentropy,
        F.categorical_focal_crossentropy,
        F.sparse_categorical_crossentropy,
    )
}
_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "kld": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
    "logcosh": "log_cosh",
    "bce": "binary_crossentropy",
    "huber_loss": "huber",
}
_CLASSES: dict[str, type[Loss]] = {cls.__name__: cls for cls in LOSS_CLASSES}
_CLASSES["Loss"] = Loss
_CLASSES["LossFunctionWrapper"] = LossFunctionWrapper


def _from_string(identifier: str) -> Loss | None:
    if identifier in _CLASSES and identifier not in ("Loss", "LossFunctionWrapper"):
        return _CLASSES[identifier]()
    key = identifier
    if identifier.lower() in _ALIASES and identifier in (identifier.lower(), identifier.upper()):
        key = _ALIASES[identifier.lower()]
    if key in _FUNCTIONS:
        # Keras wraps a function-valued identifier, named by the string the user gave.
        return LossFunctionWrapper(_FUNCTIONS[key], name=identifier)
    return None


def _valid_names() -> list[str]:
    names = [n for n in _CLASSES if n not in ("Loss", "LossFunctionWrapper")]
    names += (
        list(_FUNCTIONS)
        + list(_ALIASES)
        + [a.upper() for a in ("mse", "mae", "mape", "msle", "kld", "bce")]
    )
    return names


def is_binary_or_sparse_categorical(y_true_shape: Sequence[int], y_pred_shape: Sequence[int]):
    """Keras's rule (``compile_utils``) to pick binary / sparse / categorical variants."""
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    is_binary = y_pred_shape[-1] == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (
        y_true_shape[-1] == 1 and y_pred_shape[-1] > 1
    )
    return is_binary, is_sparse


def get(identifier: Any, y_true_shape=None, y_pred_shape=None) -> Loss | None:
    """Return a :class:`Loss` for ``identifier``.

    Args:
        identifier: ``None``; a class name (``'MeanSquaredError'``); a function name or
            alias (``'mean_squared_error'``, ``'mse'``, ``'bce'``...); ``'crossentropy'`` /
            ``'ce'`` (needs the shapes, resolved like Keras's ``compile``); a config dict
            ``{'class_name': ..., 'config': {...}}``; a ``Loss`` class or instance; or a
            plain function ``f(y_true, y_pred)``.
        y_true_shape: Target shape, used to resolve ``'crossentropy'``.
        y_pred_shape: Model output shape, used to resolve ``'crossentropy'``.

    Returns:
        A ``Loss`` instance (functions are wrapped in ``LossFunctionWrapper``, keeping the
        original in ``.fn``), or ``None`` for ``None``.

    Raises:
        ValueError: Unknown name. TypeError: unsupported type.

    Example:
        >>> get("mse").name
        'mse'
    """
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if inspect.isclass(identifier) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() in ("crossentropy", "ce"):
            if y_true_shape is None or y_pred_shape is None:
                raise ValueError(
                    f"The loss {identifier!r} is resolved from the shapes of the targets and "
                    "the model output; pass y_true_shape and y_pred_shape, or name the loss "
                    "explicitly ('binary_crossentropy', 'categorical_crossentropy' or "
                    "'sparse_categorical_crossentropy')."
                )
            is_binary, is_sparse = is_binary_or_sparse_categorical(y_true_shape, y_pred_shape)
            fn = (
                F.binary_crossentropy
                if is_binary
                else F.sparse_categorical_crossentropy
                if is_sparse
                else F.categorical_crossentropy
            )
            return LossFunctionWrapper(fn, name=identifier)
        loss = _from_string(identifier)
        if loss is None:
            raise unknown_identifier("loss", identifier, _valid_names())
        return loss
    if callable(identifier):
        return LossFunctionWrapper(
            identifier,
            name=getattr(identifier, "__name__", None) or _snake(type(identifier).__name__),
        )
    raise wrong_type("loss", identifier, "a string, a dict, a Loss instance or a callable")


def serialize(loss: Loss) -> dict[str, Any]:
    """Return ``{'class_name': ..., 'config': ...}`` for a loss."""
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Loss:
    """Rebuild a loss from :func:`serialize` output."""
    class_name = config.get("class_name")
    lookup = {**_CLASSES, **(custom_objects or {})}
    if class_name not in lookup:
        raise unknown_identifier("loss", class_name, [n for n in lookup if n != "Loss"])
    return lookup[class_name].from_config(dict(config.get("config", {})))


def check_sparse_labels(
    y_true, num_classes: int, loss_name: str = "sparse_categorical_crossentropy", ignore_class=None
) -> None:
    """Raise a clear ValueError if integer labels fall outside ``0..num_classes-1``.

    Out-of-range labels cannot be detected inside ``jit`` (they silently give a wrong
    loss), so the engine calls this on the host data once per ``fit``.

    Args:
        y_true: Host (numpy) labels.
        num_classes: Size of the model's class axis.
        loss_name: Name used in the message.
        ignore_class: A label value that is allowed (and ignored by the loss).

    Raises:
        ValueError: A label is negative, too large, or not an integer.
    """
    labels = np.asarray(y_true)
    if labels.size == 0:
        return
    if ignore_class is not None:
        labels = labels[labels != ignore_class]
        if labels.size == 0:
            return
    hint = f"valid labels are 0..{num_classes - 1}"
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
            bad = labels[~(np.isfinite(labels) & (labels == np.round(labels)))].flat[0]
            raise ValueError(
                f"Loss {loss_name!r} expects integer class labels, but received label {bad!r} "
                f"({hint}). For one-hot or soft targets use 'categorical_crossentropy'."
            )
    bad = labels[(labels < 0) | (labels >= num_classes)]
    if bad.size:
        value = bad.flat[0]
        value = int(value) if float(value).is_integer() else value
        raise ValueError(
            f"Loss {loss_name!r} received label {value} but the model outputs {num_classes} "
            f"classes ({hint}). Check the labels, or give the last layer more units."
        )
