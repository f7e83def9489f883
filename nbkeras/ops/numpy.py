"""NumPy-like ops (``keras.ops.numpy``), implemented with ``jax.numpy``.

Elementwise unary and binary ops are generated from a table; each has Keras's
signature (``op(x)`` or ``op(x1, x2)``) and a docstring with an example.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from nbkeras.ops import symbolic_op

Axis = int | Sequence[int] | None

_UNARY: dict[str, tuple[Callable[..., Any], str]] = {
    "abs": (jnp.abs, "Absolute value."),
    "absolute": (jnp.abs, "Absolute value."),
    "exp": (jnp.exp, "Exponential."),
    "exp2": (jnp.exp2, "Base-2 exponential."),
    "expm1": (jnp.expm1, "``exp(x) - 1``."),
    "log": (jnp.log, "Natural logarithm."),
    "log1p": (jnp.log1p, "``log(1 + x)``."),
    "log2": (jnp.log2, "Base-2 logarithm."),
    "log10": (jnp.log10, "Base-10 logarithm."),
    "sqrt": (jnp.sqrt, "Square root."),
    "square": (jnp.square, "Square."),
    "sign": (jnp.sign, "Sign (-1, 0 or 1)."),
    "floor": (jnp.floor, "Floor."),
    "ceil": (jnp.ceil, "Ceiling."),
    "trunc": (jnp.trunc, "Round toward zero."),
    "negative": (jnp.negative, "Negation."),
    "reciprocal": (jnp.reciprocal, "``1 / x``."),
    "sin": (jnp.sin, "Sine."),
    "cos": (jnp.cos, "Cosine."),
    "tan": (jnp.tan, "Tangent."),
    "arcsin": (jnp.arcsin, "Inverse sine."),
    "arccos": (jnp.arccos, "Inverse cosine."),
    "arctan": (jnp.arctan, "Inverse tangent."),
    "sinh": (jnp.sinh, "Hyperbolic sine."),
    "cosh": (jnp.cosh, "Hyperbolic cosine."),
    "tanh": (jnp.tanh, "Hyperbolic tangent."),
    "arcsinh": (jnp.arcsinh, "Inverse hyperbolic sine."),
    "arccosh": (jnp.arccosh, "Inverse hyperbolic cosine."),
    "arctanh": (jnp.arctanh, "Inverse hyperbolic tangent."),
    "isnan": (jnp.isnan, "Elementwise NaN test."),
    "isinf": (jnp.isinf, "Elementwise infinity test."),
    "isfinite": (jnp.isfinite, "Elementwise finiteness test."),
    "logical_not": (jnp.logical_not, "Logical NOT."),
    "ravel": (jnp.ravel, "Flatten to 1-D."),
    "copy": (jnp.array, "Copy of ``x``."),
}

_BINARY: dict[str, tuple[Callable[..., Any], str]] = {
    "add": (jnp.add, "Elementwise sum."),
    "subtract": (jnp.subtract, "Elementwise difference."),
    "multiply": (jnp.multiply, "Elementwise product."),
    "divide": (jnp.true_divide, "Elementwise true division."),
    "true_divide": (jnp.true_divide, "Elementwise true division."),
    "floor_divide": (jnp.floor_divide, "Elementwise floor division."),
    "mod": (jnp.mod, "Elementwise remainder."),
    "power": (jnp.power, "``x1 ** x2``."),
    "maximum": (jnp.maximum, "Elementwise maximum."),
    "minimum": (jnp.minimum, "Elementwise minimum."),
    "equal": (jnp.equal, "``x1 == x2``."),
    "not_equal": (jnp.not_equal, "``x1 != x2``."),
    "greater": (jnp.greater, "``x1 > x2``."),
    "greater_equal": (jnp.greater_equal, "``x1 >= x2``."),
    "less": (jnp.less, "``x1 < x2``."),
    "less_equal": (jnp.less_equal, "``x1 <= x2``."),
    "logical_and": (jnp.logical_and, "Logical AND."),
    "logical_or": (jnp.logical_or, "Logical OR."),
    "logical_xor": (jnp.logical_xor, "Logical XOR."),
    "arctan2": (jnp.arctan2, "Elementwise ``arctan(x1 / x2)`` choosing the quadrant."),
    "matmul": (jnp.matmul, "Matrix product (batched over leading axes)."),
    "dot": (jnp.dot, "Dot product (``numpy.dot`` semantics)."),
    "outer": (jnp.outer, "Outer product of flattened inputs."),
}


def _make_unary(name: str, fn: Callable[..., Any], summary: str) -> Callable[..., Any]:
    def op(x: Any) -> jax.Array:
        return fn(jnp.asarray(x))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (
        f"{summary}\n\n    Example:\n        >>> {name}(jnp.array([1.0])).shape\n        (1,)\n"
    )
    return op


def _make_binary(name: str, fn: Callable[..., Any], summary: str) -> Callable[..., Any]:
    def op(x1: Any, x2: Any) -> jax.Array:
        return fn(x1, x2)

    op.__name__ = op.__qualname__ = name
    shape = "(4, 4)" if name == "outer" else "(2, 2)"
    op.__doc__ = (
        f"{summary}\n\n    Example:\n        >>> {name}(jnp.ones((2, 2)), jnp.ones((2, 2))).shape\n"
        f"        {shape}\n"
    )
    return op


for _n, (_f, _d) in _UNARY.items():
    globals()[_n] = _make_unary(_n, _f, _d)
for _n, (_f, _d) in _BINARY.items():
    globals()[_n] = _make_binary(_n, _f, _d)


def _axis(axis: Axis) -> int | tuple[int, ...] | None:
    return tuple(axis) if isinstance(axis, list) else axis


def divide_no_nan(x1: Any, x2: Any) -> jax.Array:
    """``x1 / x2``, with 0 where ``x2 == 0``.

    Example:
        >>> divide_no_nan(jnp.ones(2), jnp.array([0.0, 2.0])).tolist()
        [0.0, 0.5]
    """
    x1, x2 = jnp.asarray(x1), jnp.asarray(x2)
    safe = jnp.where(x2 == 0, 1, x2)
    return jnp.where(x2 == 0, 0, jnp.true_divide(x1, safe))


def round(x: Any, decimals: int = 0) -> jax.Array:
    """Round half to even to ``decimals`` places.

    Example:
        >>> round(jnp.array([1.6, 2.5])).tolist()
        [2.0, 2.0]
    """
    return jnp.round(jnp.asarray(x), decimals)


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Sum over ``axis``.

    Example:
        >>> sum(jnp.ones((2, 3)), axis=1).tolist()
        [3.0, 3.0]
    """
    return jnp.sum(jnp.asarray(x), axis=_axis(axis), keepdims=keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Mean over ``axis`` (integer inputs give float32).

    Example:
        >>> float(mean(jnp.array([1, 2])))
        1.5
    """
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype("float32")
    return jnp.mean(x, axis=_axis(axis), keepdims=keepdims)


def prod(x: Any, axis: Axis = None, keepdims: bool = False, dtype: Any = None) -> jax.Array:
    """Product over ``axis``.

    Example:
        >>> float(prod(jnp.array([2.0, 3.0])))
        6.0
    """
    return jnp.prod(jnp.asarray(x), axis=_axis(axis), keepdims=keepdims, dtype=dtype)


def max(x: Any, axis: Axis = None, keepdims: bool = False, initial: Any = None) -> jax.Array:
    """Maximum over ``axis``.

    Example:
        >>> float(max(jnp.array([1.0, 3.0])))
        3.0
    """
    return jnp.max(jnp.asarray(x), axis=_axis(axis), keepdims=keepdims, initial=initial)


def min(x: Any, axis: Axis = None, keepdims: bool = False, initial: Any = None) -> jax.Array:
    """Minimum over ``axis``.

    Example:
        >>> float(min(jnp.array([1.0, 3.0])))
        1.0
    """
    return jnp.min(jnp.asarray(x), axis=_axis(axis), keepdims=keepdims, initial=initial)


amax, amin = max, min


def _as_float(x: Any) -> jax.Array:
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype("float32")


def var(x: Any, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Population variance over ``axis``.

    Example:
        >>> float(var(jnp.array([1.0, 3.0])))
        1.0
    """
    return jnp.var(_as_float(x), axis=_axis(axis), keepdims=keepdims)


def std(x: Any, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Population standard deviation over ``axis``.

    Example:
        >>> float(std(jnp.array([1.0, 3.0])))
        1.0
    """
    return jnp.std(_as_float(x), axis=_axis(axis), keepdims=keepdims)


def any(x: Any, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Whether any element along ``axis`` is truthy.

    Example:
        >>> bool(any(jnp.array([0, 1])))
        True
    """
    return jnp.any(jnp.asarray(x), axis=_axis(axis), keepdims=keepdims)


def all(x: Any, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Whether all elements along ``axis`` are truthy.

    Example:
        >>> bool(all(jnp.array([0, 1])))
        False
    """
    return jnp.all(jnp.asarray(x), axis=_axis(axis), keepdims=keepdims)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> jax.Array:
    """Index of the maximum along ``axis`` (flattened if ``None``).

    Example:
        >>> int(argmax(jnp.array([1.0, 3.0, 2.0])))
        1
    """
    return jnp.argmax(jnp.asarray(x), axis=axis, keepdims=keepdims).astype("int32")


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> jax.Array:
    """Index of the minimum along ``axis`` (flattened if ``None``).

    Example:
        >>> int(argmin(jnp.array([1.0, 3.0, 0.0])))
        2
    """
    return jnp.argmin(jnp.asarray(x), axis=axis, keepdims=keepdims).astype("int32")


def cumsum(x: Any, axis: int | None = None, dtype: Any = None) -> jax.Array:
    """Cumulative sum along ``axis`` (flattened if ``None``).

    Example:
        >>> cumsum(jnp.array([1, 2, 3])).tolist()
        [1, 3, 6]
    """
    return jnp.cumsum(jnp.asarray(x), axis=axis, dtype=dtype)


def cumprod(x: Any, axis: int | None = None, dtype: Any = None) -> jax.Array:
    """Cumulative product along ``axis`` (flattened if ``None``).

    Example:
        >>> cumprod(jnp.array([1, 2, 3])).tolist()
        [1, 2, 6]
    """
    return jnp.cumprod(jnp.asarray(x), axis=axis, dtype=dtype)


def count_nonzero(x: Any, axis: Axis = None) -> jax.Array:
    """Number of non-zero elements along ``axis``.

    Example:
        >>> int(count_nonzero(jnp.array([0, 1, 2])))
        2
    """
    return jnp.count_nonzero(jnp.asarray(x), axis=_axis(axis)).astype("int32")


def norm(x: Any, ord: Any = None, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Vector or matrix norm (``numpy.linalg.norm`` semantics).

    Example:
        >>> float(norm(jnp.array([3.0, 4.0])))
        5.0
    """
    return jnp.linalg.norm(_as_float(x), ord=ord, axis=_axis(axis), keepdims=keepdims)


def reshape(x: Any, newshape: Sequence[int] | int) -> jax.Array:
    """Reshape (one dimension may be ``-1``).

    Example:
        >>> reshape(jnp.ones(6), (2, -1)).shape
        (2, 3)
    """
    newshape = (newshape,) if isinstance(newshape, int) else tuple(newshape)
    return jnp.reshape(jnp.asarray(x), tuple(-1 if d is None else d for d in newshape))


def transpose(x: Any, axes: Sequence[int] | None = None) -> jax.Array:
    """Permute axes (reverse them if ``axes`` is ``None``).

    Example:
        >>> transpose(jnp.ones((2, 3))).shape
        (3, 2)
    """
    return jnp.transpose(jnp.asarray(x), axes)


def expand_dims(x: Any, axis: int | Sequence[int]) -> jax.Array:
    """Insert length-1 axes.

    Example:
        >>> expand_dims(jnp.ones(3), 0).shape
        (1, 3)
    """
    return jnp.expand_dims(jnp.asarray(x), _axis(axis))


def squeeze(x: Any, axis: Axis = None) -> jax.Array:
    """Remove length-1 axes.

    Example:
        >>> squeeze(jnp.ones((1, 3, 1))).shape
        (3,)
    """
    return jnp.squeeze(jnp.asarray(x), _axis(axis))


def concatenate(xs: Sequence[Any], axis: int = 0) -> jax.Array:
    """Join arrays along an existing axis.

    Example:
        >>> concatenate([jnp.ones(2), jnp.zeros(1)]).tolist()
        [1.0, 1.0, 0.0]
    """
    return jnp.concatenate(list(xs), axis=axis)


def stack(x: Sequence[Any], axis: int = 0) -> jax.Array:
    """Join arrays along a new axis.

    Example:
        >>> stack([jnp.ones(2), jnp.zeros(2)]).shape
        (2, 2)
    """
    return jnp.stack(list(x), axis=axis)


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[jax.Array]:
    """Split into equal sections or at the given indices.

    Example:
        >>> [a.shape for a in split(jnp.ones(4), 2)]
        [(2,), (2,)]
    """
    return list(jnp.split(jnp.asarray(x), indices_or_sections, axis=axis))


def tile(x: Any, repeats: int | Sequence[int]) -> jax.Array:
    """Repeat the whole array ``repeats`` times per axis.

    Example:
        >>> tile(jnp.array([1, 2]), 2).tolist()
        [1, 2, 1, 2]
    """
    return jnp.tile(jnp.asarray(x), repeats)


def repeat(x: Any, repeats: int | Sequence[int], axis: int | None = None) -> jax.Array:
    """Repeat each element.

    Example:
        >>> repeat(jnp.array([1, 2]), 2).tolist()
        [1, 1, 2, 2]
    """
    return jnp.repeat(jnp.asarray(x), repeats, axis=axis)


def flip(x: Any, axis: Axis = None) -> jax.Array:
    """Reverse the order of elements along ``axis``.

    Example:
        >>> flip(jnp.array([1, 2])).tolist()
        [2, 1]
    """
    return jnp.flip(jnp.asarray(x), axis=_axis(axis))


def roll(x: Any, shift: int | Sequence[int], axis: Axis = None) -> jax.Array:
    """Roll elements along ``axis``.

    Example:
        >>> roll(jnp.array([1, 2, 3]), 1).tolist()
        [3, 1, 2]
    """
    return jnp.roll(jnp.asarray(x), shift, axis=_axis(axis))


def swapaxes(x: Any, axis1: int, axis2: int) -> jax.Array:
    """Interchange two axes.

    Example:
        >>> swapaxes(jnp.ones((2, 3)), 0, 1).shape
        (3, 2)
    """
    return jnp.swapaxes(jnp.asarray(x), axis1, axis2)


def moveaxis(x: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> jax.Array:
    """Move axes to new positions.

    Example:
        >>> moveaxis(jnp.ones((2, 3, 4)), 0, -1).shape
        (3, 4, 2)
    """
    return jnp.moveaxis(jnp.asarray(x), source, destination)


def broadcast_to(x: Any, shape: Sequence[int]) -> jax.Array:
    """Broadcast to ``shape``.

    Example:
        >>> broadcast_to(jnp.ones(3), (2, 3)).shape
        (2, 3)
    """
    return jnp.broadcast_to(jnp.asarray(x), tuple(shape))


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> jax.Array:
    """Pad an array (``numpy.pad`` semantics).

    Example:
        >>> pad(jnp.ones(1), 1).tolist()
        [0.0, 1.0, 0.0]
    """
    if constant_values is not None:
        if mode != "constant":
            raise ValueError(
                f"Argument `constant_values` can only be provided when mode is 'constant'. "
                f"Received: mode={mode!r}"
            )
        return jnp.pad(jnp.asarray(x), pad_width, mode=mode, constant_values=constant_values)
    return jnp.pad(jnp.asarray(x), pad_width, mode=mode)


def take(x: Any, indices: Any, axis: int | None = None) -> jax.Array:
    """Gather elements at ``indices`` along ``axis`` (flattened if ``None``).

    Example:
        >>> take(jnp.array([5, 6, 7]), jnp.array([2, 0])).tolist()
        [7, 5]
    """
    return jnp.take(jnp.asarray(x), jnp.asarray(indices), axis=axis)


def take_along_axis(x: Any, indices: Any, axis: int | None = None) -> jax.Array:
    """Gather with an index array shaped like ``x`` along ``axis``.

    Example:
        >>> take_along_axis(jnp.array([[1, 2]]), jnp.array([[1]]), axis=1).tolist()
        [[2]]
    """
    return jnp.take_along_axis(jnp.asarray(x), jnp.asarray(indices), axis=axis)


def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """Choose ``x1`` where ``condition`` else ``x2``.

    Example:
        >>> where(jnp.array([True, False]), 1, 0).tolist()
        [1, 0]
    """
    if x1 is None and x2 is None:
        return jnp.nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError(
            "`x1` and `x2` either both should be `None` or both should have non-None value."
        )
    return jnp.where(condition, x1, x2)


def clip(x: Any, x_min: Any, x_max: Any) -> jax.Array:
    """Clip values to ``[x_min, x_max]`` (booleans become int32, as in Keras).

    Example:
        >>> clip(jnp.array([-1.0, 2.0]), 0.0, 1.0).tolist()
        [0.0, 1.0]
    """
    x = jnp.asarray(x)
    if x.dtype == jnp.bool_:
        x = x.astype("int32")
    return jnp.clip(x, x_min, x_max)


def sort(x: Any, axis: int = -1) -> jax.Array:
    """Sort along ``axis``.

    Example:
        >>> sort(jnp.array([3, 1, 2])).tolist()
        [1, 2, 3]
    """
    return jnp.sort(jnp.asarray(x), axis=axis)


def argsort(x: Any, axis: int = -1) -> jax.Array:
    """Indices that sort ``x`` along ``axis``.

    Example:
        >>> argsort(jnp.array([3, 1, 2])).tolist()
        [1, 2, 0]
    """
    return jnp.argsort(jnp.asarray(x), axis=axis).astype("int32")


def triu(x: Any, k: int = 0) -> jax.Array:
    """Upper triangle (zero below the ``k``-th diagonal).

    Example:
        >>> triu(jnp.ones((2, 2))).tolist()
        [[1.0, 1.0], [0.0, 1.0]]
    """
    return jnp.triu(jnp.asarray(x), k)


def tril(x: Any, k: int = 0) -> jax.Array:
    """Lower triangle (zero above the ``k``-th diagonal).

    Example:
        >>> tril(jnp.ones((2, 2))).tolist()
        [[1.0, 0.0], [1.0, 1.0]]
    """
    return jnp.tril(jnp.asarray(x), k)


def diag(x: Any, k: int = 0) -> jax.Array:
    """Extract a diagonal, or build a diagonal matrix from a vector.

    Example:
        >>> diag(jnp.array([1, 2])).tolist()
        [[1, 0], [0, 2]]
    """
    return jnp.diag(jnp.asarray(x), k)


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> jax.Array:
    """Diagonal(s) along two axes.

    Example:
        >>> diagonal(jnp.eye(2)).tolist()
        [1.0, 1.0]
    """
    return jnp.diagonal(jnp.asarray(x), offset, axis1, axis2)


def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> jax.Array:
    """Einstein summation.

    Example:
        >>> einsum("ij,jk->ik", jnp.ones((2, 3)), jnp.ones((3, 4))).shape
        (2, 4)
    """
    return jnp.einsum(subscripts, *operands, **kwargs)


def tensordot(x1: Any, x2: Any, axes: Any = 2) -> jax.Array:
    """Tensor dot product over ``axes``.

    Example:
        >>> tensordot(jnp.ones((2, 3)), jnp.ones((3, 4)), axes=1).shape
        (2, 4)
    """
    return jnp.tensordot(x1, x2, axes)


def isclose(
    x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> jax.Array:
    """Elementwise closeness test.

    Example:
        >>> isclose(jnp.array([1.0]), jnp.array([1.0 + 1e-9])).tolist()
        [True]
    """
    return jnp.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)


def size(x: Any) -> int:
    """Number of elements.

    Example:
        >>> size(jnp.ones((2, 3)))
        6
    """
    return int(jnp.size(x))


def ones(shape: Sequence[int] | int, dtype: Any = None) -> jax.Array:
    """Array of ones (float32 by default).

    Example:
        >>> ones(2).tolist()
        [1.0, 1.0]
    """
    return jnp.ones(shape, dtype=dtype or "float32")


def zeros(shape: Sequence[int] | int, dtype: Any = None) -> jax.Array:
    """Array of zeros (float32 by default).

    Example:
        >>> zeros(2).tolist()
        [0.0, 0.0]
    """
    return jnp.zeros(shape, dtype=dtype or "float32")


def full(shape: Sequence[int] | int, fill_value: Any, dtype: Any = None) -> jax.Array:
    """Array filled with ``fill_value``.

    Example:
        >>> full(2, 7).tolist()
        [7, 7]
    """
    return jnp.full(shape, fill_value, dtype=dtype)


def ones_like(x: Any, dtype: Any = None) -> jax.Array:
    """Ones shaped like ``x``.

    Example:
        >>> ones_like(jnp.zeros(2)).tolist()
        [1.0, 1.0]
    """
    return jnp.ones_like(x, dtype=dtype)


def zeros_like(x: Any, dtype: Any = None) -> jax.Array:
    """Zeros shaped like ``x``.

    Example:
        >>> zeros_like(jnp.ones(2)).tolist()
        [0.0, 0.0]
    """
    return jnp.zeros_like(x, dtype=dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> jax.Array:
    """``fill_value`` shaped like ``x``.

    Example:
        >>> full_like(jnp.ones(2), 3.0).tolist()
        [3.0, 3.0]
    """
    return jnp.full_like(x, fill_value, dtype=dtype)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> jax.Array:
    """Evenly spaced values in ``[start, stop)``.

    Example:
        >>> arange(3).tolist()
        [0, 1, 2]
    """
    return jnp.arange(start, stop, step, dtype=dtype)


def linspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
    dtype: Any = None, axis: int = 0,
) -> Any:  # fmt: skip
    """``num`` evenly spaced values from ``start`` to ``stop``.

    Example:
        >>> linspace(0, 1, 3).tolist()
        [0.0, 0.5, 1.0]
    """
    return jnp.linspace(
        start, stop, num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis
    )


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> jax.Array:
    """2-D array with ones on the ``k``-th diagonal.

    Example:
        >>> eye(2).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    return jnp.eye(N, M, k, dtype=dtype or "float32")


def identity(n: int, dtype: Any = None) -> jax.Array:
    """Square identity matrix.

    Example:
        >>> identity(2).shape
        (2, 2)
    """
    return jnp.identity(n, dtype=dtype or "float32")


def meshgrid(*x: Any, indexing: str = "xy") -> list[jax.Array]:
    """Coordinate matrices from coordinate vectors.

    Example:
        >>> [g.shape for g in meshgrid(jnp.arange(2), jnp.arange(3))]
        [(3, 2), (3, 2)]
    """
    return list(jnp.meshgrid(*x, indexing=indexing))


__all__ = builtins.sorted(
    [*_UNARY, *_BINARY]
    + [
        "all", "amax", "amin", "any", "arange", "argmax", "argmin", "argsort", "broadcast_to",
        "clip", "concatenate", "count_nonzero", "cumprod", "cumsum", "diag", "diagonal",
        "divide_no_nan", "einsum", "expand_dims", "eye", "flip", "full", "full_like",
        "identity", "isclose", "linspace", "max", "mean", "meshgrid", "min", "moveaxis",
        "norm", "ones", "ones_like", "pad", "prod", "repeat", "reshape", "roll", "round",
        "size", "sort", "split", "squeeze", "stack", "std", "sum", "swapaxes", "take",
        "take_along_axis", "tensordot", "tile", "transpose", "tril", "triu", "var", "where",
        "zeros", "zeros_like",
    ]
)  # fmt: skip

for _n in __all__:
    if _n != "size":
        globals()[_n] = symbolic_op(globals()[_n])
del _n, _f, _d
