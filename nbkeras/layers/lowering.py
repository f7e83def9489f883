"""Backend- and shape-dependent lowerings of convolutions.

A stride-1 convolution can be computed as "shifted slices concatenated, then one
matmul" (im2col): the matmul runs on the GEMM path and the gradient is a matmul plus a
fused pad-and-add.  On older XLA:CPU builds this beat ``lax.conv_general_dilated`` for
small convnets; on the current one it does not (see ``AUTO_PATCHES``), so the choice is
made per backend and shape at trace time and :func:`conv_lowering` can force either.
Outputs agree with the plain lowering to float rounding (~1e-7 relative; tests compare
outputs and gradients).
"""

from __future__ import annotations

import contextlib
import itertools
import math

import jax
import jax.numpy as jnp

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
    window = kernel.shape[:-2]
    if padding == "SAME":
        pads = [(0, 0)] + [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in window] + [(0, 0)]
        inputs = jnp.pad(inputs, pads)
    out_spatial = [d - k + 1 for d, k in zip(inputs.shape[1:-1], window)]
    cols = []
    for offsets in itertools.product(*(range(k) for k in window)):
        index = tuple(slice(o, o + n) for o, n in zip(offsets, out_spatial))
        cols.append(inputs[(slice(None), *index, slice(None))])
    patches = jnp.concatenate(cols, axis=-1) if len(cols) > 1 else cols[0]
    depth = kernel.shape[-2] * math.prod(window)
    out = jnp.dot(patches.reshape(-1, depth), kernel.reshape(depth, kernel.shape[-1]))
    return out.reshape(inputs.shape[0], *out_spatial, kernel.shape[-1])
