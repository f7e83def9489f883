"""``Model``: a Layer that can be trained, in Functional or subclassed form.

``Model(inputs, outputs)`` builds a Functional model (no ``__new__`` class swapping:
the graph is a mode of ``Model``); ``class MyModel(Model)`` with a ``call`` method is a
subclassed model.  Training methods delegate to :mod:`nbkeras.train`.
"""

from __future__ import annotations

import weakref

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from nbkeras import _serialization
from nbkeras._traceback import filter_traceback
from nbkeras.layers import registry as _layer_registry
from nbkeras.layers.base import Layer, _freeze
from nbkeras.layers.input_layer import InputLayer
from nbkeras.layers.symbolic import is_symbolic
from nbkeras.models import functional as _functional
from nbkeras.models.training import TrainingMixin

_SYMBOLIC_IO: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Model(TrainingMixin, Layer):
    """A trainable graph of layers (Keras's ``keras.Model``).

    Functional form: ``Model(inputs, outputs, name=None)`` where inputs/outputs are
    tensors, lists or dicts of tensors from :func:`~nbkeras.Input`.  Subclassed form:
    define layers in ``__init__`` and the forward pass in ``call(inputs, training=None)``.

    Example:
        >>> from nbkeras import Input, layers
        >>> x = Input(shape=(4,))
        >>> model = Model(x, layers.Dense(2)(x))
        >>> model.output_shape
        (None, 2)
    """

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", args[0] if len(args) > 0 else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        if len(args) > 2:
            raise TypeError("Model() takes at most 2 positional arguments: inputs, outputs.")
        name = kwargs.pop("name", None)
        if (inputs is None) != (outputs is None):
            raise ValueError(
                "A Functional model needs both `inputs` and `outputs`; received "
                f"inputs={inputs!r}, outputs={outputs!r}."
            )
        if inputs is not None and not any_symbolic(inputs):
            raise TypeError(
                f"Model(inputs, outputs) expects Input() tensors as inputs, received "
                f"{inputs!r}. Create them with nbkeras.Input(shape=...)."
            )
        if inputs is not None and name is None:
            name = _default_functional_name(self)
        super().__init__(name=name, **kwargs)
        self._functional = False
        self._compiled = None
        if inputs is not None:
            self._init_graph(inputs, outputs)

    # ------------------------------------------------------------------ functional
    def _init_graph(self, inputs, outputs) -> None:
        if isinstance(inputs, dict):
            input_keys = tuple(inputs)
            flat_in = list(inputs.values())
        elif isinstance(inputs, (list, tuple)):
            input_keys = None
            flat_in = list(inputs)
        else:
            input_keys = None
            flat_in = [inputs]
        flat_out, out_def = jax.tree.flatten(outputs, is_leaf=is_symbolic)
        for t in flat_out:
            if not is_symbolic(t):
                raise TypeError(
                    f"Model outputs must be tensors produced by layers, received {t!r}."
                )
        layers, plan, in_ids, out_ids = _functional.build_plan(flat_in, flat_out)
        self._graph_layers = nnx.List(layers)
        self._plan = plan
        self._in_ids = in_ids
        self._out_ids = out_ids
        self._out_def = out_def
        self._input_keys = input_keys
        self._nested_inputs = isinstance(inputs, (list, tuple, dict))
        self._input_names = tuple(t._keras_history[0].name for t in flat_in)
        self._output_names = _output_names(outputs, flat_out)
        self._functional = True
        _SYMBOLIC_IO[self] = (inputs, outputs)
        shapes = [t.shape for t in flat_in]
        self._build_shapes = _freeze(shapes if self._nested_inputs else shapes[0])
        out_shapes = jax.tree.unflatten(out_def, [t.shape for t in flat_out])
        self._output_shape = _freeze(out_shapes)
        self.built = True

    def _standardize_inputs(self, x) -> list:
        names = self._input_names
        if isinstance(x, dict):
            keys = self._input_keys or names
            missing = [k for k in keys if k not in x]
            if missing:
                raise ValueError(
                    f"Model '{self.name}' is missing data for input(s) {missing}. Expected a "
                    f"dict with keys {list(keys)}; received keys {sorted(x)}."
                )
            return [x[k] for k in keys]
        if isinstance(x, (list, tuple)) and not (
            len(names) == 1 and not self._nested_inputs and _looks_like_array_list(x)
        ):
            if len(x) != len(names):
                raise ValueError(
                    f"Model '{self.name}' expects {len(names)} input(s) {list(names)}, "
                    f"but received a list of {len(x)} arrays. Pass one array per input, "
                    "or a dict keyed by input name."
                )
            return list(x)
        if len(names) != 1:
            raise ValueError(
                f"Model '{self.name}' expects {len(names)} inputs {list(names)}, but "
                "received a single array. Pass a list or a dict keyed by input name."
            )
        return [x]

    def call(self, inputs, training=None):
        if not self._functional:
            raise NotImplementedError(
                f"Model {type(self).__name__} has no call() method. Subclassed models must "
                "define call(self, inputs, training=None); or build a Functional model "
                "with Model(inputs, outputs)."
            )
        flat = self._standardize_inputs(inputs)
        layers = list(self._graph_layers)
        flat = [layers[self._layer_index_of_input(i)]._convert_input(v) for i, v in enumerate(flat)]
        outs = _functional.run_plan(
            layers, self._plan, self._in_ids, self._out_ids, flat, training=training
        )
        return jax.tree.unflatten(self._out_def, outs)

    def _runs_its_graph(self) -> bool:
        """Whether ``call`` is the Functional graph's own (``layers._sample_wise``)."""
        return self._functional and type(self).call is Model.call

    def _layer_index_of_input(self, i: int) -> int:
        name = self._input_names[i]
        for j, layer in enumerate(self._graph_layers):
            if isinstance(layer, InputLayer) and layer.name == name:
                return j
        return 0

    @filter_traceback
    def __call__(self, *args, **kwargs):
        if self._functional and args and not self.built:
            self.built = True
        return super().__call__(*args, **kwargs)

    def _convert_input(self, x):
        if self._functional:
            return x
        return super()._convert_input(x)

    # ------------------------------------------------------------------ structure
    @property
    def layers(self) -> list:
        """Direct sublayers (Functional: in Keras's graph order, InputLayers included)."""
        if self._functional:
            return list(self._graph_layers)
        return self._sublayers()

    def _sublayers(self):
        if self._functional:
            return [la for la in self._graph_layers]
        return super()._sublayers()

    def get_layer(self, name: str | None = None, index: int | None = None):
        """Find a sublayer by name or index."""
        if index is not None and name is not None:
            raise ValueError("Provide only one of `name` or `index` to get_layer.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(layers)} layers."
                )
            return layers[index]
        if name is not None:
            for layer in layers:
                if getattr(layer, "name", None) == name:
                    return layer
            raise ValueError(
                f"No such layer: {name!r}. Existing layers are: "
                f"{[getattr(la, 'name', type(la).__name__) for la in layers]}."
            )
        raise ValueError("Provide either a layer name or a layer index to get_layer.")

    @property
    def inputs(self):
        io = _SYMBOLIC_IO.get(self)
        if io is None:
            return None
        ins = io[0]
        return list(ins) if isinstance(ins, tuple) else ins

    @property
    def outputs(self):
        io = _SYMBOLIC_IO.get(self)
        if io is None:
            return None
        outs = io[1]
        return list(outs) if isinstance(outs, tuple) else outs

    @property
    def input(self):
        return self.inputs

    @property
    def output(self):
        return self.outputs

    @property
    def input_names(self) -> list[str]:
        return list(self._input_names) if self._functional else []

    @property
    def output_names(self) -> list[str]:
        return list(self._output_names) if self._functional else []

    def build(self, input_shape=None) -> None:
        """Build a subclassed model by running it once on zeros of ``input_shape``."""
        if self._functional or input_shape is None:
            self.built = True
            return
        zeros = _zeros_like_shape(input_shape)
        self.built = True
        self._build_shapes = _freeze(_shapes_of(zeros))
        Layer.__call__(self, zeros)

    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
    ):
        """Print a Keras-style summary table (or pass each line to ``print_fn``)."""
        from nbkeras.models import summary as _summary

        text = _summary.summary_text(
            self,
            line_length=line_length,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
        )
        (print_fn or print)(text)

    def get_config(self) -> dict:
        from nbkeras.models import serialization

        return serialization.model_config(self)

    get_config._nbk_default = True

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from nbkeras.models import serialization

        return serialization.model_from_config(cls, config, custom_objects)

    # ------------------------------------------------------------------ saving
    def save(self, filepath, overwrite: bool = True, zipped=None, **kwargs) -> None:
        """Save the model to a ``.keras`` file (see :func:`nbkeras.saving.save_model`)."""
        from nbkeras.saving import saving_lib

        saving_lib.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite: bool = True, max_shard_size=None) -> None:
        """Save the weights to a Keras 3 ``.weights.h5`` file."""
        from nbkeras.saving import saving_lib

        saving_lib.save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch: bool = False, **kwargs) -> None:
        """Load weights from a ``.weights.h5`` or ``.keras`` file (Keras 3 layout)."""
        from nbkeras.saving import saving_lib

        saving_lib.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs) -> str:
        """The model's config as a JSON string (``models.model_from_json`` reads it)."""
        import json

        return json.dumps(_serialization.serialize_keras_object(self), **kwargs)

    def __repr__(self) -> str:
        try:
            kind = "Functional" if self._functional else type(self).__name__
            return f"<{kind} name={self.name}, built={self.built}>"
        except Exception:
            return object.__repr__(self)

    def _repr_html_(self) -> str:
        from nbkeras.notebook import reprs

        return reprs.model_html(self)


_layer_registry.register(Model, "Functional")  # Keras's class name for functional models


def any_symbolic(tree) -> bool:
    return any(is_symbolic(x) for x in jax.tree.leaves(tree, is_leaf=is_symbolic))


def _default_functional_name(model) -> str:
    from nbkeras.layers.base import to_snake_case, unique_name

    if type(model) is Model:
        return unique_name("functional")
    return unique_name(to_snake_case(type(model).__name__))


def _output_names(outputs, flat_out) -> tuple[str, ...]:
    if isinstance(outputs, dict):
        return tuple(outputs)
    return tuple(t._keras_history[0].name for t in flat_out)


def _looks_like_array_list(x) -> bool:
    return bool(x) and not all(hasattr(a, "shape") for a in x)


def _zeros_like_shape(shape):
    if isinstance(shape, dict):
        return {k: _zeros_like_shape(v) for k, v in shape.items()}
    if isinstance(shape, list) or (
        isinstance(shape, tuple) and shape and isinstance(shape[0], (tuple, list))
    ):
        return [_zeros_like_shape(s) for s in shape]
    return jnp.zeros(tuple(1 if d is None else d for d in shape), "float32")


def _shapes_of(x):
    if isinstance(x, dict):
        return {k: _shapes_of(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_shapes_of(v) for v in x]
    return tuple(np.shape(x))
