"""More core ops (``keras.ops``): scatter, switch, unstack, associative scans, custom
gradients, saturating casts, complex views and einops-style ``rearrange``.

Example:
    >>> from nbkeras import ops
    >>> ops.scatter(jnp.array([[1], [3]]), jnp.array([5.0, 7.0]), (4,)).tolist()
    [0.0, 5.0, 0.0, 7.0]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from nbkeras.ops import symbolic_op

__all__ = [
    "associative_scan", "custom_gradient", "rearrange", "saturate_cast", "scatter",
    "scatter_update", "switch", "unstack", "view_as_complex", "view_as_real",
]  # fmt: skip


def associative_scan(f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False,
                     axis: int = 0) -> Any:
    """Parallel prefix scan with an associative ``f`` (``lax.associative_scan``).

    Example:
        >>> associative_scan(jnp.add, jnp.arange(4.0)).tolist()
        [0.0, 1.0, 3.0, 6.0]
    """
    return jax.lax.associative_scan(f, elems, reverse=reverse, axis=axis)


def scatter(indices: Any, values: Any, shape: Sequence[int]) -> jax.Array:
    """Zeros of ``shape`` with ``values`` added at ``indices`` (``(..., rank)`` ints)."""
    values = jnp.asarray(values)
    indices = jnp.asarray(indices)
    key = tuple(jnp.moveaxis(indices, -1, 0))
    return jnp.zeros(shape, values.dtype).at[key].add(values)


_REDUCTIONS = {"add": "add", "max": "max", "min": "min", "mul": "multiply"}


def scatter_update(inputs: Any, indices: Any, updates: Any, reduction: str | None = None):
    """``inputs`` with ``updates`` written (or reduced: add/max/min/mul) at ``indices``.

    Raises:
        ValueError: For an unknown ``reduction``.

    Example:
        >>> scatter_update(jnp.zeros(3), [[1]], jnp.array([2.0])).tolist()
        [0.0, 2.0, 0.0]
    """
    inputs = jnp.asarray(inputs)
    idx = tuple(jnp.transpose(jnp.asarray(indices)))
    if reduction is None:
        return inputs.at[idx].set(updates)
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"Unsupported reduction: {reduction!r}. Expected None or one of "
            f"{sorted(_REDUCTIONS)}."
        )
    return getattr(inputs.at[idx], _REDUCTIONS[reduction])(updates)


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """Call ``branches[index](*operands)``, traceable (``lax.switch``; index is clamped).

    Example:
        >>> float(switch(1, [lambda x: x + 1, lambda x: x * 10], 2.0))
        20.0
    """
    return jax.lax.switch(index, branches, *operands)


def unstack(x: Any, num: int | None = None, axis: int = 0) -> list[jax.Array]:
    """Split ``x`` into a list of slices along ``axis``.

    Example:
        >>> [v.tolist() for v in unstack(jnp.eye(2))]
        [[1.0, 0.0], [0.0, 1.0]]
    """
    x = jnp.asarray(x)
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"unstack: num={num} does not match dimension {x.shape[axis]} of "
                         f"axis {axis} (shape {x.shape}).")
    return [jax.lax.index_in_dim(x, i, axis, keepdims=False) for i in range(x.shape[axis])]


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: ``f`` returns ``(output, grad_fn)`` (``jax.custom_gradient``).

    Example:
        >>> @custom_gradient
        ... def clip_grad(x):
        ...     return x, lambda g: jnp.clip(g, -1.0, 1.0)
        >>> float(jax.grad(lambda x: 5.0 * clip_grad(x))(1.0))
        1.0
    """
    wrapped = jax.custom_gradient(fun=f)

    def call(*args: Any, **kwargs: Any) -> Any:
        args, kwargs = jax.tree.map(
            lambda v: v.value if hasattr(v, "get_value") else v, (args, kwargs),
            is_leaf=lambda v: hasattr(v, "get_value"),
        )
        return wrapped(*args, **kwargs)

    return call


def saturate_cast(x: Any, dtype: Any) -> jax.Array:
    """Cast, clipping to the range of ``dtype`` first (no integer wrap-around).

    Example:
        >>> saturate_cast(jnp.array([-1.0, 300.0]), "uint8").tolist()
        [0, 255]
    """
    x = jnp.asarray(x)
    dtype = jnp.dtype(dtype)
    info = jnp.iinfo if jnp.issubdtype(dtype, jnp.integer) else jnp.finfo
    if jnp.issubdtype(dtype, jnp.bool_):
        return x.astype(dtype)
    src = (jnp.iinfo if jnp.issubdtype(x.dtype, jnp.integer) else jnp.finfo)(x.dtype) \
        if not jnp.issubdtype(x.dtype, jnp.bool_) else None
    lo, hi = info(dtype).min, info(dtype).max
    if src is not None:
        lo, hi = max(lo, src.min), min(hi, src.max)
    return jnp.clip(x, lo, hi).astype(dtype)


def view_as_complex(x: Any) -> jax.Array:
    """A complex array from a real array whose last axis is ``(real, imag)``.

    Raises:
        ValueError: If the last dimension is not 2.
    """
    x = jnp.asarray(x)
    if x.shape[-1] != 2:
        raise ValueError(f"Last dimension of input must be size 2 (real, imag). Received "
                         f"shape {x.shape}.")
    return jax.lax.complex(x[..., 0], x[..., 1])


def view_as_real(x: Any) -> jax.Array:
    """A real array with a last axis ``(real, imag)`` from a complex one."""
    x = jnp.asarray(x)
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)


_TOKEN = re.compile(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|1")


def _parse(side: str) -> list[list[str]]:
    groups: list[list[str]] = []
    current: list[str] | None = None
    for tok in _TOKEN.findall(side):
        if tok == "(":
            current = []
        elif tok == ")":
            groups.append(current or [])
            current = None
        elif current is not None:
            current.append(tok)
        else:
            groups.append([tok])
    return groups


def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> jax.Array:
    """Reorder/merge/split axes with an einops pattern such as ``"b (h w) c -> b h w c"``.

    Raises:
        ValueError: For a malformed pattern or axes that do not match the shape.

    Example:
        >>> rearrange(jnp.zeros((2, 6, 3)), "b (h w) c -> b c h w", h=2).shape
        (2, 3, 2, 3)
    """
    x = jnp.asarray(tensor)
    if "->" not in pattern:
        raise ValueError(f"rearrange pattern must contain '->', received {pattern!r}.")
    left, right = (_parse(s) for s in pattern.split("->"))
    if len(left) != x.ndim:
        raise ValueError(
            f"rearrange: pattern {pattern!r} describes {len(left)} input axes but the "
            f"tensor has shape {x.shape}."
        )
    sizes = dict(axes_lengths)
    for group, dim in zip(left, x.shape):
        names = [n for n in group if n != "1"]
        unknown = [n for n in names if n not in sizes]
        known = 1
        for n in names:
            known *= sizes.get(n, 1)
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot infer sizes of {unknown} in {pattern!r}; "
                             "pass them as keyword arguments.")
        if unknown:
            sizes[unknown[0]] = dim // known
        elif known != dim:
            raise ValueError(f"rearrange: axes {group} multiply to {known}, but the tensor "
                             f"dimension is {dim}.")
    flat_in = [n for g in left for n in g if n != "1"]
    x = x.reshape([sizes[n] for n in flat_in])
    flat_out = [n for g in right for n in g if n != "1"]
    if sorted(flat_out) != sorted(flat_in):
        raise ValueError(f"rearrange: axes on both sides of {pattern!r} must match.")
    x = jnp.transpose(x, [flat_in.index(n) for n in flat_out])
    shape = []
    for g in right:
        size = 1
        for n in g:
            size *= 1 if n == "1" else sizes[n]
        shape.append(size)
    return x.reshape(shape)


for _n in __all__:
    if _n != "custom_gradient":
        globals()[_n] = symbolic_op(globals()[_n])
