"""``clone_model``: the same architecture with new layers (fresh weights), as in Keras."""

from __future__ import annotations

import jax

from nbkeras.layers.input_layer import Input, InputLayer
from nbkeras.layers.symbolic import OpLayer, is_symbolic


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with the architecture of ``model`` and newly initialized weights.

    Args:
        model: A Sequential, Functional or subclassed model.
        input_tensors: Optional ``Input`` tensor(s) to build the clone on.
        clone_function: ``layer -> new layer``; ``cls.from_config(layer.get_config())``
            by default. Return the layer itself to share it (and its weights).
        call_function: ``(layer, *args, **kwargs) -> outputs`` used instead of calling
            each cloned layer (Functional models), e.g. to insert extra layers.
        recursive: Also clone the layers inside nested Sequential/Functional models
            with ``clone_function`` (otherwise a nested model is passed to it whole).

    Returns:
        The cloned model (not compiled).

    Example:
        >>> clone = clone_model(model)  # doctest: +SKIP
        >>> clone.set_weights(model.get_weights())  # doctest: +SKIP
    """
    from nbkeras.models.sequential import Sequential

    if kwargs:
        raise TypeError(f"clone_model() got unexpected keyword arguments {sorted(kwargs)}.")
    clone_function = clone_function or _default_clone

    def clone_layer(layer):
        if isinstance(layer, OpLayer):
            new = OpLayer(layer.fn, name=layer.name)
            if getattr(layer, "_nbk_getitem", False):
                new._nbk_getitem = True
            return new
        if recursive and _is_graph_model(layer):
            return clone_model(layer, clone_function=clone_function,
                               call_function=call_function, recursive=True)
        return clone_function(layer)

    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, clone_layer)
    if getattr(model, "_functional", False):
        return _clone_functional(model, input_tensors, clone_layer, call_function)
    if input_tensors is not None or call_function is not None:
        raise ValueError(
            f"clone_model of the subclassed model '{model.name}' supports neither "
            "input_tensors nor call_function: it is rebuilt from get_config()."
        )
    new = clone_function(model)
    if new is not model and not new.built and model.built and model._build_shapes is not None:
        from nbkeras.layers.base import _thaw

        new.build(_thaw(model._build_shapes))
    return new


def _is_graph_model(layer) -> bool:
    return hasattr(layer, "_stack") or getattr(layer, "_functional", False)


def _clone_sequential(model, input_tensors, clone_layer):
    from nbkeras.models.sequential import Sequential

    layers = [clone_layer(layer) for layer in model.layers]
    if input_tensors is not None:
        if isinstance(input_tensors, list | tuple):
            if len(input_tensors) != 1:
                raise ValueError(
                    "A Sequential model takes one input; clone_model received "
                    f"{len(input_tensors)} input_tensors."
                )
            input_tensors = input_tensors[0]
        if not is_symbolic(input_tensors):
            raise ValueError(
                f"input_tensors must be Input() tensors, received {input_tensors!r}."
            )
        return Sequential([input_tensors, *layers], name=model.name, trainable=model.trainable)
    first = []
    if model._input_batch_shape is not None:
        first = [Input(batch_shape=model._input_batch_shape, dtype=model._input_dtype)]
    return Sequential(first + layers, name=model.name, trainable=model.trainable)


def _clone_functional(model, input_tensors, clone_layer, call_function):
    from nbkeras.models import functional as _functional
    from nbkeras.models.model import Model

    old_layers = list(model._graph_layers)
    by_name = {la.name: la for la in old_layers}
    inputs = []
    if input_tensors is None:
        for name in model._input_names:
            layer = by_name[name]
            inputs.append(Input(batch_shape=layer.batch_shape, dtype=layer.dtype, name=name))
    else:
        given = input_tensors
        if isinstance(given, dict):
            given = [given[k] for k in (model._input_keys or model._input_names)]
        elif not isinstance(given, list | tuple):
            given = [given]
        if len(given) != len(model._input_names):
            raise ValueError(
                f"Model '{model.name}' has {len(model._input_names)} inputs, but clone_model "
                f"received {len(given)} input_tensors."
            )
        for t in given:
            if not is_symbolic(t):
                raise ValueError(f"input_tensors must be Input() tensors, received {t!r}.")
        inputs = list(given)

    new_layers = []
    for layer in old_layers:
        if isinstance(layer, InputLayer):
            new_layers.append(layer)
            continue
        new = clone_layer(layer)
        if call_function is not None:
            new = _Caller(call_function, new)
        new_layers.append(new)
    outs = _functional.run_plan(new_layers, model._plan, model._in_ids, model._out_ids, inputs)
    outputs = jax.tree.unflatten(model._out_def, outs)
    if model._input_keys is not None:
        structured = dict(zip(model._input_keys, inputs))
    elif model._nested_inputs:
        structured = list(inputs)
    else:
        structured = inputs[0]
    clone = Model(structured, outputs, name=model.name)
    clone.trainable = model.trainable
    return clone


class _Caller:
    def __init__(self, call_function, layer):
        self.call_function = call_function
        self.layer = layer

    def __call__(self, *args, **kwargs):
        return self.call_function(self.layer, *args, **kwargs)
