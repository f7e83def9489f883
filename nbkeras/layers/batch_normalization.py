"""BatchNormalization: batch statistics in training, moving statistics in inference, with
Keras's exact arithmetic."""

from __future__ import annotations

import jax.numpy as jnp

from nbkeras import initializers
from nbkeras.layers._args import _ser, float_arg, named_error
from nbkeras.layers._norm_base import _AffineConfig, _check_axis, _scale_shift
from nbkeras.layers.base import Layer, current_sample_mask


class BatchNormalization(_AffineConfig, Layer):
    """Normalizes with batch statistics in training and moving statistics in inference.

    Training (``training=True`` and the layer is trainable) uses the batch mean and
    (biased) variance over all axes but ``axis`` and updates
    ``moving = moving * momentum + batch * (1 - momentum)``. Rows marked 0 by the training
    engine's sample mask (the padding of a last partial batch) are left out of the
    statistics. A frozen layer (``trainable=False``) always runs in inference mode, as in
    Keras.

    Args:
        axis: The features axis (``-1``; ``1`` for channels_first images).
        momentum: Momentum of the moving statistics.
        epsilon: Added to the variance.
        center, scale: Whether to learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: Initializers.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: Optional.

    Weights (Keras order): ``gamma``, ``beta``, ``moving_mean``, ``moving_variance``.

    Example:
        >>> bn = BatchNormalization()
        >>> bn(jnp.ones((4, 3)), training=True).shape
        (4, 3)
    """

    _supports_masking = True

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        synchronized: bool = False,
        renorm: bool = False,
        renorm_clipping=None,
        renorm_momentum: float = 0.99,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"BatchNormalization 'axis' must be an int, received axis={axis!r}.")
        if renorm:
            raise ValueError(
                f"BatchNormalization received renorm={renorm!r}; batch renormalization is not "
                "supported by nbkeras. Use renorm=False."
            )
        self.axis = axis
        self.momentum = float_arg("BatchNormalization", "momentum", momentum, 0.0, 1.0)
        self.epsilon = float_arg("BatchNormalization", "epsilon", epsilon, 0.0)
        self.synchronized = synchronized
        self._init_affine(
            center,
            scale,
            beta_initializer,
            gamma_initializer,
            beta_regularizer,
            gamma_regularizer,
            beta_constraint,
            gamma_constraint,
        )
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        axis = _check_axis(self, self.axis, len(input_shape))
        if input_shape[axis] is None:
            raise ValueError(
                f"BatchNormalization '{self.name}' needs a known size on axis {self.axis}, "
                f"received input shape {tuple(input_shape)}."
            )
        shape = (input_shape[axis],)
        self._affine_weights(shape, gamma=self.scale, beta=self.center)
        self.moving_mean = self.add_weight(
            shape=shape,
            initializer=self.moving_mean_initializer,
            trainable=False,
            name="moving_mean",
        )
        self.moving_variance = self.add_weight(
            shape=shape,
            initializer=self.moving_variance_initializer,
            trainable=False,
            name="moving_variance",
        )

    def _moments(self, x, axis: int, mask):
        reduce = tuple(i for i in range(x.ndim) if i != axis)
        weights = None
        sample_mask = current_sample_mask()
        if sample_mask is not None:
            weights = jnp.reshape(jnp.asarray(sample_mask, x.dtype), (-1,) + (1,) * (x.ndim - 1))
        if mask is not None:  # Keras's sequence mask, shape inputs.shape[:-1]
            m = jnp.expand_dims(jnp.asarray(mask, x.dtype), -1)
            weights = m if weights is None else weights * m
        if weights is None:
            return jnp.mean(x, axis=reduce), jnp.var(x, axis=reduce)
        weights = jnp.broadcast_to(weights, x.shape)
        keep = weights > 0
        count = jnp.sum(weights, axis=reduce, keepdims=True)
        if mask is not None:  # Keras adds its epsilon to the masked denominator
            count = count + 1e-7
        mean = jnp.sum(jnp.where(keep, x, 0.0), axis=reduce, keepdims=True) / count
        sq = jnp.where(keep, jnp.square(x - mean), 0.0)
        variance = jnp.sum(sq, axis=reduce, keepdims=True) / count
        return jnp.reshape(mean, (-1,)), jnp.reshape(variance, (-1,))

    def call(self, inputs, training=None, mask=None):
        axis = _check_axis(self, self.axis, inputs.ndim)
        size = self.moving_mean.shape[0]
        if inputs.shape[axis] != size:
            raise named_error(
                ValueError,
                f"BatchNormalization '{self.name}' expected {size} features on axis "
                f"{self.axis}, received shape {tuple(inputs.shape)}.",
            )
        x = inputs.astype(jnp.result_type(inputs.dtype, jnp.float32))
        if training and self.trainable:
            mean, variance = self._moments(x, axis, mask)
            m = self.momentum
            self.moving_mean[...] = (self.moving_mean[...] * m + mean * (1.0 - m)).astype(
                self.moving_mean.dtype
            )
            self.moving_variance[...] = (
                self.moving_variance[...] * m + variance * (1.0 - m)
            ).astype(self.moving_variance.dtype)
        else:
            mean, variance = self.moving_mean[...], self.moving_variance[...]
        shape = [1] * x.ndim
        shape[axis] = size

        def bcast(v):
            return None if v is None else jnp.reshape(v[...], shape).astype(x.dtype)

        out = _scale_shift(
            x, bcast(mean), bcast(variance), bcast(self.gamma), bcast(self.beta), self.epsilon
        )
        return out.astype(self.compute_dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            **self._affine_config(),
            "moving_mean_initializer": _ser(initializers, self.moving_mean_initializer),
            "moving_variance_initializer": _ser(initializers, self.moving_variance_initializer),
            "synchronized": self.synchronized,
            "renorm": False,
            "renorm_clipping": None,
            "renorm_momentum": 0.99,
        }
