"""Image ops (``keras.ops.image``): resize, colour conversions, padding/cropping,
patches and coordinate mapping, over ``jax.image`` and ``jax.scipy.ndimage``.

Images are ``(height, width, channels)`` or batches of them (channels-first with
``data_format="channels_first"``).

Example:
    >>> from nbkeras import ops
    >>> ops.image.resize(jnp.zeros((2, 8, 8, 3)), (4, 4)).shape
    (2, 4, 4, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from nbkeras import _settings
from nbkeras.ops import symbolic_op

__all__ = [
    "crop_images", "extract_patches", "hsv_to_rgb", "map_coordinates", "pad_images",
    "resize", "rgb_to_grayscale", "rgb_to_hsv",
]  # fmt: skip

_RESIZE = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")


def _images(images: Any) -> jax.Array:
    images = jnp.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
            f"images). Received input with shape: images.shape={images.shape}"
        )
    return images


def _fmt(data_format: str | None) -> str:
    return data_format or _settings.image_data_format()


def _hw_axes(images: jax.Array, data_format: str) -> tuple[int, int]:
    return (-3, -2) if data_format == "channels_last" else (-2, -1)


def resize(images: Any, size: Sequence[int], interpolation: str = "bilinear",
           antialias: bool = False, crop_to_aspect_ratio: bool = False,
           pad_to_aspect_ratio: bool = False, fill_mode: str = "constant",
           fill_value: float = 0.0, data_format: str | None = None) -> jax.Array:
    """Resize images to ``size = (height, width)``.

    Raises:
        ValueError: For an unknown interpolation, both aspect options, or a bad ``size``.
    """
    images = _images(images)
    data_format = _fmt(data_format)
    if interpolation not in _RESIZE:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected one of "
                         f"{_RESIZE}. Received: interpolation={interpolation!r}")
    if fill_mode != "constant":
        raise ValueError("Invalid value for argument `fill_mode`. Only 'constant' is "
                         f"supported. Received: fill_mode={fill_mode!r}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be "
                         "True.")
    if len(size) != 2:
        raise ValueError(f"Argument `size` must be a tuple of two elements (height, width). "
                         f"Received: size={size}")
    th, tw = (int(s) for s in size)
    ha, wa = _hw_axes(images, data_format)
    h, w = images.shape[ha], images.shape[wa]
    if crop_to_aspect_ratio:
        ch = max(min(h, int(float(w * th) / tw)), 1)
        cw = max(min(w, int(float(h * tw) / th)), 1)
        hs, ws = int(float(h - ch) / 2), int(float(w - cw) / 2)
        images = jax.lax.slice_in_dim(images, hs, hs + ch, axis=images.ndim + ha)
        images = jax.lax.slice_in_dim(images, ws, ws + cw, axis=images.ndim + wa)
    elif pad_to_aspect_ratio:
        ph = max(h, int(float(w * th) / tw))
        pw = max(w, int(float(h * tw) / th))
        pad = [(0, 0)] * images.ndim
        pad[ha] = ((ph - h) // 2, ph - h - (ph - h) // 2)
        pad[wa] = ((pw - w) // 2, pw - w - (pw - w) // 2)
        images = jnp.pad(images, pad, constant_values=fill_value)
    shape = list(images.shape)
    shape[ha], shape[wa] = th, tw
    method = "cubic" if interpolation == "bicubic" else interpolation
    out = jax.image.resize(images, tuple(shape), method=method, antialias=antialias)
    return out.astype(images.dtype) if jnp.issubdtype(images.dtype, jnp.floating) else out


def rgb_to_grayscale(images: Any, data_format: str | None = None) -> jax.Array:
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` as a 1-channel image."""
    images = _images(images)
    axis = -1 if _fmt(data_format) == "channels_last" else -3
    if images.shape[axis] not in (1, 3):
        raise ValueError("Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received "
                         f"input with shape: images.shape={images.shape}")
    if images.shape[axis] == 1:
        return images
    dtype = images.dtype
    x = images.astype(jnp.result_type(dtype, float))
    weights = jnp.asarray([0.2989, 0.5870, 0.1140], x.dtype)
    gray = jnp.tensordot(x, weights, axes=((images.ndim + axis,), (0,)))
    return jnp.expand_dims(gray, axis).astype(dtype)


def _float_images(images: Any) -> jax.Array:
    images = _images(images)
    if not jnp.issubdtype(images.dtype, jnp.floating):
        raise ValueError(f"Invalid images dtype: expected float dtype. Received: "
                         f"images.dtype={images.dtype}")
    return images


def rgb_to_hsv(images: Any, data_format: str | None = None) -> jax.Array:
    """RGB in [0, 1] to HSV in [0, 1]."""
    images = _float_images(images)
    axis = -1 if _fmt(data_format) == "channels_last" else -3
    eps = jnp.finfo(images.dtype).eps
    images = jnp.where(jnp.abs(images) < eps, 0.0, images)
    r, g, b = (jnp.squeeze(c, axis) for c in jnp.split(images, 3, axis))
    value = jnp.maximum(jnp.maximum(r, g), b)
    rng = value - jnp.minimum(jnp.minimum(r, g), b)
    safe_value = jnp.where(value > 0, value, 1.0)
    safe_range = jnp.where(rng > 0, rng, 1.0)
    sat = jnp.where(value > 0, rng / safe_value, 0.0)
    norm = 1.0 / (6.0 * safe_range)
    hue = jnp.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = jnp.where(value == r, norm * (g - b), hue)
    hue = jnp.where(rng > 0, hue, 0.0) + (hue < 0.0).astype(hue.dtype)
    return jnp.stack([hue, sat, value], axis=axis)


def hsv_to_rgb(images: Any, data_format: str | None = None) -> jax.Array:
    """HSV in [0, 1] to RGB in [0, 1]."""
    images = _float_images(images)
    axis = -1 if _fmt(data_format) == "channels_last" else -3
    h, s, v = (jnp.squeeze(c, axis) for c in jnp.split(images, 3, axis))
    dh = jnp.mod(h, 1.0) * 6.0
    dr = jnp.clip(jnp.abs(dh - 3.0) - 1.0, 0.0, 1.0)
    dg = jnp.clip(2.0 - jnp.abs(dh - 2.0), 0.0, 1.0)
    db = jnp.clip(2.0 - jnp.abs(dh - 4.0), 0.0, 1.0)
    return jnp.stack([v * (1 - s + s * d) for d in (dr, dg, db)], axis=axis)


def _amounts(before, after, target, size, names) -> tuple[int, int]:
    given = [v is not None for v in (before, after, target)]
    if sum(given) != 2:
        raise ValueError(f"Exactly two of {names} must be set. Received: "
                         f"{dict(zip(names, (before, after, target)))}")
    if target is None:
        return int(before), int(after)
    if before is None:
        return abs(int(target) - size) - int(after), int(after)
    return int(before), abs(int(target) - size) - int(before)


def pad_images(images: Any, top_padding: int | None = None, left_padding: int | None = None,
               bottom_padding: int | None = None, right_padding: int | None = None,
               target_height: int | None = None, target_width: int | None = None,
               data_format: str | None = None) -> jax.Array:
    """Zero-pad images; give two of (top, bottom, target_height), same for width.

    Example:
        >>> pad_images(jnp.ones((2, 2, 1)), 1, 1, target_height=4, target_width=4).shape
        (4, 4, 1)
    """
    images = _images(images)
    ha, wa = _hw_axes(images, _fmt(data_format))
    top, bottom = _amounts(top_padding, bottom_padding, target_height, images.shape[ha],
                           ("top_padding", "bottom_padding", "target_height"))
    left, right = _amounts(left_padding, right_padding, target_width, images.shape[wa],
                           ("left_padding", "right_padding", "target_width"))
    if min(top, bottom, left, right) < 0:
        raise ValueError("Padding amounts must be non-negative; the target size is smaller "
                         f"than the image ({images.shape}).")
    pad = [(0, 0)] * images.ndim
    pad[ha], pad[wa] = (top, bottom), (left, right)
    return jnp.pad(images, pad)


def crop_images(images: Any, top_cropping: int | None = None, left_cropping: int | None = None,
                bottom_cropping: int | None = None, right_cropping: int | None = None,
                target_height: int | None = None, target_width: int | None = None,
                data_format: str | None = None) -> jax.Array:
    """Crop images; give two of (top, bottom, target_height), same for width.

    Example:
        >>> crop_images(jnp.ones((4, 4, 1)), 1, 1, target_height=2, target_width=2).shape
        (2, 2, 1)
    """
    images = _images(images)
    ha, wa = _hw_axes(images, _fmt(data_format))
    h, w = images.shape[ha], images.shape[wa]
    top, bottom = _amounts(top_cropping, bottom_cropping, target_height, h,
                           ("top_cropping", "bottom_cropping", "target_height"))
    left, right = _amounts(left_cropping, right_cropping, target_width, w,
                           ("left_cropping", "right_cropping", "target_width"))
    if min(top, bottom, left, right) < 0 or top + bottom >= h + 1 or left + right >= w + 1:
        raise ValueError(f"Cropping amounts do not fit images of shape {images.shape}.")
    images = jax.lax.slice_in_dim(images, top, h - bottom, axis=images.ndim + ha)
    return jax.lax.slice_in_dim(images, left, w - right, axis=images.ndim + wa)


def extract_patches(images: Any, size: int | Sequence[int], strides: Any = None,
                    dilation_rate: int = 1, padding: str = "valid",
                    data_format: str | None = None) -> jax.Array:
    """Patches of ``size`` flattened into the channel axis:
    ``(..., rows, cols, size_h * size_w * channels)``.

    Example:
        >>> extract_patches(jnp.ones((1, 4, 4, 3)), 2).shape
        (1, 2, 2, 12)
    """
    from nbkeras.ops.nn import conv

    images = _images(images)
    data_format = _fmt(data_format)
    ph, pw = (size, size) if isinstance(size, int) else tuple(size)
    strides = (ph, pw) if strides is None else strides
    channels = images.shape[-1] if data_format == "channels_last" else images.shape[-3]
    out_dim = ph * pw * channels
    kernel = jnp.eye(out_dim, dtype=images.dtype).reshape(ph, pw, channels, out_dim)
    single = images.ndim == 3
    x = images[None] if single else images
    out = conv.__wrapped__(x, kernel, strides, padding, data_format, dilation_rate)
    return out[0] if single else out


_FILL = ("constant", "nearest", "wrap", "mirror", "reflect")


def map_coordinates(inputs: Any, coordinates: Any, order: int, fill_mode: str = "constant",
                    fill_value: float = 0.0) -> jax.Array:
    """Sample ``inputs`` at ``coordinates`` (one row per input axis), order 0 or 1.

    Example:
        >>> map_coordinates(jnp.arange(4.0), jnp.array([[1.5]]), 1).tolist()
        [1.5]
    """
    inputs, coordinates = jnp.asarray(inputs), jnp.asarray(coordinates)
    if coordinates.ndim < 2 or coordinates.shape[0] != inputs.ndim:
        raise ValueError(
            "First dim of `coordinates` must be the same as the rank of `inputs` (and "
            f"coordinates at least rank 2). Received inputs with shape {inputs.shape} and "
            f"coordinates with shape {coordinates.shape}."
        )
    if fill_mode not in _FILL:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected one of {_FILL}. "
                         f"Received: fill_mode={fill_mode!r}")
    if order not in (0, 1):
        raise ValueError(f"Invalid value for argument `order`. Expected 0 or 1. Received: "
                         f"order={order!r}")
    return jax.scipy.ndimage.map_coordinates(inputs, list(coordinates), order, fill_mode,
                                             fill_value)


for _n in __all__:
    globals()[_n] = symbolic_op(globals()[_n])

from nbkeras.ops.image_transform import (  # noqa: E402  (re-exported; needs the helpers above)
    affine_transform,
    elastic_transform,
    extract_patches_3d,
    gaussian_blur,
    perspective_transform,
    scale_and_translate,
    sobel_edges,
    ssim,
)

__all__ += [
    "affine_transform", "elastic_transform", "extract_patches_3d", "gaussian_blur",
    "perspective_transform", "scale_and_translate", "sobel_edges", "ssim",
]  # fmt: skip
