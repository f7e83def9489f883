"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization, with Keras's exact arithmetic."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras import constraints, initializers, regularizers
from nbkeras.layers.base import Layer, current_sample_mask
from nbkeras.layers.conv import _ser, named_error


def _scale_shift(x, mean, variance, gamma, beta, epsilon):
    """Keras's ``x * inv + (beta - mean * inv)`` with ``inv = gamma * rsqrt(var + eps)``."""
    inv = jax.lax.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma
    res = -mean * inv
    if beta is not None:
        res = res + beta
    return x * inv + res


class _AffineConfig:
    """Shared constructor bits of layers with ``gamma``/``beta`` weights."""

    def _init_affine(
        self,
        center,
        scale,
        beta_initializer,
        gamma_initializer,
        beta_regularizer,
        gamma_regularizer,
        beta_constraint,
        gamma_constraint,
    ):
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _affine_weights(self, shape, gamma: bool = True, beta: bool = True):
        self.gamma = (
            self.add_weight(
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                name="gamma",
            )
            if gamma
            else None
        )
        self.beta = (
            self.add_weight(
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                name="beta",
            )
            if beta
            else None
        )

    def _affine_config(self) -> dict:
        return {
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": _ser(initializers, self.beta_initializer),
            "gamma_initializer": _ser(initializers, self.gamma_initializer),
            "beta_regularizer": _ser(regularizers, self.beta_regularizer),
            "gamma_regularizer": _ser(regularizers, self.gamma_regularizer),
            "beta_constraint": _ser(constraints, self.beta_constraint),
            "gamma_constraint": _ser(constraints, self.gamma_constraint),
        }


def _check_axis(layer, axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}' received axis={axis}, out of range for "
            f"an input of rank {ndim}."
        )
    return axis % ndim


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
            raise NotImplementedError(
                "BatchNormalization(renorm=True) is not supported by nbkeras; use renorm=False."
            )
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
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


class LayerNormalization(_AffineConfig, Layer):
    """Normalizes each sample over ``axis`` (Keras ``LayerNormalization``).

    Args:
        axis: Int or list of ints to normalize over (``-1``).
        epsilon: Added to the variance (``1e-3``).
        center, scale: Whether to learn ``beta`` / ``gamma``.
        rms_scaling: Keras's deprecated flag: divide by ``sqrt(var + eps)`` without
            centering, ``gamma`` only.

    Example:
        >>> LayerNormalization()(jnp.arange(6.0).reshape(2, 3)).shape
        (2, 3)
    """

    def __init__(
        self,
        axis=-1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        rms_scaling: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = list(axis)
        elif not isinstance(axis, int):
            raise TypeError(
                "LayerNormalization 'axis' must be an int or a list/tuple of ints, "
                f"received axis={axis!r}."
            )
        self.axis = axis
        self.epsilon = float(epsilon)
        self.rms_scaling = bool(rms_scaling)
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
        self.autocast = False

    def _axes(self, ndim: int) -> list[int]:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        return sorted(_check_axis(self, a, ndim) for a in axes)

    def build(self, input_shape):
        shape = tuple(input_shape[a] for a in self._axes(len(input_shape)))
        self._affine_weights(
            shape, gamma=self.scale or self.rms_scaling, beta=self.center and not self.rms_scaling
        )

    def call(self, inputs):
        x = inputs.astype(jnp.result_type(inputs.dtype, jnp.float32))
        axes = self._axes(x.ndim)
        shape = [1] * x.ndim
        for a in axes:
            shape[a] = x.shape[a]

        def bcast(v):
            return None if v is None else jnp.reshape(v[...], shape).astype(x.dtype)

        gamma, beta = bcast(self.gamma), bcast(self.beta)
        variance = jnp.var(x, axis=axes, keepdims=True)
        if self.rms_scaling:
            out = x * jax.lax.rsqrt(variance + self.epsilon)
            if gamma is not None:
                out = out * gamma
        else:
            mean = jnp.mean(x, axis=axes, keepdims=True)
            out = _scale_shift(x, mean, variance, gamma, beta, self.epsilon)
        return out.astype(inputs.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            **self._affine_config(),
            "rms_scaling": self.rms_scaling,
        }


class GroupNormalization(_AffineConfig, Layer):
    """Normalizes over groups of channels per sample (Keras ``GroupNormalization``).

    Args:
        groups: Number of channel groups (must divide the channel count); ``-1`` means
            one group per channel (instance normalization).
        axis: The channel axis.
        epsilon, center, scale, initializers/regularizers/constraints: as in
            :class:`LayerNormalization`.

    Example:
        >>> GroupNormalization(groups=2)(jnp.ones((1, 4, 4, 6))).shape
        (1, 4, 4, 6)
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = axis
        self.epsilon = float(epsilon)
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

    def build(self, input_shape):
        axis = _check_axis(self, self.axis, len(input_shape))
        channels = input_shape[axis]
        if self.groups == -1:
            self.groups = channels
        if channels is None or channels < self.groups or channels % self.groups:
            raise ValueError(
                f"GroupNormalization '{self.name}': the number of channels ({channels}) must "
                f"be a known multiple of groups={self.groups}; received input shape "
                f"{tuple(input_shape)}."
            )
        self._affine_weights((channels,), gamma=self.scale, beta=self.center)

    def call(self, inputs):
        dtype = inputs.dtype
        x = inputs.astype(jnp.result_type(dtype, jnp.float32))
        axis = _check_axis(self, self.axis, x.ndim)
        g = self.groups
        grouped = list(x.shape)
        grouped[axis] = x.shape[axis] // g
        grouped.insert(axis, g)
        xg = jnp.reshape(x, grouped)
        reduce = [i for i in range(1, xg.ndim) if i != axis]
        mean = jnp.mean(xg, axis=reduce, keepdims=True)
        variance = jnp.var(xg, axis=reduce, keepdims=True)
        bshape = [1] * xg.ndim
        bshape[axis], bshape[axis + 1] = g, x.shape[axis] // g

        def bcast(v):
            return None if v is None else jnp.reshape(v[...], bshape).astype(x.dtype)

        out = _scale_shift(xg, mean, variance, bcast(self.gamma), bcast(self.beta), self.epsilon)
        return jnp.reshape(out, x.shape).astype(self.compute_dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            **self._affine_config(),
        }


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis`` (Keras ``UnitNormalization``).

    Example:
        >>> UnitNormalization()(jnp.array([[3.0, 4.0]])).tolist()
        [[0.6000000238418579, 0.800000011920929]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.built = True

    def call(self, inputs):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        square_sum = jnp.sum(jnp.square(inputs), axis=axis, keepdims=True)
        inv = jnp.minimum(jax.lax.rsqrt(square_sum), 1.0 / 1e-12)
        return inputs * inv

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
