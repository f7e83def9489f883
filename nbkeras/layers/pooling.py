"""Pooling layers: Max/AveragePooling1D/2D/3D and Global{Average,Max}Pooling1D/2D/3D.

In training, max pooling with ``strides == pool_size`` is :func:`tiled_max` when the
windows tile the input (always for ``"valid"``, after dropping the remainder Keras drops
too): the same values and the same gradient as ``lax.reduce_window`` (ties included: the
first maximum gets it), without XLA:CPU's slow select-and-scatter. Outside training
(predict, evaluate) the forward pass uses ``lax.reduce_window``, whose forward is ~25%
faster on XLA:CPU than the reshape's strided max.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from nbkeras.layers._args import _check_rank, choice, data_format_arg, int_tuple
from nbkeras.layers._tiled_max import tiled_max
from nbkeras.layers.base import Layer


class _Pooling(Layer):
    rank = 2
    mode = "max"

    def __init__(
        self,
        pool_size=2,
        strides=None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.pool_size = int_tuple(cls, "pool_size", pool_size, self.rank)
        self.strides = (
            self.pool_size if strides is None else int_tuple(cls, "strides", strides, self.rank)
        )
        self.padding = choice(cls, "padding", padding, ("valid", "same"))
        self.data_format = data_format_arg(cls, data_format)
        self.built = True

    def _spatial_axes(self) -> tuple[int, ...]:
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + self.rank))

    def _window(self, values, ndim: int) -> tuple[int, ...]:
        full = [1] * ndim
        for axis, v in zip(self._spatial_axes(), values):
            full[axis] = v
        return tuple(full)

    def _tiles(self, shape) -> bool:
        if self.strides != self.pool_size:
            return False
        if self.padding == "valid":
            return True
        return all(shape[a] % p == 0 for a, p in zip(self._spatial_axes(), self.pool_size))

    def call(self, inputs, training=None):
        _check_rank(self, inputs, self.rank)
        window = self._window(self.pool_size, inputs.ndim)
        strides = self._window(self.strides, inputs.ndim)
        padding = self.padding.upper()
        if self.mode == "max":
            if training and self._tiles(inputs.shape):
                out = tiled_max(inputs, self._spatial_axes(), self.pool_size)
            else:
                out = jax.lax.reduce_window(inputs, -jnp.inf, jax.lax.max, window, strides, padding)
        else:
            total = jax.lax.reduce_window(inputs, 0.0, jax.lax.add, window, strides, padding)
            if self.padding == "valid":
                out = total / math.prod(self.pool_size)
            else:  # Keras's 'same' average excludes the padding from the count.
                ones_shape = [d if w != 1 else 1 for d, w in zip(inputs.shape, window)]
                counts = jax.lax.reduce_window(
                    jnp.ones(ones_shape, inputs.dtype), 0.0, jax.lax.add, window, strides, padding
                )
                out = total / counts
        if out.size == 0 and inputs.size != 0:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' produced an empty output: input shape "
                f"{tuple(inputs.shape)} is smaller than pool_size={self.pool_size}. Use "
                "padding='same' or a smaller pool_size."
            )
        return out

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


_POOL_DOC = """{kind} pooling over {rank}D windows (Keras ``{name}``).

    Args:
        pool_size: Int or tuple of {rank} ints, the window size.
        strides: Int or tuple of {rank} ints; ``pool_size`` if None.
        padding: ``"valid"`` or ``"same"``.{same_note}
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> {name}(2)(jnp.ones({example})).shape
        {result}
    """
_AVG_NOTE = ' With ``"same"``, padding is excluded from the average.'


class MaxPooling1D(_Pooling):
    __doc__ = _POOL_DOC.format(
        kind="Max",
        rank=1,
        name="MaxPooling1D",
        same_note="",
        example="(2, 8, 3)",
        result="(2, 4, 3)",
    )
    rank, mode = 1, "max"


class MaxPooling2D(_Pooling):
    __doc__ = _POOL_DOC.format(
        kind="Max",
        rank=2,
        name="MaxPooling2D",
        same_note="",
        example="(2, 8, 8, 3)",
        result="(2, 4, 4, 3)",
    )
    rank, mode = 2, "max"

    def __init__(
        self,
        pool_size=(2, 2),
        strides=None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs,
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_Pooling):
    __doc__ = _POOL_DOC.format(
        kind="Max",
        rank=3,
        name="MaxPooling3D",
        same_note="",
        example="(2, 4, 4, 4, 3)",
        result="(2, 2, 2, 2, 3)",
    )
    rank, mode = 3, "max"

    def __init__(
        self,
        pool_size=(2, 2, 2),
        strides=None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs,
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    __doc__ = _POOL_DOC.format(
        kind="Average",
        rank=1,
        name="AveragePooling1D",
        same_note=_AVG_NOTE,
        example="(2, 8, 3)",
        result="(2, 4, 3)",
    )
    rank, mode = 1, "avg"


class AveragePooling2D(_Pooling):
    __doc__ = _POOL_DOC.format(
        kind="Average",
        rank=2,
        name="AveragePooling2D",
        same_note=_AVG_NOTE,
        example="(2, 8, 8, 3)",
        result="(2, 4, 4, 3)",
    )
    rank, mode = 2, "avg"

    def __init__(
        self,
        pool_size=(2, 2),
        strides=None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs,
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_Pooling):
    __doc__ = _POOL_DOC.format(
        kind="Average",
        rank=3,
        name="AveragePooling3D",
        same_note=_AVG_NOTE,
        example="(2, 4, 4, 4, 3)",
        result="(2, 2, 2, 2, 3)",
    )
    rank, mode = 3, "avg"

    def __init__(
        self,
        pool_size=(2, 2, 2),
        strides=None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs,
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    rank = 2
    mode = "avg"

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(type(self).__name__, data_format)
        self.keepdims = bool(keepdims)
        self.built = True

    def call(self, inputs, mask=None):
        _check_rank(self, inputs, self.rank)
        start = 1 if self.data_format == "channels_last" else 2
        axes = tuple(range(start, start + self.rank))
        if self.mode == "max":
            return jnp.max(inputs, axis=axes, keepdims=self.keepdims)
        if mask is not None and self.rank == 1:  # Keras: average over unmasked steps
            m = jnp.asarray(mask, inputs.dtype)
            m = m[:, :, None] if self.data_format == "channels_last" else m[:, None, :]
            return jnp.sum(inputs * m, axis=axes, keepdims=self.keepdims) / jnp.sum(
                m, axis=axes, keepdims=self.keepdims
            )
        return jnp.mean(inputs, axis=axes, keepdims=self.keepdims)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


_GLOBAL_DOC = """Global {kind} pooling over all {rank}D spatial positions (Keras ``{name}``).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Keep the spatial axes with size 1.

    Example:
        >>> {name}()(jnp.ones({example})).shape
        {result}
    """


class GlobalAveragePooling1D(_GlobalPooling):
    __doc__ = _GLOBAL_DOC.format(
        kind="average", rank=1, name="GlobalAveragePooling1D", example="(2, 8, 3)", result="(2, 3)"
    )
    rank, mode = 1, "avg"
    _supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    __doc__ = _GLOBAL_DOC.format(
        kind="average",
        rank=2,
        name="GlobalAveragePooling2D",
        example="(2, 8, 8, 3)",
        result="(2, 3)",
    )
    rank, mode = 2, "avg"


class GlobalAveragePooling3D(_GlobalPooling):
    __doc__ = _GLOBAL_DOC.format(
        kind="average",
        rank=3,
        name="GlobalAveragePooling3D",
        example="(2, 4, 4, 4, 3)",
        result="(2, 3)",
    )
    rank, mode = 3, "avg"


class GlobalMaxPooling1D(_GlobalPooling):
    __doc__ = _GLOBAL_DOC.format(
        kind="max", rank=1, name="GlobalMaxPooling1D", example="(2, 8, 3)", result="(2, 3)"
    )
    rank, mode = 1, "max"


class GlobalMaxPooling2D(_GlobalPooling):
    __doc__ = _GLOBAL_DOC.format(
        kind="max", rank=2, name="GlobalMaxPooling2D", example="(2, 8, 8, 3)", result="(2, 3)"
    )
    rank, mode = 2, "max"


class GlobalMaxPooling3D(_GlobalPooling):
    __doc__ = _GLOBAL_DOC.format(
        kind="max", rank=3, name="GlobalMaxPooling3D", example="(2, 4, 4, 4, 3)", result="(2, 3)"
    )
    rank, mode = 3, "max"


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool3D, GlobalMaxPool3D = GlobalAveragePooling3D, GlobalMaxPooling3D
