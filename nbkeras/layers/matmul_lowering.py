"""A faster kernel gradient for narrow ``Dense`` layers on CPU.

The kernel gradient of ``y = x @ w`` is ``x^T @ dy``: a GEMM contracting the batch, whose
output ``(in, out)`` has the layer's ``out`` features as its minor dimension. XLA:CPU
computes that product slowly when ``out`` is small (a classifier head with 10 units):
measured on this project's 2-core CPU (jax 0.10), a full SGD step of a ``(32, 784) ->
10`` layer took 67-69 us, of a ``(128, 512) -> 10`` one 256-300 us. Computed instead as
``(dy^T @ x)^T`` - an ``(out, in)`` GEMM, materialized, then a small transpose - the same
steps took 42-44 and 141 us. For ``out >= 32`` XLA's own product was as fast or faster
(up to 2x for ``(4096, 16) -> 256``), so :func:`dense_matmul` changes it only up to
``NARROW_UNITS`` outputs.

The forward pass is the plain ``x @ w`` (outputs are identical); a ``jax.custom_jvp``
routes the kernel's tangent through an ``optimization_barrier`` so that its transpose is
the ``(out, in)`` product (XLA would otherwise fold the transposes back into one dot).
Forward mode, ``jax.hessian`` and ``vmap`` work; gradients agree with the plain product to
float rounding.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_derivatives import SymbolicZero

NARROW_UNITS = 16  # up to this many output features the narrow gradient is used
AUTO_NARROW_GRADIENT = True


def use_narrow_gradient(x, kernel) -> bool:
    """Whether :func:`dense_matmul` changes how ``x @ kernel``'s gradient is computed."""
    return (
        AUTO_NARROW_GRADIENT
        and kernel.ndim == 2
        and x.ndim >= 2
        and kernel.shape[1] <= NARROW_UNITS
        and x.dtype == kernel.dtype
        and jnp.issubdtype(x.dtype, jnp.floating)
        and jax.default_backend() == "cpu"
    )


def dense_matmul(x, kernel):
    """``x @ kernel`` (contracting ``x``'s last axis), with the narrow-layer kernel
    gradient where :func:`use_narrow_gradient` says so.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> x, w = jnp.ones((4, 3)), jnp.ones((3, 2))
        >>> dense_matmul(x, w).shape
        (4, 2)
        >>> jax.grad(lambda w: dense_matmul(x, w).sum())(w)[0]
        Array([4., 4.], dtype=float32)
    """
    if use_narrow_gradient(x, kernel):
        return _narrow(x, kernel)
    return jnp.matmul(x, kernel)


@jax.custom_jvp
def _narrow(x, kernel):
    return jnp.matmul(x, kernel)


def _narrow_jvp(primals, tangents):
    x, kernel = primals
    dx, dkernel = tangents
    out = jnp.matmul(x, kernel)
    parts = []
    if not isinstance(dx, SymbolicZero):  # (the data's tangent usually is zero)
        parts.append(jnp.matmul(dx, kernel))
    if not isinstance(dkernel, SymbolicZero):
        # Linear in dkernel; transposed, the barrier keeps (dy^T @ x) as its own GEMM.
        parts.append(jnp.matmul(x, lax.optimization_barrier(dkernel.T).T))
    if not parts:
        return out, jnp.zeros_like(out)
    return out, sum(parts[1:], parts[0])


_narrow.defjvp(_narrow_jvp, symbolic_zeros=True)
