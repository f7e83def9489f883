"""Colour and intensity image augmentation layers (Keras 3's names, arguments and configs).

Random layers are active only with ``training=True`` and identity otherwise; their PRNG key
is model state (``seed`` fixes it), so they run inside the jitted training step.  Images are
``(height, width, channels)`` or batches of them (``data_format="channels_first"`` puts
channels before height).  Each layer separates drawing its parameters (``draw``) from
applying them (``apply``), which is what :class:`RandomColorJitter` composes.
Solarization, AutoContrast and Equalization live in :mod:`nbkeras.layers.augmentation_intensity`.

Example:
    >>> import jax.numpy as jnp
    >>> from nbkeras.layers import RandomGrayscale
    >>> RandomGrayscale(factor=1.0, seed=0)(jnp.ones((2, 4, 4, 3)), training=True).shape
    (2, 4, 4, 3)
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from nbkeras.layers import _seeded
from nbkeras.layers._args import data_format_arg, named_error
from nbkeras.layers.augmentation import RandomBrightness, RandomContrast, _Augment
from nbkeras.ops import image as _image

_EPSILON = 1e-7  # keras.config.epsilon()


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def factor_range(cls: str, factor, bounds, arg: str = "factor") -> tuple:
    """Keras's ``_set_factor``: a number f -> ``(max(-|f|, low), |f|)``; a pair -> sorted."""
    lo, hi = bounds
    msg = (f"{cls} '{arg}' must be a number or a pair of numbers in [{lo}, {hi}], "
           f"received {arg}={factor!r}.")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(_is_num(v) for v in factor):
            raise ValueError(msg)
        if factor[0] > hi or factor[1] < lo:
            raise ValueError(msg)
        lower, upper = sorted(factor)
    elif _is_num(factor):
        if not lo <= factor <= hi:
            raise ValueError(msg)
        f = abs(factor)
        lower, upper = max(-f, lo), f
    else:
        raise ValueError(msg)
    return lower, upper


def value_range_arg(cls: str, value_range, keep: bool = False):
    """A ``(low, high)`` pair; sorted into a list unless ``keep`` (as each Keras layer does)."""
    ok = (isinstance(value_range, (tuple, list)) and len(value_range) == 2
          and all(_is_num(v) for v in value_range) and value_range[0] != value_range[1])
    if ok and keep and value_range[0] > value_range[1]:
        ok = False
    if not ok:
        raise ValueError(f"{cls} 'value_range' must be a (low, high) pair of numbers with "
                         f"low < high, such as (0, 255) or (0, 1), received "
                         f"value_range={value_range!r}.")
    return value_range if keep else sorted(value_range)


def rescale(x, source, target):
    """Keras's ``_transform_value_range``: map ``source`` linearly onto ``target``."""
    if source[0] == target[0] and source[1] == target[1]:
        return x
    x = (x - source[0]) / (source[1] - source[0])
    return x * (target[1] - target[0]) + target[0]


def check_images(layer, inputs, channels=None) -> jax.Array:
    """``inputs`` as an array of rank 3 or 4 (``channels`` = allowed channel counts)."""
    name = type(layer).__name__
    try:
        x = jnp.asarray(inputs)
    except TypeError as e:
        raise named_error(TypeError, (
            f"{name} '{layer.name}' expects numeric images, received {type(inputs).__name__} "
            f"({e}).")) from None
    if x.ndim not in (3, 4):
        raise named_error(ValueError, (
            f"{name} '{layer.name}' expects images (height, width, channels) or (batch, height, "
            f"width, channels) (channels before height for channels_first), received shape "
            f"{tuple(x.shape)}."))
    if not (jnp.issubdtype(x.dtype, jnp.number)):
        raise named_error(TypeError, (
            f"{name} '{layer.name}' expects numeric images, received dtype {x.dtype}."))
    axis = -1 if layer.data_format == "channels_last" else -3
    if channels is not None and x.shape[axis] not in channels:
        raise named_error(ValueError, (
            f"{name} '{layer.name}' expects RGB images with {' or '.join(map(str, channels))} "
            f"channels on axis {axis} ({layer.data_format}), received shape {tuple(x.shape)}."))
    return x


def run_batched(layer, x, fn):
    """Apply ``fn`` to ``x`` as a channels-last batch; restore rank and layout."""
    single = x.ndim == 3
    x = x[None] if single else x
    first = layer.data_format == "channels_first"
    out = fn(jnp.moveaxis(x, 1, -1) if first else x)
    out = jnp.moveaxis(out, -1, 1) if first else out
    return out[0] if single else out


class _Static:
    """A layer as a static ``jax.jit`` argument, equal to any layer of the same type and
    configuration (so eager calls compile once per configuration, not op by op)."""

    __slots__ = ("layer", "_key")

    def __init__(self, layer):
        config = {k: v for k, v in layer.get_config().items()
                  if k not in ("name", "seed", "trainable")}
        self.layer = layer
        self._key = (type(layer), layer.compute_dtype, repr(sorted(config.items())))

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return isinstance(other, _Static) and self._key == other._key


@functools.partial(jax.jit, static_argnums=0)
def _process(static, x, key):
    return static.layer.process(x, key)


def process(layer, x, key=None):
    """``layer.process(x, key)`` (pure given the key) as one compiled computation."""
    return _process(_Static(layer), x, key)


class _ColorAugment(_Augment):
    """Random colour layer: ``draw(key, batch) -> params`` then ``apply(x, params)``."""

    _CHANNELS: tuple | None = None  # allowed channel counts

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.data_format = data_format_arg(type(self).__name__, data_format)

    def call(self, inputs, training=True):
        x = check_images(self, inputs, self._CHANNELS)
        if not training:
            return inputs
        return process(self, x, _seeded.next_key(self.seed_state))

    def process(self, x, key):
        return run_batched(self, x, lambda y: self.augment(y, key))

    def augment(self, x, key):
        return self.apply(x, self.draw(key, x.shape[0]))

    def cast(self, x):
        return x.astype(self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class RandomGrayscale(_ColorAugment):
    """Converts each image to grayscale with probability ``factor`` during training.

    The output keeps the input's channels (all set to the luma ``0.2989 R + 0.587 G +
    0.114 B``).

    Args:
        factor: Probability in ``[0, 1]`` that an image is converted (1.0: all of them).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed for the layer's random draws.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomGrayscale
        >>> out = RandomGrayscale(1.0, seed=0)(jnp.arange(12.0).reshape(1, 2, 2, 3))
        >>> bool((out[..., 0] == out[..., 2]).all())
        True
    """

    _CHANNELS = (1, 3)

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        if not _is_num(factor) or not 0 <= factor <= 1:
            raise ValueError(f"RandomGrayscale 'factor' must be a number between 0 and 1 (the "
                             f"probability of converting an image), received factor={factor!r}.")
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = factor

    def draw(self, key, b):
        return jax.random.uniform(key, (b, 1, 1, 1)) < self.factor

    def apply(self, x, apply):
        return jnp.where(apply, _image.rgb_to_grayscale(x, "channels_last"), x)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class _FactorAugment(_ColorAugment):
    """A random colour layer with a ``factor`` range and a ``value_range``."""

    _BOUNDS = (-1, 1)
    _KEEP_RANGE = False  # Keras keeps value_range as given (True) or sorts it into a list

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        cls = type(self).__name__
        self.factor = factor_range(cls, factor, self._BOUNDS)
        self.value_range = value_range_arg(cls, value_range, keep=self._KEEP_RANGE)
        super().__init__(data_format=data_format, seed=seed, **kwargs)

    def uniform(self, key, shape):
        return jax.random.uniform(key, shape, minval=self.factor[0], maxval=self.factor[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomHue(_FactorAugment):
    """Rotates the hue of each image by a random amount during training.

    Args:
        factor: A float ``f`` in ``[0, 1]`` (the shift is drawn from ``[0, f]`` times half a
            turn, in a random direction) or a ``(low, high)`` pair; ``(a, a)`` is fixed.
        value_range: ``(low, high)`` of the input values, e.g. ``(0, 255)`` or ``(0, 1)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed for the layer's random draws.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomHue
        >>> RandomHue(0.5, value_range=(0, 1), seed=0)(jnp.full((2, 4, 4, 3), 0.5)).shape
        (2, 4, 4, 3)
    """

    _BOUNDS = (0, 1)
    _KEEP_RANGE = True
    _CHANNELS = (3,)

    def draw(self, key, b):
        k1, k2 = jax.random.split(key)
        sign = jnp.where(jax.random.uniform(k1, (b,)) > 0.5, -1.0, 1.0)
        return sign * self.uniform(k2, (b,)) * 0.5

    def apply(self, x, delta):
        x = rescale(self.cast(x), self.value_range, (0, 1))
        hsv = _image.rgb_to_hsv(x, "channels_last")
        h = hsv[..., 0] + delta.astype(x.dtype)[:, None, None]
        h = jnp.where(h > 1.0, h - 1.0, h)
        h = jnp.where(h < 0.0, h + 1.0, h)
        rgb = _image.hsv_to_rgb(jnp.stack([h, hsv[..., 1], hsv[..., 2]], -1), "channels_last")
        return self.cast(rescale(jnp.clip(rgb, 0, 1), (0, 1), self.value_range))


class RandomSaturation(_FactorAugment):
    """Scales the saturation of each image by a random amount during training.

    Args:
        factor: In ``[-1, 1]``; a drawn ``f`` multiplies saturation by ``f / (1 - f)``, so 0.5
            keeps the image, 0 makes it gray, values near 1 saturate it. A float ``f`` draws
            from ``[-f, f]``; a pair ``(a, a)`` is fixed.
        value_range: ``(low, high)`` of the input values (the new saturation is clipped to
            it, as in Keras).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed for the layer's random draws.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomSaturation
        >>> x = jnp.array([[[[0.2, 0.4, 0.6]]]])
        >>> out = RandomSaturation((0.5, 0.5), value_range=(0, 1), seed=0)(x)
        >>> bool(jnp.allclose(out, x, atol=1e-5))
        True
    """

    _CHANNELS = (3,)

    def draw(self, key, b):
        f = self.uniform(key, (b,))
        return f / (1 - f + _EPSILON)

    def apply(self, x, scale):
        hsv = _image.rgb_to_hsv(self.cast(x), "channels_last")
        s = jnp.clip(hsv[..., 1] * scale.astype(hsv.dtype)[:, None, None], *self.value_range)
        return _image.hsv_to_rgb(jnp.stack([hsv[..., 0], s, hsv[..., 2]], -1), "channels_last")


class RandomColorDegeneration(_FactorAugment):
    """Blends each image towards its grayscale version by a random amount during training.

    Args:
        factor: Blend weight in ``[-1, 1]`` (0: unchanged, 1: fully gray). A float ``f``
            draws from ``[-f, f]``; a pair ``(a, a)`` is fixed.
        value_range: ``(low, high)`` of the input values; the output is clipped to it.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed for the layer's random draws.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomColorDegeneration
        >>> x = jnp.array([[[[10.0, 20.0, 30.0]]]])
        >>> out = RandomColorDegeneration((1.0, 1.0), seed=0)(x)
        >>> bool(jnp.allclose(out, out[..., :1], atol=1e-4))
        True
    """

    _CHANNELS = (3,)

    def draw(self, key, b):
        return self.uniform(key, (b, 1, 1, 1))

    def apply(self, x, f):
        x = self.cast(x)
        gray = _image.rgb_to_grayscale(x, "channels_last")
        return jnp.clip(x + f.astype(x.dtype) * (gray - x), *self.value_range)


class RandomSharpness(_FactorAugment):
    """Sharpens or blurs each image by a random amount during training.

    Args:
        factor: In ``[0, 1]``: 0 blurs (3x3 smoothing kernel), 0.5 keeps the image, 1
            sharpens. A float ``f`` draws from ``[0, f]``; a pair ``(a, a)`` is fixed.
        value_range: ``(low, high)`` of the input values; the output is clipped to it.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed for the layer's random draws.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomSharpness
        >>> RandomSharpness(0.5, seed=0)(jnp.ones((2, 4, 4, 3))).shape
        (2, 4, 4, 3)
    """

    _BOUNDS = (0, 1)

    def draw(self, key, b):
        return self.uniform(key, (b,)) * 2

    def apply(self, x, f):
        x = self.cast(x)
        c = x.shape[-1]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = jnp.tile(jnp.array([[a, a, a], [a, b, a], [a, a, a]], x.dtype)[:, :, None, None],
                          (1, 1, 1, c))
        smooth = jax.lax.conv_general_dilated(
            x, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
            feature_group_count=c)
        f = f.astype(x.dtype).reshape(-1, 1, 1, 1)
        return jnp.clip(x + (1.0 - f) * (smooth - x), *self.value_range)


class RandomInvert(_FactorAugment):
    """Inverts each image (``high - x``) with a random probability during training.

    Args:
        factor: Probability of inversion in ``[0, 1]`` (a pair draws the probability per
            image from the range). Defaults to 1.0.
        value_range: ``(low, high)`` of the input values; inversion is ``high - x``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed for the layer's random draws.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomInvert
        >>> RandomInvert((1.0, 1.0), value_range=(0, 1), seed=0)(jnp.zeros((1, 2, 2, 1)))[0, 0, 0]
        Array([1.], dtype=float32)
    """

    _BOUNDS = (0, 1)
    _KEEP_RANGE = True

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(factor, value_range, data_format=data_format, seed=seed, **kwargs)

    def draw(self, key, b):
        k1, k2 = jax.random.split(key)
        return jax.random.uniform(k2, (b,)) < self.uniform(k1, (b,))

    def apply(self, x, invert):
        x = self.cast(x)
        return jnp.where(invert[:, None, None, None], self.value_range[1] - x, x)


class RandomPosterization(_FactorAugment):
    """Keeps only the top ``bits`` bits of each 8-bit channel value during training.

    Args:
        factor: Bits to keep, in ``[1, 8]``: an int ``n`` draws from ``[1, n)`` (as Keras),
            a pair ``(a, b)`` from ``[a, b)``; ``(a, a)`` always keeps ``a`` bits.
        value_range: ``(low, high)`` of the input values (mapped to 0..255 and back).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Integer seed for the layer's random draws.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomPosterization
        >>> RandomPosterization((1, 1), seed=0)(jnp.array([[[[200.0, 100.0]]]]))
        Array([[[[128.,   0.]]]], dtype=float32)
    """

    _BOUNDS = (1, 8)

    def draw(self, key, b):
        lo, hi = (int(v) for v in self.factor)
        if lo != hi:
            bits = jax.random.randint(key, (b,), lo, hi)
        else:
            bits = jnp.full((b,), lo)
        return (8 - bits).astype(jnp.uint8)

    def apply(self, x, shift):
        x = rescale(self.cast(x), self.value_range, (0, 255))
        shift = shift.reshape(-1, 1, 1, 1)
        q = jnp.clip(x, 0, 255).astype(jnp.uint8)
        q = jnp.left_shift(jnp.right_shift(q, shift), shift)
        return rescale(self.cast(q), (0, 255), self.value_range)


class RandomColorJitter(_ColorAugment):
    """Random brightness, contrast, saturation and hue in that order, during training.

    Each ``*_factor`` is the ``factor`` of :class:`RandomBrightness`,
    :class:`RandomContrast`, :class:`RandomSaturation` and :class:`RandomHue`; ``None``
    skips that step.

    Args:
        value_range: ``(low, high)`` of the input values.
        brightness_factor: Factor for the brightness step, or None.
        contrast_factor: Factor for the contrast step, or None.
        saturation_factor: Factor for the saturation step, or None.
        hue_factor: Factor for the hue step, or None.
        seed: Integer seed for the layer's random draws.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RandomColorJitter
        >>> jitter = RandomColorJitter(brightness_factor=0.2, hue_factor=0.1, seed=0)
        >>> jitter(jnp.full((2, 4, 4, 3), 100.0)).shape
        (2, 4, 4, 3)
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        value_range_arg("RandomColorJitter", value_range, keep=True)
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.value_range = value_range
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        steps = []
        try:  # the steps' own checks, re-raised naming this layer
            if brightness_factor is not None:
                steps.append(RandomBrightness(brightness_factor, value_range, seed=0))
            if contrast_factor is not None:
                steps.append(RandomContrast(contrast_factor, value_range, seed=0))
            if saturation_factor is not None:
                steps.append(RandomSaturation(saturation_factor, value_range, seed=0))
            if hue_factor is not None:
                steps.append(RandomHue(hue_factor, value_range, seed=0))
        except (TypeError, ValueError) as e:
            e.add_note(f"(raised while building RandomColorJitter '{self.name}'.)")
            raise
        self._steps = steps
        if saturation_factor is not None or hue_factor is not None:
            self._CHANNELS = (3,)

    def augment(self, x, key):
        x = self.cast(x)
        for step, k in zip(self._steps, jax.random.split(key, max(len(self._steps), 1))):
            x = self.cast(step.augment(x, k))
        return x

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor}
