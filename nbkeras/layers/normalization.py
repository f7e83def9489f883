"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization, RMSNormalization, with Keras's exact arithmetic."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras.layers._norm_base import _AffineConfig, _check_axis, _scale_shift
from nbkeras.layers.base import Layer

# BatchNormalization lives in its own module; re-exported so old imports keep working.
from nbkeras.layers.batch_normalization import BatchNormalization as BatchNormalization


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

    _supports_masking = True

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

    _supports_masking = True

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

    _supports_masking = True

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


class RMSNormalization(Layer):
    """Divides by the root mean square over ``axis`` and multiplies by a learned ``scale``
    (Keras ``RMSNormalization``, as in T5/LLaMA blocks).

    ``out = x / sqrt(mean(x**2, axis) + epsilon) * scale``, computed in at least float32.

    Args:
        axis: Int or list of ints to normalize over (``-1``).
        epsilon: Added to the mean square (``1e-6``).

    Example:
        >>> import jax.numpy as jnp
        >>> [round(v, 3) for v in RMSNormalization()(jnp.array([[3.0, 4.0]]))[0].tolist()]
        [0.849, 1.131]
    """

    _supports_masking = True

    def __init__(self, axis=-1, epsilon: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = sorted(axis)
        elif not isinstance(axis, int):
            raise TypeError(
                "RMSNormalization 'axis' must be an int or a list/tuple of ints, "
                f"received axis={axis!r}."
            )
        self.axis = axis
        self.epsilon = float(epsilon)

    def _axes(self, ndim: int) -> list[int]:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        return sorted(_check_axis(self, a, ndim) for a in axes)

    def build(self, input_shape):
        shape = tuple(input_shape[a] for a in self._axes(len(input_shape)))
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")

    def call(self, inputs):
        x = inputs.astype(jnp.result_type(inputs.dtype, jnp.float32))
        axes = self._axes(x.ndim)
        shape = [1] * x.ndim
        for a in axes:
            shape[a] = x.shape[a]
        rrms = jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=axes, keepdims=True) + self.epsilon)
        scale = jnp.reshape(self.scale[...], shape).astype(x.dtype)
        return (x * rrms * scale).astype(inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
