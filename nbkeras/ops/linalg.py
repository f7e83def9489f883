"""Linear-algebra ops (``keras.ops.linalg``), over ``jax.numpy.linalg`` / ``jax.scipy``.

Also re-exported at the top of ``nbkeras.ops`` (``ops.det``, ``ops.svd``...), as in Keras.

Example:
    >>> from nbkeras import ops
    >>> float(ops.linalg.det(ops.eye(3) * 2.0))
    8.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy as jsp

from nbkeras.ops import symbolic_op
from nbkeras.ops.numpy import norm as norm

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq",
    "lu_factor", "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd",
]  # fmt: skip


def _rank2(x: Any, name: str) -> jax.Array:
    x = jnp.asarray(x)
    if x.ndim < 2:
        raise ValueError(
            f"{name} expected input to have rank >= 2 (a matrix or a batch of matrices). "
            f"Received input with shape {x.shape}."
        )
    return x


@symbolic_op
def cholesky(x: Any, upper: bool = False) -> jax.Array:
    """Cholesky factor of a symmetric positive-definite matrix (lower unless ``upper``).

    Raises:
        ValueError: Eagerly, if the matrix is not positive definite.

    Example:
        >>> cholesky(jnp.eye(2) * 4.0).tolist()
        [[2.0, 0.0], [0.0, 2.0]]
    """
    out = jnp.linalg.cholesky(_rank2(x, "cholesky"), upper=upper)
    if not isinstance(out, jax.core.Tracer) and bool(jnp.any(jnp.isnan(out))):
        raise ValueError(
            "Cholesky decomposition failed. The input might not be a valid positive "
            "definite matrix."
        )
    return out


@symbolic_op
def cholesky_inverse(x: Any, upper: bool = False) -> jax.Array:
    """Inverse of ``A`` from its Cholesky factor ``x``.

    Example:
        >>> cholesky_inverse(jnp.eye(2) * 2.0).tolist()
        [[0.25, 0.0], [0.0, 0.25]]
    """
    x = _rank2(x, "cholesky_inverse")
    identity = jnp.eye(x.shape[-1], dtype=x.dtype)
    inv_chol = jsp.linalg.solve_triangular(x, identity, lower=not upper)
    t = jnp.swapaxes(inv_chol, -1, -2)
    return inv_chol @ t if upper else t @ inv_chol


def _simple(name: str, fn: Callable[..., Any], summary: str) -> Callable[..., Any]:
    def op(x: Any) -> Any:
        return fn(_rank2(x, name))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{summary}\n\n    Keras's ``ops.{name}``.\n"
    return symbolic_op(op)


det = _simple("det", jnp.linalg.det, "Determinant.")
eig = _simple("eig", jnp.linalg.eig, "Eigenvalues and eigenvectors (CPU only in JAX).")
eigh = _simple("eigh", jnp.linalg.eigh, "Eigen-decomposition of a Hermitian matrix.")
inv = _simple("inv", jnp.linalg.inv, "Matrix inverse.")


@symbolic_op
def lu_factor(x: Any) -> tuple[jax.Array, jax.Array]:
    """LU factorisation with partial pivoting: ``(lu, pivots)`` (batched).

    Example:
        >>> lu_factor(jnp.eye(2))[1].tolist()
        [0, 1]
    """
    fn = jsp.linalg.lu_factor
    x = _rank2(x, "lu_factor")
    for _ in range(x.ndim - 2):
        fn = jax.vmap(fn)
    return fn(x)


@symbolic_op
def qr(x: Any, mode: str = "reduced") -> tuple[jax.Array, jax.Array]:
    """QR decomposition, ``mode`` ``"reduced"`` or ``"complete"``.

    Raises:
        ValueError: For another ``mode``.

    Example:
        >>> q, r = qr(jnp.eye(2))
        >>> q.shape, r.shape
        ((2, 2), (2, 2))
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(
            "`mode` argument value not supported. Expected one of {'reduced', 'complete'}. "
            f"Received: mode={mode!r}"
        )
    return jnp.linalg.qr(_rank2(x, "qr"), mode=mode)


@symbolic_op
def solve(a: Any, b: Any) -> jax.Array:
    """Solve ``a @ x = b``.

    Example:
        >>> solve(jnp.eye(2) * 2.0, jnp.ones(2)).tolist()
        [0.5, 0.5]
    """
    return jnp.linalg.solve(jnp.asarray(a), jnp.asarray(b))


@symbolic_op
def solve_triangular(a: Any, b: Any, lower: bool = False) -> jax.Array:
    """Solve ``a @ x = b`` for a triangular ``a``.

    Example:
        >>> solve_triangular(jnp.eye(2) * 2.0, jnp.ones(2)).tolist()
        [0.5, 0.5]
    """
    return jsp.linalg.solve_triangular(jnp.asarray(a), jnp.asarray(b), lower=lower)


@symbolic_op
def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True):
    """Singular value decomposition ``(u, s, vh)`` (or ``s`` only).

    Example:
        >>> svd(jnp.eye(2) * 3.0, compute_uv=False).tolist()
        [3.0, 3.0]
    """
    return jnp.linalg.svd(_rank2(x, "svd"), full_matrices=full_matrices, compute_uv=compute_uv)


@symbolic_op
def lstsq(a: Any, b: Any, rcond: Any = None) -> jax.Array:
    """Least-squares solution of ``a @ x = b``.

    Example:
        >>> lstsq(jnp.eye(2), jnp.ones(2)).tolist()
        [1.0, 1.0]
    """
    return jnp.linalg.lstsq(jnp.asarray(a), jnp.asarray(b), rcond=rcond)[0]


@symbolic_op
def matrix_rank(x: Any, tol: Any = None) -> jax.Array:
    """Rank of a matrix (number of singular values above ``tol``), as int32.

    Example:
        >>> int(matrix_rank(jnp.eye(3)))
        3
    """
    return jnp.linalg.matrix_rank(_rank2(x, "matrix_rank"), tol=tol).astype("int32")


@symbolic_op
def pinv(x: Any, rcond: Any = None) -> jax.Array:
    """Moore-Penrose pseudo-inverse.

    Example:
        >>> pinv(jnp.eye(2) * 2.0).tolist()
        [[0.5, 0.0], [0.0, 0.5]]
    """
    return jnp.linalg.pinv(_rank2(x, "pinv"), rtol=rcond)


def jvp(fun: Callable[..., Any], primals: Any, tangents: Any, has_aux: bool = False):
    """Jacobian-vector product ``(fun(*primals), J @ tangents)`` (``jax.jvp``).

    Example:
        >>> jvp(lambda x: x * 3.0, (jnp.ones(2),), (jnp.ones(2),))[1].tolist()
        [3.0, 3.0]
    """
    return jax.jvp(fun, primals, tangents, has_aux=has_aux)


@symbolic_op
def slogdet(x: Any) -> tuple[jax.Array, jax.Array]:
    """``(sign, log|det|)``, stabler than ``log(det(x))``.

    Example:
        >>> [float(v) for v in slogdet(jnp.eye(2) * 2.0)]
        [1.0, 1.3862943649291992]
    """
    return tuple(jnp.linalg.slogdet(_rank2(x, "slogdet")))


@symbolic_op
def logdet(x: Any) -> jax.Array:
    """``log(det(x))`` of a positive-definite matrix, via :func:`slogdet`.

    Example:
        >>> round(float(logdet(jnp.eye(2) * 2.0)), 4)
        1.3863
    """
    return jnp.linalg.slogdet(_rank2(x, "logdet"))[1]
