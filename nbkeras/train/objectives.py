"""Compiled losses and metrics, matched to model outputs, as pure functions.

Mirrors Keras's ``CompileLoss``/``CompileMetrics``: one loss (or a list/dict of them) for
the outputs, ``loss_weights``, ``metrics`` and ``weighted_metrics`` per output, and the
same log names: ``loss``, ``<output>_loss``, ``<metric>`` or ``<output>_<metric>``.
Metric state is a pytree that lives on the device during ``fit``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from nbkeras import losses as _losses
from nbkeras import metrics as _metrics


def _per_output(spec, names: list[str], what: str, allow_single: bool = True):
    """Spread a compile argument over the outputs: single, list or dict."""
    if spec is None:
        return [None] * len(names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ValueError(
                f"compile(): {what} has keys {unknown} that are not output names. The model's "
                f"outputs are {names}."
            )
        return [spec.get(n) for n in names]
    if isinstance(spec, (list, tuple)) and len(names) > 1:
        if len(spec) != len(names):
            raise ValueError(
                f"compile(): {what} is a list of {len(spec)} entries but the model has "
                f"{len(names)} outputs {names}. Pass one entry per output or a dict."
            )
        return list(spec)
    if allow_single:
        return [spec] * len(names)
    return [spec] + [None] * (len(names) - 1)


def _metric_list(spec) -> list:
    if spec is None:
        return []
    if isinstance(spec, (list, tuple)):
        return list(spec)
    return [spec]


def flatten_outputs(tree, names: list[str], what: str) -> list:
    """Order a prediction or target structure like the model's outputs."""
    if isinstance(tree, dict):
        missing = [n for n in names if n not in tree]
        if missing:
            raise ValueError(
                f"{what} is missing entries for outputs {missing}. Expected a dict with "
                f"keys {names}; received keys {sorted(tree)}."
            )
        return [tree[n] for n in names]
    if isinstance(tree, (list, tuple)):
        if len(tree) != len(names):
            raise ValueError(
                f"{what} has {len(tree)} entries but the model has {len(names)} outputs {names}."
            )
        return list(tree)
    if len(names) != 1:
        raise ValueError(
            f"The model has {len(names)} outputs {names} but {what} is a single array. "
            "Pass a list or a dict keyed by output name."
        )
    return [tree]


class Objectives:
    """Losses, loss weights and metrics for each output of a compiled model.

    Args:
        loss, loss_weights, metrics, weighted_metrics: ``compile`` arguments.
        output_names: The model's output names, in output order.
    """

    def __init__(self, loss, loss_weights, metrics, weighted_metrics, output_names):
        self.output_names = list(output_names)
        n = len(self.output_names)
        if loss is None:
            self.losses = [None] * n
        else:
            raw = _per_output(loss, self.output_names, "loss")
            self.losses = [None if x is None else _resolve_loss(x) for x in raw]
        if loss_weights is None:
            self.loss_weights = [1.0] * n
        else:
            lw = _per_output(loss_weights, self.output_names, "loss_weights")
            self.loss_weights = [1.0 if w is None else float(w) for w in lw]
        self._metric_specs = [
            _metric_list(m) for m in _per_output_metrics(metrics, self.output_names)
        ]
        self._weighted_specs = [
            _metric_list(m) for m in _per_output_metrics(weighted_metrics, self.output_names)
        ]
        self.metrics: list[list] | None = None  # built on first data
        self.weighted: list[list] | None = None
        self._multi = n > 1
        self._pred_shapes = None

    @property
    def built(self) -> bool:
        return self.metrics is not None

    def build(self, y_true_list, y_pred_list) -> None:
        """Resolve metric strings ('accuracy') from the loss and data shapes."""
        self.losses = [
            _losses.get(lo, y_true_shape=None if y is None else tuple(y.shape),
                        y_pred_shape=tuple(p.shape)) if isinstance(lo, str) else lo
            for lo, y, p in zip(self.losses, y_true_list, y_pred_list)
        ]
        self.metrics, self.weighted = [], []
        self._pred_shapes = [tuple(yp.shape) for yp in y_pred_list]
        for i, _name in enumerate(self.output_names):
            yt, yp = y_true_list[i], y_pred_list[i]
            ts = None if yt is None else tuple(yt.shape)
            ps = tuple(yp.shape)
            plain = [self._make_metric(m, i, ts, ps) for m in self._metric_specs[i]]
            names = {m.name for m in plain}
            weighted = []
            for m in self._weighted_specs[i]:
                metric = self._make_metric(m, i, ts, ps)
                if metric.name in names:
                    metric.name = "weighted_" + metric.name
                weighted.append(metric)
            self.metrics.append(plain)
            self.weighted.append(weighted)

    def _make_metric(self, spec, i, ts, ps):
        metric = _metrics.get(spec, loss=self.losses[i], y_true_shape=ts, y_pred_shape=ps)
        if hasattr(metric, "build"):
            metric.build(ts, ps)
        return metric

    # ---------------------------------------------------------------- names
    def log_names(self) -> list[str]:
        """Names of the logged values, in the order ``evaluate`` returns them."""
        names = ["loss"]
        if self._multi:
            names += [
                f"{n}_loss" for n, lo in zip(self.output_names, self.losses) if lo is not None
            ]
        metric_names = [
            self._metric_log_name(i, m)
            for i, ms in enumerate(self.metrics or [])
            for m in ms + self.weighted[i]
        ]
        if self._multi:
            return names + sorted(metric_names)
        return names + metric_names

    def _metric_log_name(self, i: int, metric) -> str:
        return f"{self.output_names[i]}_{metric.name}" if self._multi else metric.name

    # ---------------------------------------------------------------- pure parts
    def init_state(self) -> dict:
        state = {"loss": jnp.zeros(2, jnp.float32)}
        for i, (name, lo) in enumerate(zip(self.output_names, self.losses)):
            if self._multi and lo is not None:
                state[f"{name}_loss"] = jnp.zeros(2, jnp.float32)
            for m in self.metrics[i] + self.weighted[i]:
                state[self._metric_log_name(i, m)] = m.init()
        return state

    def total_loss(self, y_true_list, y_pred_list, sample_weight, mask):
        """Weighted sum of output losses and each output's (unweighted) loss value."""
        total = jnp.zeros((), jnp.float32)
        parts = []
        for i, lo in enumerate(self.losses):
            if lo is None:
                parts.append(None)
                continue
            yt = y_true_list[i]
            if yt is None:
                raise ValueError(
                    f"Output '{self.output_names[i]}' has a loss but no target data (y) was "
                    "given for it."
                )
            sw = _sw_for(sample_weight, i, self.output_names)
            value = _loss_value(lo, yt, y_pred_list[i], sw, mask)
            parts.append(value)
            total = total + self.loss_weights[i] * value
        return total, parts

    def update_state(self, state, total, parts, y_true_list, y_pred_list, sample_weight, mask):
        count = jnp.sum(mask)
        state = dict(state)
        state["loss"] = state["loss"] + jnp.stack([total * count, count])
        for i, name in enumerate(self.output_names):
            if self._multi and parts[i] is not None:
                key = f"{name}_loss"
                state[key] = state[key] + jnp.stack([parts[i] * count, count])
            yt, yp = y_true_list[i], y_pred_list[i]
            sw = _sw_for(sample_weight, i, self.output_names)
            for m in self.metrics[i]:
                key = self._metric_log_name(i, m)
                state[key] = m.update(state[key], yt, yp, None, mask)
            for m in self.weighted[i]:
                key = self._metric_log_name(i, m)
                state[key] = m.update(state[key], yt, yp, sw, mask)
        return state

    def results(self, state) -> dict:
        out = {}
        for key in state:
            if key == "loss" or (
                key.endswith("_loss")
                and isinstance(state[key], jax.Array)
                and state[key].shape == (2,)
                and self._is_loss_key(key)
            ):
                s = state[key]
                out[key] = s[0] / jnp.maximum(s[1], 1.0)
        for i in range(len(self.output_names)):
            for m in self.metrics[i] + self.weighted[i]:
                key = self._metric_log_name(i, m)
                out[key] = m.result_from(state[key])
        return out

    def _is_loss_key(self, key: str) -> bool:
        return key in {f"{n}_loss" for n in self.output_names}


def _per_output_metrics(spec, names):
    if spec is None:
        return [None] * len(names)
    if isinstance(spec, dict):
        return _per_output(spec, names, "metrics")
    if len(names) == 1:
        return [spec]
    if (
        isinstance(spec, (list, tuple))
        and len(spec) == len(names)
        and all(isinstance(s, (list, tuple)) or s is None for s in spec)
    ):
        return list(spec)
    # Keras 3 rejects a flat metric list for several outputs; be as clear.
    raise ValueError(
        f"For a model with several outputs {names}, pass metrics as a dict keyed by output "
        f"name or a list of lists (one per output); received metrics={spec!r}."
    )


def _sw_for(sample_weight, i, names):
    if sample_weight is None:
        return None
    if isinstance(sample_weight, dict):
        return sample_weight.get(names[i])
    if isinstance(sample_weight, (list, tuple)):
        return sample_weight[i]
    return sample_weight


def _resolve_loss(spec):
    """Resolve a loss now; 'crossentropy'/'ce' wait for the data shapes (build)."""
    if isinstance(spec, str) and spec.lower() in ("crossentropy", "ce"):
        return spec
    return _losses.get(spec)


def _loss_value(loss, y_true, y_pred, sample_weight, mask):
    compute = getattr(loss, "compute", None)
    if compute is None:  # a plain function f(y_true, y_pred) -> per-sample values
        return _losses.reduce_weighted(
            loss(y_true, y_pred), sample_weight=sample_weight, mask=mask
        )
    reduction = getattr(loss, "reduction", None)
    if reduction in (None, "none"):  # a compiled loss is always reduced to a scalar
        reduction = "sum_over_batch_size"
    return compute(
        y_true, y_pred, sample_weight=sample_weight, mask=mask, reduction=reduction
    )


def check_targets(objectives: Objectives, y, model_output_names) -> None:
    """Host-side checks run once per fit on NumPy targets (sparse label range)."""
    if y is None or not hasattr(_losses, "check_sparse_labels"):
        return
    ys = (
        flatten_outputs(y, objectives.output_names, "y")
        if len(objectives.output_names) > 1
        else [y]
    )
    for lo, yt, spec in zip(objectives.losses, ys, objectives._pred_shapes or []):
        name = f"{type(lo).__name__} {getattr(lo, 'name', '')}" if lo is not None else ""
        if (
            lo is not None
            and ("SparseCategorical" in name or "sparse_categorical" in name)
            and yt is not None
        ):
            if spec is not None and spec[-1] is not None:
                _losses.check_sparse_labels(np.asarray(yt), spec[-1], name,
                                            ignore_class=getattr(lo, "ignore_class", None))
