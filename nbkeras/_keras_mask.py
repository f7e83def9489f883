"""Keras masks attached to arrays (``x._keras_mask``), also for JAX tracers.

Keras carries a sequence mask on the tensor itself.  A concrete ``jax.Array`` takes the
attribute; a tracer (inside ``jax.jit``) does not, so its mask goes into a side table
keyed by the tracer's identity and dropped when the tracer is garbage-collected.

Example:
    >>> import jax.numpy as jnp
    >>> x = jnp.ones((2, 3))
    >>> set_keras_mask(x, jnp.array([[True, True, False]] * 2))
    >>> get_keras_mask(x).shape
    (2, 3)
"""

from __future__ import annotations

import weakref
from typing import Any

import jax

_TABLE: dict[int, tuple[weakref.ref, Any]] = {}


def set_keras_mask(x, mask) -> None:
    """Attach ``mask`` to ``x`` (no-op for ``None`` masks or objects that cannot hold one)."""
    if mask is None or x is None:
        return
    try:
        x._keras_mask = mask
        return
    except (AttributeError, TypeError):
        pass
    key = id(x)

    def drop(ref, key=key, table=_TABLE):
        entry = table.get(key)
        if entry is not None and entry[0] is ref:
            del table[key]

    try:
        ref = weakref.ref(x, drop)
    except TypeError:
        return
    _TABLE[key] = (ref, mask)


def get_keras_mask(x):
    """The mask attached to ``x``, or ``None``."""
    if x is None:
        return None
    if not isinstance(x, jax.core.Tracer):
        mask = getattr(x, "_keras_mask", None)
        if mask is not None:
            return mask
    entry = _TABLE.get(id(x))
    if entry is not None and entry[0]() is x:
        return entry[1]
    return None


def masks_of(tree):
    """``get_keras_mask`` over a structure; ``None`` if no leaf carries a mask."""
    if isinstance(tree, (list, tuple)):
        masks = [get_keras_mask(t) for t in tree]
        return type(tree)(masks) if any(m is not None for m in masks) else None
    if isinstance(tree, dict):
        masks = {k: get_keras_mask(v) for k, v in tree.items()}
        return masks if any(m is not None for m in masks.values()) else None
    return get_keras_mask(tree)
