"""``get_config``/``from_config`` of models in Keras 3's format.

Sequential: ``{"name", "trainable", "dtype", "layers", "build_input_shape"}``.
Functional: ``{"name", "trainable", "layers", "input_layers", "output_layers"}`` where each
layer entry carries its ``inbound_nodes`` (call arguments with ``__keras_tensor__``
references ``[layer_name, node_index, tensor_index]``).  Subclassed models use their own
``get_config``; the base config is ``{"name", "trainable", "dtype"}``.
"""

from __future__ import annotations

import functools
import re

import jax

from nbkeras import _serialization
from nbkeras.layers.base import to_snake_case
from nbkeras.layers.input_layer import InputLayer
from nbkeras.layers.symbolic import OpLayer, is_symbolic
from nbkeras.models import functional as _functional


def model_config(model) -> dict:
    """Keras's config of ``model`` (Sequential, Functional or subclassed)."""
    from nbkeras.models.sequential import Sequential

    if isinstance(model, Sequential):
        return _sequential_config(model)
    if getattr(model, "_functional", False):
        return _functional_config(model)
    from nbkeras.layers.base import Layer

    return Layer.get_config(model)  # Keras's default: the constructor's plain arguments


def model_from_config(cls, config: dict, custom_objects: dict | None = None):
    """Inverse of :func:`model_config` (also reads configs written by Keras 3)."""
    from nbkeras.models.sequential import Sequential

    config = dict(config)
    if issubclass(cls, Sequential) and "layers" in config:
        return _sequential_from_config(cls, config, custom_objects)
    if "layers" in config and "output_layers" in config:
        return _functional_from_config(cls, config, custom_objects)
    from nbkeras.layers import auto_config

    config, later = auto_config.split_base_keys(cls, config)
    try:
        model = cls(**config)
    except TypeError as e:
        raise TypeError(
            f"Could not recreate the subclassed model {cls.__name__} from its config "
            f"{sorted(config)}: {e}. Override get_config() to return the constructor "
            "arguments and from_config(cls, config) to use them."
        ) from e
    if "name" in later:
        model.name = later["name"]
    if "trainable" in later:
        model.trainable = later["trainable"]
    return model


# ---------------------------------------------------------------------- Sequential
def _sequential_config(model) -> dict:
    layers = []
    if model._input_batch_shape is not None:
        layers.append(
            {
                "module": "keras.layers",
                "class_name": "InputLayer",
                "config": {
                    "batch_shape": list(model._input_batch_shape),
                    "dtype": model._input_dtype,
                    "sparse": False,
                    "ragged": False,
                    "name": "input_layer",
                    "optional": False,
                },
                "registered_name": None,
            }
        )
    layers += [_serialization.serialize_keras_object(layer) for layer in model.layers]
    config = {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": model.dtype,
        "layers": layers,
    }
    if model.built and model._input_batch_shape is not None:
        config["build_input_shape"] = list(model._input_batch_shape)
    return config


def _sequential_from_config(cls, config, custom_objects):
    layers = []
    for entry in config["layers"]:
        entry = {k: v for k, v in entry.items() if k != "build_config"}
        layers.append(_serialization.deserialize_keras_object(entry, custom_objects))
    model = cls(layers=layers, trainable=config.get("trainable", True), name=config.get("name"))
    shape = config.get("build_input_shape")
    if not model.built and shape is not None and len(model.layers):
        model.build(tuple(shape))
    return model


# ---------------------------------------------------------------------- Functional
def _is_functional_model(layer) -> bool:
    return getattr(layer, "_functional", False) and not hasattr(layer, "_stack")


def _functional_config(model) -> dict:
    layers = list(model._graph_layers)
    specs = _tensor_specs(model)
    history: dict[int, list] = {}
    for i, tid in enumerate(model._in_ids):
        history[tid] = [model._input_names[i], 0, 0]
    nodes_of: dict[int, list] = {i: [] for i in range(len(layers))}
    for step in model._plan:
        layer = layers[step.layer_index]
        node_index = len(nodes_of[step.layer_index]) + (1 if _is_functional_model(layer) else 0)
        for k, tid in enumerate(step.out_ids):
            history[tid] = [layer.name, node_index, k]
        nodes_of[step.layer_index].append(step)

    def tensor_config(ref):
        shape, dtype = specs.get(ref.tensor_id, (None, "float32"))
        return {
            "class_name": "__keras_tensor__",
            "config": {
                "shape": None if shape is None else list(shape),
                "dtype": dtype,
                "keras_history": history[ref.tensor_id],
            },
        }

    entries = []
    for i, layer in enumerate(layers):
        entry = _serialize_graph_layer(layer, model)
        entry["name"] = layer.name
        key = _getitem_key(layer) if isinstance(layer, OpLayer) else None
        entry["inbound_nodes"] = [_node_config(s, tensor_config, key) for s in nodes_of[i]]
        entries.append(entry)

    def io(ids, structure):
        tree = jax.tree.unflatten(structure, [history[t] for t in ids])
        if isinstance(tree, dict) and set(tree) == set(model._output_names):
            tree = {k: tree[k] for k in model._output_names}  # the user's key order
        return _to_lists(tree)

    if model._input_keys is not None:
        inputs = {k: history[t] for k, t in zip(model._input_keys, model._in_ids)}
    elif model._nested_inputs:
        inputs = [history[t] for t in model._in_ids]
    else:
        inputs = history[model._in_ids[0]]
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": entries,
        "input_layers": inputs,
        "output_layers": io(model._out_ids, model._out_def),
    }


def _to_lists(tree):
    if isinstance(tree, dict):
        return {k: _to_lists(v) for k, v in tree.items()}
    if isinstance(tree, tuple | list) and not (tree and isinstance(tree[0], str)):
        return [_to_lists(v) for v in tree]
    return list(tree)


def _node_config(step, tensor_config, getitem_key=None) -> dict:
    from nbkeras.models.functional import _Ref
    leaves = [tensor_config(x) if isinstance(x, _Ref) else x for x in step.args]
    args, kwargs = jax.tree.unflatten(step.kwargs[0], leaves)
    if getitem_key is not None:
        args = (*args, getitem_key)

    def ser(x):
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            return x
        if isinstance(x, list | tuple):
            return [ser(v) for v in x]
        if isinstance(x, dict):
            return {k: ser(v) for k, v in x.items()}
        return _serialization.serialize_keras_object(x)

    return {"args": ser(list(args)), "kwargs": ser(dict(kwargs))}


def _serialize_graph_layer(layer, model) -> dict:
    if isinstance(layer, OpLayer):
        return _op_config(layer, model)
    return _serialization.serialize_keras_object(layer)


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _op_config(layer, model) -> dict:
    fn = layer.fn
    extra = {}
    if isinstance(fn, functools.partial) and not fn.args:
        fn, extra = fn.func, dict(fn.keywords)
    module = getattr(fn, "__module__", "") or ""
    if module.startswith("nbkeras.ops"):
        sub = module.rsplit(".", 1)[-1]
        name = _camel(fn.__name__)
        return {
            "module": f"keras.src.ops.{sub}",
            "class_name": name,
            "config": {"name": layer.name, **extra},
            "registered_name": name,
        }
    if _getitem_key(layer) is not None:
        return {
            "module": "keras.src.ops.numpy",
            "class_name": "GetItem",
            "config": {"name": layer.name},
            "registered_name": "GetItem",
        }
    raise ValueError(
        f"Model '{model.name}' contains the operation '{layer.name}' ({fn!r}) applied to "
        "symbolic tensors, which cannot be saved in a config. Wrap it in a Lambda layer or "
        "a custom layer with get_config()."
    )


def _getitem_key(layer):
    fn = getattr(layer, "fn", None)
    code = getattr(fn, "__code__", None)
    named = layer.name.startswith("getitem") or getattr(layer, "_nbk_getitem", False)
    if code is None or "index" not in code.co_freevars or not named:
        return None
    return fn.__closure__[code.co_freevars.index("index")].cell_contents


def _tensor_specs(model) -> dict:
    """Tensor id -> (shape, dtype), recomputed from the symbolic graph when available."""
    from nbkeras.models.model import _SYMBOLIC_IO

    io = _SYMBOLIC_IO.get(model)
    if io is None:
        return {}
    inputs, outputs = io
    flat_in = list(inputs.values()) if isinstance(inputs, dict) else (
        list(inputs) if isinstance(inputs, list | tuple) else [inputs]
    )
    flat_out = jax.tree.leaves(outputs, is_leaf=is_symbolic)
    exec_nodes, _ = _functional.map_graph(flat_in, flat_out)
    ids: dict[int, int] = {}
    specs: dict[int, tuple] = {}

    def add(t):
        if id(t) not in ids:
            ids[id(t)] = len(ids)
            specs[ids[id(t)]] = (t.shape, t.dtype)

    for t in flat_in:
        add(t)
    for node in exec_nodes:
        if not node.is_input:
            for t in node.output_tensors:
                add(t)
    return specs


# ---------------------------------------------------------------------- Functional load
def _is_history(x) -> bool:
    return (
        isinstance(x, list | tuple)
        and len(x) == 3
        and isinstance(x[0], str)
        and isinstance(x[1], int)
        and isinstance(x[2], int)
    )


def _make_op_layer(entry: dict):
    from nbkeras import ops

    name = entry.get("config", {}).get("name") or entry.get("name")
    class_name = entry["class_name"]
    if class_name == "GetItem":
        layer = OpLayer(_getitem_fn(None), name=name if name.startswith("getitem") else None)
        layer._nbk_getitem = True
        return layer
    fn_name = to_snake_case(class_name)
    aliases = {"true_divide": "divide", "absolute": "abs", "mat_mul": "matmul"}
    fn = getattr(ops, aliases.get(fn_name, fn_name), None)
    if fn is None or not callable(fn):
        raise ValueError(
            f"The config uses the operation {class_name!r} ({entry.get('module')}), which "
            "nbkeras.ops does not provide."
        )
    fn = getattr(fn, "__wrapped__", fn)
    extra = {k: v for k, v in entry.get("config", {}).items() if k not in ("name", "trainable")}
    if extra:
        fn = functools.partial(fn, **extra)
    return OpLayer(fn, name=name)


def _getitem_fn(index):
    if isinstance(index, list):
        index = tuple(index)

    def getitem(x):
        return x[index]

    return getitem


def _functional_from_config(cls, config, custom_objects):
    from nbkeras.models.model import Model
    created: dict[str, object] = {}
    pending: dict[str, list] = {}
    order: list[str] = []
    tensors: dict[tuple, object] = {}
    for entry in config["layers"]:
        name = entry.get("name") or entry["config"]["name"]
        if re.match(r"keras(\.src)?\.ops\b|nbkeras\.ops\b", entry.get("module") or ""):
            layer = _make_op_layer(entry)
        else:
            clean = {k: v for k, v in entry.items() if k not in ("build_config", "inbound_nodes")}
            layer = _serialization.deserialize_keras_object(clean, custom_objects)
        created[name] = layer
        order.append(name)
        if isinstance(layer, InputLayer):
            tensors[(name, 0, 0)] = layer.output
        pending[name] = list(entry.get("inbound_nodes") or [])

    done = {name: 0 for name in order}

    def resolve(x):
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            key = tuple(x["config"]["keras_history"])
            if key not in tensors:
                raise KeyError(key)
            return tensors[key]
        if isinstance(x, list):
            return [resolve(v) for v in x]
        if isinstance(x, dict) and not ("class_name" in x and "config" in x):
            return {k: resolve(v) for k, v in x.items()}
        return _serialization.deserialize_keras_object(x, custom_objects)

    progress = True
    while progress and any(pending.values()):
        progress = False
        for name in order:
            layer = created[name]
            while pending[name]:
                node = pending[name][0]
                try:
                    args = resolve(node.get("args", []) if isinstance(node, dict) else node)
                    kwargs = resolve(node.get("kwargs", {}) if isinstance(node, dict) else {})
                except KeyError:
                    break
                if kwargs.get("mask", 0) is None:
                    kwargs.pop("mask")
                if getattr(layer, "_nbk_getitem", False) and len(args) == 2:
                    layer.fn = _getitem_fn(args[1])
                    args = args[:1]
                out = layer(*args, **kwargs)
                index = done[name] + (1 if _is_functional_model(layer) else 0)
                for k, t in enumerate(jax.tree.leaves(out, is_leaf=is_symbolic)):
                    tensors[(name, index, k)] = t
                done[name] += 1
                pending[name].pop(0)
                progress = True
    stuck = [n for n in order if pending[n]]
    if stuck:
        raise ValueError(
            f"Invalid Functional model config: the inputs of layer(s) {stuck} are never "
            "produced by other layers. The config may be corrupt or truncated."
        )

    def lookup(spec):
        if _is_history(spec):
            key = tuple(spec)
            if key not in tensors:
                raise ValueError(
                    f"Invalid Functional model config: no tensor {list(key)} in the graph."
                )
            return tensors[key]
        if isinstance(spec, dict):
            return {k: lookup(v) for k, v in spec.items()}
        return [lookup(v) for v in spec]

    inputs = lookup(config["input_layers"])
    outputs = lookup(config["output_layers"])
    name = config.get("name")
    if cls is Model or not _overrides_init(cls):
        model = cls(inputs=inputs, outputs=outputs, name=name)
    else:
        model = Model(inputs=inputs, outputs=outputs, name=name)
    if config.get("trainable") is False:
        model.trainable = False
    return model


def _overrides_init(cls) -> bool:
    from nbkeras.models.model import Model

    return any("__init__" in k.__dict__ for k in cls.__mro__ if k not in (Model,) and
               issubclass(k, Model))
