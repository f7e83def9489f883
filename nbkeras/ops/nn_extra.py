"""More neural-network ops (``keras.ops.nn``): shrink activations, attention,
normalisation, transposed/separable convolution, adaptive pooling, pixel shuffles,
patch folding, CTC loss and PSNR.

Example:
    >>> from nbkeras import ops
    >>> ops.hard_shrink(jnp.array([-1.0, 0.2])).tolist()
    [-1.0, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from nbkeras import _settings
from nbkeras.activations import (
    hard_shrink,
    soft_shrink,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    tanh_shrink,
    threshold,
)
from nbkeras.ops import symbolic_op
from nbkeras.ops.nn import _check, _dimension_numbers, _spatial, depthwise_conv

__all__ = [
    "adaptive_average_pool", "adaptive_max_pool", "conv_transpose", "ctc_loss",
    "depth_to_space", "dot_product_attention", "fold", "hard_shrink", "layer_normalization",
    "psnr", "rms_normalization", "separable_conv", "soft_shrink", "space_to_depth",
    "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold",
    "unfold",
]  # fmt: skip


def layer_normalization(x: Any, gamma: Any = None, beta: Any = None, axis: int = -1,
                        epsilon: float | None = None, **kwargs: Any) -> jax.Array:
    """Normalise to zero mean / unit variance over ``axis``, then scale and shift.

    Example:
        >>> y = layer_normalization(jnp.array([[1.0, 3.0]]))
        >>> [round(v, 3) for v in y[0].tolist()]
        [-1.0, 1.0]
    """
    if kwargs:
        raise TypeError(f"layer_normalization got unexpected arguments {sorted(kwargs)}.")
    x = jnp.asarray(x)
    eps = _settings.epsilon() if epsilon is None else epsilon
    dtype = x.dtype
    xf = x.astype(jnp.promote_types(dtype, jnp.float32))
    mean = jnp.mean(xf, axis=axis, keepdims=True)
    var = jnp.var(xf, axis=axis, keepdims=True)
    out = (xf - mean) * jax.lax.rsqrt(var + eps)
    if gamma is not None:
        out = out * jnp.asarray(gamma, out.dtype)
    if beta is not None:
        out = out + jnp.asarray(beta, out.dtype)
    return out.astype(dtype)


def rms_normalization(x: Any, scale: Any = None, axis: int = -1,
                      epsilon: float | None = None) -> jax.Array:
    """Divide by the root mean square over ``axis`` and multiply by ``scale``.

    Example:
        >>> [round(v, 3) for v in rms_normalization(jnp.array([3.0, 4.0])).tolist()]
        [0.849, 1.131]
    """
    x = jnp.asarray(x)
    eps = _settings.epsilon() if epsilon is None else epsilon
    out = x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=axis, keepdims=True) + eps)
    return out if scale is None else out * jnp.asarray(scale, out.dtype)


def psnr(x1: Any, x2: Any, max_val: float) -> jax.Array:
    """Peak signal-to-noise ratio in dB.

    Raises:
        ValueError: If the shapes differ.
    """
    x1, x2 = jnp.asarray(x1), jnp.asarray(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"Input shapes {x1.shape} and {x2.shape} must match for PSNR "
                         "calculation.")
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20 * jnp.log10(jnp.asarray(max_val, x2.dtype)) - 10 * jnp.log10(mse)


def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                          scale: float | None = None, is_causal: bool = False,
                          flash_attention: bool | None = None,
                          attn_logits_soft_cap: float | None = None) -> jax.Array:
    """Scaled dot-product attention over ``(batch, time, heads, depth)`` arrays.

    Args:
        mask: Boolean, broadcastable to ``(batch, heads, T, S)``; False hides a key.
        scale: Logit scale (``1 / sqrt(depth)`` by default).
        flash_attention: True requires a GPU flash kernel (cuDNN); None picks
            automatically (the XLA kernel on CPU).
        attn_logits_soft_cap: Cap logits as ``c * tanh(logits / c)``.

    Raises:
        ValueError: For non-4-D inputs, or ``flash_attention=True`` without a GPU.

    Example:
        >>> q = jnp.ones((1, 3, 2, 4))
        >>> dot_product_attention(q, q, q).shape
        (1, 3, 2, 4)
    """
    query, key, value = jnp.asarray(query), jnp.asarray(key), jnp.asarray(value)
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError(
            "`dot_product_attention` only supports 4D inputs. Received: "
            f"query.shape={query.shape}, key.shape={key.shape}, value.shape={value.shape}."
        )
    if flash_attention is None:
        flash_attention = _settings.is_flash_attention_enabled()
    if flash_attention and jax.devices()[0].platform != "gpu":
        raise ValueError(
            "Flash attention is not supported on this platform "
            f"({jax.devices()[0].platform}): it needs a GPU with cuDNN. Pass "
            "flash_attention=None or False."
        )
    dtype = jnp.result_type(query.dtype, key.dtype, value.dtype)
    query, key, value = query.astype(dtype), key.astype(dtype), value.astype(dtype)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    logits_dtype = jnp.promote_types(dtype, jnp.float32)
    logits = jnp.einsum("BTNH,BSNH->BNTS", query, key, preferred_element_type=logits_dtype)
    logits = logits * jnp.asarray(scale, logits_dtype)
    if attn_logits_soft_cap is not None:
        logits = attn_logits_soft_cap * jnp.tanh(logits / attn_logits_soft_cap)
    if bias is not None:
        logits = (logits + jnp.asarray(bias, logits_dtype)).astype(logits_dtype)
    if mask is not None or is_causal:
        keep = jnp.ones(logits.shape, bool)
        if mask is not None:
            keep = jnp.logical_and(keep, jnp.asarray(mask, bool))
        if is_causal:
            t, s = logits.shape[2], logits.shape[3]
            keep = jnp.logical_and(keep, jnp.tril(jnp.ones((t, s), bool))[None, None])
        logits = jnp.where(keep, logits, -0.7 * jnp.finfo(logits_dtype).max)
    probs = jax.nn.softmax(logits.astype(jnp.float32), axis=-1).astype(key.dtype)
    return jnp.einsum("BNTS,BSNH->BTNH", probs, value)


def _transpose_padding(kernel: int, stride: int, dilation: int, padding: str, out_pad):
    kernel = (kernel - 1) * dilation + 1
    if padding == "valid":
        out_pad = max(kernel, stride) - kernel if out_pad is None else out_pad
        return kernel - 1, kernel - 1 + out_pad
    total = stride + kernel - 2 if out_pad is None else kernel + kernel % 2 - 2 + out_pad
    left = min(total // 2 + total % 2, kernel - 1)
    return left, total - left


def conv_transpose(inputs: Any, kernel: Any, strides: int | Sequence[int] = 1,
                   padding: str = "valid", output_padding: Any = None,
                   data_format: str | None = None,
                   dilation_rate: int | Sequence[int] = 1) -> jax.Array:
    """Transposed N-D convolution; ``kernel`` is ``(*spatial, out_channels, in_channels)``.

    Example:
        >>> conv_transpose(jnp.ones((1, 2, 2, 1)), jnp.ones((2, 2, 3, 1)), 2).shape
        (1, 4, 4, 3)
    """
    inputs, kernel = jnp.asarray(inputs), jnp.asarray(kernel)
    data_format = _check(data_format, padding)
    n = inputs.ndim - 2
    strides, dilation = _spatial(strides, n), _spatial(dilation_rate, n)
    out_pad = (None,) * n if output_padding is None else _spatial(output_padding, n)
    sizes = kernel.shape[:n]
    pads = [_transpose_padding(k, s, d, padding.lower(), p)
            for k, s, d, p in zip(sizes, strides, dilation, out_pad)]
    return jax.lax.conv_transpose(
        inputs, kernel, strides=strides, padding=pads, rhs_dilation=dilation,
        dimension_numbers=_dimension_numbers(n, data_format), transpose_kernel=True,
    )


def separable_conv(inputs: Any, depthwise_kernel: Any, pointwise_kernel: Any,
                   strides: int | Sequence[int] = 1, padding: str = "valid",
                   data_format: str | None = None,
                   dilation_rate: int | Sequence[int] = 1) -> jax.Array:
    """Depthwise convolution followed by a pointwise (1x1) convolution."""
    from nbkeras.ops.nn import conv

    depthwise = depthwise_conv.__wrapped__(inputs, depthwise_kernel, strides, padding,
                                           data_format, dilation_rate)
    return conv.__wrapped__(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


def _adaptive(inputs: Any, output_size: Any, data_format: str | None, reduce) -> jax.Array:
    x = jnp.asarray(inputs)
    data_format = data_format or _settings.image_data_format()
    n = x.ndim - 2
    sizes = _spatial(output_size, n)
    first = 1 if data_format == "channels_last" else 2
    for i, out in enumerate(sizes):
        axis = first + i
        length = x.shape[axis]
        pieces = []
        for j in range(out):
            start = (j * length) // out
            end = -((-(j + 1) * length) // out)  # ceil
            pieces.append(reduce(jax.lax.slice_in_dim(x, start, end, axis=axis), axis))
        x = jnp.stack(pieces, axis=axis)
    return x


def adaptive_average_pool(inputs: Any, output_size: Any, data_format: str | None = None):
    """Average-pool to a fixed ``output_size`` (windows as in PyTorch/Keras).

    Example:
        >>> adaptive_average_pool(jnp.ones((1, 5, 5, 2)), 2).shape
        (1, 2, 2, 2)
    """
    return _adaptive(inputs, output_size, data_format,
                     lambda v, a: jnp.mean(v, axis=a))


def adaptive_max_pool(inputs: Any, output_size: Any, data_format: str | None = None):
    """Max-pool to a fixed ``output_size``.

    Example:
        >>> adaptive_max_pool(jnp.ones((1, 5, 2)), 3).shape
        (1, 3, 2)
    """
    return _adaptive(inputs, output_size, data_format, lambda v, a: jnp.max(v, axis=a))


def depth_to_space(x: Any, block_size: int, data_format: str = "channels_last") -> jax.Array:
    """Move channel blocks into ``block_size x block_size`` spatial blocks (pixel shuffle).

    Example:
        >>> depth_to_space(jnp.ones((1, 2, 2, 8)), 2).shape
        (1, 4, 4, 2)
    """
    x = jnp.asarray(x)
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        x = x.reshape(n, h, w, b, b, c // b**2).transpose(0, 1, 3, 2, 4, 5)
        return x.reshape(n, h * b, w * b, c // b**2)
    n, c, h, w = x.shape
    x = x.reshape(n, c // b**2, b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
    return x.reshape(n, c // b**2, h * b, w * b)


def space_to_depth(x: Any, block_size: int, data_format: str = "channels_last") -> jax.Array:
    """Inverse of :func:`depth_to_space`.

    Example:
        >>> space_to_depth(jnp.ones((1, 4, 4, 2)), 2).shape
        (1, 2, 2, 8)
    """
    x = jnp.asarray(x)
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        x = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
        return x.reshape(n, h // b, w // b, c * b**2)
    n, c, h, w = x.shape
    x = x.reshape(n, c, h // b, b, w // b, b).transpose(0, 1, 3, 5, 2, 4)
    return x.reshape(n, c * b**2, h // b, w // b)


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def unfold(x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1):
    """Sliding blocks of an NCHW batch: ``(N, C*kH*kW, L)`` (PyTorch's ``Unfold``).

    Example:
        >>> unfold(jnp.ones((1, 1, 3, 3)), 2).shape
        (1, 4, 4)
    """
    x = jnp.asarray(x)
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    if any(p):
        x = jnp.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    patches = jax.lax.conv_general_dilated_patches(
        x, filter_shape=k, window_strides=s, padding="VALID", rhs_dilation=d,
        dimension_numbers=("NCHW", "OIHW", "NCHW"),
    )
    n, ckk, oh, ow = patches.shape
    return patches.reshape(n, ckk, oh * ow)


def fold(x: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> jax.Array:
    """Sum sliding blocks ``(N, C*kH*kW, L)`` back into an NCHW image (inverse layout of
    :func:`unfold`; overlapping values add up).

    Example:
        >>> fold(unfold(jnp.ones((1, 1, 3, 3)), 2), 3, 2)[0, 0].tolist()
        [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    x = jnp.asarray(x)
    (oh, ow), (kh, kw) = _pair(output_size), _pair(kernel_size)
    (dh, dw), (ph, pw), (sh, sw) = _pair(dilation), _pair(padding), _pair(stride)
    n, ckk, _ = x.shape
    c = ckk // (kh * kw)
    nh = (oh + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    nw = (ow + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    blocks = x.reshape(n, c, kh, kw, nh, nw)
    out = jnp.zeros((n, c, oh + 2 * ph, ow + 2 * pw), x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows = np.arange(nh) * sh + i * dh
            cols = np.arange(nw) * sw + j * dw
            out = out.at[:, :, rows[:, None], cols[None, :]].add(blocks[:, :, i, j])
    return out[:, :, ph:ph + oh, pw:pw + ow]


def ctc_loss(target: Any, output: Any, target_length: Any, output_length: Any,
             mask_index: int = 0) -> jax.Array:
    """Connectionist temporal classification loss per sample (``optax.ctc_loss``).

    Args:
        target: Int labels ``(batch, max_label_length)``.
        output: Logits ``(batch, max_time, num_classes)``.
        target_length, output_length: Lengths ``(batch,)``.
        mask_index: The blank class.
    """
    import optax

    target = jnp.asarray(target, "int32")
    output = jnp.asarray(output)
    t_len = jnp.asarray(target_length)
    o_len = jnp.asarray(output_length)
    logit_pad = (jnp.arange(output.shape[1])[None, :] >= o_len[:, None]).astype(output.dtype)
    label_pad = (jnp.arange(target.shape[1])[None, :] >= t_len[:, None]).astype(output.dtype)
    logits = jax.nn.log_softmax(output, axis=-1)
    return optax.ctc_loss(logits, logit_pad, target, label_pad, blank_id=mask_index)


for _n in __all__:
    globals()[_n] = symbolic_op(globals()[_n])
