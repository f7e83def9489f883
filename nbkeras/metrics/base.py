"""The ``Metric`` base class: a pure state core plus Keras's stateful API on top."""

from __future__ import annotations

import re
from typing import Any

import jax
import jax.numpy as jnp


def snake_case(name: str) -> str:
    """``'SparseCategoricalAccuracy'`` -> ``'sparse_categorical_accuracy'``, ``'AUC'`` -> ``'auc'``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def row_mask(mask, ndim: int):
    """Reshape a ``(batch,)`` mask so it broadcasts over an array of rank ``ndim``."""
    mask = jnp.asarray(mask)
    return jnp.reshape(mask, mask.shape + (1,) * max(ndim - mask.ndim, 0))


def merge_mask(sample_weight, mask, batch_size: int, dtype):
    """Fold a ``(batch,)`` 0/1 padding mask into the sample weights."""
    if mask is None:
        return sample_weight
    mask = jnp.asarray(mask).astype(dtype)
    if sample_weight is None:
        return mask
    sample_weight = jnp.asarray(sample_weight, dtype)
    if sample_weight.ndim == 0:
        return jnp.broadcast_to(sample_weight, (batch_size,)) * mask
    return sample_weight * row_mask(mask, sample_weight.ndim)


def zero_masked_rows(x, mask):
    """Replace padded rows of ``x`` by zeros so garbage (NaN, inf) cannot leak."""
    if mask is None:
        return x
    x = jnp.asarray(x)
    return jnp.where(row_mask(jnp.asarray(mask) > 0, x.ndim), x, jnp.zeros((), x.dtype))


class Metric:
    """Base class of metrics.

    A metric is a pure state machine the jitted train step can carry:
    ``state = m.init()``, ``state = m.update(state, y_true, y_pred, sample_weight, mask)``,
    ``m.result_from(state)``. The Keras stateful API (``update_state``, ``result``,
    ``reset_state``) stores that state on the object and runs eagerly.

    Args:
        name: Name shown in logs (defaults to the snake-cased class name).
        dtype: Dtype of the state; defaults to ``'float32'``.

    Example:
        >>> m = Mean()
        >>> m.update_state([1.0, 3.0])
        >>> float(m.result())
        2.0
    """

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self._dtype = jnp.dtype(dtype or "float32").name
        self._state = None

    @property
    def dtype(self) -> str:
        return self._dtype

    # -- pure core ---------------------------------------------------------------------
    def build(self, y_true_shape=None, y_pred_shape=None) -> None:
        """Fix shape-dependent state sizes. Only a few metrics need it (AUC multi-label)."""

    def init(self) -> dict[str, jax.Array]:
        """Return a fresh state pytree (fixed shapes, zeros)."""
        raise NotImplementedError

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        """Return the state after one batch. Pure and traceable.

        Args:
            state: The current state.
            y_true: Targets.
            y_pred: Predictions.
            sample_weight: Optional per-sample weights.
            mask: Optional ``(batch,)`` 0/1 padding mask; rows with 0 change nothing.
        """
        raise NotImplementedError

    def result_from(self, state):
        """Return the metric value for ``state``. Pure and traceable."""
        raise NotImplementedError

    # -- Keras stateful API --------------------------------------------------------------
    def _ensure_state(self, *args):
        if self._state is None:
            shapes = [jnp.shape(a) for a in args]
            if shapes:
                self.build(*shapes[:2])
            self._state = self.init()
        return self._state

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Accumulate one batch into the state stored on the metric."""
        state = self._ensure_state(y_true, y_pred)
        self._state = self.update(state, jnp.asarray(y_true), jnp.asarray(y_pred), sample_weight)

    def result(self):
        """Return the current value of the metric."""
        return self.result_from(self._ensure_state())

    def reset_state(self) -> None:
        """Clear the accumulated state."""
        self._state = None

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    @property
    def variables(self) -> list[jax.Array]:
        """The state arrays, as a flat list (Keras exposes ``metric.variables``)."""
        return jax.tree_util.tree_leaves(self._ensure_state())

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
