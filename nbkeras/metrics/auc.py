"""Area under the ROC or precision-recall curve, from bucketed confusion counts."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from nbkeras.losses.functions import EPSILON
from nbkeras.metrics.confusion import _ConfusionMetric, _divide_no_nan, _evenly_distributed

_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(_ConfusionMetric):
    """Approximate AUC with a Riemann sum over ``num_thresholds`` thresholds (Keras's method).

    Args:
        num_thresholds: Number of thresholds (> 1).
        curve: ``'ROC'``, ``'PR'`` or ``'PRGAIN'``.
        summation_method: ``'interpolation'``, ``'majoring'`` or ``'minoring'``.
        thresholds: Explicit thresholds in [0, 1] (overrides ``num_thresholds``).
        multi_label: Treat each column as a separate label and average the AUCs.
        num_labels: Number of labels when ``multi_label`` (else taken from the data).
        label_weights: Per-label weights of the average (or of the counts when not
            ``multi_label``).
        from_logits: Apply a sigmoid to ``y_pred`` first.

    Example:
        >>> m = AUC()
        >>> m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    """

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        super().__init__(name=name, dtype=dtype)
        if str(curve).lower() not in _CURVES:
            raise ValueError(
                f"Invalid AUC curve value: received {curve!r}. Expected one of 'ROC', 'PR', "
                "'PRGAIN'."
            )
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(
                f"Invalid AUC summation method value: received {summation_method!r}. Expected "
                "one of 'interpolation', 'majoring', 'minoring'."
            )
        self.curve = _CURVES[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(inner) + 2
            self._evenly = _evenly_distributed(np.array([0.0, *inner, 1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = np.array([0.0 - EPSILON, *inner, 1.0 + EPSILON])
        self.multi_label = multi_label
        if num_labels and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self.num_labels = num_labels
        self._num_labels = num_labels
        self.label_weights = None if label_weights is None else list(label_weights)
        self._from_logits = from_logits

    @property
    def thresholds(self):
        return list(self._thresholds)

    def build(self, y_true_shape=None, y_pred_shape=None):
        if self.multi_label and self._num_labels is None and y_pred_shape is not None:
            if len(y_pred_shape) != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                    f"{len(y_pred_shape)}. Full shape received for `y_pred`: {y_pred_shape}"
                )
            self._num_labels = int(y_pred_shape[1])

    def _state_shape(self):
        if not self.multi_label:
            return (self.num_thresholds,)
        if self._num_labels is None:
            raise ValueError(
                "AUC(multi_label=True) needs the number of labels before init(): pass "
                "num_labels=... or call build(y_true_shape, y_pred_shape) first."
            )
        return (self.num_thresholds, self._num_labels)

    def _counts_kwargs(self):
        return {
            "thresholds": self._thresholds,
            "evenly": self._evenly,
            "multi_label": self.multi_label,
            "label_weights": None if self.multi_label else self.label_weights,
        }

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        if self._from_logits:
            y_pred = jax.nn.sigmoid(jnp.asarray(y_pred))
        return super().update(state, y_true, y_pred, sample_weight, mask)

    def _by_label(self, terms):
        if not self.multi_label:
            return jnp.sum(terms)
        by_label = jnp.sum(terms, axis=0)
        if self.label_weights is None:
            return jnp.mean(by_label)
        lw = jnp.asarray(self.label_weights, self.dtype)
        return _divide_no_nan(jnp.sum(by_label * lw), jnp.sum(lw))

    def _interpolate_pr_auc(self, state):
        tp, fp, fn = state["tp"], state["fp"], state["fn"]
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, jnp.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = jnp.where(
            (p[:-1] > 0) & (p[1:] > 0),
            _divide_no_nan(p[:-1], jnp.maximum(p[1:], 0)),
            jnp.ones_like(p[1:]),
        )
        increment = _divide_no_nan(
            slope * (dtp + intercept * jnp.log(ratio)), jnp.maximum(tp[1:] + fn[1:], 0)
        )
        return self._by_label(increment)

    def result_from(self, state):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(state)
        tp, fp, tn, fn = state["tp"], state["fp"], state["tn"], state["fn"]
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:
            scale = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * _divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * _divide_no_nan(fp, tp)
            x = jnp.maximum(jnp.where(tp == 0, 0.0, recall_gain), 0.0)
            y = jnp.where(tp == 0, 1.0, precision_gain)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = jnp.minimum(y[:-1], y[1:])
        else:
            heights = jnp.maximum(y[:-1], y[1:])
        return self._by_label((x[:-1] - x[1:]) * heights)

    def get_config(self):
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
