"""Weights in Keras 3's HDF5 layout (``.weights.h5`` and ``model.weights.h5`` in ``.keras``).

Keras addresses weights by structure, not by name: a model's layers live under
``layers/<snake_case class name>[_n]`` (numbered per container), a layer's own weights
under ``<path>/vars/0``, ``/1``... (trainable first), its sublayers under
``<path>/<attribute name>``, and the optimizer under ``optimizer/vars``.  This module
walks an nbkeras model the same way, so files move between Keras and nbkeras.
"""

from __future__ import annotations

import warnings

import h5py
import numpy as np
from flax import nnx

from nbkeras.layers.base import Layer, _weights_of, to_snake_case


# ---------------------------------------------------------------------- the walk
def _name_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name


def _is_plain_module(obj) -> bool:
    return isinstance(obj, nnx.Module) and not isinstance(obj, Layer)


def _own_weights(layer) -> list:
    if _is_plain_module(layer):
        return _weights_of(layer)
    own = layer._own_weights()
    trainable = [w for w in own if w.get_metadata().get("created_trainable", True)]
    return trainable + [w for w in own if not w.get_metadata().get("created_trainable", True)]


def _children(layer):
    """(attribute name, child) pairs in Keras's order: graph layers, then sorted attributes."""
    from nbkeras.layers.symbolic import OpLayer

    if _is_plain_module(layer):
        return []
    internal = {"_stack", "_graph_layers"}
    out = []
    is_graph = hasattr(layer, "_stack") or getattr(layer, "_functional", False)
    if is_graph:
        out.append(("layers", [la for la in layer.layers if not isinstance(la, OpLayer)]))
    attrs = [a for a in layer._sublayer_attrs if a not in internal]
    is_subclassed_model = hasattr(layer, "_box") and not is_graph
    if is_subclassed_model:
        attrs.append("layers")
    for attr in sorted(set(attrs), key=_name_key):
        if attr == "layers" and is_subclassed_model:
            out.append(("layers", list(layer._sublayers())))
        else:
            out.append((attr, getattr(layer, attr, None)))
    return out


def walk(model):
    """Yield ``(path, layer, own_weights)`` for every layer, in Keras's order and naming."""
    visited: set[int] = set()

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        yield path, obj, _own_weights(obj)
        for attr, child in _children(obj):
            child_path = f"{path}/{attr}" if path else attr
            if isinstance(child, list | tuple | dict | nnx.List | nnx.Dict):
                yield from visit_container(child, child_path)
            elif isinstance(child, nnx.Module):
                yield from visit(child, child_path)

    def visit_container(container, path):
        used: dict[str, int] = {}
        values = container.values() if isinstance(container, dict | nnx.Dict) else container
        for item in values:
            if isinstance(item, nnx.Module):
                base = _keras_class_key(item)
                if base in used:
                    used[base] += 1
                    name = f"{base}_{used[base]}"
                else:
                    used[base] = 0
                    name = base
                yield from visit(item, f"{path}/{name}")

    yield from visit(model, "")


def _keras_class_key(obj) -> str:
    if type(obj).__name__ == "Model" and getattr(obj, "_functional", False):
        return "functional"  # Keras's class of Model(inputs, outputs)
    return to_snake_case(type(obj).__name__)


def _vars_path(path: str) -> str:
    return f"{path}/vars" if path else "vars"


#: Variables that are not Keras weights (e.g. Dropout's RNG state), stored so that a
#: resumed run draws the same random numbers. Keras ignores this group.
EXTRA_GROUP = "nbkeras_state"


def _extra_state(model) -> dict:
    """Non-weight nnx variables of ``model`` keyed by their nnx path ("_stack.2.seed_state")."""
    weights = {id(w) for _, _, ws in walk(model) for w in ws}
    out = {}
    for path, node in nnx.iter_graph(model):
        if isinstance(node, nnx.Variable) and id(node) not in weights:
            value = node.get_value()
            if hasattr(value, "shape") and hasattr(value, "dtype"):
                out[".".join(str(p) for p in path)] = node
    return out


# ---------------------------------------------------------------------- write
def write_model_weights(model, h5: h5py.File, include_optimizer: bool = True) -> None:
    """Write every layer's weights (and the optimizer state) into an open HDF5 file."""
    state = getattr(model, "training_state", None)
    if state is not None:
        state.sync_to_model()  # saving from a callback while fit runs: the latest values
    for path, layer, weights in walk(model):
        name = getattr(layer, "name", None)
        if not isinstance(name, str) and not weights:
            continue
        group = h5.create_group(_vars_path(path))
        if isinstance(name, str):
            group.attrs["name"] = name
        for i, w in enumerate(weights):
            _write_array(group, str(i), _to_host(w.get_value()))
    extra = _extra_state(model)
    if extra:
        group = h5.create_group(EXTRA_GROUP)
        for key, var in extra.items():
            _write_array(group, key, _to_host(var.get_value()))
    if include_optimizer:
        from nbkeras.saving import optimizer_state

        values = optimizer_state.optimizer_variables(model)
        if values is not None:
            group = h5.create_group("optimizer/vars")
            group.attrs["name"] = model.optimizer.name
            for i, v in enumerate(values):
                _write_array(group, str(i), np.asarray(v))


def _to_host(value) -> np.ndarray:
    """A NumPy copy, gathered first if the array is split over several processes."""
    from nbkeras.distribution.process import gather_to_host

    return gather_to_host(value)


def _write_array(group, key, value):
    if value.dtype.name == "bfloat16":
        ds = group.create_dataset(key, data=value.view(np.uint16))
        ds.attrs["dtype"] = "bfloat16"
    else:
        group[key] = value


def _read_array(ds) -> np.ndarray:
    value = np.asarray(ds)
    if ds.attrs.get("dtype") == "bfloat16":
        import ml_dtypes

        value = value.view(ml_dtypes.bfloat16)
    return value


# ---------------------------------------------------------------------- read
#: Most HDF5 objects (groups + datasets) a weights file may hold; a model with a million
#: layers does not exist, a crafted file with that many groups only costs time.
MAX_OBJECTS = 200_000
_NUMERIC_KINDS = "biuf"


def check_plain_file(h5, filepath: str) -> None:
    """Refuse anything in an HDF5 file that could read data from outside it.

    Only hard-linked groups and datasets with numeric data stored inside the file are
    accepted. External links, soft links, datasets with external raw storage and virtual
    datasets (which map other files into the dataset) are refused with a ValueError
    naming the object, before any data is read.

    Raises:
        ValueError: For a link, external or virtual dataset, non-numeric dataset, or a file
            with more than ``MAX_OBJECTS`` objects.
    """
    fix = (
        "nbkeras reads only plain datasets stored inside a weights file, because links, "
        "external storage and virtual datasets can pull in other files from this computer. "
        "Keras and nbkeras never write them; re-save the weights from a trusted copy of the "
        "model with model.save_weights(path)."
    )
    stack = [("", h5)]
    seen: set = set()
    count = 0
    while stack:
        path, group = stack.pop()
        for key in group.keys():
            full = f"{path}/{key}"
            link = group.get(key, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                raise ValueError(
                    f"'{filepath}' contains an external link at '{full}' that points to "
                    f"'{link.path}' in the file '{link.filename}'. {fix}"
                )
            if isinstance(link, h5py.SoftLink):
                raise ValueError(
                    f"'{filepath}' contains a soft link at '{full}' (to '{link.path}'). {fix}"
                )
            obj = group[key]
            count += 1
            if count > MAX_OBJECTS:
                raise ValueError(
                    f"'{filepath}' holds more than {MAX_OBJECTS} HDF5 objects, far more than a "
                    "weights file needs; it is not a weights file written by save_weights."
                )
            if isinstance(obj, h5py.Group):
                ident = h5py.h5o.get_info(obj.id).addr  # hard links may form cycles
                if ident not in seen:
                    seen.add(ident)
                    stack.append((full, obj))
            elif isinstance(obj, h5py.Dataset):
                _check_dataset(obj, full, filepath, fix)


def _check_dataset(ds, path: str, filepath: str, fix: str) -> None:
    if ds.is_virtual:
        sources = sorted({m.file_name for m in ds.virtual_sources()})[:3]
        raise ValueError(
            f"'{filepath}' contains a virtual dataset at '{path}' that maps data from "
            f"{sources}. {fix}"
        )
    if ds.external:
        files = sorted({str(e[0]) for e in ds.external})[:3]
        raise ValueError(
            f"'{filepath}' contains the dataset '{path}' whose data is stored in the "
            f"external file(s) {files}. {fix}"
        )
    if ds.dtype.kind not in _NUMERIC_KINDS:
        raise ValueError(
            f"'{filepath}' contains the dataset '{path}' of type {ds.dtype}, expected numbers "
            "(weights are stored as int, uint, bool or float arrays). The file is corrupt or "
            "was not written by save_weights."
        )


def check_weights_file(h5: h5py.File, filepath: str) -> None:
    """Raise a ValueError if the HDF5 file does not have Keras 3's weights layout."""
    if isinstance(h5, h5py.File):
        check_plain_file(h5, filepath)
    keys = list(h5.keys())
    if "layers" in keys or "vars" in keys or "_layer_checkpoint_dependencies" in keys:
        return
    if "layer_names" in h5.attrs or "model_weights" in keys:
        raise ValueError(
            f"'{filepath}' is a legacy Keras 2 HDF5 weights file (keys {keys}). nbkeras reads "
            "Keras 3 '.weights.h5' files only; re-save it with Keras 3 "
            "(model.save_weights('model.weights.h5'))."
        )
    raise ValueError(
        f"'{filepath}' is an HDF5 file but not a Keras weights file: expected top-level "
        f"groups 'layers' and/or 'vars' (written by save_weights), found {keys}."
    )


def read_model_weights(model, h5: h5py.File, filepath: str, skip_mismatch: bool = False,
                       load_optimizer: bool = True) -> None:
    """Assign the weights stored in ``h5`` to ``model`` (all checked before any is set)."""
    check_weights_file(h5, filepath)
    assignments = []
    for path, layer, weights in walk(model):
        vpath = _vars_path(path)
        group = _get_group(h5, vpath)
        stored = [] if group is None else _sorted_keys(group)
        label = _describe(layer)
        if len(stored) != len(weights):
            msg = (
                f"Layer {label} expects {len(weights)} weight(s), but '{filepath}' has "
                f"{len(stored)} at '{vpath}'. The file was saved from a different "
                f"architecture (file layers: {_file_layers(h5)})."
            )
            if skip_mismatch:
                warnings.warn(msg + " Skipping this layer (skip_mismatch=True).", stacklevel=3)
                continue
            raise ValueError(msg + " Pass skip_mismatch=True to skip such layers.")
        pairs = []
        for key, w in zip(stored, weights):
            ds = _get_dataset(group, key, f"{vpath}/{key}", filepath)
            if tuple(ds.shape) != tuple(w.shape):  # checked before reading: bounded memory
                msg = (
                    f"Layer {label} weight '{w.get_metadata().get('path', key)}' has shape "
                    f"{tuple(w.shape)}, but '{filepath}' stores shape {tuple(ds.shape)} "
                    f"at '{vpath}/{key}'."
                )
                if skip_mismatch:
                    warnings.warn(msg + " Skipping this layer (skip_mismatch=True).",
                                  stacklevel=3)
                    pairs = None
                    break
                raise ValueError(msg + " Pass skip_mismatch=True to skip such layers.")
            pairs.append((w, _read_array(ds)))
        if pairs:
            assignments.extend(pairs)
    import jax.numpy as jnp

    for w, value in assignments:
        w.set_value(jnp.asarray(value, dtype=w.get_value().dtype))
    group = _get_group(h5, EXTRA_GROUP)
    if group is not None:
        for key, var in _extra_state(model).items():
            ds = group.get(key)
            if isinstance(ds, h5py.Dataset) and tuple(ds.shape) == tuple(
                np.shape(var.get_value())
            ):
                var.set_value(jnp.asarray(_read_array(group[key]), dtype=var.get_value().dtype))
    if load_optimizer:
        group = _get_group(h5, "optimizer/vars")
        if group is not None:
            from nbkeras.saving import optimizer_state

            values = [
                _LazyArray(_get_dataset(group, k, f"optimizer/vars/{k}", filepath))
                for k in _sorted_keys(group)
            ]
            optimizer_state.restore_optimizer_variables(model, values, filepath)


class _LazyArray:
    """A stored array read only when converted: its shape can be checked first."""

    def __init__(self, ds):
        self.ds = ds
        self.shape = tuple(ds.shape)

    def __array__(self, dtype=None, copy=None):
        value = _read_array(self.ds)
        return value if dtype is None else value.astype(dtype)


def _get_dataset(group, key: str, path: str, filepath: str):
    obj = group.get(key)
    if not isinstance(obj, h5py.Dataset):
        raise ValueError(
            f"'{filepath}' is corrupt: '{path}' should be a dataset of weights, found "
            f"{type(obj).__name__}."
        )
    return obj


def _get_group(h5, path):
    try:
        obj = h5.get(path)
    except (KeyError, ValueError):
        return None
    return obj if isinstance(obj, h5py.Group) else None


def _sorted_keys(group) -> list[str]:
    keys = list(group.keys())
    try:
        return sorted(keys, key=int)
    except ValueError:
        return keys


def _describe(layer) -> str:
    name = getattr(layer, "name", None)
    return f"'{name}' ({type(layer).__name__})" if isinstance(name, str) else type(layer).__name__


def _file_layers(h5) -> list[str]:
    out = []

    def visit(name, obj):
        if isinstance(obj, h5py.Group) and name.endswith("/vars") and len(obj):
            out.append(name[: -len("/vars")])

    h5.visititems(visit)
    return out[:20]
