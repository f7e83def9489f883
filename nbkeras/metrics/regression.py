"""Regression metrics (Keras 3 semantics)."""

from __future__ import annotations

import jax.numpy as jnp

from nbkeras.losses import functions as F
from nbkeras.losses.functions import squeeze_or_expand_to_same_rank
from nbkeras.metrics.base import Metric, merge_mask, zero_masked_rows
from nbkeras.metrics.reduction import Mean, _KerasWrapper


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity along ``axis`` (positive: 1 means identical directions)."""
    return -F.cosine_similarity(y_true, y_pred, axis=axis)


class MeanSquaredError(_KerasWrapper):
    """Mean of squared errors."""

    _fn_impl = staticmethod(F.mean_squared_error)

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsoluteError(_KerasWrapper):
    """Mean of absolute errors."""

    _fn_impl = staticmethod(F.mean_absolute_error)

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(_KerasWrapper):
    """Mean absolute percentage error."""

    _fn_impl = staticmethod(F.mean_absolute_percentage_error)

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_KerasWrapper):
    """Mean squared logarithmic error."""

    _fn_impl = staticmethod(F.mean_squared_logarithmic_error)

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class LogCoshError(_KerasWrapper):
    """Mean of ``log(cosh(y_pred - y_true))``."""

    _fn_impl = staticmethod(F.log_cosh)

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CosineSimilarity(_KerasWrapper):
    """Mean cosine similarity between labels and predictions."""

    _fn_impl = staticmethod(cosine_similarity)

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class RootMeanSquaredError(Mean):
    """Square root of the mean squared error over all elements."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        y_true = jnp.asarray(y_true, self.dtype)
        y_pred = jnp.asarray(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self._accumulate(state, jnp.square(y_pred - y_true), sample_weight, mask)

    def result_from(self, state):
        return jnp.sqrt(super().result_from(state))

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        Metric.update_state(self, y_true, y_pred, sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class R2Score(Metric):
    """Coefficient of determination, for 2D ``(batch, outputs)`` regression targets.

    Args:
        class_aggregation: ``'uniform_average'``, ``'variance_weighted_average'`` or
            ``None`` (one score per output).
        num_regressors: For the adjusted R2 score.
    """

    def __init__(
        self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None
    ):
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                f"Invalid value for argument `class_aggregation`: received "
                f"{class_aggregation!r}. Expected one of {valid}."
            )
        if num_regressors < 0:
            raise ValueError(
                f"Invalid value for argument `num_regressors`: received {num_regressors}. "
                "Expected a value >= 0."
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self._num_outputs = None

    def build(self, y_true_shape=None, y_pred_shape=None):
        if y_pred_shape is not None and self._num_outputs is None:
            if len(y_pred_shape) == 1:
                y_pred_shape = (*y_pred_shape, 1)
            if len(y_pred_shape) != 2:
                raise ValueError(
                    "R2Score expects 2D inputs with shape (batch_size, output_dim). "
                    f"Received y_pred.shape={tuple(y_pred_shape)}."
                )
            self._num_outputs = int(y_pred_shape[-1])

    def init(self):
        if self._num_outputs is None:
            raise ValueError(
                "R2Score needs the output size before init(): call "
                "build(y_true_shape, y_pred_shape) first."
            )
        z = jnp.zeros((self._num_outputs,), self.dtype)
        return {
            "sum": z,
            "squared_sum": z,
            "total_mse": z,
            "count": z,
            "num_samples": jnp.zeros((), self.dtype),
        }

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        y_true = zero_masked_rows(jnp.asarray(y_true, self.dtype), mask)
        y_pred = zero_masked_rows(jnp.asarray(y_pred, self.dtype), mask)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        sample_weight = merge_mask(sample_weight, mask, y_true.shape[0], self.dtype)
        sw = jnp.asarray(1.0 if sample_weight is None else sample_weight, self.dtype)
        if sw.ndim == 1:
            sw = sw[:, None]
        sw = jnp.broadcast_to(sw, y_true.shape)
        rows = y_true.size if mask is None else jnp.sum(jnp.asarray(mask)) * y_true.shape[-1]
        return {
            "sum": state["sum"] + jnp.sum(y_true * sw, axis=0),
            "squared_sum": state["squared_sum"] + jnp.sum(y_true * y_true * sw, axis=0),
            "total_mse": state["total_mse"] + jnp.sum((y_true - y_pred) ** 2 * sw, axis=0),
            "count": state["count"] + jnp.sum(sw, axis=0),
            "num_samples": state["num_samples"] + jnp.asarray(rows, self.dtype),
        }

    def result_from(self, state):
        mean = state["sum"] / state["count"]
        total = state["squared_sum"] - state["sum"] * mean
        raw = 1 - state["total_mse"] / total
        raw = jnp.where(jnp.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = jnp.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = jnp.sum(total * raw) / jnp.sum(total)
        else:
            score = raw
        if self.num_regressors:
            n, p = state["num_samples"], self.num_regressors
            adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
            score = jnp.where(n - 1 > p, adjusted, score)
        return score

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
