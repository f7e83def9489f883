"""Math ops (``keras.ops.math``): logsumexp, top_k, segment reductions, erf, rsqrt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from nbkeras.ops import symbolic_op

__all__ = [
    "cdist", "erf", "erfinv", "in_top_k", "logsumexp", "rsqrt", "segment_max", "segment_min",
    "segment_prod", "segment_sum", "top_k",
]  # fmt: skip


def logsumexp(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> jax.Array:
    """``log(sum(exp(x)))`` over ``axis``, computed stably.

    Example:
        >>> round(float(logsumexp(jnp.zeros(2))), 4)
        0.6931
    """
    axis = tuple(axis) if isinstance(axis, list) else axis
    return jax.scipy.special.logsumexp(jnp.asarray(x), axis=axis, keepdims=keepdims)


def top_k(x: Any, k: int, sorted: bool = True) -> tuple[jax.Array, jax.Array]:
    """The ``k`` largest values along the last axis and their indices.

    Example:
        >>> values, indices = top_k(jnp.array([1.0, 3.0, 2.0]), 2)
        >>> values.tolist(), indices.tolist()
        ([3.0, 2.0], [1, 2])
    """
    return jax.lax.top_k(jnp.asarray(x), k)


def in_top_k(targets: Any, predictions: Any, k: int) -> jax.Array:
    """Whether each target class is among the top ``k`` predictions.

    Example:
        >>> in_top_k(jnp.array([1]), jnp.array([[0.1, 0.9]]), 1).tolist()
        [True]
    """
    predictions = jnp.asarray(predictions)
    targets = jnp.asarray(targets)
    target_values = jnp.take_along_axis(predictions, targets[:, None], axis=-1)
    rank = jnp.sum(predictions > target_values, axis=-1)
    return rank < k


def segment_sum(
    data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False
) -> jax.Array:
    """Sum of ``data`` rows sharing a segment id.

    Example:
        >>> segment_sum(jnp.array([1, 2, 3]), jnp.array([0, 0, 1]), 2).tolist()
        [3, 3]
    """
    return jax.ops.segment_sum(data, segment_ids, num_segments, indices_are_sorted=sorted)


def segment_max(
    data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False
) -> jax.Array:
    """Max of ``data`` rows sharing a segment id.

    Example:
        >>> segment_max(jnp.array([1, 2, 3]), jnp.array([0, 0, 1]), 2).tolist()
        [2, 3]
    """
    return jax.ops.segment_max(data, segment_ids, num_segments, indices_are_sorted=sorted)


def segment_min(
    data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False
) -> jax.Array:
    """Min of ``data`` rows sharing a segment id.

    Example:
        >>> segment_min(jnp.array([1, 2, 3]), jnp.array([0, 0, 1]), 2).tolist()
        [1, 3]
    """
    return jax.ops.segment_min(data, segment_ids, num_segments, indices_are_sorted=sorted)


def segment_prod(
    data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False
) -> jax.Array:
    """Product of ``data`` rows sharing a segment id.

    Example:
        >>> segment_prod(jnp.array([2, 2, 3]), jnp.array([0, 0, 1]), 2).tolist()
        [4, 3]
    """
    return jax.ops.segment_prod(data, segment_ids, num_segments, indices_are_sorted=sorted)


def cdist(x: Any, y: Any) -> jax.Array:
    """Pairwise Euclidean distances between the rows of ``x`` and ``y``.

    Raises:
        ValueError: For rank < 2 or different last dimensions.

    Example:
        >>> cdist(jnp.zeros((1, 2)), jnp.array([[3.0, 4.0]])).tolist()
        [[5.0]]
    """
    x, y = jnp.asarray(x), jnp.asarray(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"`cdist` inputs must have rank >= 2; received {x.shape}, {y.shape}.")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(f"Last dimension of inputs to `cdist` must match; received "
                         f"{x.shape} and {y.shape}.")
    diff = jnp.expand_dims(x, -2) - jnp.expand_dims(y, -3)
    return jnp.sqrt(jnp.sum(diff * diff, axis=-1))


def erf(x: Any) -> jax.Array:
    """Gauss error function.

    Example:
        >>> float(erf(0.0))
        0.0
    """
    return jax.lax.erf(jnp.asarray(x, dtype=jnp.result_type(x, "float32")))


def erfinv(x: Any) -> jax.Array:
    """Inverse error function.

    Example:
        >>> float(erfinv(0.0))
        0.0
    """
    return jax.lax.erf_inv(jnp.asarray(x, dtype=jnp.result_type(x, "float32")))


def rsqrt(x: Any) -> jax.Array:
    """``1 / sqrt(x)``.

    Example:
        >>> float(rsqrt(4.0))
        0.5
    """
    return jax.lax.rsqrt(jnp.asarray(x, dtype=jnp.result_type(x, "float32")))


for _n in __all__:
    globals()[_n] = symbolic_op(globals()[_n])
del _n
