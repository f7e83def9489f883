"""Mean, Sum and MeanMetricWrapper (the base of most Keras metrics)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from nbkeras._keras_mask import get_keras_mask
from nbkeras.losses.functions import squeeze_or_expand_to_same_rank
from nbkeras.metrics.base import Metric, merge_mask, row_mask, zero_masked_rows


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Keras's ``reduce_to_samplewise_values``: weight values and reduce them per sample."""
    values = jnp.asarray(values).astype(dtype)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        sample_weight = jnp.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def _batch(values) -> int:
    return jnp.shape(values)[0] if jnp.ndim(values) else 1


class Sum(Metric):
    """Weighted sum of the given values.

    Note: as in Keras, ``update_state(values, sample_weight=None)`` takes values, not
    ``(y_true, y_pred)``; so does the pure ``update(state, values, sample_weight, mask)``.
    """

    def __init__(self, name: str = "sum", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def init(self):
        return {"total": jnp.zeros((), self.dtype)}

    def update(self, state, values, sample_weight=None, mask=None):
        values = zero_masked_rows(values, mask)
        sample_weight = merge_mask(sample_weight, mask, _batch(values), self.dtype)
        values, _ = reduce_to_samplewise_values(values, sample_weight, jnp.sum, self.dtype)
        return {"total": state["total"] + jnp.sum(values)}

    def result_from(self, state):
        return state["total"]

    def update_state(self, values, sample_weight=None) -> None:
        state = self._ensure_state()
        self._store(self.update(state, jnp.asarray(values), sample_weight))


class Mean(Metric):
    """Weighted mean of the given values (``update_state(values, sample_weight=None)``)."""

    def __init__(self, name: str = "mean", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def init(self):
        return {"total": jnp.zeros((), self.dtype), "count": jnp.zeros((), self.dtype)}

    def _accumulate(self, state, values, sample_weight, mask):
        values = zero_masked_rows(values, mask)
        sample_weight = merge_mask(sample_weight, mask, _batch(values), self.dtype)
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, jnp.mean, self.dtype
        )
        if sample_weight is not None:
            count = jnp.sum(sample_weight)
        else:
            count = values.shape[0] if values.ndim >= 1 else 1
        return {
            "total": state["total"] + jnp.sum(values),
            "count": state["count"] + jnp.asarray(count, self.dtype),
        }

    def update(self, state, values, sample_weight=None, mask=None):
        return self._accumulate(state, values, sample_weight, mask)

    def result_from(self, state):
        count = state["count"]
        return jnp.where(count == 0, 0.0, state["total"] / jnp.where(count == 0, 1.0, count))

    def update_state(self, values, sample_weight=None) -> None:
        state = self._ensure_state()
        self._store(self.update(state, jnp.asarray(values), sample_weight))


class MeanMetricWrapper(Mean):
    """Mean of a per-sample function ``fn(y_true, y_pred, **kwargs)`` over all batches.

    Args:
        fn: The per-sample function.
        name: Defaults to ``fn.__name__``.
        dtype: State dtype.
        **kwargs: Passed to ``fn``.

    Example:
        >>> m = MeanMetricWrapper(lambda t, p: jnp.abs(t - p), name="abs")
    """

    def __init__(self, fn: Callable, name: str | None = None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def values_and_mask(self, y_true, y_pred):
        """Per-sample values and an optional element mask (``ignore_class``)."""
        return self._fn(y_true, y_pred, **self._fn_kwargs), None

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        # Keras: a mask on the predictions (Embedding(mask_zero=True), Masking) weights
        # the values, so padded time steps do not count.
        sample_weight = _with_keras_mask(sample_weight, get_keras_mask(y_pred), self.dtype)
        y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
        if mask is not None:
            # Labels of padded rows must not affect the others (e.g. hinge's 0/1 check).
            y_true = zero_masked_rows(y_true, mask)
        values, element_mask = self.values_and_mask(y_true, y_pred)
        if element_mask is not None:
            element_mask = element_mask.astype(self.dtype)
            if sample_weight is None:
                sample_weight = element_mask
            else:
                element_mask, sample_weight = squeeze_or_expand_to_same_rank(
                    element_mask, jnp.asarray(sample_weight, self.dtype)
                )
                # Per-sample weights apply to every element of the sample.
                sample_weight = row_mask(sample_weight, element_mask.ndim) * element_mask
        return self._accumulate(state, values, sample_weight, mask)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        Metric.update_state(self, y_true, y_pred, sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "fn": getattr(self._fn, "__name__", repr(self._fn)),
            **self._fn_kwargs,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        config = dict(config)
        fn = config.pop("fn")
        if isinstance(fn, str):
            from nbkeras.losses import functions
            from nbkeras.metrics import accuracy

            fn = getattr(accuracy, fn, None) or getattr(functions, fn)
        return cls(fn, **config)


class _KerasWrapper(MeanMetricWrapper):
    """A MeanMetricWrapper subclass whose config is its named options (Keras style)."""

    _options: tuple[str, ...] = ()

    def __init__(self, name: str, dtype=None, **options):
        super().__init__(type(self)._fn_impl, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "dtype": self.dtype}
        config.update({key: getattr(self, key) for key in self._options})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        return cls(**config)


def _with_keras_mask(sample_weight, keras_mask, dtype):
    """``sample_weight * keras_mask`` (ranks aligned as Keras's ``apply_mask`` does)."""
    if keras_mask is None:
        return sample_weight
    keras_mask = jnp.asarray(keras_mask).astype(dtype)
    if sample_weight is None:
        return keras_mask
    keras_mask, sample_weight = squeeze_or_expand_to_same_rank(
        keras_mask, jnp.asarray(sample_weight, dtype))
    return sample_weight * keras_mask
