"""``Sequential``: a plain stack of layers, built lazily from the first input shape."""

from __future__ import annotations

import jax
from flax import nnx

from nbkeras.layers.base import Layer, _freeze, _thaw
from nbkeras.layers.input_layer import Input, InputLayer, conform_to_input
from nbkeras.layers.symbolic import is_symbolic, node_of
from nbkeras.layers.wrappers import ModuleLayer
from nbkeras.models.model import _SYMBOLIC_IO, Model


class Sequential(Model):
    """A linear stack of layers (Keras's ``keras.Sequential``).

    Layers may be nbkeras layers or any ``flax.nnx.Module`` (called as ``module(x)``).
    Without an ``Input`` the model builds on the first data it sees.

    Args:
        layers: Optional list of layers (an ``Input`` tensor may come first).
        trainable: Whether the weights are trainable.
        name: Model name.

    Example:
        >>> from nbkeras import layers
        >>> model = Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"),
        ...                     layers.Dense(1)])
        >>> model.output_shape
        (None, 1)
    """

    def __init__(self, layers=None, trainable: bool = True, name: str | None = None):
        super().__init__(trainable=trainable, name=name)
        self._stack = nnx.List([])
        self._input_batch_shape = None
        self._input_dtype = "float32"
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def add(self, layer, rebuild: bool = True) -> None:
        """Append a layer (or an ``Input`` tensor to fix the input shape)."""
        if is_symbolic(layer):
            node = node_of(layer)
            if node is None or not isinstance(node.layer, InputLayer):
                raise ValueError(
                    f"Only Input() tensors can be added to a Sequential model, received "
                    f"{layer!r}. Add layers instead."
                )
            layer = node.layer
        if isinstance(layer, InputLayer):
            if len(self._stack):
                raise ValueError(
                    "An Input must be the first element of a Sequential model; "
                    f"model '{self.name}' already has {len(self._stack)} layer(s)."
                )
            self._input_batch_shape = tuple(layer.batch_shape)
            self._input_dtype = layer.dtype
            self._input_name = layer.name
            self._explicit_input = True
            return
        if isinstance(layer, nnx.Module) and not isinstance(layer, Layer):
            layer = ModuleLayer(layer)
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential accepts nbkeras layers or flax.nnx Modules; received {layer!r} "
                f"of type {type(layer).__name__}."
            )
        names = [la.name for la in self._stack]
        if layer.name in names:
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. "
                f"Name '{layer.name}' is already the name of a layer in this model."
            )
        if not len(self._stack) and self._input_batch_shape is None:
            shape = getattr(layer, "_batch_input_shape", None)
            if shape is not None:
                self._input_batch_shape = tuple(shape)
        self._stack.append(layer)
        self.built = False
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild: bool = True):
        """Remove and return the last layer."""
        if not len(self._stack):
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        self.built = False
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self) -> None:
        if self._input_batch_shape is not None and len(self._stack):
            self.build(self._input_batch_shape)

    @property
    def layers(self) -> list:
        return list(self._stack)

    def _sublayers(self):
        return list(self._stack)

    def build(self, input_shape=None) -> None:
        """Build every layer by passing a symbolic tensor of ``input_shape`` through."""
        if input_shape is None:
            input_shape = self._input_batch_shape
        if input_shape is None:
            raise ValueError(
                f"Sequential model '{self.name}' cannot be built without an input shape. "
                "Add an Input(shape=...) first, call model.build((None, features)), or "
                "call the model on data."
            )
        if isinstance(input_shape, dict | list):
            raise ValueError(
                "Sequential models take a single input; for several inputs use the "
                f"Functional API. Received input shape {input_shape!r}."
            )
        input_shape = tuple(input_shape)
        # An Input tensor, so model.inputs/outputs can build a Functional model
        # (Keras's feature extractor: Model(model.inputs, [la.output for la in ...])).
        # (Named explicitly: rebuilding after each add() must not use up default names.)
        name = getattr(self, "_input_name", None) or "input_layer"
        x0 = x = Input(batch_shape=input_shape, dtype=self._input_dtype, name=name)
        for layer in self._stack:
            x = layer(x)
        _SYMBOLIC_IO[self] = ([x0], [x])
        self._input_batch_shape = (None, *input_shape[1:])
        self._build_shapes = _freeze(self._input_batch_shape)
        self._output_shape = _freeze(jax.tree.map(lambda t: t.shape, x, is_leaf=is_symbolic))
        self.built = True

    def _build_on(self, first_input) -> None:
        self.build((None, *tuple(first_input.shape)[1:]))

    def _convert_input(self, x):
        x = super()._convert_input(x)
        if getattr(self, "_explicit_input", False):
            x = conform_to_input(x, self._input_batch_shape, self._input_dtype)
        return x

    def _runs_its_graph(self) -> bool:
        """Whether ``call`` is Sequential's own (``layers._sample_wise``)."""
        return type(self).call is Sequential.call

    def call(self, inputs, training=None):
        x = inputs
        for layer in self._stack:
            x = layer(x, training=training) if training is not None else layer(x)
        return x

    @property
    def input_shape(self):
        if self._input_batch_shape is None:
            raise AttributeError(f"Sequential model '{self.name}' is not built yet.")
        return _thaw(_freeze(self._input_batch_shape))

    @property
    def input_names(self):
        return ["input_layer"] if self.built else []

    @property
    def output_names(self):
        return [self._stack[-1].name] if len(self._stack) else []
