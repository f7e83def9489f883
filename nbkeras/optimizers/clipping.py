"""Gradient clipping with Keras's exact formulas (``base_optimizer._clip_gradients``)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp


def clip_by_norm(g: jax.Array, clipnorm: float) -> jax.Array:
    """Scale ``g`` so its L2 norm is at most ``clipnorm`` (NaN-safe for zero gradients)."""
    l2sum = jnp.sum(jnp.square(g), keepdims=True)
    pred = l2sum > 0
    l2norm = jnp.where(pred, jnp.sqrt(jnp.where(pred, l2sum, jnp.ones_like(l2sum))), l2sum)
    return g * clipnorm / jnp.maximum(l2norm, clipnorm)


def clip_by_global_norm(grads: Any, clipnorm: float) -> Any:
    """Scale all gradients by ``min(1, clipnorm / global_norm)``; NaN/inf norms give NaN."""
    leaves = jax.tree.leaves(grads)
    norm = jnp.sqrt(jnp.sum(jnp.stack([jnp.sum(jnp.square(g)) for g in leaves])))
    scale = clipnorm * jnp.minimum(1.0 / norm, 1.0 / clipnorm) + (norm - norm)
    return jax.tree.map(lambda g: g * scale.astype(g.dtype), grads)


def clip(
    grads: Any, clipnorm: float | None, clipvalue: float | None, global_clipnorm: float | None
) -> Any:
    """Apply whichever clipping option is set (Keras ignores values <= 0)."""
    if clipnorm:
        return jax.tree.map(lambda g: clip_by_norm(g, clipnorm), grads)
    if global_clipnorm:
        return clip_by_global_norm(grads, global_clipnorm)
    if clipvalue:
        return jax.tree.map(lambda g: jnp.clip(g, -clipvalue, clipvalue), grads)
    return grads
