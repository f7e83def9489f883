"""Preprocessing layers: Rescaling, Normalization (with ``adapt``), CenterCrop, Resizing."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from nbkeras.layers._args import choice, data_format_arg, named_error
from nbkeras.layers.base import Layer

_EPSILON = 1e-7  # Keras's backend.epsilon()


def _plain(value):
    """Arrays -> nested lists, numbers unchanged (JSON-friendly, static for nnx)."""
    if value is None or isinstance(value, (int, float)):
        return value
    return np.asarray(value).tolist()


class Rescaling(Layer):
    """Computes ``inputs * scale + offset`` (e.g. ``Rescaling(1 / 255)`` for images).

    Example:
        >>> Rescaling(0.5, offset=1.0)(jnp.array([2.0])).tolist()
        [2.0]
    """

    _supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        # Plain Python values: nnx modules keep arrays only inside Variables.
        self.scale = _plain(scale)
        self.offset = _plain(offset)
        self.built = True

    def call(self, inputs):
        dtype = self.compute_dtype
        x = jnp.asarray(inputs).astype(dtype)
        return x * jnp.asarray(self.scale, dtype) + jnp.asarray(self.offset, dtype)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Normalization(Layer):
    """Standardizes features: ``(x - mean) / max(sqrt(variance), 1e-7)``.

    Give ``mean`` and ``variance``, or call :meth:`adapt` on data to compute them.

    Args:
        axis: Axis (or axes) with separate statistics; ``-1`` means one per feature,
            ``None`` one scalar for everything.
        mean, variance: Known statistics (both or neither).
        invert: Undo the normalization instead: ``mean + x * sqrt(variance)``.

    Weights after ``adapt`` (Keras order, non-trainable): ``mean``, ``variance``, ``count``.

    Example:
        >>> norm = Normalization()
        >>> norm.adapt(np.array([[0.0], [2.0]]))
        >>> norm(np.array([[2.0]])).tolist()
        [[1.0]]
    """

    _supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert: bool = False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        self.axis = (axis,) if isinstance(axis, int) else tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization needs both 'mean' and 'variance', or neither (then call "
                f"adapt()). Received mean={mean!r}, variance={variance!r}."
            )
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError(
                f"Normalization 'mean' and 'variance' must have the same shape, received "
                f"{np.shape(mean)} and {np.shape(variance)}."
            )
        self.input_mean = _plain(mean)
        self.input_variance = _plain(variance)
        self.invert = bool(invert)

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(
                f"Normalization '{self.name}' received axis={self.axis}, out of range for "
                f"inputs of rank {ndim} (shape {tuple(input_shape)})."
            )
        self._keep = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep:
            if input_shape[d] is None:
                raise ValueError(
                    f"Normalization '{self.name}' needs a known size on kept axis {d}, "
                    f"received input shape {tuple(input_shape)}."
                )
        self._reduce = tuple(d for d in range(ndim) if d not in self._keep)
        self._bshape = tuple(input_shape[d] if d in self._keep else 1 for d in range(ndim))
        stats_shape = tuple(input_shape[d] for d in self._keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                shape=stats_shape, initializer="zeros", trainable=False, name="mean"
            )
            self.adapt_variance = self.add_weight(
                shape=stats_shape, initializer="ones", trainable=False, name="variance"
            )
            self.count = self.add_weight(
                shape=(), dtype="int32", initializer="zeros", trainable=False, name="count"
            )

    def _broadcast(self, value):
        if value.ndim:
            expanded = [1] * len(self._bshape)
            for i in range(1, value.ndim + 1):
                expanded[self._keep[-i]] = value.shape[-i]
            value = value.reshape(expanded)
        return np.broadcast_to(value, self._bshape)

    def adapt(self, data) -> None:
        """Compute the mean and variance of ``data`` (an array or an iterable of batches)."""
        if isinstance(data, (np.ndarray, jax.Array)) or hasattr(data, "__array__"):
            batches = [np.asarray(data, np.float64)]
        elif hasattr(data, "__iter__"):
            batches = [np.asarray(b[0] if isinstance(b, tuple) else b, np.float64) for b in data]
            if not batches:
                raise ValueError(f"Normalization '{self.name}'.adapt() received no batches.")
        else:
            raise TypeError(
                f"Normalization '{self.name}'.adapt() expects an array or an iterable of "
                f"batches, received {type(data).__name__}."
            )
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization '{self.name}' was given mean and variance; adapt() is only "
                "for a layer created without them."
            )
        if not self.built:
            self._build_from_shapes(tuple(batches[0].shape))
        mean = var = None
        total = 0
        for b in batches:
            for d in self._keep:
                if b.ndim <= d or b.shape[d] != self._bshape[d]:
                    raise ValueError(
                        f"Normalization '{self.name}' was built for kept sizes "
                        f"{self.adapt_mean.shape} on axes {self._keep}; adapt() received a "
                        f"batch of shape {b.shape}."
                    )
            n = math.prod(b.shape[d] for d in self._reduce)
            b_mean, b_var = b.mean(axis=self._reduce), b.var(axis=self._reduce)
            if mean is None:
                mean, var, total = b_mean, b_var, n
                continue
            total += n
            w = n / total
            new_mean = mean * (1 - w) + b_mean * w
            var = (var + (mean - new_mean) ** 2) * (1 - w) + (b_var + (b_mean - new_mean) ** 2) * w
            mean = new_mean
        self.adapt_mean[...] = jnp.asarray(mean, self.adapt_mean.dtype)
        self.adapt_variance[...] = jnp.asarray(var, self.adapt_variance.dtype)

    def call(self, inputs):
        x = jnp.asarray(inputs).astype(self.compute_dtype)
        if self.input_mean is not None:
            mean, variance = (
                jnp.asarray(self._broadcast(np.asarray(v, np.float32)), x.dtype)
                for v in (self.input_mean, self.input_variance)
            )
        else:
            mean = jnp.reshape(self.adapt_mean[...], self._bshape).astype(x.dtype)
            variance = jnp.reshape(self.adapt_variance[...], self._bshape).astype(x.dtype)
        if x.ndim != len(self._bshape):
            raise named_error(
                ValueError,
                f"Normalization '{self.name}' was built for inputs of rank "
                f"{len(self._bshape)}, received shape {tuple(x.shape)}.",
            )
        std = jnp.maximum(jnp.sqrt(variance), _EPSILON)
        return mean + x * std if self.invert else (x - mean) / std

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": self.input_mean,
            "variance": self.input_variance,
        }


class CenterCrop(Layer):
    """Crops the central ``height x width`` region of images (no resizing when smaller is
    not needed).

    Example:
        >>> CenterCrop(2, 2)(jnp.ones((1, 4, 4, 3))).shape
        (1, 2, 2, 3)
    """

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)
        self.data_format = data_format_arg("CenterCrop", data_format)
        self.built = True

    def call(self, inputs):
        h_axis = -3 if self.data_format == "channels_last" else -2
        h, w = inputs.shape[h_axis], inputs.shape[h_axis + 1]
        if h < self.height or w < self.width:
            raise named_error(
                ValueError,
                f"CenterCrop '{self.name}' cannot crop {self.height}x{self.width} from images "
                f"of size {h}x{w} (input shape {tuple(inputs.shape)}).",
            )
        top, left = (h - self.height) // 2, (w - self.width) // 2
        index = [slice(None)] * inputs.ndim
        index[h_axis] = slice(top, top + self.height)
        index[h_axis + 1] = slice(left, left + self.width)
        return inputs[tuple(index)].astype(self.compute_dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "data_format": self.data_format,
        }


class Resizing(Layer):
    """Resizes images to ``height x width`` (``jax.image.resize``; no aspect-ratio crop).

    Example:
        >>> Resizing(8, 8)(jnp.ones((1, 4, 4, 3))).shape
        (1, 8, 8, 3)
    """

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        data_format: str | None = None,
        antialias: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)
        self.interpolation = choice(
            "Resizing",
            "interpolation",
            interpolation,
            ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5"),
        )
        self.data_format = data_format_arg("Resizing", data_format)
        self.antialias = bool(antialias)
        self.built = True

    def call(self, inputs):
        shape = list(inputs.shape)
        h_axis = len(shape) - 3 if self.data_format == "channels_last" else len(shape) - 2
        shape[h_axis], shape[h_axis + 1] = self.height, self.width
        x = inputs.astype(self.compute_dtype)
        return jax.image.resize(
            x, tuple(shape), method=self.interpolation, antialias=self.antialias
        )

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "data_format": self.data_format,
            "antialias": self.antialias,
        }
