"""Backend- and shape-dependent lowerings of convolutions.

Two alternatives to a plain ``lax.conv_general_dilated``, chosen per backend and shape
at trace time (:func:`conv_lowering` forces ``"xla"`` or ``"patches"``):

- :func:`conv_tap_gradient` (default on CPU when training): XLA's convolution forward,
  but the kernel's gradient as GEMMs of shifted input slices ("taps"), which XLA:CPU
  computes several times faster than its weight-gradient convolution.
- :func:`conv_patches` ("im2col"): the whole convolution as shifted slices concatenated,
  then one matmul. On older XLA:CPU builds this beat XLA for small convnets; on the
  current one it does not (see ``AUTO_PATCHES``), so only ``"patches"`` picks it.

Both agree with the plain lowering to float rounding (~1e-7 relative; tests compare
outputs and gradients).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math

import jax
import jax.numpy as jnp
from jax import lax

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}
_MODES = ("auto", "xla", "patches")
_mode = "auto"

# When "auto" may pick patches, and for which shapes.  Measured on this project's 2-core
# XLA:CPU (jax 0.10, whose convolutions run through YNNPACK fusions), by A/B in one
# process, best of 6 x 5 runs: on the benchmark convnet's train step, patches for the
# 1-channel first conv gave 68-71 ms/step vs 65-73 ms for XLA's conv (no gain) and made
# inference ~30 % slower (fwd 12-13 vs 9-10 ms); patches for the 32-channel second conv
# were ~3x slower (the minor-dim concatenation costs more than the GEMM saves).  So
# "auto" keeps XLA's convolution; set AUTO_PATCHES (or use "patches") where it wins.
AUTO_PATCHES = False
MAX_DEPTH = 64  # patch depth (kernel area x input channels) up to which auto may pick it
MAX_PATCH_BYTES = 256 * 2**20


def set_conv_lowering(mode: str) -> None:
    """``"auto"`` (default: pick per backend/shape), ``"xla"`` or ``"patches"``."""
    global _mode
    if mode not in _MODES:
        raise ValueError(f"conv lowering must be one of {_MODES}, received {mode!r}.")
    _mode = mode


@contextlib.contextmanager
def conv_lowering(mode: str):
    """Temporarily force a convolution lowering (affects code traced inside).

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import Conv2D
        >>> layer, x = Conv2D(2, 3), jnp.ones((1, 6, 6, 1))
        >>> with conv_lowering("xla"):
        ...     y_plain = layer(x)
        >>> y_plain.shape
        (1, 4, 4, 2)
    """
    previous = _mode
    set_conv_lowering(mode)
    try:
        yield
    finally:
        set_conv_lowering(previous)


def patches_supported(inputs, kernel, *, rank, data_format, strides, dilation, groups,
                      padding) -> bool:
    """Whether :func:`conv_patches` computes this convolution exactly."""
    return (
        rank in (1, 2)
        and data_format == "channels_last"
        and groups == 1
        and all(s == 1 for s in strides)
        and all(d == 1 for d in dilation)
        and padding in ("VALID", "SAME")
        and inputs.dtype == jnp.float32
        and kernel.dtype == jnp.float32
        and all(d >= k for d, k in zip(_padded_spatial(inputs, kernel, padding), kernel.shape))
    )


def use_patches(inputs, kernel, **conv) -> bool:
    """The lowering decision for one convolution (at trace time)."""
    if _mode == "xla" or not patches_supported(inputs, kernel, **conv):
        return False
    if _mode == "patches":
        return True
    if not AUTO_PATCHES or jax.default_backend() != "cpu":
        return False  # GPU/TPU convolutions are already GEMM-based and tuned
    taps = math.prod(kernel.shape[:-2])
    patch_bytes = inputs.size * taps * inputs.dtype.itemsize
    return taps > 1 and taps * kernel.shape[-2] <= MAX_DEPTH and patch_bytes <= MAX_PATCH_BYTES


def _padded_spatial(inputs, kernel, padding):
    spatial = inputs.shape[1:-1]
    if padding == "SAME":
        return tuple(d + k - 1 for d, k in zip(spatial, kernel.shape[:-2]))
    return spatial


def conv_patches(inputs, kernel, padding: str):
    """Stride-1, channels-last convolution as concatenated shifted slices @ kernel.

    Args:
        inputs: ``(batch, *spatial, in_channels)``.
        kernel: ``(*kernel_size, in_channels, filters)``.
        padding: ``"VALID"`` or ``"SAME"`` (XLA's split: the extra pixel goes after).
    """
    ones = (1,) * (inputs.ndim - 2)
    pads = _explicit_pads(inputs, kernel, ones, padding, ones)
    out_shape = _out_shape(inputs, kernel, ones, pads, ones)
    taps = _taps(inputs, kernel.shape, ones, pads, ones, out_shape[1:-1])
    patches = jnp.concatenate(taps, axis=-1) if len(taps) > 1 else taps[0]
    out = jnp.dot(patches, kernel.reshape(-1, kernel.shape[-1]))
    return out.reshape(out_shape)


# Training convolutions on CPU: the weight gradient as "one GEMM per kernel tap".  XLA:CPU
# computes a convolution's weight gradient as another convolution whose "batch" is the
# input's channels and whose "kernel" is the output gradient (e.g. 26x26), its slowest
# path: measured (batch 128) 19 ms for the benchmark convnet's first Conv2D (1 -> 32
# channels), 32-43 ms for its second (32 -> 64) and 73 ms for a 3 -> 32 one on 32x32
# images, against 3.7, 14-19 and 12 ms as GEMMs of the shifted input slices with the
# output gradient (same values to float rounding).  The input gradient stays XLA's
# (fast); so does the forward pass, except that a shallow convolution being
# differentiated multiplies the slices the weight gradient needs anyway.
AUTO_TAP_GRADIENT = True
IM2COL_DEPTH = 32  # up to this patch depth one GEMM over concatenated taps beats per-tap GEMMs


def tap_gradient_supported(inputs, kernel, *, rank, data_format, groups, **_) -> bool:
    """Whether :func:`conv_tap_gradient` can compute this convolution."""
    return (
        data_format == "channels_last"
        and groups == 1
        and rank in (1, 2, 3)
        and inputs.ndim == rank + 2
        and inputs.dtype == kernel.dtype
        and jnp.issubdtype(inputs.dtype, jnp.floating)
    )


def use_tap_gradient(inputs, kernel, **conv) -> bool:
    """The weight-gradient decision for one convolution (at trace time)."""
    if _mode == "xla" or not tap_gradient_supported(inputs, kernel, **conv):
        return False
    return AUTO_TAP_GRADIENT and jax.default_backend() == "cpu"


def dimension_numbers(rank: int, data_format: str) -> tuple[str, str, str]:
    """``('NHWC', 'HWIO', 'NHWC')`` for 2D channels_last, ``('NCHW', ...)`` otherwise."""
    sp = _SPATIAL[rank]
    lhs = f"N{sp}C" if data_format == "channels_last" else f"NC{sp}"
    return lhs, f"{sp}IO", lhs


def _xla_conv(x, kernel, strides, pads, dilation):
    return lax.conv_general_dilated(
        x, kernel, window_strides=strides, padding=pads, rhs_dilation=dilation,
        dimension_numbers=dimension_numbers(x.ndim - 2, "channels_last"),
    )


def _explicit_pads(inputs, kernel, strides, padding, dilation):
    """``(low, high)`` per spatial dimension for ``"VALID"``/``"SAME"`` (XLA's split)."""
    if not isinstance(padding, str):
        return tuple((int(lo), int(hi)) for lo, hi in padding)
    window = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:-2], dilation)]
    pads = lax.padtype_to_pads(inputs.shape[1:-1], window, strides, padding)
    return tuple((int(lo), int(hi)) for lo, hi in pads)


@functools.partial(jax.custom_jvp, nondiff_argnums=(2, 3, 4))
def _conv(x, kernel, strides, pads, dilation):
    # Not differentiated (predict, evaluate): XLA's convolution, Keras's numbers exactly.
    return _xla_conv(x, kernel, strides, pads, dilation)


def _forward(x, kernel, strides, pads, dilation):
    """The output and the taps, when differentiated.  A shallow convolution (patch depth
    <= IM2COL_DEPTH) is one GEMM over the concatenated taps, which the weight gradient
    needs anyway (measured ~20 % faster convnet training than XLA's convolution of a
    1-channel image; but ~50 % slower inference, where the taps serve nothing else)."""
    out_shape = _out_shape(x, kernel, strides, pads, dilation)
    taps = _taps(x, kernel.shape, strides, pads, dilation, out_shape[1:-1])
    if kernel.shape[-2] * len(taps) <= IM2COL_DEPTH:
        return _taps_times_kernel(taps, kernel, out_shape), taps
    return _xla_conv(x, kernel, strides, pads, dilation), taps


@_conv.defjvp
def _conv_jvp(strides, pads, dilation, primals, tangents):
    (x, kernel), (x_dot, kernel_dot) = primals, tangents
    out, taps = _forward(x, kernel, strides, pads, dilation)
    # Linear in x_dot: transposed by XLA into its own input-gradient convolution.
    out_dot = _xla_conv(x_dot, kernel, strides, pads, dilation)
    # Linear in kernel_dot: transposed into GEMMs of the shifted slices (they depend only
    # on x) with the output gradient: the weight gradient.
    out_dot = out_dot + _taps_times_kernel(taps, kernel_dot, out.shape)
    return out, out_dot


def _out_shape(x, kernel, strides, pads, dilation):
    return jax.eval_shape(lambda: _xla_conv(x, kernel, strides, pads, dilation)).shape


def _taps(x, kernel_shape, strides, pads, dilation, out_spatial):
    """The input slices each kernel tap multiplies, each ``(batch * out_positions, in)``."""
    window, channels = kernel_shape[:-2], kernel_shape[-2]
    x = jnp.pad(x, [(0, 0), *pads, (0, 0)])
    taps = []
    for offsets in itertools.product(*(range(k) for k in window)):
        index = tuple(
            slice(o * d, o * d + (n - 1) * s + 1, s)
            for o, d, n, s in zip(offsets, dilation, out_spatial, strides)
        )
        taps.append(x[(slice(None), *index, slice(None))].reshape(-1, channels))
    return taps


def _taps_times_kernel(taps, kernel, out_shape):
    """sum over taps of ``tap @ kernel[tap]``: the convolution, as GEMMs."""
    channels, filters = kernel.shape[-2], kernel.shape[-1]
    accumulate = jnp.float32 if jnp.dtype(kernel.dtype).itemsize < 4 else None
    if channels * len(taps) <= IM2COL_DEPTH:
        patches = jnp.concatenate(taps, axis=-1) if len(taps) > 1 else taps[0]
        out = jnp.dot(patches, kernel.reshape(-1, filters), preferred_element_type=accumulate)
    else:
        flat = kernel.reshape(len(taps), channels, filters)
        out = sum(jnp.dot(t, flat[i], preferred_element_type=accumulate)
                  for i, t in enumerate(taps))
    return out.astype(kernel.dtype).reshape(out_shape)


def conv_tap_gradient(inputs, kernel, *, strides, padding, dilation):
    """A channels-last convolution, differentiated as GEMMs over the kernel's taps.

    Undifferentiated, it is ``lax.conv_general_dilated`` (the same values).  Under
    ``jax.grad``/``jax.jvp`` the kernel's tangent (so its gradient) goes through GEMMs of the
    shifted input slices; the input's through XLA's own convolution. Values and gradients
    agree with XLA's to float rounding; forward- and reverse-mode, any order, work.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> x, k = jnp.ones((2, 5, 5, 1)), jnp.ones((3, 3, 1, 4))
        >>> conv_tap_gradient(x, k, strides=(1, 1), padding="VALID", dilation=(1, 1)).shape
        (2, 3, 3, 4)
        >>> g = jax.grad(lambda k: conv_tap_gradient(
        ...     x, k, strides=(1, 1), padding="VALID", dilation=(1, 1)).sum())(k)
        >>> float(g[0, 0, 0, 0])  # 2 images x 3 x 3 output positions
        18.0
    """
    strides, dilation = tuple(strides), tuple(dilation)
    pads = _explicit_pads(inputs, kernel, strides, padding, dilation)
    return _conv(inputs, kernel, strides, pads, dilation)
