"""Geometric and filtering image ops (``keras.ops.image``): affine and perspective
transforms, Gaussian blur, elastic deformation, scale-and-translate, Sobel edges, SSIM and
3D patches.  Re-exported by :mod:`nbkeras.ops.image`; numerically the same as Keras 3's
JAX backend.

Example:
    >>> import jax.numpy as jnp
    >>> from nbkeras import ops
    >>> ops.image.gaussian_blur(jnp.ones((1, 5, 5, 2)), data_format="channels_last").shape
    (1, 5, 5, 2)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from nbkeras.ops import symbolic_op
from nbkeras.ops.image import _fmt, _images

__all__ = [
    "affine_transform", "elastic_transform", "extract_patches_3d", "gaussian_blur",
    "perspective_transform", "scale_and_translate", "sobel_edges", "ssim",
]  # fmt: skip

_ORDER = {"nearest": 0, "bilinear": 1}
_FILL = ("constant", "nearest", "wrap", "mirror", "reflect")
_SCALE_METHODS = ("linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic",
                  "lanczos3", "lanczos5")


def _order(interpolation: str) -> int:
    if interpolation not in _ORDER:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected one of "
                         f"{tuple(_ORDER)}. Received: interpolation={interpolation!r}")
    return _ORDER[interpolation]


def _fill(fill_mode: str) -> str:
    if fill_mode not in _FILL:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected one of {_FILL}. "
                         f"Received: fill_mode={fill_mode!r}")
    return fill_mode


def _to_nhwc(images: jax.Array, data_format: str) -> tuple[jax.Array, bool]:
    single = images.ndim == 3
    x = images[None] if single else images
    if data_format == "channels_first":
        x = jnp.transpose(x, (0, 2, 3, 1))
    return x, single


def _from_nhwc(x: jax.Array, data_format: str, single: bool) -> jax.Array:
    if data_format == "channels_first":
        x = jnp.transpose(x, (0, 3, 1, 2))
    return x[0] if single else x


def _sample(x: jax.Array, rows: jax.Array, cols: jax.Array, order: int, mode: str,
            cval: Any) -> jax.Array:
    """Sample NHWC ``x`` at per-image ``rows``/``cols`` of shape ``(b, c_or_1, h, w)``."""
    b, h, w, c = x.shape

    def channel(img, r, cl):
        return jax.scipy.ndimage.map_coordinates(img, [r, cl], order=order, mode=mode,
                                                 cval=cval)

    rows = jnp.broadcast_to(rows, (b, c, h, w))
    cols = jnp.broadcast_to(cols, (b, c, h, w))
    per_image = jax.vmap(channel, in_axes=(-1, 0, 0), out_axes=-1)
    return jax.vmap(per_image)(x, rows, cols)


def affine_transform(images: Any, transform: Any, interpolation: str = "bilinear",
                     fill_mode: str = "constant", fill_value: float = 0,
                     data_format: str | None = None) -> jax.Array:
    """Applies projective transforms ``[a0, a1, a2, b0, b1, b2, c0, c1]`` (one per image).

    Each row maps an output point ``(x, y)`` to the input point
    ``(a0 x + a1 y + a2, b0 x + b1 y + b2)`` (``c0``/``c1`` shift by channel index, as
    Keras's JAX backend does; keep them 0).

    Args:
        images: A ``(h, w, c)`` image or a ``(b, h, w, c)`` batch (channels first with
            ``data_format="channels_first"``).
        transform: ``(8,)`` or ``(b, 8)`` transform rows.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: Value outside the image with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the global one).

    Returns:
        The transformed images, same shape as ``images``.

    Raises:
        ValueError: For a bad rank, interpolation or fill mode.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras import ops
        >>> shift = jnp.array([1.0, 0, 1, 0, 1, 0, 0, 0])  # x_in = x + 1
        >>> ops.image.affine_transform(jnp.arange(4.0).reshape(1, 4, 1), shift)[0, :, 0]
        Array([1., 2., 3., 0.], dtype=float32)
    """
    images = _images(images)
    data_format = _fmt(data_format)
    order, mode = _order(interpolation), _fill(fill_mode)
    transform = jnp.asarray(transform)
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError("Invalid transform: expected shape (8,) for a single transform or "
                         f"(batch, 8). Received transform.shape={transform.shape}")
    x, single = _to_nhwc(images, data_format)
    t = jnp.broadcast_to(transform if transform.ndim == 2 else transform[None],
                         (x.shape[0], 8)).astype(jnp.result_type(float))
    out = _affine(x, t, order, mode, float(fill_value))
    return _from_nhwc(out, data_format, single)


@functools.partial(jax.jit, static_argnums=(2, 3, 4))
def _affine(x, t, order, mode, fill_value):
    _, h, w, c = x.shape
    ys, xs, cs = jnp.meshgrid(jnp.arange(h), jnp.arange(w), jnp.arange(c), indexing="ij")
    ys, xs, cs = (jnp.moveaxis(v, -1, 0)[None] for v in (ys, xs, cs))  # (1, c, h, w)

    def col(i):
        return t[:, i, None, None, None]

    rows = col(3) * xs + col(4) * ys + col(6) * cs + col(5)
    cols = col(0) * xs + col(1) * ys + col(7) * cs + col(2)
    return _sample(x, rows, cols, order, mode, fill_value)


def _homography(start: jax.Array, end: jax.Array) -> jax.Array:
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zeros, ones = jnp.zeros_like(ex), jnp.ones_like(ex)
    x_rows = jnp.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], -1)
    y_rows = jnp.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], -1)
    coeff = jnp.concatenate([x_rows, y_rows], axis=1)
    target = jnp.concatenate([sx, sy], axis=-1)[..., None]
    return jnp.linalg.solve(coeff, target)[..., 0]


def _points(points: Any, name: str) -> jax.Array:
    points = jnp.asarray(points)
    if points.ndim not in (2, 3) or points.shape[-2:] != (4, 2):
        raise ValueError(f"Invalid {name} shape: expected (4, 2) for a single image or "
                         f"(N, 4, 2) for a batch. Received shape: {points.shape}")
    return points if points.ndim == 3 else points[None]


def perspective_transform(images: Any, start_points: Any, end_points: Any,
                          interpolation: str = "bilinear", fill_value: float = 0,
                          data_format: str | None = None) -> jax.Array:
    """Warps images so the four ``start_points`` (x, y) land on the ``end_points``.

    Args:
        images: A ``(h, w, c)`` image or a ``(b, h, w, c)`` batch.
        start_points: ``(4, 2)`` or ``(b, 4, 2)`` corner points in the input.
        end_points: Where those points go in the output, same shape.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_value: Value outside the input image.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The warped images, same shape as ``images``.

    Raises:
        ValueError: For a bad rank, point shapes or interpolation.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras import ops
        >>> corners = jnp.array([[0, 0], [0, 7], [7, 0], [7, 7]])
        >>> ops.image.perspective_transform(jnp.ones((8, 8, 1)), corners, corners).shape
        (8, 8, 1)
    """
    images = _images(images)
    data_format = _fmt(data_format)
    order = _order(interpolation)
    start, end = _points(start_points, "start_points"), _points(end_points, "end_points")
    if jnp.shape(start_points) != jnp.shape(end_points):
        raise ValueError("start_points and end_points must have the same shape. Received "
                         f"start_points.shape={jnp.shape(start_points)}, "
                         f"end_points.shape={jnp.shape(end_points)}")
    x, single = _to_nhwc(images, data_format)
    out = _perspective(x, start.astype("float32"), end.astype("float32"), order,
                       float(fill_value))
    return _from_nhwc(out, data_format, single)


@functools.partial(jax.jit, static_argnums=(3, 4))
def _perspective(x, start, end, order, fill_value):
    b, h, w, _ = x.shape
    m = jnp.broadcast_to(_homography(start, end), (b, 8))
    gx, gy = jnp.meshgrid(jnp.arange(w), jnp.arange(h), indexing="xy")

    def col(i):
        return m[:, i, None, None, None]

    denom = col(6) * gx + col(7) * gy + 1.0
    cols = (col(0) * gx + col(1) * gy + col(2)) / denom
    rows = (col(3) * gx + col(4) * gy + col(5)) / denom
    return _sample(x, rows, cols, order, "constant", fill_value)


def _gaussian_1d(size: int, sigma: Any, dtype: Any) -> jax.Array:
    x = jnp.arange(size, dtype=dtype) - jnp.asarray((size - 1) / 2, dtype=dtype)
    k = jnp.exp(-0.5 * (x / sigma) ** 2)
    return k / jnp.sum(k)


@functools.partial(jax.jit, static_argnums=(2,))
def _depthwise(x: jax.Array, kernel: jax.Array, padding: str = "SAME") -> jax.Array:
    """Convolve every channel of NHWC ``x`` with the 2D ``kernel``."""
    c = x.shape[-1]
    k = jnp.broadcast_to(kernel[:, :, None, None], (*kernel.shape, 1, c))
    return jax.lax.conv_general_dilated(x, k.astype(x.dtype), (1, 1), padding,
                                        dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                        feature_group_count=c)


def gaussian_blur(images: Any, kernel_size: Sequence[int] = (3, 3),
                  sigma: Sequence[float] = (1.0, 1.0),
                  data_format: str | None = None) -> jax.Array:
    """Blurs images with a separable Gaussian kernel ("same" zero padding).

    As in Keras, ``kernel_size[0]``/``sigma[0]`` shape the kernel along the width and
    ``kernel_size[1]``/``sigma[1]`` along the height.

    Args:
        images: A ``(h, w, c)`` image or a ``(b, h, w, c)`` batch.
        kernel_size: Two kernel sizes.
        sigma: Two standard deviations.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The blurred images, same shape.

    Raises:
        ValueError: For a bad rank or kernel size.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras import ops
        >>> out = ops.image.gaussian_blur(jnp.ones((1, 5, 5, 1)), (3, 3), (1.0, 1.0))
        >>> round(float(out[0, 2, 2, 0]), 4)
        1.0
    """
    images = _images(images)
    data_format = _fmt(data_format)
    if len(kernel_size) != 2 or any(int(k) < 1 for k in kernel_size):
        raise ValueError("Invalid `kernel_size`: expected two positive ints. Received: "
                         f"kernel_size={kernel_size!r}")
    dtype = images.dtype
    sigma = jnp.asarray(sigma, dtype=dtype)
    kx = _gaussian_1d(int(kernel_size[0]), sigma[0], dtype)
    ky = _gaussian_1d(int(kernel_size[1]), sigma[1], dtype)
    x, single = _to_nhwc(images, data_format)
    out = _depthwise(x, jnp.outer(ky, kx))
    return _from_nhwc(out, data_format, single)


def _key(seed: Any) -> jax.Array:
    """A JAX key from ``seed`` the way Keras's JAX backend draws one."""
    if seed is None:
        from nbkeras import _rng
        return _rng.next_key()
    if isinstance(seed, int) and not isinstance(seed, bool):
        return jnp.array([seed & 0xFFFFFFFF, 0], dtype=jnp.uint32)
    if isinstance(seed, jax.Array):
        return seed
    raise ValueError(f"Argument `seed` must be an int, a JAX key or None. Received: "
                     f"seed={seed!r} (of type {type(seed).__name__})")


def elastic_transform(images: Any, alpha: float = 20.0, sigma: float = 5.0,
                      interpolation: str = "bilinear", fill_mode: str = "reflect",
                      fill_value: float = 0.0, seed: Any = None,
                      data_format: str | None = None) -> jax.Array:
    """Elastic deformation: a random displacement field, Gaussian-smoothed, scaled by alpha.

    Args:
        images: A ``(h, w, c)`` image or a ``(b, h, w, c)`` batch (float).
        alpha: Displacement scale.
        sigma: Smoothing of the displacement field (a Python number).
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: Value outside the image with ``fill_mode="constant"``.
        seed: An int (same field as Keras for the same int), a JAX key or None.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The deformed images, same shape and dtype.

    Raises:
        ValueError: For a bad rank, interpolation, fill mode or seed.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras import ops
        >>> ops.image.elastic_transform(jnp.ones((2, 8, 8, 1)), 2.0, 1.0, seed=0).shape
        (2, 8, 8, 1)
    """
    images = _images(images)
    data_format = _fmt(data_format)
    order, mode = _order(interpolation), _fill(fill_mode)
    key = _key(seed)
    x, single = _to_nhwc(images, data_format)
    size = int(6 * float(sigma)) | 1
    out = elastic_nhwc(x, key, alpha, sigma, size, order, mode, float(fill_value))
    return _from_nhwc(out, data_format, single)


@functools.partial(jax.jit, static_argnums=(4, 5, 6, 7))
def elastic_nhwc(x, key, alpha, sigma, size, order, mode, fill_value):
    """Elastic deformation of NHWC ``x``; ``alpha``/``sigma`` may be traced, the blur
    kernel ``size`` is static (Keras uses ``int(6 * sigma) | 1``)."""
    dtype = x.dtype
    b, h, w, _ = x.shape
    # Keras's JAX backend draws both fields from the same key (so dx == dy).
    noise = jax.random.normal(key, (b, h, w), dtype=dtype) * jnp.asarray(sigma, dtype)
    smooth = gaussian_blur.__wrapped__(noise[..., None], (size, size), (sigma, sigma),
                                       "channels_last")[..., 0]
    gx, gy = jnp.meshgrid(jnp.arange(w), jnp.arange(h))
    disp = jnp.asarray(alpha) * smooth
    rows = (gy[None] + disp)[:, None]
    cols = (gx[None] + disp)[:, None]
    return _sample(x, rows, cols, order, mode, fill_value).astype(dtype)


def scale_and_translate(images: Any, output_shape: Sequence[int], scale: Any,
                        translation: Any, spatial_dims: Sequence[int], method: str,
                        antialias: bool = True) -> jax.Array:
    """Resamples ``images`` to ``output_shape`` with ``x_out = x_in * scale + translation``
    along ``spatial_dims`` (``jax.image.scale_and_translate``).

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras import ops
        >>> ops.image.scale_and_translate(jnp.ones((4, 4)), (8, 8), jnp.array([2.0, 2.0]),
        ...                               jnp.zeros(2), (0, 1), "linear").shape
        (8, 8)
    """
    if method not in _SCALE_METHODS:
        raise ValueError(f"Invalid value for argument `method`. Expected one of "
                         f"{_SCALE_METHODS}. Received: method={method!r}")
    return jax.image.scale_and_translate(jnp.asarray(images), tuple(output_shape),
                                         tuple(spatial_dims), jnp.asarray(scale),
                                         jnp.asarray(translation), method, antialias)


def sobel_edges(images: Any, data_format: str | None = None) -> jax.Array:
    """Sobel gradients of each channel, stacked as ``(..., 2)`` = ``[dy, dx]``.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras import ops
        >>> ops.image.sobel_edges(jnp.ones((1, 8, 8, 1))).shape
        (1, 8, 8, 1, 2)
    """
    images = _images(images)
    data_format = _fmt(data_format)
    x, single = _to_nhwc(images, data_format)
    kx = jnp.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=x.dtype)
    ky = jnp.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=x.dtype)
    dy = _from_nhwc(_depthwise(x, ky), data_format, single)
    dx = _from_nhwc(_depthwise(x, kx), data_format, single)
    return jnp.stack([dy, dx], axis=-1)


def ssim(image1: Any, image2: Any, max_val: float = 1.0, filter_size: int = 11,
         filter_sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03,
         data_format: str | None = None) -> jax.Array:
    """Structural similarity per image (mean over channels), Gaussian window, no padding.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras import ops
        >>> img = jnp.linspace(0, 1, 12 * 12 * 3).reshape(12, 12, 3)
        >>> round(float(ops.image.ssim(img, img)), 4)
        1.0
    """
    a, b = _images(image1), _images(image2)
    if a.shape != b.shape:
        raise ValueError(f"ssim expects images of the same shape. Received "
                         f"image1.shape={a.shape} and image2.shape={b.shape}")
    data_format = _fmt(data_format)
    dtype = a.dtype
    cdtype = jnp.result_type(dtype, float)
    a, single = _to_nhwc(a.astype(cdtype), data_format)
    b, _ = _to_nhwc(b.astype(cdtype), data_format)
    g = _gaussian_1d(int(filter_size), jnp.asarray(filter_sigma, cdtype), cdtype)
    kernel = jnp.outer(g, g)

    def blur(v):
        return _depthwise(v, kernel, "VALID")

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = blur(a), blur(b)
    s11 = blur(a * a) - mu1 * mu1
    s22 = blur(b * b) - mu2 * mu2
    s12 = blur(a * b) - mu1 * mu2
    num = (2.0 * mu1 * mu2 + c1) * (2.0 * s12 + c2)
    den = (mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2)
    out = jnp.mean(jnp.mean(num / den, axis=(1, 2)), axis=-1)
    return (out[0] if single else out).astype(dtype)


def extract_patches_3d(volumes: Any, size: int | Sequence[int], strides: Any = None,
                       dilation_rate: int = 1, padding: str = "valid",
                       data_format: str | None = None) -> jax.Array:
    """3D patches of ``size`` flattened into the channel axis.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras import ops
        >>> ops.image.extract_patches_3d(jnp.ones((1, 4, 4, 4, 2)), 2).shape
        (1, 2, 2, 2, 16)
    """
    from nbkeras.ops.nn import conv

    volumes = jnp.asarray(volumes)
    if volumes.ndim not in (4, 5):
        raise ValueError("Invalid volumes rank: expected rank 4 (single volume) or rank 5 "
                         f"(batch of volumes). Received volumes.shape={volumes.shape}")
    size = (size,) * 3 if isinstance(size, int) else tuple(size)
    if len(size) != 3:
        raise TypeError(f"Invalid `size` argument. Expected an int or a tuple of length 3. "
                        f"Received: size={size}")
    strides = size if strides is None else strides
    strides = (strides,) * 3 if isinstance(strides, int) else tuple(strides)
    if len(strides) != 3:
        raise ValueError(f"Invalid `strides` argument. Expected an int or 3 ints. Got: "
                         f"{strides}")
    data_format = _fmt(data_format)
    channels = volumes.shape[-1] if data_format == "channels_last" else volumes.shape[-4]
    out_dim = size[0] * size[1] * size[2] * channels
    kernel = jnp.eye(out_dim, dtype=volumes.dtype).reshape(*size, channels, out_dim)
    single = volumes.ndim == 4
    x = volumes[None] if single else volumes
    out = conv.__wrapped__(x, kernel, strides, padding, data_format, dilation_rate)
    return out[0] if single else out


for _n in __all__:
    globals()[_n] = symbolic_op(globals()[_n])
