"""Core ops: conversion, shape queries and control flow (``keras.ops`` core)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from nbkeras.ops import symbolic_op

__all__ = [
    "cast", "cond", "convert_to_numpy", "convert_to_tensor", "dtype", "fori_loop",
    "is_tensor", "map", "ndim", "scan", "shape", "slice", "slice_update",
    "stop_gradient", "vectorized_map", "while_loop",
]  # fmt: skip


def convert_to_tensor(
    x: Any, dtype: Any = None, sparse: bool | None = None, ragged: bool | None = None
) -> jax.Array:
    """Convert ``x`` to a JAX array (Python floats become float32).

    Example:
        >>> convert_to_tensor([1, 2], dtype="float32").tolist()
        [1.0, 2.0]
    """
    if sparse or ragged:
        raise ValueError("nbkeras does not support sparse or ragged tensors; pass dense data.")
    return jnp.asarray(x, dtype=dtype)


def convert_to_numpy(x: Any) -> np.ndarray:
    """Return ``x`` as a NumPy array.

    Example:
        >>> convert_to_numpy(jnp.ones(2)).tolist()
        [1.0, 1.0]
    """
    return np.asarray(x)


def cast(x: Any, dtype: Any) -> jax.Array:
    """Cast ``x`` to ``dtype``.

    Example:
        >>> cast(jnp.array([1.7]), "int32").tolist()
        [1]
    """
    return jnp.asarray(x).astype(dtype)


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a JAX array (or tracer).

    Example:
        >>> is_tensor(jnp.ones(1)), is_tensor([1])
        (True, False)
    """
    return isinstance(x, jax.Array)


def shape(x: Any) -> tuple:
    """Static shape of ``x`` as a tuple (works on symbolic tensors too).

    Example:
        >>> shape(jnp.ones((2, 3)))
        (2, 3)
    """
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def ndim(x: Any) -> int:
    """Rank of ``x``.

    Example:
        >>> ndim(jnp.ones((2, 3)))
        2
    """
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def dtype(x: Any) -> str:
    """The dtype name of ``x``.

    Example:
        >>> dtype(jnp.ones(1))
        'float32'
    """
    return str(jnp.dtype(x.dtype)) if hasattr(x, "dtype") else str(jnp.asarray(x).dtype)


def stop_gradient(variable: Any) -> jax.Array:
    """Block gradients through ``variable``.

    Example:
        >>> float(jax.grad(lambda v: stop_gradient(v) * v)(3.0))
        3.0
    """
    return jax.lax.stop_gradient(variable)


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``, traceable (``lax.cond``).

    Example:
        >>> int(cond(True, lambda: 1, lambda: 2))
        1
    """
    return jax.lax.cond(pred, true_fn, false_fn)


def fori_loop(lower: int, upper: int, body_fun: Callable[[Any, Any], Any], init_val: Any) -> Any:
    """Run ``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``.

    Example:
        >>> int(fori_loop(0, 4, lambda i, v: v + i, 0))
        6
    """
    return jax.lax.fori_loop(lower, upper, body_fun, init_val)


def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    maximum_iterations: int | None = None,
) -> Any:
    """Keras's ``while_loop``: ``cond``/``body`` take the loop variables unpacked.

    Example:
        >>> int(while_loop(lambda i: i < 5, lambda i: i + 1, 0))
        5
    """
    is_tuple = isinstance(loop_vars, (tuple, list))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)

    def _wrap(out: Any) -> tuple:
        return tuple(out) if is_tuple else (out,)

    if maximum_iterations is not None:

        def _cond(args):
            return jnp.logical_and(cond(*args[:-1]), args[-1] < maximum_iterations)

        def _body(args):
            return _wrap(body(*args[:-1])) + (args[-1] + 1,)

        out = jax.lax.while_loop(_cond, _body, state + (0,))[:-1]
    else:
        out = jax.lax.while_loop(lambda a: cond(*a), lambda a: _wrap(body(*a)), state)
    return out if is_tuple else out[0]


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """``lax.scan``: returns ``(final_carry, stacked_outputs)``.

    Example:
        >>> carry, ys = scan(lambda c, x: (c + x, c), 0, jnp.arange(3))
        >>> int(carry), ys.tolist()
        (3, [0, 0, 1])
    """
    return jax.lax.scan(f, init, xs=xs, length=length, reverse=reverse, unroll=unroll)


def map(f: Callable[[Any], Any], xs: Any) -> Any:
    """Apply ``f`` to each slice of ``xs`` along axis 0 (``lax.map``).

    Example:
        >>> map(lambda x: x * 2, jnp.arange(3)).tolist()
        [0, 2, 4]
    """
    return jax.lax.map(f, xs)


def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """Apply ``function`` to each element along axis 0, vectorised (``jax.vmap``).

    Example:
        >>> vectorized_map(lambda x: x.sum(), jnp.ones((2, 3))).tolist()
        [3.0, 3.0]
    """
    return jax.vmap(function)(elements)


def slice(inputs: Any, start_indices: Sequence[Any], shape: Sequence[int]) -> jax.Array:
    """Take a static-size slice starting at (possibly traced) ``start_indices``.

    Example:
        >>> slice(jnp.arange(5), (1,), (2,)).tolist()
        [1, 2]
    """
    return jax.lax.dynamic_slice(jnp.asarray(inputs), tuple(start_indices), tuple(shape))


def slice_update(inputs: Any, start_indices: Sequence[Any], updates: Any) -> jax.Array:
    """Write ``updates`` into ``inputs`` at ``start_indices``.

    Example:
        >>> slice_update(jnp.zeros(3), (1,), jnp.ones(1)).tolist()
        [0.0, 1.0, 0.0]
    """
    return jax.lax.dynamic_update_slice(
        jnp.asarray(inputs), jnp.asarray(updates), tuple(start_indices)
    )


# Shape queries stay undecorated so they work directly on symbolic tensors.
for _name in __all__:
    if _name not in ("shape", "ndim", "dtype", "is_tensor", "convert_to_numpy"):
        globals()[_name] = symbolic_op(globals()[_name])
del _name
