"""The one jitted predict step of a model, compiled or not.

``predict``/``predict_on_batch`` of any model go through :func:`predict_step`: one
``jax.jit`` per model graph (cached per model, so repeated calls do not recompile),
fed with the running fit's device variables when called from a callback.
"""

from __future__ import annotations

import weakref

import jax
from flax import nnx

from nbkeras import variables as _vars

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Entry:
    __slots__ = ("graphdef", "fn", "traces")

    def __init__(self, graphdef):
        self.graphdef = graphdef
        self.traces = 0

        def run(params, rest, x):
            self.traces += 1  # runs at trace time only
            return nnx.merge(graphdef, params, rest)(x, training=False)

        self.fn = jax.jit(run)


def predict_step(model, variables=None):
    """``(fn, params, rest)`` with ``fn(params, rest, x) -> outputs`` jitted.

    Args:
        model: A built model.
        variables: ``(params, rest)`` to use instead of the model's own (a running fit's
            device state).
    """
    if variables is None:
        graphdef, params, rest = nnx.split(model, _vars.is_trainable, ...)
    else:
        graphdef = nnx.graphdef(model)
        params, rest = variables
    entry = _CACHE.get(model)
    if entry is None or entry.graphdef != graphdef:
        old = 0 if entry is None else entry.traces
        entry = _Entry(graphdef)
        entry.traces = old
        _CACHE[model] = entry
    return entry.fn, params, rest


def trace_count(model) -> int:
    """How many times ``model``'s predict step was traced."""
    entry = _CACHE.get(model)
    return 0 if entry is None else entry.traces
