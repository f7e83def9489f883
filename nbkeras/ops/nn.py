"""Neural-network ops (``keras.ops.nn``): activations, conv, pooling, losses, moments."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from nbkeras import _settings
from nbkeras import activations as _act
from nbkeras.ops import symbolic_op

__all__ = [
    "average_pool", "batch_normalization", "binary_crossentropy", "categorical_crossentropy",
    "celu", "conv", "depthwise_conv", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "log_sigmoid", "log_softmax", "max_pool",
    "moments", "multi_hot", "normalize", "one_hot", "relu", "relu6", "selu", "sigmoid",
    "silu", "softmax", "softplus", "softsign", "sparse_categorical_crossentropy", "swish",
]  # fmt: skip



def relu(x: Any) -> jax.Array:
    """Rectified linear unit ``max(x, 0)``.

    Example:
        >>> relu(jnp.array([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """
    return jax.nn.relu(jnp.asarray(x))


relu6, sigmoid, softmax, log_softmax = _act.relu6, _act.sigmoid, _act.softmax, _act.log_softmax
elu, selu, celu, glu = _act.elu, _act.selu, _act.celu, _act.glu
silu = swish = _act.silu
softplus, softsign, log_sigmoid = _act.softplus, _act.softsign, _act.log_sigmoid
hard_sigmoid, hard_tanh = _act.hard_sigmoid, _act.hard_tanh
hard_silu = hard_swish = _act.hard_silu
leaky_relu = _act.leaky_relu


def gelu(x: Any, approximate: bool = True) -> jax.Array:
    """GELU; note ``keras.ops.gelu`` defaults to the tanh approximation.

    Example:
        >>> float(gelu(0.0))
        0.0
    """
    return jax.nn.gelu(jnp.asarray(x), approximate=approximate)


def one_hot(
    x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False
) -> jax.Array:
    """One-hot encode integer ``x`` (negative indices give all-zero rows).

    Example:
        >>> one_hot(jnp.array([1, 0]), 2).tolist()
        [[0.0, 1.0], [1.0, 0.0]]
    """
    if sparse:
        raise ValueError("one_hot(sparse=True) is not supported by nbkeras; use sparse=False.")
    return jax.nn.one_hot(jnp.asarray(x), num_classes, axis=axis, dtype=dtype or "float32")


def multi_hot(
    x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False
) -> jax.Array:
    """Multi-hot encode: 1 for every class index present in each row.

    Example:
        >>> multi_hot(jnp.array([[0, 2]]), 3).tolist()
        [[1.0, 0.0, 1.0]]
    """
    x = jnp.asarray(x)
    reduction_axis = 1 if x.ndim > 1 else 0
    return jnp.max(
        one_hot(x, num_classes, axis=axis, dtype=dtype, sparse=sparse), axis=reduction_axis
    )


def _spatial(value: int | Sequence[int], n: int) -> tuple[int, ...]:
    return (value,) * n if isinstance(value, int) else tuple(value)


def _dimension_numbers(n: int, data_format: str) -> jax.lax.ConvDimensionNumbers:
    nd = n + 2
    if data_format == "channels_last":
        lhs = (0, nd - 1, *range(1, nd - 1))
    else:
        lhs = (0, 1, *range(2, nd))
    rhs = (nd - 1, nd - 2, *range(nd - 2))
    return jax.lax.ConvDimensionNumbers(lhs_spec=lhs, rhs_spec=rhs, out_spec=lhs)


def _check(data_format: str | None, padding: str) -> str:
    data_format = data_format or _settings.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Invalid data_format {data_format!r}: expected 'channels_last' or 'channels_first'."
        )
    if padding.lower() not in ("valid", "same"):
        raise ValueError(f"Invalid padding {padding!r}: expected 'valid' or 'same'.")
    return data_format


def conv(
    inputs: Any,
    kernel: Any,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> jax.Array:
    """N-D convolution with a ``(*spatial, in_channels / groups, out_channels)`` kernel.

    Args:
        inputs: ``(batch, *spatial, channels)`` (or channels-first).
        kernel: Convolution kernel.
        strides: Int or per-spatial-dim strides.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Int or per-spatial-dim dilation.

    Example:
        >>> conv(jnp.ones((1, 5, 5, 2)), jnp.ones((3, 3, 2, 4))).shape
        (1, 3, 3, 4)
    """
    data_format = _check(data_format, padding)
    kernel = jnp.asarray(kernel)
    inputs = jnp.asarray(inputs, dtype=kernel.dtype)
    n = inputs.ndim - 2
    channels = inputs.shape[-1] if data_format == "channels_last" else inputs.shape[1]
    if channels % kernel.shape[-2]:
        raise ValueError(
            "The number of input channels must be evenly divisible by kernel's in_channels. "
            f"Received input channels {channels} and kernel in_channels {kernel.shape[-2]}."
        )
    return jax.lax.conv_general_dilated(
        inputs,
        kernel,
        _spatial(strides, n),
        padding.upper(),
        rhs_dilation=_spatial(dilation_rate, n),
        dimension_numbers=_dimension_numbers(n, data_format),
        feature_group_count=channels // kernel.shape[-2],
    )


def depthwise_conv(
    inputs: Any,
    kernel: Any,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> jax.Array:
    """Depthwise convolution with a ``(*spatial, channels, multiplier)`` kernel.

    Example:
        >>> depthwise_conv(jnp.ones((1, 4, 4, 2)), jnp.ones((3, 3, 2, 2))).shape
        (1, 2, 2, 4)
    """
    data_format = _check(data_format, padding)
    kernel = jnp.asarray(kernel)
    inputs = jnp.asarray(inputs, dtype=kernel.dtype)
    n = inputs.ndim - 2
    groups = inputs.shape[-1] if data_format == "channels_last" else inputs.shape[1]
    kernel = jnp.reshape(kernel, kernel.shape[:-2] + (1, groups * kernel.shape[-1]))
    return jax.lax.conv_general_dilated(
        inputs,
        kernel,
        _spatial(strides, n),
        padding.upper(),
        rhs_dilation=_spatial(dilation_rate, n),
        dimension_numbers=_dimension_numbers(n, data_format),
        feature_group_count=groups,
    )


def _window(value: int | Sequence[int], n: int, data_format: str) -> tuple[int, ...]:
    value = _spatial(value, n)
    return (1, *value, 1) if data_format == "channels_last" else (1, 1, *value)


def _pool_args(inputs, pool_size, strides, padding, data_format):
    data_format = _check(data_format, padding)
    inputs = jnp.asarray(inputs)
    n = inputs.ndim - 2
    window = _window(pool_size, n, data_format)
    strides = window if strides is None else _window(strides, n, data_format)
    return inputs, window, strides, padding.upper()


def max_pool(
    inputs: Any,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> jax.Array:
    """Max pooling over the spatial axes (``strides`` defaults to ``pool_size``).

    Example:
        >>> max_pool(jnp.ones((1, 4, 4, 1)), 2).shape
        (1, 2, 2, 1)
    """
    inputs, window, strides, pad = _pool_args(inputs, pool_size, strides, padding, data_format)
    return jax.lax.reduce_window(inputs, -jnp.inf, jax.lax.max, window, strides, pad)


def average_pool(
    inputs: Any,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> jax.Array:
    """Average pooling; with ``"same"`` padding, padded cells are not counted.

    Example:
        >>> average_pool(jnp.ones((1, 4, 4, 1)), 2).shape
        (1, 2, 2, 1)
    """
    inputs, window, strides, pad = _pool_args(inputs, pool_size, strides, padding, data_format)
    pooled = jax.lax.reduce_window(inputs, 0.0, jax.lax.add, window, strides, pad)
    if pad == "VALID":
        return pooled / math.prod(window)
    shape = [a if b != 1 else 1 for a, b in zip(inputs.shape, window)]
    counts = jax.lax.reduce_window(
        jnp.ones(shape, inputs.dtype), 0.0, jax.lax.add, window, strides, pad
    )
    return pooled / counts


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> jax.Array:
    """Elementwise binary cross-entropy (probabilities clipped to ``[1e-7, 1 - 1e-7]``).

    Example:
        >>> round(float(binary_crossentropy(jnp.array([1.0]), jnp.array([0.5]))[0]), 4)
        0.6931
    """
    target, output = jnp.asarray(target), jnp.asarray(output)
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={target.shape}, output.shape={output.shape}"
        )
    if from_logits:
        return -target * jax.nn.log_sigmoid(output) - (1.0 - target) * jax.nn.log_sigmoid(-output)
    output = jnp.clip(output, _settings.epsilon(), 1.0 - _settings.epsilon())
    return -(target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output))


def _log_probs(output: jax.Array, from_logits: bool, axis: int) -> jax.Array:
    if from_logits:
        return jax.nn.log_softmax(output, axis=axis)
    output = output / jnp.sum(output, axis, keepdims=True)
    return jnp.log(jnp.clip(output, _settings.epsilon(), 1.0 - _settings.epsilon()))


def categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> jax.Array:
    """Cross-entropy between one-hot ``target`` and predicted distribution ``output``.

    Example:
        >>> round(float(categorical_crossentropy(jnp.array([[0.0, 1.0]]), jnp.array([[0.5, 0.5]]))[0]), 4)
        0.6931
    """
    target, output = jnp.asarray(target), jnp.asarray(output)
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={target.shape}, output.shape={output.shape}"
        )
    if target.ndim < 1:
        raise ValueError(
            "Arguments `target` and `output` must be at least rank 1. "
            f"Received: target.shape={target.shape}, output.shape={output.shape}"
        )
    return -jnp.sum(target * _log_probs(output, from_logits, axis), axis=axis)


def sparse_categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> jax.Array:
    """Cross-entropy with integer class ``target`` (a trailing size-1 axis is squeezed).

    Example:
        >>> round(float(sparse_categorical_crossentropy(jnp.array([1]), jnp.array([[0.5, 0.5]]))[0]), 4)
        0.6931
    """
    target = jnp.asarray(target, dtype="int32")
    output = jnp.asarray(output)
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = jnp.squeeze(target, axis=-1)
    if output.ndim < 1:
        raise ValueError(
            f"Argument `output` must be at least rank 1. Received: output.shape={output.shape}"
        )
    if target.shape != output.shape[:-1]:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the last "
            f"dimension: target.shape={target.shape}, output.shape={output.shape}"
        )
    log_prob = _log_probs(output, from_logits, axis)
    onehot = jax.nn.one_hot(target, output.shape[axis], axis=axis)
    return -jnp.sum(onehot * log_prob, axis=axis)


def moments(
    x: Any, axes: int | Sequence[int], keepdims: bool = False, synchronized: bool = False
) -> tuple[jax.Array, jax.Array]:
    """Mean and variance over ``axes`` (float16/bfloat16 computed in float32).

    Example:
        >>> mean, var = moments(jnp.array([1.0, 3.0]), axes=[0])
        >>> float(mean), float(var)
        (2.0, 1.0)
    """
    if synchronized:
        raise NotImplementedError("Argument synchronized=True is not supported with JAX.")
    x = jnp.asarray(x)
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else (axes,)
    orig = x.dtype
    low = orig in (jnp.float16, jnp.bfloat16)
    if low:
        x = x.astype("float32")
    mean = jnp.mean(x, axes, keepdims=keepdims)
    variance = jnp.var(x, axis=axes, keepdims=keepdims)
    if low:
        lim = jnp.finfo(jnp.float16)
        mean = jnp.clip(mean, lim.min, lim.max).astype(orig)
        variance = jnp.clip(variance, lim.min, lim.max).astype(orig)
    return mean, variance


def batch_normalization(
    x: Any, mean: Any, variance: Any, axis: int, offset: Any = None, scale: Any = None,
    epsilon: float = 1e-3,
) -> jax.Array:  # fmt: skip
    """Normalise ``x`` with given per-channel statistics along ``axis``.

    Example:
        >>> batch_normalization(jnp.ones((2, 3)), jnp.ones(3), jnp.ones(3), axis=-1).tolist()[0]
        [0.0, 0.0, 0.0]
    """
    x = jnp.asarray(x)
    shape = [1] * x.ndim
    shape[axis] = jnp.shape(mean)[0]
    mean = jnp.reshape(mean, shape)
    inv = jax.lax.rsqrt(jnp.reshape(variance, shape) + epsilon)
    if scale is not None:
        inv = inv * jnp.reshape(scale, shape)
    res = -mean * inv
    if offset is not None:
        res = res + jnp.reshape(offset, shape)
    return x * inv + res


def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: float | None = None) -> jax.Array:
    """Divide ``x`` by its ``order``-norm along ``axis`` (norm floored at ``epsilon``).

    Example:
        >>> normalize(jnp.array([3.0, 4.0])).tolist()
        [0.6000000238418579, 0.800000011920929]
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order!r}")
    x = jnp.asarray(x)
    if x.ndim == 0:
        x = x[None]
    epsilon = _settings.epsilon() if epsilon is None else epsilon
    if order == 2:
        inv = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
        return x * jnp.minimum(inv, 1.0 / epsilon)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, epsilon)


for _n in __all__:
    globals()[_n] = symbolic_op(globals()[_n])
del _n
