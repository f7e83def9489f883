"""Intensity image layers: Solarization, AutoContrast, Equalization, CLAHE (Keras 3 semantics).

AutoContrast and CLAHE apply at training and inference alike (as in Keras); Solarization and
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


class ContrastLimitedAdaptiveHistogramEqualization(_ImageOp):
    """CLAHE: equalizes each tile of a grid with a clipped histogram, blending neighbours.

    Each channel of each image is cut into ``tile_grid_size`` tiles (the image is padded
    symmetrically to a multiple of the grid); each tile's 256-bin histogram is clipped at
    ``clip_limit`` times the mean bin count (the excess is spread over all bins), and
    pixels are mapped through the bilinear blend of the four nearest tiles' CDFs.
    Applied at training and inference (as in Keras); the output keeps the input dtype.

    Args:
        value_range: ``(low, high)`` of the input values.
        clip_limit: Histogram clip factor (``> 0``; ``0`` disables clipping).
        tile_grid_size: ``(rows, cols)`` of tiles.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import ContrastLimitedAdaptiveHistogramEqualization as CLAHE
        >>> CLAHE(tile_grid_size=(2, 2))(jnp.arange(64.0).reshape(1, 8, 8, 1)).shape
        (1, 8, 8, 1)
    """

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        cls = "ContrastLimitedAdaptiveHistogramEqualization"
        if not _is_num(clip_limit) or clip_limit < 0:
            raise ValueError(f"{cls} 'clip_limit' must be a number >= 0 (0 disables clipping), "
                             f"received clip_limit={clip_limit!r}.")
        grid = tile_grid_size
        if not (isinstance(grid, (tuple, list)) and len(grid) == 2 and all(
                isinstance(g, int) and not isinstance(g, bool) and g > 0 for g in grid)):
            raise ValueError(f"{cls} 'tile_grid_size' must be a pair of positive ints (rows, "
                             f"cols), received tile_grid_size={tile_grid_size!r}.")
        value_range_arg(cls, value_range, keep=True)
        self.clip_limit, self.tile_grid_size = clip_limit, tile_grid_size
        super().__init__(value_range=value_range, data_format=data_format, **kwargs)
        self.value_range = value_range

    def process(self, x, key=None):
        out = run_batched(self, x, lambda y: self.transform(y.astype(jnp.float32)))
        return out.astype(x.dtype)

    def transform(self, x):
        x = rescale(x, self.value_range, (0, 255))
        b, h, w, c = x.shape
        gh, gw = self.tile_grid_size
        th, tw = -(-h // gh), -(-w // gw)
        if th * gh > h or tw * gw > w:
            x = jnp.pad(x, ((0, 0), (0, th * gh - h), (0, tw * gw - w), (0, 0)),
                        mode="symmetric")
        tiles = x.reshape(b, gh, th, gw, tw, c).transpose(0, 1, 3, 5, 2, 4)
        values = jnp.clip(tiles.reshape(b, gh, gw, c, th * tw).astype(jnp.int32), 0, 255)
        ids = jnp.arange(b * gh * gw * c).reshape(b, gh, gw, c, 1) * 256 + values
        hist = jnp.bincount(ids.reshape(-1), length=b * gh * gw * c * 256)
        hist = hist.reshape(b, gh, gw, c, 256).astype(jnp.float32)
        if self.clip_limit > 0:
            clipped = jnp.clip(hist, 0, jnp.float32(self.clip_limit * (th * tw) / 256.0))
            hist = clipped + jnp.sum(hist - clipped, -1, keepdims=True) / 256.0
        cdf = jnp.cumsum(hist, -1)
        low = jnp.min(cdf, -1, keepdims=True)
        den = jnp.float32(th * tw) - low
        lut = jnp.clip((cdf - low) * 255.0 / jnp.where(den == 0, 1.0, den), 0, 255)
        lut = jnp.pad(lut, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")

        def grid(n, tile, count):  # tile-centre coordinates (edge tiles repeated)
            g = (jnp.arange(n, dtype=jnp.float32) - tile / 2.0) / tile + 1.0
            g0 = jnp.floor(g)
            lo = jnp.clip(g0, 0, count + 1).astype(jnp.int32)
            hi = jnp.clip(g0 + 1.0, 0, count + 1).astype(jnp.int32)
            return lo, hi, g - g0

        y0, y1, wy = grid(th * gh, th, gh)
        x0, x1, wx = grid(tw * gw, tw, gw)
        pixels = jnp.clip(x, 0, 255).astype(jnp.int32)
        bi = jnp.arange(b)[:, None, None, None]
        ci = jnp.arange(c)[None, None, None, :]

        def at(yi, xi):
            return lut[bi, yi[None, :, None, None], xi[None, None, :, None], ci, pixels]

        wx, wy = wx[None, None, :, None], wy[None, :, None, None]
        top = at(y0, x0) * (1.0 - wx) + at(y0, x1) * wx
        bottom = at(y1, x0) * (1.0 - wx) + at(y1, x1) * wx
        out = (top * (1.0 - wy) + bottom * wy)[:, :h, :w, :]
        return rescale(out, (0, 255), self.value_range)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "clip_limit": self.clip_limit, "tile_grid_size": self.tile_grid_size}
