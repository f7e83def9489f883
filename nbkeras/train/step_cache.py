"""In-memory reuse of compiled steps across models of the same structure.

Re-running a notebook cell builds a new model of the same architecture: its layers get
new names (``dense_3`` instead of ``dense``) and new initializer objects, so its
``graphdef`` never equals the old one, and jit traces, lowers and compiles (or loads
from the persistent cache) every step again.  Here a :class:`~nbkeras.train.step.Steps`
is kept under a *structural key*: everything that can change what a step computes
(the graph definition with layer names renamed to their order of appearance, every
static attribute and variable metadata, the losses and metrics with their names, the
optimizer's type and configuration, the global settings read at trace time), but not
values that live in the state (weights, the float learning rate).  A later model with
an equal key reuses the jitted steps, and with them the executables jit already holds.

Only models, losses, metrics and optimizers made of library code (nbkeras, Flax, JAX,
optax, NumPy, the standard library) are shared: user code (a subclassed model, a custom
loss, a lambda) may read a global that changed since it was traced, so a model with any
of it gets its own steps.  Anything else the key cannot describe by value (an object
without ``__dict__``, a big array) is compared by identity.  A miss costs a compile; a
wrong hit would train the wrong model.

Example:
    >>> from nbkeras.train import step_cache
    >>> step_cache.set_enabled(False)  # every compile() builds its own steps
    >>> step_cache.set_enabled(True)
"""

from __future__ import annotations

import dataclasses
import enum
import re
import threading
import types
from collections import OrderedDict
from collections.abc import Mapping

import jax
import numpy as np

MAX_ENTRIES = 4
_MAX_ARRAY = 4096  # arrays up to this many elements are compared by value

_lock = threading.Lock()
_entries: OrderedDict = OrderedDict()
_enabled = [True]


def set_enabled(enabled: bool) -> None:
    """Turn the reuse of compiled steps across models on or off (on by default).

    Turning it off also forgets every kept step.
    """
    _enabled[0] = bool(enabled)
    if not enabled:
        clear()


def is_enabled() -> bool:
    """Whether models of the same structure share compiled steps."""
    return _enabled[0]


def clear() -> None:
    """Forget every kept step (their executables are freed with them)."""
    with _lock:
        _entries.clear()


def lookup(key):
    """The :class:`Steps` kept under ``key``, or None."""
    if key is None or not _enabled[0]:
        return None
    with _lock:
        steps = _entries.get(key)
        if steps is not None:
            _entries.move_to_end(key)
        return steps


def store(key, steps) -> None:
    """Keep ``steps`` under ``key`` (the least recently used entry goes beyond ``MAX_ENTRIES``)."""
    if key is None or not _enabled[0]:
        return
    with _lock:
        _entries[key] = steps
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


# ---------------------------------------------------------------------------- the key
class _Ident:
    """Compares by identity and keeps its object alive (so its id is never reused)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return isinstance(other, _Ident) and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)


# Engine bookkeeping on an optimizer that the traced step never reads as a constant.
_OPTIMIZER_SKIP = {"_iterations", "_lr_dirty", "name", "_state"}


def steps_key(model, graphdef, objectives, optimizer, trainable, y_example=None):
    """The structural key of a model's steps, or None when it must not be shared.

    Args:
        model: The built model (its layer names are renamed in the key).
        graphdef: ``nnx`` graph definition of the split model.
        objectives: The built :class:`~nbkeras.train.objectives.Objectives`.
        optimizer: The :class:`~nbkeras.optimizers.Optimizer`.
        trainable: The nnx filter selecting trainable variables.
        y_example: A batch of targets: a dict of them is matched to output names by
            value, so the steps are not shared.
    """
    if not _enabled[0] or isinstance(y_example, Mapping):
        return None
    if getattr(optimizer, "_wd_exclude", None) is not None:
        return None  # a regex over parameter paths: not invariant under renaming
    names = layer_names(model)
    opt = {k: v for k, v in vars(optimizer).items() if k not in _OPTIMIZER_SKIP}
    if not callable(opt.get("_learning_rate")):
        opt.pop("_learning_rate", None)  # a float learning rate lives in the state
    c = _Canon(names)
    outputs = list(objectives.output_names)
    try:
        return _key(c, graphdef, objectives, outputs, optimizer, opt, trainable)
    except _UserCode:
        return None


def _key(c, graphdef, objectives, outputs, optimizer, opt, trainable):
    _check_trusted(type(optimizer))
    return (
        c(graphdef),
        c(objectives),
        tuple(objectives.log_names()),  # the logs' keys, literally
        tuple(outputs) if len(outputs) > 1 else None,  # matched to y by name
        type(optimizer),
        c(opt),
        c(trainable),
        _settings(),
    )


def treedef_key(treedef, names: dict):
    """A state's tree structure with variable paths and orders renamed (see module doc)."""
    return _Canon(names)(treedef)


def layer_names(model) -> dict:
    """``{name: position}`` of every layer and input name of ``model``, in graph order."""
    from flax import nnx

    names: dict = {}
    for _, node in nnx.iter_graph(model):
        for attr in ("name", "_input_name"):
            value = getattr(node, attr, None) if isinstance(node, nnx.Module) else None
            if isinstance(value, str) and value not in names:
                names[value] = len(names)
    return names


def _settings() -> tuple:
    """Global settings that layers and losses may read while a step is traced."""
    from nbkeras import _settings as s

    out = [s.floatx(), s.epsilon(), s.image_data_format()]
    try:
        from nbkeras.mixed_precision import global_policy

        out.append(getattr(global_policy(), "name", repr(global_policy())))
    except ImportError:  # pragma: no cover (always present)
        pass
    out.append(s.is_flash_attention_enabled())
    from nbkeras.layers import lowering, matmul_lowering

    # How convolutions and narrow Dense gradients lower (conv_lowering("xla") etc.).
    out += [lowering._mode, lowering.AUTO_PATCHES, lowering.AUTO_TAP_GRADIENT,
            matmul_lowering.AUTO_NARROW_GRADIENT]
    return tuple(out)


_ATOMS = (type(None), bool, int, float, complex, bytes, type, enum.Enum, range,
          types.BuiltinFunctionType, types.FunctionType, np.dtype)


_TRUSTED = ("nbkeras", "flax", "jax", "jaxlib", "optax", "numpy", "ml_dtypes", "builtins",
            "collections", "re", "functools", "enum", "typing", "dataclasses", "math",
            "operator", "types", "abc", "_operator", "_functools", "_collections")


class _UserCode(Exception):
    """The object graph holds user code: its steps are not shared."""


def _check_trusted(obj) -> None:
    module = getattr(obj, "__module__", None) or ""
    if module.split(".")[0] not in _TRUSTED:
        raise _UserCode(module)


class _Canon:
    """A hashable value-description of an object graph, layer names renamed to
    ``("<name>", position)`` and variable paths to their renamed components."""

    def __init__(self, names: dict):
        from nbkeras.train.state import TrainingState

        self.names = names
        # The model's own training state (its ``_compiled`` attribute): engine state,
        # never read by a traced forward pass.
        self.opaque = (TrainingState,)
        self.seen: dict = {}  # id -> (position, object): kept alive, so ids stay unique

    def __call__(self, v):
        if isinstance(v, str):
            return self._str(v)
        if isinstance(v, _ATOMS):  # functions compare by identity
            if isinstance(v, (type, types.FunctionType)):
                _check_trusted(v)
            return v if _hashable(v) else _Ident(v)
        if isinstance(v, (np.ndarray, np.generic)):
            return _array(v)
        if isinstance(v, jax.Array):
            return _array(v) if v.size <= _MAX_ARRAY and not _is_tracer(v) else _Ident(v)
        if isinstance(v, jax.tree_util.PyTreeDef):
            return self._treedef(v)
        if isinstance(v, re.Pattern):
            return ("re", v.pattern, v.flags)
        if isinstance(v, self.opaque):
            return ("<engine>", type(v))
        _check_trusted(type(v))
        oid = id(v)
        if oid in self.seen:
            return ("ref", self.seen[oid][0])
        self.seen[oid] = (len(self.seen), v)
        if isinstance(v, (list, tuple)):
            return (type(v), tuple(self(x) for x in v))
        if isinstance(v, (set, frozenset)):
            return (type(v), frozenset(self(x) for x in v))
        if isinstance(v, Mapping):
            items = v.items()
            if "path" in v and "order" in v:  # nnx variable metadata: the weight order
                items = [(k, x) for k, x in items if k != "order"]  # is not computed on
            return (type(v), tuple((self(k), self(x)) for k, x in items))
        if isinstance(v, types.MethodType):
            return ("method", self(v.__self__), v.__func__)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return (type(v), tuple((f.name, self(getattr(v, f.name, None)))
                                   for f in dataclasses.fields(v)))
        d = getattr(v, "__dict__", None)
        if isinstance(d, dict) and not isinstance(v, types.ModuleType):
            slots = _slot_values(v)
            return (type(v), self(dict(d)), self(slots))
        slots = _slot_values(v)
        if slots:
            return (type(v), self(slots))
        return _Ident(v)

    def _str(self, s: str):
        if s in self.names:
            return ("<name>", self.names[s])
        if "/" in s:
            parts = s.split("/")
            if any(p in self.names for p in parts):
                return ("<path>", tuple(self._str(p) for p in parts))
        return s

    def _treedef(self, td):
        if td.num_nodes == 1 and td.num_leaves == 1:
            return "*"
        data = td.node_data()
        node_type, aux = (None, None) if data is None else data
        if node_type is not None:
            _check_trusted(node_type)
        if _is_metadata(aux):
            aux = tuple(p for p in aux if p[0] != "order")
        aux = self(aux)
        return ("td", node_type, aux, tuple(self._treedef(c) for c in td.children()))


def _is_metadata(aux) -> bool:
    """Variable metadata (a tuple of (key, value) pairs), whose ``order`` is dropped."""
    return isinstance(aux, tuple) and all(
        isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in aux) and any(
        p[0] == "order" for p in aux) and any(p[0] == "path" for p in aux)


def _slot_values(v) -> dict:
    out = {}
    for cls in type(v).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if name not in ("__dict__", "__weakref__") and hasattr(v, name):
                out[name] = getattr(v, name)
    return out


def _array(a):
    a = np.asarray(a)
    return ("array", a.dtype.str, a.shape, a.tobytes())


def _is_tracer(a) -> bool:
    return isinstance(a, jax.core.Tracer)


def _hashable(v) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True
