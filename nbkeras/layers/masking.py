"""Keras masking: how masks reach ``call(..., mask=)`` and leave as ``output._keras_mask``.

``Layer.__call__`` uses two helpers: :func:`fill_mask_args` passes the masks attached to
the inputs as ``mask=`` (or ``query_mask=``/``value_mask=``... for multi-input layers),
and :func:`set_output_masks` attaches ``layer.compute_mask(inputs, mask)`` to the
outputs when the layer ``supports_masking``.  Masks therefore flow through Sequential
and Functional models, eagerly and under ``jax.jit``, into RNNs, pooling, attention and
the losses (which read ``y_pred``'s mask).  :class:`Masking` creates a mask from a value.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras._keras_mask import get_keras_mask, set_keras_mask  # noqa: F401  (re-exported)
from nbkeras.layers._args import float_arg
from nbkeras.layers._mask_flow import fill_mask_args, set_output_masks  # noqa: F401
from nbkeras.layers.base import Layer


def all_masks(masks):
    """Logical AND of the non-None masks in ``masks`` (``None`` if all are None)."""
    present = [jnp.asarray(m, bool) for m in jax.tree.leaves(masks) if m is not None]
    if not present:
        return None
    out = present[0]
    for m in present[1:]:
        out = out & m
    return out


class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value``; zeroes them in the output.

    Downstream layers that support masking (RNNs, pooling, attention, losses) skip them.

    Example:
        >>> x = jnp.array([[[1.0], [0.0], [2.0]]])
        >>> Masking(0.0)(x)._keras_mask
        Array([[ True, False,  True]], dtype=bool)
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float_arg("Masking", "mask_value", mask_value)
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return jnp.any(inputs != self.mask_value, axis=-1)

    def call(self, inputs):
        keep = jnp.any(inputs != self.mask_value, axis=-1, keepdims=True)
        return jnp.where(keep, inputs, jnp.zeros((), inputs.dtype))

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
