"""Intensity image layers: Solarization, AutoContrast, Equalization (Keras 3's semantics).

AutoContrast applies at training and inference alike (as in Keras); Solarization and
Equalization only with ``training=True`` and are identity otherwise (as in Keras).

Example:
    >>> import jax.numpy as jnp
    >>> from nbkeras.layers import AutoContrast
    >>> AutoContrast()(jnp.array([[[[10.0], [20.0]]]]))[0, 0, :, 0]
    Array([  0., 255.], dtype=float32)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras.layers._args import data_format_arg
from nbkeras.layers.augmentation_color import (
    _ColorAugment,
    _is_num,
    check_images,
    factor_range,
    process,
    rescale,
    run_batched,
    value_range_arg,
)
from nbkeras.layers.base import Layer


class Solarization(_ColorAugment):
    """Adds a random offset, then inverts values above a random threshold, in training.

    In 0..255 units: ``x = clip(x + add, 0, 255)``; ``x < threshold ? x : 255 - x``.
    As in Keras, ``add`` is drawn from ``[addition_factor[0], addition_factor[1] * 255]``
    and ``threshold`` from ``[threshold_factor[0], threshold_factor[1] * 255]``.

    Args:
        addition_factor: A number ``f`` in ``[0, 1]`` (the range ``(0, f)``) or a pair.
        threshold_factor: A number ``f`` in ``[0, 1]`` (the range ``(0, f)``) or a pair;
            0 inverts every value.
        value_range: ``(low, high)`` of the input values.
        seed: Integer seed for the layer's random draws.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import Solarization
        >>> Solarization(seed=0)(jnp.array([[[[0.0, 55.0]]]]), training=True)
        Array([[[[255., 200.]]]], dtype=float32)
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        data_format = kwargs.pop("data_format", None)
        self.addition_factor = self._factor(addition_factor, "addition_factor")
        self.threshold_factor = self._factor(threshold_factor, "threshold_factor")
        self.value_range = value_range_arg("Solarization", value_range)
        super().__init__(data_format=data_format, seed=seed, **kwargs)

    @staticmethod
    def _factor(factor, arg):
        if _is_num(factor):
            factor_range("Solarization", factor, (0, 1), arg)
            return (0, factor)
        if isinstance(factor, (tuple, list)) and len(factor) == 2:
            for v in factor:
                factor_range("Solarization", v, (0, 1), arg)
        return factor_range("Solarization", factor, (0, 1), arg)

    def draw(self, key, b):
        ka, kt = jax.random.split(key)
        (a0, a1), (t0, t1) = self.addition_factor, self.threshold_factor
        add = jax.random.uniform(ka, (b, 1, 1, 1), minval=a0, maxval=a1 * 255)
        threshold = jax.random.uniform(kt, (b, 1, 1, 1), minval=t0, maxval=t1 * 255)
        return add, threshold

    def apply(self, x, params):
        add, threshold = params
        x = rescale(self.cast(x), self.value_range, (0, 255))
        x = jnp.clip(x + add.astype(x.dtype), 0, 255)
        x = jnp.where(x < threshold.astype(x.dtype), x, 255 - x)
        return rescale(x, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor}


class _ImageOp(Layer):
    """A deterministic image layer (no seed): ``transform(x)`` on a channels-last batch."""

    _TRAINING_ONLY = False

    def __init__(self, value_range=(0, 255), data_format=None, **kwargs):
        cls = type(self).__name__
        self.value_range = value_range_arg(cls, value_range)
        super().__init__(**kwargs)
        self.data_format = data_format_arg(cls, data_format)
        self.built = True

    def call(self, inputs, training=True):
        x = check_images(self, inputs)
        if self._TRAINING_ONLY and not training:
            return inputs
        return process(self, x)

    def process(self, x, key=None):
        return run_batched(self, x, lambda y: self.transform(y.astype(self.compute_dtype)))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class AutoContrast(_ImageOp):
    """Stretches each image channel so its minimum maps to ``low`` and maximum to ``high``.

    Applied at training and inference (as in Keras). A constant channel is left unchanged.

    Args:
        value_range: ``(low, high)`` of the input values.
        data_format: ``"channels_last"`` (default) or ``"channels_first"`` (passed as a
            keyword, as in Keras).

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import AutoContrast
        >>> AutoContrast(value_range=(0, 1))(jnp.array([[[[0.25], [0.5], [0.75]]]]))[0, 0, :, 0]
        Array([0. , 0.5, 1. ], dtype=float32)
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(value_range=value_range, **kwargs)

    def transform(self, x):
        original = x
        x = rescale(x, self.value_range, (0, 255))
        low = jnp.min(x, axis=(1, 2), keepdims=True)
        high = jnp.max(x, axis=(1, 2), keepdims=True)
        scale = 255.0 / (high - low)
        out = jnp.clip(x * scale - low * scale, 0.0, 255.0)
        out = rescale(out, (0, 255), self.value_range)
        return jnp.where(jnp.isnan(out), original, out)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range}


class Equalization(_ImageOp):
    """Histogram equalization of each channel, in training (identity at inference).

    As in Keras, a batch shares one histogram per channel (all images of the batch
    together); a single image uses its own.

    Args:
        value_range: ``(low, high)`` of the input values.
        bins: Number of histogram bins (a positive int, 256 by default).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import Equalization
        >>> x = jnp.array([[[[0.0], [10.0], [20.0], [30.0]]]])
        >>> Equalization()(x, training=True)[0, 0, :, 0]
        Array([  0.,  85., 170., 255.], dtype=float32)
    """

    _TRAINING_ONLY = True

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
            raise ValueError(f"Equalization 'bins' must be a positive int (256 for 8-bit "
                             f"images), received bins={bins!r}.")
        self.bins = bins
        super().__init__(value_range=value_range, data_format=data_format, **kwargs)

    def _channel(self, ch):
        lo, hi = self.value_range
        scale = 255.0 / (hi - lo)
        ch = ch * scale + (0 - lo * scale)
        n = self.bins
        idx = jnp.clip(((ch - 0.0) * (n - 1) / 255.0).astype(jnp.int32), 0, n - 1)
        hist = jnp.bincount(idx.reshape(-1), length=n)
        cdf = jnp.cumsum(hist)
        cdf_min = cdf[jnp.argmax(cdf > 0)]
        den = cdf[-1] - cdf_min
        den = jnp.where(den == 0, 1, den)
        lut = jnp.clip(jnp.round((cdf - cdf_min) * 255 / den), 0, 255)
        lookup = jnp.clip(ch / 255.0 * (n - 1), 0, n - 1).astype(jnp.int32)
        out = jnp.where(jnp.count_nonzero(hist) <= 1, ch, lut[lookup].astype(ch.dtype))
        back = (hi - lo) / 255.0
        return out * back + lo

    def transform(self, x):
        return jnp.stack([self._channel(x[..., i]) for i in range(x.shape[-1])], -1)

    def get_config(self):
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}
