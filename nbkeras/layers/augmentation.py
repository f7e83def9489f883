"""Random image augmentation layers (active only with ``training=True``; identity otherwise).

Each layer keeps its PRNG key as model state (``seed`` fixes it), so augmentation runs
inside the jitted training step.  Inputs are ``(batch, height, width, channels)`` (or a
single unbatched image).  Geometric layers resample with ``map_coordinates``
(``interpolation="bilinear"`` or ``"nearest"``; ``fill_mode`` as in Keras).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras.layers import _seeded
from nbkeras.layers._args import choice, named_error
from nbkeras.layers.base import Layer

_FILL = {"reflect": "reflect", "wrap": "wrap", "constant": "constant", "nearest": "nearest"}


def _range(cls, arg, factor, symmetric=True):
    if isinstance(factor, (int, float)):
        lo, hi = (-float(factor), float(factor)) if symmetric else (0.0, float(factor))
    elif isinstance(factor, (tuple, list)) and len(factor) == 2:
        lo, hi = float(factor[0]), float(factor[1])
    else:
        raise ValueError(f"{cls} '{arg}' must be a float or a (lower, upper) pair, received "
                         f"{arg}={factor!r}.")
    if lo > hi:
        raise ValueError(f"{cls} '{arg}' lower bound {lo} exceeds upper bound {hi}.")
    return lo, hi


class _Augment(Layer):
    """Shared seed state, batching of single images and the training switch."""

    _supports_masking = False

    def __init__(self, seed=None, **kwargs):
        kwargs.pop("data_format", None)
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_state = _seeded.make_seed_state(seed)
        self.built = True

    def call(self, inputs, training=True):
        if not training:
            return self.infer(inputs)
        if inputs.ndim not in (3, 4):
            raise named_error(ValueError, (
                f"{type(self).__name__} '{self.name}' expects images (height, width, channels) "
                f"or (batch, height, width, channels), received shape {tuple(inputs.shape)}."))
        single = inputs.ndim == 3
        x = inputs[None] if single else inputs
        out = self.augment(x, _seeded.next_key(self.seed_state))
        return out[0] if single else out

    def infer(self, inputs):
        return inputs

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class RandomFlip(_Augment):
    """Randomly flips images horizontally and/or vertically during training.

    Example:
        >>> RandomFlip("horizontal", seed=0)(jnp.ones((2, 4, 4, 3)), training=True).shape
        (2, 4, 4, 3)
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.mode = choice("RandomFlip", "mode", mode,
                           ("horizontal", "vertical", "horizontal_and_vertical"))

    def augment(self, x, key):
        kh, kv = jax.random.split(key)
        b = x.shape[0]
        if "horizontal" in self.mode:
            flip = jax.random.bernoulli(kh, 0.5, (b, 1, 1, 1))
            x = jnp.where(flip, x[:, :, ::-1], x)
        if "vertical" in self.mode:
            flip = jax.random.bernoulli(kv, 0.5, (b, 1, 1, 1))
            x = jnp.where(flip, x[:, ::-1], x)
        return x

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class _Affine(_Augment):
    """Per-image affine resampling: subclasses give ``matrices(key, b, h, w)``."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        cls = type(self).__name__
        self.fill_mode = choice(cls, "fill_mode", fill_mode, tuple(_FILL))
        self.interpolation = choice(cls, "interpolation", interpolation, ("bilinear", "nearest"))
        self.fill_value = float(fill_value)

    def augment(self, x, key):
        b, h, w, c = x.shape
        mats = self.matrices(key, b, h, w)  # (b, 2, 3): output (row, col, 1) -> input
        rows, cols = jnp.meshgrid(jnp.arange(h, dtype=x.dtype), jnp.arange(w, dtype=x.dtype),
                                  indexing="ij")
        grid = jnp.stack([rows, cols, jnp.ones_like(rows)], 0).reshape(3, -1)
        order = 1 if self.interpolation == "bilinear" else 0

        def one(img, m):
            src = m @ grid  # (2, h*w)
            def channel(ch):
                return jax.scipy.ndimage.map_coordinates(
                    ch, [src[0], src[1]], order=order, mode=_FILL[self.fill_mode],
                    cval=self.fill_value).reshape(h, w)
            return jax.vmap(channel, in_axes=-1, out_axes=-1)(img)

        return jax.vmap(one)(x, mats.astype(x.dtype)).astype(x.dtype)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


def _about_center(lin, h, w):
    """Affine ``lin`` (b, 2, 2) acting about the image centre, as (b, 2, 3)."""
    center = jnp.array([(h - 1) / 2.0, (w - 1) / 2.0])
    offset = center - jnp.einsum("bij,j->bi", lin, center)
    return jnp.concatenate([lin, offset[..., None]], axis=-1)


class RandomRotation(_Affine):
    """Rotates images by a random angle in ``factor * 2π`` during training.

    Example:
        >>> RandomRotation(0.1, seed=0)(jnp.ones((2, 8, 8, 1)), training=True).shape
        (2, 8, 8, 1)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, value_range=(0, 255), **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor = factor
        self._lo, self._hi = _range("RandomRotation", "factor", factor)

    def matrices(self, key, b, h, w):
        theta = jax.random.uniform(key, (b,), minval=self._lo, maxval=self._hi) * 2 * jnp.pi
        cos, sin = jnp.cos(theta), jnp.sin(theta)
        lin = jnp.stack([jnp.stack([cos, -sin], -1), jnp.stack([sin, cos], -1)], -2)
        return _about_center(lin, h, w)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_Affine):
    """Zooms images by a random factor (negative = zoom in) during training.

    Example:
        >>> RandomZoom(0.2, seed=0)(jnp.ones((2, 8, 8, 1)), training=True).shape
        (2, 8, 8, 1)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h = _range("RandomZoom", "height_factor", height_factor)
        self._w = None if width_factor is None else _range("RandomZoom", "width_factor",
                                                             width_factor)

    def matrices(self, key, b, h, w):
        kh, kw = jax.random.split(key)
        zh = 1.0 + jax.random.uniform(kh, (b,), minval=self._h[0], maxval=self._h[1])
        zw = zh if self._w is None else 1.0 + jax.random.uniform(
            kw, (b,), minval=self._w[0], maxval=self._w[1])
        zero = jnp.zeros_like(zh)
        lin = jnp.stack([jnp.stack([zh, zero], -1), jnp.stack([zero, zw], -1)], -2)
        return _about_center(lin, h, w)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomTranslation(_Affine):
    """Shifts images by random fractions of their height and width during training.

    Example:
        >>> RandomTranslation(0.1, 0.1, seed=0)(jnp.ones((2, 8, 8, 1)), training=True).shape
        (2, 8, 8, 1)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h = _range("RandomTranslation", "height_factor", height_factor)
        self._w = _range("RandomTranslation", "width_factor", width_factor)

    def matrices(self, key, b, h, w):
        kh, kw = jax.random.split(key)
        dy = jax.random.uniform(kh, (b,), minval=self._h[0], maxval=self._h[1]) * h
        dx = jax.random.uniform(kw, (b,), minval=self._w[0], maxval=self._w[1]) * w
        one, zero = jnp.ones_like(dy), jnp.zeros_like(dy)
        return jnp.stack([jnp.stack([one, zero, -dy], -1), jnp.stack([zero, one, -dx], -1)], -2)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomCrop(_Augment):
    """Crops a random ``height x width`` window in training; the centre one otherwise.

    Example:
        >>> RandomCrop(4, 4, seed=0)(jnp.ones((2, 8, 8, 3)), training=True).shape
        (2, 4, 4, 3)
    """

    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        for arg, v in (("height", height), ("width", width)):
            if not isinstance(v, int) or v <= 0:
                raise ValueError(f"RandomCrop '{arg}' must be a positive int, received {v!r}.")
        self.height, self.width = height, width

    def _check(self, x):
        if x.shape[-3] < self.height or x.shape[-2] < self.width:
            raise named_error(ValueError, (
                f"RandomCrop '{self.name}' crops {self.height}x{self.width} but received images "
                f"of shape {tuple(x.shape)}; use Resizing first for smaller images."))

    def infer(self, x):
        self._check(x)
        top = (x.shape[-3] - self.height) // 2
        left = (x.shape[-2] - self.width) // 2
        return x[..., top:top + self.height, left:left + self.width, :]

    def augment(self, x, key):
        self._check(x)
        b, h, w, _ = x.shape
        kt, kl = jax.random.split(key)
        tops = jax.random.randint(kt, (b,), 0, h - self.height + 1)
        lefts = jax.random.randint(kl, (b,), 0, w - self.width + 1)

        def one(img, t, left):
            return jax.lax.dynamic_slice(img, (t, left, 0), (self.height, self.width, img.shape[-1]))

        return jax.vmap(one)(x, tops, lefts)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomContrast(_Augment):
    """Scales each image's deviation from its mean by a random factor in ``[1-f, 1+f]``.

    Example:
        >>> RandomContrast(0.5, seed=0)(jnp.ones((2, 4, 4, 3)), training=True).shape
        (2, 4, 4, 3)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        lo, hi = _range("RandomContrast", "factor", factor)
        self._lo, self._hi = 1.0 + lo, 1.0 + hi
        self.value_range = tuple(value_range)

    def augment(self, x, key):
        f = jax.random.uniform(key, (x.shape[0], 1, 1, 1), minval=self._lo, maxval=self._hi)
        mean = jnp.mean(x, axis=(1, 2), keepdims=True)
        return jnp.clip((x - mean) * f + mean, *self.value_range).astype(x.dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": list(self.value_range)}


class RandomBrightness(_Augment):
    """Adds a random offset ``factor * (max - min)`` of the value range to each image.

    Example:
        >>> RandomBrightness(0.2, seed=0)(jnp.ones((2, 4, 4, 3)), training=True).shape
        (2, 4, 4, 3)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor
        self._lo, self._hi = _range("RandomBrightness", "factor", factor)
        self.value_range = tuple(value_range)

    def augment(self, x, key):
        span = self.value_range[1] - self.value_range[0]
        delta = jax.random.uniform(key, (x.shape[0], 1, 1, 1), minval=self._lo,
                                   maxval=self._hi) * span
        return jnp.clip(x + delta, *self.value_range).astype(x.dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": list(self.value_range)}
