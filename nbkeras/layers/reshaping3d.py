"""3D spatial reshaping: ZeroPadding3D, Cropping3D, UpSampling3D (volumes
``(batch, d1, d2, d3, channels)``, or channels first)."""

from __future__ import annotations

import jax.numpy as jnp

from nbkeras.layers._args import _check_rank, data_format_arg, int_tuple
from nbkeras.layers.reshaping import (
    Cropping2D,
    ZeroPadding1D,
    _pairs,
    _Spatial,
    _Stateless,
)


class ZeroPadding3D(ZeroPadding1D):
    """Pads the three spatial axes with zeros: an int, 3 ints, or 3 ``(before, after)``
    pairs.

    Example:
        >>> ZeroPadding3D(1)(jnp.ones((1, 2, 3, 4, 2))).shape
        (1, 4, 5, 6, 2)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)


class Cropping3D(Cropping2D):
    """Crops the three spatial axes: an int, 3 ints, or 3 ``(before, after)`` pairs.

    Example:
        >>> Cropping3D(((1, 0), (0, 1), (1, 1)))(jnp.ones((1, 3, 3, 4, 2))).shape
        (1, 2, 2, 2, 2)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs):
        _Stateless.__init__(self, **kwargs)
        self.data_format = data_format_arg("Cropping3D", data_format)
        self.cropping = _pairs("Cropping3D", "cropping", cropping, 3)


class UpSampling3D(_Spatial):
    """Repeats each voxel ``size`` times along each spatial axis (nearest neighbour).

    Example:
        >>> UpSampling3D((2, 1, 3))(jnp.ones((1, 2, 2, 2, 4))).shape
        (1, 4, 2, 6, 4)
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.size = int_tuple("UpSampling3D", "size", size, 3)
        self.data_format = data_format_arg("UpSampling3D", data_format)

    def call(self, inputs):
        _check_rank(self, inputs, 3)
        x = inputs
        for i, n in enumerate(self.size):
            x = jnp.repeat(x, n, axis=self._spatial_start() + i)
        return x

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
