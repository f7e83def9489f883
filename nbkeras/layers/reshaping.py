"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, Cropping1D/2D,
ZeroPadding1D/2D, UpSampling1D/2D."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from nbkeras.layers._args import _check_rank, choice, data_format_arg, int_tuple, named_error
from nbkeras.layers.base import Layer


class _Stateless(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True


class Flatten(_Stateless):
    """Flattens every axis but the batch axis (Keras ``Flatten``).

    Args:
        data_format: With ``"channels_first"``, channels are moved last before
            flattening, so the order matches a channels_last model.

    Example:
        >>> Flatten()(jnp.ones((2, 3, 4))).shape
        (2, 12)
    """

    def __init__(self, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg("Flatten", data_format)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = jnp.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        return jnp.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(_Stateless):
    """Reshapes every sample to ``target_shape`` (batch axis excluded); one entry may be -1.

    Example:
        >>> Reshape((2, -1))(jnp.ones((4, 6))).shape
        (4, 2, 3)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if isinstance(target_shape, int) and not isinstance(target_shape, bool):
            raise ValueError(
                f"Reshape '{self.name}': target_shape must be a tuple, received the integer "
                f"{target_shape!r}. Write target_shape=({target_shape},) to reshape every "
                f"sample to {target_shape} values."
            )
        try:
            target_shape = tuple(target_shape)
        except TypeError:
            raise ValueError(
                f"Reshape '{self.name}': target_shape must be a tuple of ints (at most one "
                f"-1), received {target_shape!r}."
            ) from None
        if sum(d == -1 for d in target_shape) > 1 or any(
            not isinstance(d, int) or (d <= 0 and d != -1) for d in target_shape
        ):
            raise ValueError(
                f"Reshape '{self.name}': target_shape must hold positive ints and at most one "
                f"-1, received target_shape={target_shape}."
            )
        self.target_shape = target_shape

    def call(self, inputs):
        size = math.prod(inputs.shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        ok = size % known == 0 if -1 in self.target_shape else size == known
        if not ok:
            raise named_error(
                ValueError,
                f"Reshape '{self.name}' cannot reshape a sample of shape "
                f"{tuple(inputs.shape[1:])} ({size} values) to target_shape="
                f"{self.target_shape}"
                + (
                    f" ({known} values)."
                    if -1 not in self.target_shape
                    else f" ({size} is not a multiple of {known})."
                )
                + " The batch axis is not part of target_shape.",
            )
        return jnp.reshape(inputs, (inputs.shape[0], *self.target_shape))

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(_Stateless):
    """Permutes the non-batch axes; ``dims`` are 1-indexed (Keras ``Permute``).

    Example:
        >>> Permute((2, 1))(jnp.ones((5, 3, 4))).shape
        (5, 4, 3)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(dims, (tuple, list)) or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in dims
        ):
            raise TypeError(
                f"Permute 'dims' must be a tuple of ints (1-based axes, e.g. (2, 1)), "
                f"received dims={dims!r}."
            )
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Permute 'dims' must be a permutation of 1..n (the batch axis 0 is not "
                f"included), received dims={dims!r}."
            )

    def call(self, inputs):
        if inputs.ndim != len(self.dims) + 1:
            raise named_error(
                ValueError,
                f"Permute '{self.name}' with dims={self.dims} expects inputs of rank "
                f"{len(self.dims) + 1}, received shape {tuple(inputs.shape)}.",
            )
        return jnp.transpose(inputs, (0, *self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(_Stateless):
    """Repeats a ``(batch, features)`` input ``n`` times: ``(batch, n, features)``.

    Example:
        >>> RepeatVector(3)(jnp.ones((2, 4))).shape
        (2, 3, 4)
    """

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"RepeatVector 'n' must be a positive int, received n={n!r}.")
        self.n = n

    def call(self, inputs):
        if inputs.ndim != 2:
            raise named_error(
                ValueError,
                f"RepeatVector '{self.name}' expects a 2D input (batch, features), received "
                f"shape {tuple(inputs.shape)}.",
            )
        return jnp.repeat(inputs[:, None, :], self.n, axis=1)

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def _pairs(layer_cls: str, arg: str, value, rank: int) -> tuple:
    """An int, ``rank`` ints (symmetric) or ``rank`` pairs of ints -> ``rank`` pairs."""
    if rank == 1:
        return (int_tuple(layer_cls, arg, value, 2, allow_zero=True),)
    if isinstance(value, int):
        value = (value,) * rank
    if not hasattr(value, "__len__") or len(value) != rank:
        raise ValueError(
            f"{layer_cls} '{arg}' must be an int, a tuple of {rank} ints or a tuple of "
            f"{rank} pairs of ints, received {arg}={value!r}."
        )
    return tuple(int_tuple(layer_cls, arg, v, 2, allow_zero=True) for v in value)


class _Spatial(_Stateless):
    rank = 1

    def _spatial_start(self) -> int:
        return 1 if getattr(self, "data_format", "channels_last") == "channels_last" else 2


class ZeroPadding1D(_Spatial):
    """Pads the steps axis with zeros: ``padding`` int or ``(left, right)``.

    Example:
        >>> ZeroPadding1D(2)(jnp.ones((1, 3, 4))).shape
        (1, 7, 4)
    """

    rank = 1

    def __init__(self, padding=1, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.data_format = data_format_arg(cls, data_format)
        pads = _pairs(cls, "padding", padding, self.rank)
        self.padding = pads[0] if self.rank == 1 else pads

    def call(self, inputs):
        _check_rank(self, inputs, self.rank)
        pads = [(0, 0)] * inputs.ndim
        spatial = (self.padding,) if self.rank == 1 else self.padding
        for i, p in enumerate(spatial):
            pads[self._spatial_start() + i] = p
        return jnp.pad(inputs, pads)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding2D(ZeroPadding1D):
    """Pads height and width with zeros: int, ``(h, w)`` or ``((top, bottom), (left, right))``.

    Example:
        >>> ZeroPadding2D(1)(jnp.ones((1, 3, 3, 2))).shape
        (1, 5, 5, 2)
    """

    rank = 2


class Cropping1D(_Spatial):
    """Crops the steps axis: ``cropping`` int or ``(start, end)``.

    Example:
        >>> Cropping1D((1, 2))(jnp.ones((1, 6, 4))).shape
        (1, 3, 4)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs("Cropping1D", "cropping", cropping, 1)[0]

    def _crops(self):
        return (self.cropping,)

    def call(self, inputs):
        _check_rank(self, inputs, self.rank)
        index = [slice(None)] * inputs.ndim
        for i, (a, b) in enumerate(self._crops()):
            axis = self._spatial_start() + i
            if a + b >= inputs.shape[axis]:
                raise named_error(
                    ValueError,
                    f"{type(self).__name__} '{self.name}' cropping={self.cropping} removes "
                    f"all of axis {axis} of input shape {tuple(inputs.shape)}.",
                )
            index[axis] = slice(a, inputs.shape[axis] - b)
        return inputs[tuple(index)]

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping2D(Cropping1D):
    """Crops height and width: int, ``(h, w)`` or ``((top, bottom), (left, right))``.

    Example:
        >>> Cropping2D(((1, 0), (2, 2)))(jnp.ones((1, 5, 6, 3))).shape
        (1, 4, 2, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format: str | None = None, **kwargs):
        _Stateless.__init__(self, **kwargs)
        self.data_format = data_format_arg("Cropping2D", data_format)
        self.cropping = _pairs("Cropping2D", "cropping", cropping, 2)

    def _crops(self):
        return self.cropping

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class UpSampling1D(_Spatial):
    """Repeats each step ``size`` times along the steps axis.

    Example:
        >>> UpSampling1D(2)(jnp.ones((1, 3, 4))).shape
        (1, 6, 4)
    """

    rank = 1

    def __init__(self, size: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.size = int_tuple("UpSampling1D", "size", size, 1)[0]

    def call(self, inputs):
        _check_rank(self, inputs, 1)
        return jnp.repeat(inputs, self.size, axis=1)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(_Spatial):
    """Upsamples height and width by ``size`` with ``"nearest"`` or ``"bilinear"`` (etc.)
    interpolation.

    Example:
        >>> UpSampling2D(2)(jnp.ones((1, 3, 3, 2))).shape
        (1, 6, 6, 2)
    """

    rank = 2
    _METHODS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")

    def __init__(
        self, size=(2, 2), data_format: str | None = None, interpolation: str = "nearest", **kwargs
    ):
        super().__init__(**kwargs)
        self.size = int_tuple("UpSampling2D", "size", size, 2)
        self.data_format = data_format_arg("UpSampling2D", data_format)
        self.interpolation = choice("UpSampling2D", "interpolation", interpolation, self._METHODS)

    def call(self, inputs):
        _check_rank(self, inputs, 2)
        x = inputs
        if self.data_format == "channels_first":
            x = jnp.transpose(x, (0, 2, 3, 1))
        if self.interpolation == "nearest":
            x = jnp.repeat(jnp.repeat(x, self.size[0], axis=1), self.size[1], axis=2)
        else:
            n, h, w, c = x.shape
            x = jax.image.resize(
                x,
                (n, h * self.size[0], w * self.size[1], c),
                method=self.interpolation,
                antialias=False,
            )
        if self.data_format == "channels_first":
            x = jnp.transpose(x, (0, 3, 1, 2))
        return x

    def get_config(self):
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }
