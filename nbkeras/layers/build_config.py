"""Keras's ``build_config``: the input shape a saved layer was built with, and rebuilding.

A ``.keras`` file stores ``{"input_shape": [None, 8]}`` next to each built layer's config;
loading builds the layer with it before its weights are read.
:meth:`Layer.get_build_config` and :meth:`Layer.build_from_config` call these functions.

Example:
    >>> from nbkeras import layers
    >>> dense = layers.Dense(2)
    >>> _ = dense(np.zeros((4, 3), "float32"))
    >>> dense.get_build_config()
    {'input_shape': [None, 3]}
    >>> fresh = layers.Dense(2)
    >>> fresh.build_from_config({"input_shape": [None, 3]})
    >>> fresh.kernel.shape
    (3, 2)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np  # noqa: F401  (used by the example)

from nbkeras import _weight_budget


def build_config_of(layer) -> dict | None:
    """Keras's ``{"input_shape": ...}`` for a built layer (batch size as None), else None."""
    from nbkeras.layers.base import _thaw, _with_batch_none

    if not getattr(layer, "built", False) or layer._build_shapes is None:
        return None
    shapes = _with_batch_none(_thaw(layer._build_shapes))
    return {"input_shape": _listify(shapes)}


def build_from_config(layer, build_config: dict | None) -> None:
    """Create ``layer``'s weights from a ``build_config`` (``{"input_shape": ...}``).

    Layers with their own ``build`` are built with the shape; others run once on zeros of
    that shape (their weights appear in ``call``). The shape is checked and its size is
    charged to the weight budget first, so a crafted file cannot ask for a huge input.

    Raises:
        ValueError: If the shape holds anything but non-negative integers and None.
    """
    from nbkeras.layers.base import Layer

    if layer.built or not build_config:
        return
    shape = build_config.get("input_shape")
    if shape is None:
        return
    shape = _tuplify(shape)
    if getattr(layer, "_functional", False):
        return
    if hasattr(layer, "_stack") or type(layer).build is not Layer.build:
        layer.build(shape)
        return
    for leaf in jax.tree.leaves(shape, is_leaf=lambda s: isinstance(s, tuple)):
        if not all(d is None or (isinstance(d, int) and d >= 0) for d in leaf):
            raise ValueError(
                f"Invalid build_config for layer '{layer.name}': input_shape {shape!r} must "
                "hold non-negative integers or None."
            )
        _weight_budget.charge([1 if d is None else d for d in leaf], "float32", layer.name,
                              "a build input")
    layer(_zeros(shape))


def _listify(shapes):
    if isinstance(shapes, dict):
        return {k: _listify(v) for k, v in shapes.items()}
    if isinstance(shapes, list) or (
        isinstance(shapes, tuple) and shapes and isinstance(shapes[0], tuple | list)
    ):
        return [_listify(s) for s in shapes]
    return None if shapes is None else list(shapes)


def _tuplify(shape):
    if isinstance(shape, dict):
        return {k: _tuplify(v) for k, v in shape.items()}
    if isinstance(shape, list) and shape and isinstance(shape[0], list | dict):
        return [_tuplify(s) for s in shape]
    return tuple(shape)


def _zeros(shape):
    if isinstance(shape, dict):
        return {k: _zeros(v) for k, v in shape.items()}
    if isinstance(shape, list):
        return [_zeros(s) for s in shape]
    return jnp.zeros(tuple(1 if d is None else d for d in shape), "float32")
