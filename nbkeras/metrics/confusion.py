"""Confusion-matrix metrics: TP/FP/TN/FN counts, Precision, Recall and AUC."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from nbkeras.losses.functions import EPSILON, squeeze_or_expand_to_same_rank
from nbkeras.metrics.base import Metric, merge_mask, zero_masked_rows

NEG_INF = -1e10
_KINDS = ("tp", "fp", "tn", "fn")


def _parse_thresholds(thresholds, default):
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, list | tuple | np.ndarray) else [thresholds]
    bad = [t for t in values if t is None or t < 0 or t > 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return [float(t) for t in values]


def _evenly_distributed(thresholds) -> bool:
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _filter_top_k(x, k):
    _, idx = jax.lax.top_k(x, k)
    keep = jnp.sum(jax.nn.one_hot(idx, x.shape[-1], dtype=x.dtype), axis=-2)
    return x * keep + NEG_INF * (1 - keep)


def confusion_counts(
    y_true,
    y_pred,
    thresholds,
    evenly=False,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
):
    """Weighted TP/FP/TN/FN counts per threshold (Keras's ``update_confusion_matrix_variables``).

    Returns:
        A dict ``{'tp','fp','tn','fn'}`` of arrays ``(num_thresholds,)`` or, with
        ``multi_label``, ``(num_thresholds, num_labels)``.
    """
    dtype = jnp.float32
    y_true = jnp.asarray(y_true).astype(dtype)
    y_pred = jnp.asarray(y_pred).astype(dtype)
    thresholds_np = np.asarray(thresholds, dtype=np.float64)
    with_eps = bool(thresholds_np[0] < 0.0 or thresholds_np[-1] > 1.0)
    thr = jnp.asarray(thresholds_np, dtype)
    n_thr = thr.shape[0]
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = jnp.expand_dims(jnp.asarray(sample_weight, dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {y_pred.shape}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    weights = None
    if sample_weight is not None:
        weights = jnp.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None and not multi_label:
        lw = jnp.broadcast_to(jnp.asarray(label_weights, dtype)[None], y_pred.shape)
        weights = lw if weights is None else weights * lw
    if not multi_label:
        y_true, y_pred = jnp.reshape(y_true, (-1,)), jnp.reshape(y_pred, (-1,))
        if weights is not None:
            weights = jnp.reshape(weights, (-1,))
    if evenly:
        w = 1.0 if weights is None else weights
        y_pred = jnp.clip(y_pred, 0.0, 1.0)
        y_true = (y_true != 0).astype(dtype)
        true_labels, false_labels = y_true * w, (1.0 - y_true) * w
        buckets = jnp.ceil(y_pred * (n_thr - 1)) - 1
        if with_eps:
            buckets = jax.nn.relu(buckets)
        buckets = buckets.astype(jnp.int32)

        def per_threshold(labels, ids):
            sums = jax.ops.segment_sum(labels, ids, num_segments=n_thr)
            return jnp.flip(jnp.cumsum(jnp.flip(sums)))

        if multi_label:
            tp = jax.vmap(per_threshold, in_axes=(1, 1), out_axes=1)(true_labels, buckets)
            fp = jax.vmap(per_threshold, in_axes=(1, 1), out_axes=1)(false_labels, buckets)
            total_true, total_false = jnp.sum(true_labels, 0), jnp.sum(false_labels, 0)
        else:
            tp, fp = per_threshold(true_labels, buckets), per_threshold(false_labels, buckets)
            total_true, total_false = jnp.sum(true_labels), jnp.sum(false_labels)
        return {"tp": tp, "fp": fp, "tn": total_false - fp, "fn": total_true - tp}
    shape = (n_thr,) + (1,) * y_pred.ndim
    pred_pos = y_pred[None] > jnp.reshape(thr, shape)
    label_pos = jnp.broadcast_to((y_true != 0)[None], pred_pos.shape)
    w = None if weights is None else jnp.broadcast_to(weights[None], pred_pos.shape)

    def count(cond):
        values = cond.astype(dtype) if w is None else jnp.where(cond, w, 0.0)
        return jnp.sum(values, axis=1)

    return {
        "tp": count(label_pos & pred_pos),
        "fp": count(~label_pos & pred_pos),
        "tn": count(~label_pos & ~pred_pos),
        "fn": count(label_pos & ~pred_pos),
    }


class _ConfusionMetric(Metric):
    """Shared state handling: accumulate some of the four confusion counts."""

    _kinds: tuple[str, ...] = _KINDS

    def _state_shape(self):
        return (len(self.thresholds),)

    def init(self):
        return {k: jnp.zeros(self._state_shape(), self.dtype) for k in self._kinds}

    def _counts_kwargs(self):
        return {"thresholds": self.thresholds, "evenly": self._evenly}

    def _prepare(self, y_true, y_pred, sample_weight, mask):
        y_true = zero_masked_rows(jnp.asarray(y_true), mask)
        y_pred = zero_masked_rows(jnp.asarray(y_pred), mask)
        batch = y_pred.shape[0] if y_pred.ndim else 1
        return y_true, y_pred, merge_mask(sample_weight, mask, batch, jnp.float32)

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        y_true, y_pred, sample_weight = self._prepare(y_true, y_pred, sample_weight, mask)
        counts = confusion_counts(
            y_true, y_pred, sample_weight=sample_weight, **self._counts_kwargs()
        )
        return {k: state[k] + counts[k].astype(self.dtype) for k in self._kinds}


class _ConditionCount(_ConfusionMetric):
    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, 0.5)
        self._evenly = _evenly_distributed(self.thresholds)

    def result_from(self, state):
        value = state[self._kinds[0]]
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """Weighted count of true positives (per threshold)."""

    _kinds = ("tp",)


class FalsePositives(_ConditionCount):
    """Weighted count of false positives (per threshold)."""

    _kinds = ("fp",)


class TrueNegatives(_ConditionCount):
    """Weighted count of true negatives (per threshold)."""

    _kinds = ("tn",)


class FalseNegatives(_ConditionCount):
    """Weighted count of false negatives (per threshold)."""

    _kinds = ("fn",)


def _divide_no_nan(a, b):
    return jnp.where(b == 0, 0.0, a / jnp.where(b == 0, 1.0, b))


class _PrecisionRecall(_ConfusionMetric):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _parse_thresholds(thresholds, default)
        self._evenly = _evenly_distributed(self.thresholds)

    def _counts_kwargs(self):
        return {**super()._counts_kwargs(), "top_k": self.top_k, "class_id": self.class_id}

    def result_from(self, state):
        tp, other = state["tp"], state[self._kinds[1]]
        value = _divide_no_nan(tp, tp + other)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """``tp / (tp + fp)``, optionally per threshold, for the top-k or for one class.

    Args:
        thresholds: Float or list of floats in [0, 1]; a prediction above it is positive.
        top_k: Only the k highest predictions of each sample count as positive.
        class_id: Only this class (column) is considered.
    """

    _kinds = ("tp", "fp")


class Recall(_PrecisionRecall):
    """``tp / (tp + fn)``; same arguments as :class:`Precision`."""

    _kinds = ("tp", "fn")
