"""More NumPy-like ops (``keras.ops.numpy``): the rest of Keras 3's list.

Most are ``jax.numpy`` functions with Keras's name and signature, generated from a
table; the ones with Keras-specific behaviour are written out below.

Example:
    >>> from nbkeras import ops
    >>> ops.hstack([ops.ones((2, 1)), ops.zeros((2, 1))]).tolist()
    [[1.0, 0.0], [1.0, 0.0]]
"""

from __future__ import annotations

import ast
import builtins
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp

from nbkeras import _settings
from nbkeras.ops import symbolic_op


def _float(x: Any) -> jax.Array:
    """Cast integer/bool input to ``floatx()`` (Keras's rule for float-valued ops)."""
    x = jnp.asarray(x)
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return x
    return x.astype(_settings.floatx())


# name -> (jax function, keras signature as a string of parameters, summary, float_inputs)
_TABLE: dict[str, tuple[Callable[..., Any], str, str]] = {
    "angle": (jnp.angle, "x", "Complex argument (0 or pi for reals)."),
    "cbrt": (jnp.cbrt, "x", "Cube root."),
    "conj": (jnp.conj, "x", "Complex conjugate."),
    "conjugate": (jnp.conjugate, "x", "Complex conjugate."),
    "deg2rad": (jnp.deg2rad, "x", "Degrees to radians."),
    "rad2deg": (jnp.rad2deg, "x", "Radians to degrees."),
    "fabs": (jnp.fabs, "x", "Absolute value as a float."),
    "fliplr": (jnp.fliplr, "x", "Reverse axis 1."),
    "flipud": (jnp.flipud, "x", "Reverse axis 0."),
    "imag": (jnp.imag, "x", "Imaginary part."),
    "real": (jnp.real, "x", "Real part."),
    "isneginf": (jnp.isneginf, "x", "Elementwise test for -inf."),
    "isposinf": (jnp.isposinf, "x", "Elementwise test for +inf."),
    "isreal": (jnp.isreal, "x", "Elementwise test for a zero imaginary part."),
    "signbit": (jnp.signbit, "x", "Whether the sign bit is set."),
    "bitwise_and": (jnp.bitwise_and, "x, y", "Bitwise AND."),
    "bitwise_or": (jnp.bitwise_or, "x, y", "Bitwise OR."),
    "bitwise_xor": (jnp.bitwise_xor, "x, y", "Bitwise XOR."),
    "bitwise_invert": (jnp.invert, "x", "Bitwise NOT."),
    "bitwise_not": (jnp.invert, "x", "Bitwise NOT."),
    "bitwise_left_shift": (jnp.left_shift, "x, y", "Shift bits left."),
    "bitwise_right_shift": (jnp.right_shift, "x, y", "Shift bits right."),
    "left_shift": (jnp.left_shift, "x, y", "Shift bits left."),
    "right_shift": (jnp.right_shift, "x, y", "Shift bits right."),
    "fmax": (jnp.fmax, "x1, x2", "Elementwise maximum ignoring NaN."),
    "fmin": (jnp.fmin, "x1, x2", "Elementwise minimum ignoring NaN."),
    "fmod": (jnp.fmod, "x1, x2", "Remainder with the sign of the dividend."),
    "gcd": (jnp.gcd, "x1, x2", "Greatest common divisor."),
    "lcm": (jnp.lcm, "x1, x2", "Least common multiple."),
    "hypot": (jnp.hypot, "x1, x2", "``sqrt(x1**2 + x2**2)``."),
    "heaviside": (jnp.heaviside, "x1, x2", "Heaviside step; ``x2`` where ``x1 == 0``."),
    "logaddexp": (jnp.logaddexp, "x1, x2", "``log(exp(x1) + exp(x2))``, stably."),
    "logaddexp2": (jnp.logaddexp2, "x1, x2", "``log2(2**x1 + 2**x2)``, stably."),
    "nextafter": (jnp.nextafter, "x1, x2", "Next float after ``x1`` towards ``x2``."),
    "inner": (jnp.inner, "x1, x2", "Inner product over the last axes."),
    "kron": (jnp.kron, "x1, x2", "Kronecker product."),
    "vdot": (jnp.vdot, "x1, x2", "Dot product of flattened inputs."),
    "allclose": (jnp.allclose, "x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False",
                 "Whether all elements are close."),
    "append": (jnp.append, "x1, x2, axis=None", "Append ``x2`` to ``x1``."),
    "argpartition": (jnp.argpartition, "x, kth, axis=-1", "Indices that partition ``x``."),
    "array_split": (jnp.array_split, "x, indices_or_sections, axis=0",
                    "Split into possibly unequal parts."),
    "diagflat": (jnp.diagflat, "x, k=0", "2-D array with the flattened input on a diagonal."),
    "diff": (jnp.diff, "a, n=1, axis=-1", "``n``-th discrete difference."),
    "digitize": (jnp.digitize, "x, bins", "Indices of the bins each value falls in."),
    "dsplit": (jnp.dsplit, "x, indices_or_sections", "Split along axis 2."),
    "hsplit": (jnp.hsplit, "x, indices_or_sections", "Split along axis 1."),
    "vsplit": (jnp.vsplit, "x, indices_or_sections", "Split along axis 0."),
    "dstack": (jnp.dstack, "xs", "Stack along axis 2."),
    "hstack": (jnp.hstack, "xs", "Stack along axis 1 (axis 0 for 1-D)."),
    "vstack": (jnp.vstack, "xs", "Stack along axis 0."),
    "empty_like": (jnp.empty_like, "x, dtype=None", "Uninitialised array like ``x``."),
    "nan_to_num": (jnp.nan_to_num, "x, nan=0.0, posinf=None, neginf=None",
                   "Replace NaN and infinities by numbers."),
    "nanargmax": (jnp.nanargmax, "x, axis=None, keepdims=False", "Argmax ignoring NaN."),
    "nanargmin": (jnp.nanargmin, "x, axis=None, keepdims=False", "Argmin ignoring NaN."),
    "nanmax": (jnp.nanmax, "x, axis=None, keepdims=False", "Max ignoring NaN."),
    "nanmin": (jnp.nanmin, "x, axis=None, keepdims=False", "Min ignoring NaN."),
    "nanmean": (jnp.nanmean, "x, axis=None, keepdims=False", "Mean ignoring NaN."),
    "nanmedian": (jnp.nanmedian, "x, axis=None, keepdims=False", "Median ignoring NaN."),
    "nanprod": (jnp.nanprod, "x, axis=None, keepdims=False", "Product ignoring NaN."),
    "nansum": (jnp.nansum, "x, axis=None, keepdims=False", "Sum ignoring NaN."),
    "nanstd": (jnp.nanstd, "x, axis=None, keepdims=False", "Std ignoring NaN."),
    "nanvar": (jnp.nanvar, "x, axis=None, keepdims=False", "Variance ignoring NaN."),
    "nancumsum": (jnp.nancumsum, "x, axis=None, dtype=None", "Cumulative sum ignoring NaN."),
    "nancumprod": (jnp.nancumprod, "x, axis=None, dtype=None",
                   "Cumulative product ignoring NaN."),
    "nanpercentile": (jnp.nanpercentile, "x, q, axis=None, method='linear', keepdims=False",
                      "Percentile (``q`` in 0..100) ignoring NaN."),
    "nanquantile": (jnp.nanquantile, "x, q, axis=None, method='linear', keepdims=False",
                    "Quantile (``q`` in 0..1) ignoring NaN."),
    "percentile": (jnp.percentile, "x, q, axis=None, method='linear', keepdims=False",
                   "Percentile (``q`` in 0..100)."),
    "ptp": (jnp.ptp, "x, axis=None, keepdims=False", "Range (max - min)."),
    "rot90": (jnp.rot90, "array, k=1, axes=(0, 1)", "Rotate by 90 degrees ``k`` times."),
    "trace": (jnp.trace, "x, offset=0, axis1=0, axis2=1", "Sum along a diagonal."),
    "trapezoid": (jnp.trapezoid, "y, x=None, dx=1.0, axis=-1", "Trapezoidal-rule integral."),
    "unravel_index": (jnp.unravel_index, "indices, shape",
                      "Flat indices to a tuple of coordinate arrays."),
    "vander": (jnp.vander, "x, N=None, increasing=False", "Vandermonde matrix."),
    "corrcoef": (jnp.corrcoef, "x", "Pearson correlation coefficients of the rows."),
    "nonzero": (jnp.nonzero, "x", "Indices of non-zero elements (eager only)."),
}


def _signature(params: str) -> inspect.Signature:
    tree = ast.parse(f"def f({params}): pass").body[0].args
    defaults = [None] * (len(tree.args) - len(tree.defaults)) + list(tree.defaults)
    return inspect.Signature([
        inspect.Parameter(
            a.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=inspect.Parameter.empty if d is None else ast.literal_eval(d),
        )
        for a, d in zip(tree.args, defaults)
    ])


def _make(name: str, fn: Callable[..., Any], params: str, summary: str) -> Callable[..., Any]:
    sig = _signature(params)
    names = list(sig.parameters)
    try:
        jnp_params = {
            k for k, v in inspect.signature(fn).parameters.items()
            if v.kind is not inspect.Parameter.POSITIONAL_ONLY
        }
    except (TypeError, ValueError):
        jnp_params = set()

    def op(*args: Any, **kwargs: Any) -> Any:
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        first = values.pop(names[0])
        first = [jnp.asarray(v) for v in first] if names[0] == "xs" else jnp.asarray(first)
        if "q" in values:
            values["q"] = jnp.asarray(values["q"])
        if isinstance(values.get("axis"), list):
            values["axis"] = tuple(values["axis"])
        positional = [v for k, v in values.items() if k not in jnp_params]
        keywords = {k: v for k, v in values.items() if k in jnp_params}
        return fn(first, *positional, **keywords)

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__signature__ = sig  # type: ignore[attr-defined]
    op.__doc__ = f"{summary}\n\n    Keras's ``ops.{name}``, computed by ``jax.numpy``.\n"
    return symbolic_op(op)


__all__ = list(_TABLE)
for _n, (_f, _p, _d) in _TABLE.items():
    globals()[_n] = _make(_n, _f, _p, _d)


@symbolic_op
def sinc(x: Any) -> jax.Array:
    """Normalised sinc, ``sin(pi x) / (pi x)``.

    Example:
        >>> float(sinc(0.0))
        1.0
    """
    return jnp.sinc(_float(x))


@symbolic_op
def i0(x: Any) -> jax.Array:
    """Modified Bessel function of the first kind, order 0.

    Example:
        >>> round(float(i0(0.0)), 5)
        1.0
    """
    return jnp.i0(_float(x))


@symbolic_op
def erfc(x: Any) -> jax.Array:
    """Complementary error function ``1 - erf(x)``.

    Example:
        >>> float(erfc(0.0))
        1.0
    """
    return jsp.erfc(_float(x))


@symbolic_op
def ldexp(x1: Any, x2: Any) -> jax.Array:
    """``x1 * 2**x2`` (``x2`` must be an integer array).

    Raises:
        TypeError: If ``x2`` is not of an integer type.

    Example:
        >>> float(ldexp(1.5, 2))
        6.0
    """
    x2 = jnp.asarray(x2)
    if not jnp.issubdtype(x2.dtype, jnp.integer):
        raise TypeError(f"ldexp exponent must be an integer type. Received: x2 dtype={x2.dtype}")
    return jnp.ldexp(jnp.asarray(x1), x2)


@symbolic_op
def median(x: Any, axis: Any = None, keepdims: bool = False) -> jax.Array:
    """Median over ``axis``.

    Example:
        >>> float(median(jnp.array([1.0, 5.0, 2.0])))
        2.0
    """
    axis = tuple(axis) if isinstance(axis, list) else axis
    return jnp.median(_float(x), axis=axis, keepdims=keepdims)


@symbolic_op
def quantile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False):
    """Quantile ``q`` (in 0..1) over ``axis``.

    Example:
        >>> float(quantile(jnp.array([1.0, 2.0, 3.0]), 0.5))
        2.0
    """
    axis = tuple(axis) if isinstance(axis, list) else axis
    return jnp.quantile(_float(x), jnp.asarray(q), axis=axis, method=method, keepdims=keepdims)


@symbolic_op
def average(x: Any, axis: Any = None, weights: Any = None) -> jax.Array:
    """Weighted average over ``axis``.

    Example:
        >>> float(average(jnp.array([1.0, 3.0]), weights=jnp.array([3.0, 1.0])))
        1.5
    """
    x = _float(x)
    if weights is not None:
        weights = jnp.asarray(weights, x.dtype)
    return jnp.average(x, axis=axis, weights=weights)


@symbolic_op
def bincount(x: Any, weights: Any = None, minlength: int = 0, sparse: bool = False):
    """Count occurrences of each non-negative int (eager: the length depends on values).

    Example:
        >>> bincount(jnp.array([0, 2, 2])).tolist()
        [1, 0, 2]
    """
    if sparse:
        raise ValueError("bincount(sparse=True) is not supported: nbkeras has no sparse "
                         "tensors. Use sparse=False.")
    x = jnp.asarray(x)
    length = builtins.max(int(jnp.max(x)) + 1 if x.size else 0, minlength)
    if x.ndim == 2:
        counts = jax.vmap(lambda r, w: jnp.bincount(r, w, length=length))
        w = jnp.ones_like(x) if weights is None else jnp.asarray(weights)
        out = counts(x, w)
        return out if weights is not None else out.astype(x.dtype)
    return jnp.bincount(x, weights, length=length)


@symbolic_op
def array(x: Any, dtype: Any = None) -> jax.Array:
    """A JAX array from ``x``.

    Example:
        >>> array([1, 2]).tolist()
        [1, 2]
    """
    return jnp.array(x, dtype=dtype)


@symbolic_op
def empty(shape: Sequence[int], dtype: Any = None) -> jax.Array:
    """An array of ``shape`` (zeros under JAX).

    Example:
        >>> empty((2,)).shape
        (2,)
    """
    return jnp.empty(shape, dtype=dtype or _settings.floatx())


@symbolic_op
def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> jax.Array:
    """Ones at and below the ``k``-th diagonal.

    Example:
        >>> tri(2).tolist()
        [[1.0, 0.0], [1.0, 1.0]]
    """
    return jnp.tri(N, M=M, k=k, dtype=dtype or _settings.floatx())


@symbolic_op
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0) -> jax.Array:
    """Numbers spaced evenly on a log scale between ``start`` and ``stop``.

    Example:
        >>> geomspace(1.0, 100.0, 3).tolist()
        [1.0, 10.0, 100.0]
    """
    return jnp.geomspace(start, stop, num=num, endpoint=endpoint, dtype=dtype, axis=axis)


@symbolic_op
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0) -> jax.Array:
    """``base ** linspace(start, stop, num)``.

    Example:
        >>> logspace(0.0, 2.0, 3).tolist()
        [1.0, 10.0, 100.0]
    """
    return jnp.logspace(start, stop, num=num, endpoint=endpoint, base=base, dtype=dtype,
                        axis=axis)


@symbolic_op
def correlate(x1: Any, x2: Any, mode: str = "valid") -> jax.Array:
    """Cross-correlation of two 1-D arrays (``"valid"``, ``"same"`` or ``"full"``).

    Example:
        >>> correlate(jnp.array([1.0, 2.0, 3.0]), jnp.array([1.0, 1.0])).tolist()
        [3.0, 5.0]
    """
    x1, x2 = _float(x1), _float(x2)
    return jnp.correlate(x1, x2, mode=mode)


@symbolic_op
def cross(x1: Any, x2: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis=None):
    """Cross product of 3-vectors (or 2-vectors).

    Example:
        >>> cross(jnp.array([1.0, 0, 0]), jnp.array([0.0, 1, 0])).tolist()
        [0.0, 0.0, 1.0]
    """
    return jnp.cross(jnp.asarray(x1), jnp.asarray(x2), axisa=axisa, axisb=axisb, axisc=axisc,
                     axis=axis)


@symbolic_op
def histogram(x: Any, bins: int = 10, range: Any = None) -> tuple[jax.Array, jax.Array]:
    """Counts and bin edges of a 1-D ``x``.

    Raises:
        ValueError: If ``x`` is not 1-D.

    Example:
        >>> histogram(jnp.array([0.0, 1.0, 1.0]), bins=2)[0].tolist()
        [1.0, 2.0]
    """
    x = jnp.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: input.shape={x.shape}")
    return jnp.histogram(x, bins=bins, range=range)


@symbolic_op
def isin(x1: Any, x2: Any, assume_unique: bool = False, invert: bool = False) -> jax.Array:
    """Whether each element of ``x1`` is in ``x2``.

    Example:
        >>> isin(jnp.array([1, 2]), jnp.array([2, 3])).tolist()
        [False, True]
    """
    return jnp.isin(jnp.asarray(x1), jnp.asarray(x2), assume_unique=assume_unique,
                    invert=invert)


@symbolic_op
def searchsorted(sorted_sequence: Any, values: Any, side: str = "left") -> jax.Array:
    """Indices where ``values`` would be inserted to keep a 1-D sequence sorted.

    Raises:
        ValueError: If ``sorted_sequence`` is not 1-D.

    Example:
        >>> searchsorted(jnp.array([1.0, 3.0]), jnp.array([2.0])).tolist()
        [1]
    """
    sorted_sequence = jnp.asarray(sorted_sequence)
    if sorted_sequence.ndim != 1:
        raise ValueError(
            "`searchsorted` only supports 1-D sorted sequences. Use ops.vectorized_map "
            f"for N-D sequences. Received: sorted_sequence.shape={sorted_sequence.shape}"
        )
    return jnp.searchsorted(sorted_sequence, jnp.asarray(values), side=side).astype("int32")


@symbolic_op
def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> jax.Array:
    """Elements of ``choicelist[i]`` where ``condlist[i]`` first holds, else ``default``.

    Raises:
        ValueError: If the lists differ in length or are empty.

    Example:
        >>> x = jnp.array([1.0, -1.0])
        >>> select([x > 0, x < 0], [x, -x * 2]).tolist()
        [1.0, 2.0]
    """
    if not isinstance(condlist, (list, tuple)) or not isinstance(choicelist, (list, tuple)):
        raise ValueError("condlist and choicelist must be lists of tensors. Received: "
                         f"condlist={type(condlist).__name__}, "
                         f"choicelist={type(choicelist).__name__}")
    if len(condlist) != len(choicelist) or not condlist:
        raise ValueError("condlist and choicelist must have the same, non-zero length. "
                         f"Received: {len(condlist)} and {len(choicelist)}")
    return jnp.select([jnp.asarray(c) for c in condlist], [jnp.asarray(c) for c in choicelist],
                      default)


@symbolic_op
def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    """Unique elements (eager unless ``size`` is given, as under ``jax.jit``).

    Example:
        >>> unique(jnp.array([3, 1, 3])).tolist()
        [1, 3]
    """
    if not sorted:
        raise ValueError("unique(sorted=False) is not supported on JAX: results are sorted. "
                         "Pass sorted=True.")
    return jnp.unique(jnp.asarray(x), return_index=return_index,
                      return_inverse=return_inverse, return_counts=return_counts, axis=axis,
                      size=size, fill_value=fill_value)


@symbolic_op
def vectorize(pyfunc: Callable[..., Any], *, excluded=None, signature=None):
    """Vectorise a scalar function over arrays (``jnp.vectorize``).

    Example:
        >>> vectorize(lambda a, b: a + b)(jnp.ones(2), 1.0).tolist()
        [2.0, 2.0]
    """
    return jnp.vectorize(pyfunc, excluded=excluded or set(), signature=signature)


@symbolic_op
def view(x: Any, dtype: Any = None) -> jax.Array:
    """The same bits reinterpreted as ``dtype``.

    Example:
        >>> view(jnp.array([1.0]), "int32").tolist()
        [1065353216]
    """
    x = jnp.asarray(x)
    return x if dtype is None else x.view(dtype)


@symbolic_op
def get_item(x: Any, key: Any) -> jax.Array:
    """``x[key]``.

    Example:
        >>> get_item(jnp.arange(3), 1).tolist()
        1
    """
    if isinstance(key, list):
        key = tuple(key)
    return jnp.asarray(x)[key]


@symbolic_op
def polar(abs_: Any, angle: Any) -> jax.Array:
    """Complex numbers from magnitude and angle.

    Example:
        >>> complex(polar(2.0, 0.0))
        (2+0j)
    """
    abs_, angle = _float(abs_), _float(angle)
    return abs_ * jnp.cos(angle) + 1j * abs_ * jnp.sin(angle)


def _window(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def window(x: int) -> jax.Array:
        return fn(int(x)).astype(_settings.floatx())

    window.__name__ = window.__qualname__ = name
    window.__doc__ = f"The {name} window of ``x`` points.\n"
    return symbolic_op(window)


bartlett = _window(jnp.bartlett, "bartlett")
blackman = _window(jnp.blackman, "blackman")
hamming = _window(jnp.hamming, "hamming")
hanning = _window(jnp.hanning, "hanning")


@symbolic_op
def kaiser(x: int, beta: float) -> jax.Array:
    """The Kaiser window of ``x`` points.

    Example:
        >>> kaiser(3, 0.0).tolist()
        [1.0, 1.0, 1.0]
    """
    return jnp.kaiser(int(x), beta).astype(_settings.floatx())


__all__ += [
    "sinc", "i0", "erfc", "ldexp", "median", "quantile", "average", "bincount", "array",
    "empty", "tri", "geomspace", "logspace", "correlate", "cross", "histogram", "isin",
    "searchsorted", "select", "unique", "vectorize", "view", "get_item", "polar",
    "bartlett", "blackman", "hamming", "hanning", "kaiser",
]  # fmt: skip
