"""How a layer finds its weights and sublayers, and the build wrapper.

Keras orders weights by layer: own trainable weights in creation order, own
non-trainable ones, then each sublayer's in assignment order.  These helpers walk
attributes (including ``nnx.List``/``nnx.Dict`` containers) to recover that order.
"""

from __future__ import annotations

import functools
import inspect

import jax
from flax import nnx


def _wrap_build(build):
    """Keras's build wrapper: a direct ``layer.build(shape)`` also marks it built."""
    @functools.wraps(build)
    def wrapper(self, input_shape=None, *args, **kwargs):
        depth = _BUILD_DEPTH.get(id(self), 0)
        _BUILD_DEPTH[id(self)] = depth + 1
        try:
            with jax.ensure_compile_time_eval():
                out = build(self, input_shape, *args, **kwargs)
        finally:
            if depth:
                _BUILD_DEPTH[id(self)] = depth
            else:
                _BUILD_DEPTH.pop(id(self), None)
        if depth == 0:
            self.built = True
            if self._build_shapes is None and input_shape is not None:
                self._build_shapes = _freeze(
                    list(input_shape) if isinstance(input_shape, list) else input_shape
                )
            self._attach_pending()
        return out

    wrapper._nbk_wrapped = True
    return wrapper


_PENDING: dict[int, list] = {}
_BUILD_DEPTH: dict[int, int] = {}


def _pending_weights(layer, create: bool = True) -> list:
    if create:
        return _PENDING.setdefault(id(layer), [])
    return _PENDING.get(id(layer), [])


def _accepts(fn, arg: str) -> bool:
    cache = _ACCEPTS_CACHE.get(fn)
    if cache is None:
        params = inspect.signature(fn).parameters
        var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        cache = _ACCEPTS_CACHE[fn] = (frozenset(params), var_kw)
    names, var_kw = cache
    return arg in names


_ACCEPTS_CACHE: dict = {}


def _holds_module(value) -> bool:
    return any(True for _ in _modules_in(value))


def _wrap_containers(value):
    """Let Keras users assign plain lists/dicts of layers or weights to attributes.

    Empty lists and dicts are wrapped too, since Keras code often fills them later
    (``self.blocks = []`` then ``self.blocks.append(Dense(8))``).
    """
    if isinstance(value, list) and (
        not value or any(isinstance(v, (nnx.Module, nnx.Variable)) for v in value)
    ):
        return nnx.List(value)
    if isinstance(value, dict) and not isinstance(value, nnx.Dict):
        if not value or any(isinstance(v, (nnx.Module, nnx.Variable)) for v in value.values()):
            return nnx.Dict(value)
    if isinstance(value, tuple) and any(isinstance(v, (nnx.Module, nnx.Variable)) for v in value):
        return nnx.List(list(value))
    return value


def _items(value):
    """Elements of a layer attribute: the value itself, or a container's items."""
    if isinstance(value, (nnx.List, list, tuple)):
        return list(value)
    if isinstance(value, (nnx.Dict, dict)):
        return list(value.values())
    return [value]


def _variables_in(value):
    return (v for v in _items(value) if isinstance(v, nnx.Variable))


def _modules_in(value):
    return (v for v in _items(value) if isinstance(v, nnx.Module))


def _weights_of(module) -> list[nnx.Variable]:
    """Keras-ordered weights of a Layer; nnx-ordered Params then stats of a plain module."""
    if hasattr(module, "_own_weights"):  # an nbkeras Layer
        return module.weights
    params, stats = [], []
    for _, v in nnx.iter_graph(module):
        if isinstance(v, nnx.Param):
            params.append(v)
        elif isinstance(v, nnx.BatchStat):
            stats.append(v)
    return params + stats


def _freeze(shapes):
    if isinstance(shapes, list):
        return ("__list__", *(_freeze(s) for s in shapes))
    if isinstance(shapes, dict):
        return ("__dict__", *((k, _freeze(v)) for k, v in shapes.items()))
    return shapes


def _thaw(frozen):
    if isinstance(frozen, tuple) and frozen and frozen[0] == "__list__":
        return [_thaw(s) for s in frozen[1:]]
    if isinstance(frozen, tuple) and frozen and frozen[0] == "__dict__":
        return {k: _thaw(v) for k, v in frozen[1:]}
    return frozen


def _with_batch_none(shapes):
    if isinstance(shapes, list):
        return [_with_batch_none(s) for s in shapes]
    if isinstance(shapes, dict):
        return {k: _with_batch_none(v) for k, v in shapes.items()}
    if isinstance(shapes, tuple) and shapes:
        return (None, *shapes[1:])
    return shapes


def _describe_shapes(x) -> str:
    shapes = jax.tree.map(lambda a: tuple(a.shape) if hasattr(a, "shape") else None, x,
                          is_leaf=lambda a: hasattr(a, "shape"))
    return str(shapes)
