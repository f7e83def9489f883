"""``keras.tree``: utilities for nested structures (lists, tuples, dicts, namedtuples).

As in Keras, only Python containers are nodes; everything else, ``None`` included, is a
leaf (so a model or an array inside a structure is one leaf). Dict keys are visited in
sorted order. Implemented over ``jax.tree_util``.

Example:
    >>> from nbkeras import tree
    >>> tree.flatten({"b": [1, 2], "a": (3, None)})
    [3, None, 1, 2]
    >>> tree.map_structure(lambda v: v * 10, {"a": 1, "b": [2]})
    {'a': 10, 'b': [20]}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

__all__ = [
    "MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
    "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
    "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse",
]  # fmt: skip


class _MapToNone:
    """Return this from a :func:`traverse` function to put ``None`` in the result."""

    def __repr__(self) -> str:
        return "MAP_TO_NONE"


MAP_TO_NONE = _MapToNone()


def _is_leaf(x: Any) -> bool:
    return not isinstance(x, (list, tuple, dict))


def _treedef(structure: Any):
    return jax.tree_util.tree_structure(structure, is_leaf=_is_leaf)


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` is a list, tuple (namedtuple) or dict.

    Example:
        >>> is_nested([1]), is_nested(1), is_nested(None)
        (True, False, False)
    """
    return not _is_leaf(structure)


def flatten(structure: Any) -> list:
    """The leaves of ``structure`` in Keras's order (dict keys sorted)."""
    return jax.tree_util.tree_leaves(structure, is_leaf=_is_leaf)


def flatten_with_path(structure: Any) -> list[tuple[tuple, Any]]:
    """``(path, leaf)`` pairs; a path is the tuple of keys/indices leading to the leaf.

    Example:
        >>> flatten_with_path({"a": [5, 6]})
        [(('a', 0), 5), (('a', 1), 6)]
    """
    out: list[tuple[tuple, Any]] = []

    def walk(node: Any, path: tuple) -> None:
        if _is_leaf(node):
            out.append((path, node))
            return
        if isinstance(node, dict):
            keys = list(node) if _ordered(node) else sorted(node)
            for k in keys:
                walk(node[k], (*path, k))
        else:
            for i, v in enumerate(node):
                walk(v, (*path, i))

    walk(structure, ())
    return out


def _check_same(a: Any, b: Any, what: str = "structure") -> None:
    if _treedef(a) != _treedef(b):
        raise ValueError(
            f"The two structures don't have the same nested {what}.\n"
            f"First structure: {a!r}\nSecond structure: {b!r}"
        )


def assert_same_structure(a: Any, b: Any, check_types: Any = None) -> None:
    """Raise ValueError unless ``a`` and ``b`` nest the same way (same container types).

    ``check_types`` is accepted for compatibility (Keras deprecated it); types are checked.
    """
    _check_same(a, b)


def assert_same_paths(a: Any, b: Any) -> None:
    """Raise ValueError unless ``a`` and ``b`` have the same leaf paths (types may differ)."""
    pa = {p for p, _ in flatten_with_path(a)}
    pb = {p for p, _ in flatten_with_path(b)}
    if pa != pb:
        raise ValueError(
            "`a` and `b` don't have the same paths.\n"
            f"Paths in `a` but not `b`: {sorted(pa - pb, key=repr)}\n"
            f"Paths in `b` but not `a`: {sorted(pb - pa, key=repr)}"
        )


def pack_sequence_as(structure: Any, flat_sequence: Any, sequence_fn: Any = None) -> Any:
    """Fill ``structure``'s shape with the leaves of ``flat_sequence`` (in flatten order).

    Raises:
        ValueError: If the number of leaves differs.
    """
    treedef = _treedef(structure)
    flat = list(flat_sequence)
    if len(flat) != treedef.num_leaves:
        raise ValueError(
            f"The target structure has {treedef.num_leaves} leaves but flat_sequence has "
            f"{len(flat)} elements.\nStructure: {structure!r}"
        )
    return jax.tree_util.tree_unflatten(treedef, flat)


def map_structure(func: Callable, *structures: Any, none_is_leaf: bool = True) -> Any:
    """Apply ``func`` to the corresponding leaves of ``structures`` (same structure).

    Raises:
        ValueError: If the structures differ.
    """
    if not structures:
        raise ValueError("Must provide at least one structure.")
    for other in structures[1:]:
        _check_same(structures[0], other)
    return jax.tree_util.tree_map(func, *structures, is_leaf=_is_leaf)


def _is_shape(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and all(
        isinstance(d, int) or d is None for d in x
    )


def map_shape_structure(func: Callable, structure: Any) -> Any:
    """Like :func:`map_structure`, but tuples/lists of ints (shapes) are leaves.

    Example:
        >>> map_shape_structure(lambda s: (None, *s), {"x": (3, 4)})
        {'x': (None, 3, 4)}
    """
    return jax.tree_util.tree_map(
        func, structure, is_leaf=lambda x: _is_leaf(x) or _is_shape(x)
    )


def map_structure_up_to(shallow_structure: Any, func: Callable, *structures: Any) -> Any:
    """Apply ``func`` to the sub-structures of ``structures`` found at the leaves of
    ``shallow_structure``.

    Example:
        >>> map_structure_up_to([None, None], len, [[1, 2], [3]])
        [2, 1]
    """
    shallow = _treedef(shallow_structure)
    flats = []
    for s in structures:
        try:
            flats.append(shallow.flatten_up_to(s))
        except (ValueError, TypeError) as e:
            raise ValueError(
                f"The structure {s!r} does not start with shallow_structure "
                f"{shallow_structure!r}: {e}"
            ) from None
    return jax.tree_util.tree_unflatten(shallow, [func(*xs) for xs in zip(*flats)])


def lists_to_tuples(structure: Any) -> Any:
    """Convert every list in ``structure`` into a tuple.

    Example:
        >>> lists_to_tuples([1, {"a": [2]}])
        (1, {'a': (2,)})
    """
    if isinstance(structure, list):
        return tuple(lists_to_tuples(v) for v in structure)
    if isinstance(structure, dict):
        return type(structure)((k, lists_to_tuples(v)) for k, v in structure.items())
    if isinstance(structure, tuple):
        items = [lists_to_tuples(v) for v in structure]
        return type(structure)(*items) if hasattr(structure, "_fields") else tuple(items)
    return structure


def _rebuild(node: Any, children: list) -> Any:
    if isinstance(node, dict):
        keys = list(node) if _ordered(node) else sorted(node)
        mapped = dict(zip(keys, children))
        return type(node)((k, mapped[k]) for k in node)  # original key order
    if isinstance(node, tuple) and hasattr(node, "_fields"):
        return type(node)(*children)
    return type(node)(children)


def _ordered(node: dict) -> bool:
    from collections import OrderedDict

    return isinstance(node, OrderedDict)


def _children(node: Any) -> list:
    if isinstance(node, dict):
        keys = list(node) if _ordered(node) else sorted(node)
        return [node[k] for k in keys]
    return list(node)


def traverse(func: Callable, structure: Any, top_down: bool = True) -> Any:
    """Apply ``func`` to every node (containers and leaves) of ``structure``.

    Top-down: if ``func`` returns something other than None for a node, that value
    replaces the node and its children are not visited; ``MAP_TO_NONE`` puts None.
    Bottom-up: children first, then ``func`` on the rebuilt node (None keeps it).

    Example:
        >>> traverse(lambda x: x * 2 if isinstance(x, int) else None, [1, (2,)])
        [2, (4,)]
    """

    def fix(value: Any) -> Any:
        return None if value is MAP_TO_NONE else value

    def down(node: Any) -> Any:
        out = func(node)
        if out is not None:
            return fix(out)
        if _is_leaf(node):
            return node
        return _rebuild(node, [down(c) for c in _children(node)])

    def up(node: Any) -> Any:
        if not _is_leaf(node):
            node = _rebuild(node, [up(c) for c in _children(node)])
        out = func(node)
        return node if out is None else fix(out)

    return down(structure) if top_down else up(structure)
