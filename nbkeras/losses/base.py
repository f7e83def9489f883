"""The ``Loss`` base class and the weighted reduction the training engine uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from nbkeras._keras_mask import get_keras_mask
from nbkeras.losses.functions import squeeze_or_expand_to_same_rank

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction):
    """Validate a Keras reduction name and return it unchanged."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`: received {reduction!r}. Expected one "
            f"of {', '.join(repr(r) for r in REDUCTIONS)}."
        )
    return reduction


def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _row_mask(mask, ndim: int):
    """Reshape a ``(batch,)`` row mask so it broadcasts over an array of rank ``ndim``."""
    mask = jnp.asarray(mask)
    return jnp.reshape(mask, mask.shape + (1,) * (ndim - mask.ndim))


def _align_weight(values, sample_weight):
    """Bring ``sample_weight`` to a shape that broadcasts against ``values`` (leading axes)."""
    values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
    if 0 < sample_weight.ndim < values.ndim:
        sample_weight = _row_mask(sample_weight, values.ndim)
    return values, sample_weight


def _with_keras_mask(element_mask, keras_mask, values):
    """Combine a loss's element mask with the prediction's Keras mask (Keras ignores
    masked timesteps: the mean is over unmasked elements)."""
    if keras_mask is None:
        return element_mask
    keras_mask = jnp.asarray(keras_mask, bool)
    if keras_mask.ndim > values.ndim or keras_mask.shape != values.shape[: keras_mask.ndim]:
        return element_mask
    keras_mask = jnp.reshape(keras_mask, keras_mask.shape + (1,) * (values.ndim - keras_mask.ndim))
    keras_mask = jnp.broadcast_to(keras_mask, values.shape)
    return keras_mask if element_mask is None else element_mask & keras_mask


def reduce_weighted(
    values,
    sample_weight=None,
    mask=None,
    reduction: str | None = "sum_over_batch_size",
    element_mask=None,
):
    """Weight and reduce per-sample loss values the way Keras does, ignoring padded rows.

    Args:
        values: Per-sample losses, shape ``(batch, ...)``.
        sample_weight: Optional weights, shape ``(batch,)`` or ``values.shape`` (or with a
            trailing axis of size 1).
        mask: Optional ``(batch,)`` 0/1 padding mask; rows with 0 contribute nothing.
        reduction: One of ``'sum_over_batch_size'`` (weighted sum divided by the number of
            unmasked elements, i.e. ``values.size`` without padding), ``'mean'`` (same),
            ``'sum'``, ``'mean_with_sample_weight'`` (divided by the sum of the weights),
            ``'none'``/``None`` (no reduction; weighted, masked values returned).
        element_mask: Optional boolean mask of ``values.shape`` (e.g. from ``ignore_class``).

    Returns:
        A scalar (or the weighted values when the reduction is ``'none'``/``None``).
    """
    reduction = standardize_reduction(reduction)
    values = jnp.asarray(values)
    if not jnp.issubdtype(values.dtype, jnp.floating):
        values = values.astype(jnp.float32)
    dtype = values.dtype
    keep = None
    if mask is not None:
        keep = jnp.broadcast_to(_row_mask(jnp.asarray(mask) > 0, values.ndim), values.shape)
    if element_mask is not None:
        em = jnp.broadcast_to(jnp.asarray(element_mask, bool), values.shape)
        keep = em if keep is None else keep & em
    weight = None
    if sample_weight is not None:
        values, weight = _align_weight(values, jnp.asarray(sample_weight, dtype))
        if keep is not None and keep.shape != values.shape:
            keep = jnp.reshape(keep, values.shape)
        values = values * weight
    if keep is not None:
        values = jnp.where(keep, values, jnp.zeros((), dtype))
    if reduction in (None, "none") or values.ndim == 0 or values.shape == (0,):
        return values
    total = jnp.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weight is not None:
        if element_mask is None:
            w = weight if mask is None else weight * _row_mask(mask, weight.ndim).astype(dtype)
            divisor = jnp.sum(w)
        else:
            divisor = jnp.sum(jnp.where(keep, jnp.broadcast_to(weight, values.shape), 0.0))
    elif keep is None:
        divisor = jnp.asarray(values.size, dtype)
    else:
        divisor = jnp.sum(keep.astype(dtype))
    return jnp.where(
        divisor == 0, jnp.zeros((), dtype), total / jnp.where(divisor == 0, 1, divisor)
    )


class Loss:
    """Base class of losses, with Keras 3's constructor and call semantics.

    Subclasses implement :meth:`call` (pure, per-sample values). Calling the loss object
    weights and reduces those values.

    Args:
        name: Name of the loss (defaults to the snake-cased class name).
        reduction: ``'sum_over_batch_size'`` (default), ``'sum'``, ``'mean'``,
            ``'mean_with_sample_weight'``, ``'none'`` or ``None``.
        dtype: Computation dtype; defaults to ``'float32'``.

    Example:
        >>> class MyMSE(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return jnp.mean(jnp.square(y_true - y_pred), axis=-1)
    """

    def __init__(self, name: str | None = None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _snake(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = jnp.dtype(dtype or "float32").name

    @property
    def dtype(self) -> str:
        return self._dtype

    def call(self, y_true, y_pred):
        """Return the per-sample (unreduced, unweighted) loss values."""
        raise NotImplementedError(f"{type(self).__name__} must implement `call(y_true, y_pred)`.")

    def call_with_mask(self, y_true, y_pred):
        """Return ``(values, element_mask)``; ``element_mask`` is ``None`` for most losses."""
        return self.call(y_true, y_pred), None

    def compute(self, y_true, y_pred, sample_weight=None, mask=None, reduction=None):
        """Pure, traceable loss: per-sample values, weights, padding mask and reduction.

        Args:
            y_true: Targets.
            y_pred: Predictions.
            sample_weight: Optional per-sample weights.
            mask: Optional ``(batch,)`` 0/1 padding mask.
            reduction: Overrides ``self.reduction`` when given.
        """
        keras_mask = get_keras_mask(y_pred)  # e.g. a sequence mask from Embedding(mask_zero)
        y_pred = jnp.asarray(y_pred, self._dtype)
        y_true = jnp.asarray(y_true, self._dtype)
        if mask is not None:
            # Padded rows get label 0 so they cannot sway batch-wide checks (hinge's 0/1 test).
            keep = _row_mask(jnp.asarray(mask) > 0, y_true.ndim)
            y_true = jnp.where(keep, y_true, jnp.zeros((), y_true.dtype))
        values, element_mask = self.call_with_mask(y_true, y_pred)
        element_mask = _with_keras_mask(element_mask, keras_mask, values)
        return reduce_weighted(
            values,
            sample_weight=sample_weight,
            mask=mask,
            reduction=self.reduction if reduction is None else reduction,
            element_mask=element_mask,
        )

    def __call__(self, y_true, y_pred, sample_weight=None):
        return self.compute(y_true, y_pred, sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class LossFunctionWrapper(Loss):
    """Wrap a per-sample function ``fn(y_true, y_pred, **kwargs)`` as a :class:`Loss`.

    Args:
        fn: The per-sample loss function.
        reduction: See :class:`Loss`.
        name: Defaults to ``fn.__name__``.
        dtype: See :class:`Loss`.
        **kwargs: Extra keyword arguments passed to ``fn``.
    """

    def __init__(
        self,
        fn: Callable,
        reduction="sum_over_batch_size",
        name: str | None = None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(
            name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype
        )
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"fn": getattr(self.fn, "__name__", repr(self.fn)), **self._fn_kwargs})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        config = dict(config)
        fn = config.pop("fn")
        if isinstance(fn, str):
            from nbkeras.losses import functions

            fn = getattr(functions, fn)
        return cls(fn, **config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"
