"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras import activations, constraints, initializers, regularizers
from nbkeras.layers._args import _ser, float_arg
from nbkeras.layers.base import Layer


class _Elementwise(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True


def _non_negative(layer_cls: str, arg: str, value, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ValueError(
            f"{layer_cls} '{arg}' must be a non-negative number, received {arg}={value!r}."
        )
    return value


class ReLU(_Elementwise):
    """Rectified linear unit with Keras's optional slope, cap and threshold:
    ``x`` above ``threshold`` (capped at ``max_value``), else ``negative_slope * (x - threshold)``.

    Example:
        >>> ReLU(max_value=6.0)(jnp.array([-1.0, 3.0, 9.0])).tolist()
        [0.0, 3.0, 6.0]
    """

    _supports_masking = True

    def __init__(
        self, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0, **kwargs
    ):
        super().__init__(**kwargs)
        self.max_value = _non_negative("ReLU", "max_value", max_value, allow_none=True)
        self.negative_slope = _non_negative("ReLU", "negative_slope", negative_slope)
        self.threshold = _non_negative("ReLU", "threshold", threshold)

    def call(self, inputs):
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(_Elementwise):
    """``x`` if ``x > 0`` else ``negative_slope * x`` (Keras default slope 0.3).

    Example:
        >>> LeakyReLU()(jnp.array([-1.0, 2.0])).tolist()
        [-0.30000001192092896, 2.0]
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs):
        if "alpha" in kwargs:  # Keras 2 name
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _non_negative("LeakyReLU", "negative_slope", negative_slope)

    def call(self, inputs):
        return jax.nn.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """Leaky ReLU with a learned slope ``alpha`` per position (Keras ``PReLU``).

    Args:
        alpha_initializer: Initializer of ``alpha`` (zeros).
        alpha_regularizer, alpha_constraint: Optional.
        shared_axes: Non-batch axes (1-indexed) sharing one slope, e.g. ``[1, 2]`` for
            one slope per channel of images.

    Example:
        >>> PReLU()(jnp.array([[-1.0, 2.0]])).tolist()
        [[0.0, 2.0]]
    """

    _supports_masking = True

    def __init__(
        self,
        alpha_initializer="zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = shared_axes if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            self.shared_axes = tuple(int(a) for a in axes)

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for a in self.shared_axes or ():
            if not 1 <= a < len(input_shape):
                raise ValueError(
                    f"PReLU '{self.name}' shared_axes={list(self.shared_axes)} must be in "
                    f"1..{len(input_shape) - 1} for input shape {tuple(input_shape)}."
                )
            shape[a - 1] = 1
        if None in shape:
            raise ValueError(
                f"PReLU '{self.name}' needs known sizes on non-shared axes, received input "
                f"shape {tuple(input_shape)}; share the unknown axes with shared_axes."
            )
        self.alpha = self.add_weight(
            shape=shape,
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
            name="alpha",
        )

    def call(self, inputs):
        return jax.nn.relu(inputs) - self.alpha[...] * jax.nn.relu(-inputs)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": _ser(initializers, self.alpha_initializer),
            "alpha_regularizer": _ser(regularizers, self.alpha_regularizer),
            "alpha_constraint": _ser(constraints, self.alpha_constraint),
            "shared_axes": None if self.shared_axes is None else list(self.shared_axes),
        }


class ELU(_Elementwise):
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Example:
        >>> ELU()(jnp.array([1.0])).tolist()
        [1.0]
    """

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float_arg("ELU", "alpha", alpha)

    def call(self, inputs):
        return jax.nn.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_Elementwise):
    """Softmax along ``axis`` (an int or a list of ints); ``mask`` zeroes masked entries.

    Example:
        >>> Softmax()(jnp.zeros((1, 2))).tolist()
        [[0.5, 0.5]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis

    def call(self, inputs, mask=None):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        if mask is not None:
            mask = jnp.asarray(mask)
            if mask.dtype != jnp.bool_:
                mask = mask > 0.5
            large_negative = -3e4 if inputs.dtype == jnp.float16 else -1e9  # Keras's value
            inputs = jnp.where(mask, inputs, jnp.asarray(large_negative, inputs.dtype))
        out = jax.nn.softmax(inputs, axis=axis)
        return out if mask is None else jnp.where(mask, out, 0.0)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
