"""Keras 3's newer geometric augmentation layers: RandomShear, RandomPerspective,
RandomElasticTransform, RandomErasing and RandomGaussianBlur.

Like the layers in :mod:`nbkeras.layers.augmentation` they are active only with
``training=True`` (identity otherwise), keep their PRNG key as model state (``seed``) and run
inside the jitted training step.  ``data_format`` is handled as in Keras.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras.layers._args import choice, data_format_arg
from nbkeras.layers.augmentation import _Augment
from nbkeras.ops import image_transform as _it

_FILL = ("reflect", "wrap", "constant", "nearest")


def _unit_range(cls: str, arg: str, value, symmetric: bool) -> tuple[float, float]:
    """Keras's factor rule: a number ``f`` in [0, 1] -> ``(-f, f)`` (or ``(0, f)``), a pair
    -> sorted; anything else, or a value outside [0, 1], raises."""
    msg = (f"{cls} argument '{arg}' must be a number or a pair of numbers in [0, 1], "
           f"received {arg}={value!r}.")
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or not all(isinstance(v, (int, float)) for v in value):
            raise ValueError(msg)
        lo, hi = sorted(float(v) for v in value)
        if lo > 1.0 or hi < 0.0 or (symmetric and (lo < 0.0 or hi > 1.0)):
            raise ValueError(msg)
        return lo, hi
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 0.0 <= value <= 1.0:
            raise ValueError(msg)
        return (-abs(float(value)), abs(float(value))) if symmetric else (0.0, float(value))
    raise ValueError(msg)


def _value_range(cls: str, value_range) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(f"{cls} 'value_range' must be a pair (min, max), received "
                         f"value_range={value_range!r}.") from None
    if lo >= hi:
        raise ValueError(f"{cls} 'value_range' must have min < max, received {value_range!r}.")
    return lo, hi


def _apply(key, lo: float, hi: float, b: int) -> jax.Array:
    """Keras's per-image switch: ``uniform(0, 1) < uniform(lo, hi)``."""
    kp, kt = jax.random.split(key)
    prob = jax.random.uniform(kp, (b,), minval=lo, maxval=hi)
    return (jax.random.uniform(kt, (b,)) < prob)[:, None, None, None]


class _ImageAugment(_Augment):
    """An augmentation with ``data_format``: subclasses implement ``augment_nhwc``."""

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.data_format = data_format_arg(type(self).__name__, data_format)

    def augment(self, x, key):
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype(self.compute_dtype)
        first = self.data_format == "channels_first"
        out = self.augment_nhwc(jnp.transpose(x, (0, 2, 3, 1)) if first else x, key)
        return jnp.transpose(out, (0, 3, 1, 2)) if first else out

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class RandomShear(_ImageAugment):
    """Shears images along x and/or y by a random amount (random sign) during training.

    Args:
        x_factor: Shear along x: a number ``f`` in [0, 1] (amount drawn from ``[-f, f]``) or
            a ``(lower, upper)`` pair.
        y_factor: Same along y.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: Value outside the image with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Int seed for reproducible draws.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomShear
        >>> RandomShear(0.2, 0.2, seed=0)(jnp.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self._x = _unit_range("RandomShear", "x_factor", x_factor, True)
        self._y = _unit_range("RandomShear", "y_factor", y_factor, True)
        self.x_factor = list(x_factor) if isinstance(x_factor, (list, tuple)) else x_factor
        self.y_factor = list(y_factor) if isinstance(y_factor, (list, tuple)) else y_factor
        self.interpolation = choice("RandomShear", "interpolation", interpolation,
                                    ("bilinear", "nearest"))
        self.fill_mode = choice("RandomShear", "fill_mode", fill_mode, _FILL)
        self.fill_value = float(fill_value)

    def augment_nhwc(self, x, key):
        b = x.shape[0]
        ki, ky, kx = jax.random.split(key, 3)
        sign = jnp.where(jax.random.uniform(ki, (b,)) > 0.5, -1.0, 1.0)
        sy = jax.random.uniform(ky, (b,), minval=self._y[0], maxval=self._y[1])
        sx = jax.random.uniform(kx, (b,), minval=self._x[0], maxval=self._x[1])
        one, zero = jnp.ones((b,)), jnp.zeros((b,))
        t = jnp.stack([one, sx * sign, zero, sy * sign, one, zero, zero, zero], axis=1)
        return _it._affine(x, t, _it._ORDER[self.interpolation], self.fill_mode,
                           self.fill_value).astype(x.dtype)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value}


class RandomPerspective(_ImageAugment):
    """Moves the image corners by random offsets (a perspective warp) during training.

    Args:
        factor: Probability range of applying the warp to an image (``f`` -> ``(0, f)``).
        scale: Corner offsets are drawn in ``±0.5 * scale`` of the corner coordinates.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_value: Value outside the warped image.
        seed: Int seed.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomPerspective
        >>> RandomPerspective(seed=0)(jnp.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _unit_range("RandomPerspective", "factor", factor, False)
        if not isinstance(scale, (int, float)) or not 0.0 <= scale <= 1.0:
            raise ValueError(f"RandomPerspective 'scale' must be a number in [0, 1], "
                             f"received scale={scale!r}.")
        self.scale = float(scale)
        self.interpolation = choice("RandomPerspective", "interpolation", interpolation,
                                    ("bilinear", "nearest"))
        self.fill_value = float(fill_value)

    def augment_nhwc(self, x, key):
        b, h, w, _ = x.shape
        ka, kp = jax.random.split(key)
        apply = _apply(ka, *self.factor, b)
        offsets = jax.random.uniform(kp, (b, 4, 2), minval=-0.5 * self.scale,
                                     maxval=0.5 * self.scale)
        start = jnp.broadcast_to(jnp.array([[0.0, 0.0], [w - 1, 0.0], [0.0, h - 1],
                                            [w - 1, h - 1]]), (b, 4, 2))
        end = start + start * offsets
        out = _it._perspective(x, start, end, _it._ORDER[self.interpolation], self.fill_value)
        return jnp.where(apply, out, x).astype(x.dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomElasticTransform(_ImageAugment):
    """Elastic deformation with a random strength in ``scale`` during training.

    The displacement field has ``alpha = 0.1 * s * max(h, w)`` and
    ``sigma = 0.05 * s * min(h, w)`` for a strength ``s`` drawn from ``scale`` (Keras).

    Args:
        factor: Probability range of deforming an image (``f`` -> ``(0, f)``).
        scale: Strength range (``f`` -> ``(0, f)``), within [0, 1].
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"``, ``"nearest"`` or ``"mirror"``.
        fill_value: Value outside the image with ``fill_mode="constant"``.
        value_range: Outputs are clipped to this range.
        seed: Int seed.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomElasticTransform
        >>> layer = RandomElasticTransform(seed=0)
        >>> layer(jnp.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        cls = "RandomElasticTransform"
        self.factor = _unit_range(cls, "factor", factor, False)
        self.scale = _unit_range(cls, "scale", scale, False)
        self.interpolation = choice(cls, "interpolation", interpolation, ("bilinear", "nearest"))
        self.fill_mode = choice(cls, "fill_mode", fill_mode, (*_FILL, "mirror"))
        self.fill_value = float(fill_value)
        self.value_range = _value_range(cls, value_range)

    def augment_nhwc(self, x, key):
        if self.scale[1] == 0 or self.factor[1] == 0:
            return x
        b, h, w, _ = x.shape
        ka, ks, kn = jax.random.split(key, 3)
        apply = _apply(ka, *self.factor, b)
        s = jax.random.uniform(ks, (), minval=self.scale[0], maxval=self.scale[1])
        alpha, sigma = max(h, w) * 0.1 * s, min(h, w) * 0.05 * s
        size = int(6 * min(h, w) * 0.05 * self.scale[1]) | 1
        out = _it.elastic_nhwc(x, kn, alpha, sigma, size, _it._ORDER[self.interpolation],
                               self.fill_mode, self.fill_value)
        return jnp.clip(jnp.where(apply, out, x), *self.value_range).astype(x.dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "value_range": list(self.value_range)}


def _boxes(key, scale_lo, scale_hi, b, h, w, dtype):
    """Random ``(b, h, w, 1)`` box masks whose sides are ``sqrt(scale)`` of the image's."""
    kw, kx, ky = jax.random.split(key, 3)
    ratio = jnp.sqrt(jax.random.uniform(kw, (b, 2), minval=scale_lo, maxval=scale_hi))
    cw, ch = ratio[:, 0] * w, ratio[:, 1] * h
    x0 = jax.random.uniform(kx, (b,)) * (w - cw)
    y0 = jax.random.uniform(ky, (b,)) * (h - ch)
    gy, gx = jnp.meshgrid(jnp.arange(h, dtype=dtype), jnp.arange(w, dtype=dtype),
                          indexing="ij")

    def col(v):
        return v[:, None, None, None]

    gx, gy = gx[None, :, :, None], gy[None, :, :, None]
    return ((gx >= col(x0)) & (gx < col(x0 + cw)) & (gy >= col(y0)) & (gy < col(y0 + ch)))


class RandomErasing(_ImageAugment):
    """Erases a random rectangle of each image (with probability from ``factor``).

    Args:
        factor: Probability range of erasing an image (``f`` -> ``(0, f)``).
        scale: Range of the erased area as a fraction of the image (each side is
            ``sqrt`` of a draw), within [0, 1].
        fill_value: A number or 3 numbers (per channel); None fills with Gaussian noise
            scaled by ``value_range[1]``.  Clipped to ``value_range``.
        value_range: The images' value range.
        seed: Int seed.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomErasing
        >>> RandomErasing(seed=0)(jnp.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        cls = "RandomErasing"
        self.factor = _unit_range(cls, "factor", factor, False)
        self.scale = _unit_range(cls, "scale", scale, False)
        if fill_value is not None and not (
                isinstance(fill_value, (int, float))
                or (isinstance(fill_value, (tuple, list)) and len(fill_value) == 3)):
            raise ValueError(f"RandomErasing 'fill_value' must be a number, 3 numbers or None, "
                             f"received fill_value={fill_value!r}.")
        self.fill_value = list(fill_value) if isinstance(fill_value, (tuple, list)) else fill_value
        self.value_range = _value_range(cls, value_range)

    def augment_nhwc(self, x, key):
        b, h, w, _ = x.shape
        kb, ka, kf = jax.random.split(key, 3)
        mask = _boxes(kb, *self.scale, b, h, w, x.dtype)
        apply = _apply(ka, *self.factor, b)
        if self.fill_value is None:
            fill = jax.random.normal(kf, x.shape, x.dtype) * self.value_range[1]
        else:
            fill = jnp.broadcast_to(jnp.asarray(self.fill_value, x.dtype), x.shape)
        fill = jnp.clip(fill, *self.value_range)
        return jnp.where(apply & mask, fill, x).astype(x.dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "fill_value": self.fill_value, "value_range": list(self.value_range)}


class RandomGaussianBlur(_ImageAugment):
    """Blurs images with a Gaussian of random ``sigma`` (with probability from ``factor``).

    Args:
        factor: Probability range of blurring an image (``f`` -> ``(0, f)``).
        kernel_size: Odd int, or two odd ints.
        sigma: Range of the standard deviation (``f`` -> ``(0, f)``), within [0, 1].
        value_range: Outputs are clipped to this range.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Int seed.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomGaussianBlur
        >>> RandomGaussianBlur(seed=0)(jnp.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        cls = "RandomGaussianBlur"
        self.factor = _unit_range(cls, "factor", factor, False)
        sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
        if len(sizes) != 2 or not all(isinstance(k, int) and k > 0 and k % 2 for k in sizes):
            raise ValueError(f"{cls} 'kernel_size' must be an odd positive int or two of them, "
                             f"received kernel_size={kernel_size!r}.")
        self.kernel_size = tuple(sizes)
        self.sigma = _unit_range(cls, "sigma", sigma, False)
        self.value_range = _value_range(cls, value_range)

    def augment_nhwc(self, x, key):
        ka, ks = jax.random.split(key)
        apply = _apply(ka, *self.factor, x.shape[0])
        sigma = jax.random.uniform(ks, (2,), minval=self.sigma[0], maxval=self.sigma[1]) + 1e-6
        blurred = _it.gaussian_blur.__wrapped__(x, self.kernel_size, sigma.astype(x.dtype),
                                                "channels_last")
        return jnp.clip(jnp.where(apply, blurred, x), *self.value_range).astype(x.dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "kernel_size": self.kernel_size, "sigma": self.sigma,
                "value_range": list(self.value_range)}
