"""``Input`` and ``InputLayer``: where a Functional graph starts."""

from __future__ import annotations

import jax.numpy as jnp

from nbkeras.layers.base import Layer, _freeze
from nbkeras.layers.symbolic import KerasTensor, Node, inbound_nodes


def _standardize_shape(shape, what: str = "shape") -> tuple:
    if isinstance(shape, int):
        raise ValueError(
            f"Input {what} must be a tuple, received the integer {shape!r}. "
            f"Write shape=({shape},) for a vector of {shape} features."
        )
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(
            f"Cannot convert {shape!r} to an input {what}; pass a tuple like (784,) or (28, 28, 1)."
        ) from None
    for d in dims:
        if d is not None and (not isinstance(d, int) or d < 0):
            raise ValueError(
                f"Input {what} {shape!r} has an invalid dimension {d!r}; every dimension "
                "must be a non-negative int or None."
            )
    return dims


def conform_to_input(x, batch_shape, dtype):
    """Data fed to an ``Input``, made to match it as Keras's Functional models do.

    Integer/bool data into a float ``Input`` (``uint8`` images) is cast to the Input's
    dtype, and data one rank short of an Input whose last dimension is 1 (a list of
    numbers, a pandas Series) gets that dimension added.

    Example:
        >>> conform_to_input(jnp.arange(3, dtype="uint8"), (None, 1), "float32").shape
        (3, 1)
    """
    if not (hasattr(x, "dtype") and hasattr(x, "astype") and hasattr(x, "ndim")):
        return x
    if (jnp.issubdtype(x.dtype, jnp.integer) or x.dtype == jnp.bool_) and jnp.issubdtype(
        dtype, jnp.floating
    ):
        x = x.astype(dtype)
    if batch_shape is not None and x.ndim == len(batch_shape) - 1 and batch_shape[-1] == 1:
        x = jnp.expand_dims(x, -1)
    return x


class InputLayer(Layer):
    """The layer behind :func:`Input`; its output is the model's input tensor."""

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        sparse=None,
        batch_shape=None,
        input_tensor=None,
        optional=False,
        name=None,
        **kwargs,
    ):
        if shape is None and "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs and batch_shape is None:
            batch_shape = kwargs.pop("batch_input_shape")
        if shape is not None and batch_shape is not None:
            raise ValueError("Pass either `shape` or `batch_shape` to Input, not both.")
        if shape is None and batch_shape is None:
            raise ValueError(
                "Input needs a shape: pass shape=(features,) (without the batch size) "
                "or batch_shape=(batch, features)."
            )
        if batch_shape is None:
            batch_shape = (batch_size, *_standardize_shape(shape))
        else:
            batch_shape = _standardize_shape(batch_shape, "batch_shape")
        if dtype is None:  # inputs are floatx(), whatever the global dtype policy
            from nbkeras._settings import floatx

            dtype = floatx()
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.batch_shape = batch_shape
        self.optional = optional
        self.built = True
        self._build_shapes = _freeze(batch_shape)
        self._output_shape = batch_shape
        tensor = KerasTensor(batch_shape, self.dtype, name=self.name)
        Node(self, (), {}, tensor, is_input=True)

    @property
    def output(self) -> KerasTensor:
        return inbound_nodes(self)[0].outputs

    def call(self, inputs):
        return inputs

    def _convert_input(self, x):
        return conform_to_input(super()._convert_input(x), self.batch_shape, self.dtype)

    def get_build_config(self) -> None:
        """None: an input layer's shape is in its config (as in Keras)."""
        return None

    def get_config(self) -> dict:
        return {
            "batch_shape": list(self.batch_shape),
            "dtype": self.dtype,
            "sparse": False,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("sparse", None)
        config.pop("ragged", None)
        return cls(**config)


def Input(
    shape=None,
    batch_size=None,
    dtype=None,
    sparse=None,
    batch_shape=None,
    name=None,
    tensor=None,
    optional=False,
) -> KerasTensor:
    """A symbolic input for the Functional API (Keras's ``keras.Input``).

    Args:
        shape: Shape of one sample, e.g. ``(784,)``; ``None`` for unknown sizes.
        batch_size: Optional fixed batch size.
        dtype: Input dtype, ``"float32"`` by default.
        batch_shape: Full shape including the batch size (instead of ``shape``).
        name: Name of the input; data can be passed in a dict keyed by it.

    Returns:
        A :class:`KerasTensor`.

    Example:
        >>> x = Input(shape=(784,), name="pixels")
        >>> x.shape
        (None, 784)
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        batch_shape=batch_shape,
        name=name,
        optional=optional,
    )
    return layer.output
