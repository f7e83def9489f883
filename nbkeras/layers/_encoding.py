"""Categorical encoding shared by the feature-preprocessing layers (Keras's
``encode_categorical_inputs``): integer indices -> ``int`` / ``one_hot`` / ``multi_hot`` /
``count`` / ``tf_idf`` outputs.

Concrete inputs are encoded in NumPy (eager preprocessing compiles nothing); traced
inputs in ``jax.numpy``, so the layers also run inside ``jax.jit``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from nbkeras.layers._args import choice

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def output_mode_arg(layer_cls: str, value, extra: tuple[str, ...] = ()) -> str:
    """Validate ``output_mode`` (Keras's old names ``binary`` and ``tf-idf`` accepted)."""
    value = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(value, value)
    return choice(layer_cls, "output_mode", value, OUTPUT_MODES + extra)


def xp_of(*values):
    """``jax.numpy`` if any value is traced, else NumPy."""
    traced = any(isinstance(v, jax.core.Tracer) for v in values)
    return jnp if traced else np


def _one_hot(xp, x, depth, dtype):
    return (x[..., None] == xp.arange(depth)).astype(dtype)


def encode(indices, output_mode: str, depth: int, dtype, count_weights=None, idf=None):
    """Encode integer ``indices`` (values outside ``[0, depth)`` encode to zeros).

    ``multi_hot``/``count`` reduce axis 1 of a rank>=2 input (Keras's rule, so a batch of
    samples ``(batch, tokens)`` becomes ``(batch, depth)``); ``one_hot`` drops a trailing
    axis of size 1 first. Returns a JAX array.
    """
    xp = xp_of(indices, count_weights)
    x = xp.asarray(indices)
    dtype = jnp.dtype(dtype)
    if output_mode == "int":
        return jnp.asarray(x.astype(dtype))
    if x.ndim == 0:
        x = x[None]
    if output_mode == "one_hot":
        if x.ndim > 1 and x.shape[-1] == 1:
            x = x[..., 0]
        return jnp.asarray(_one_hot(xp, x, depth, dtype))
    axis = 1 if x.ndim > 1 else 0
    if output_mode == "multi_hot":
        return jnp.asarray(xp.max(_one_hot(xp, x, depth, dtype), axis=axis))
    if count_weights is not None:
        weights = xp.asarray(count_weights)
        hot = _one_hot(xp, x, depth, weights.dtype) * weights[..., None]
    else:
        hot = _one_hot(xp, x, depth, dtype)
    counts = xp.sum(hot, axis=axis).astype(hot.dtype)
    if output_mode == "tf_idf":
        counts = counts.astype(dtype) * xp.asarray(idf, dtype)
    return jnp.asarray(counts)
