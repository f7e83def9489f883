"""The metric objects of a compiled model (Keras's ``model.metrics`` after ``compile``).

``model.metrics`` starts with a ``Mean`` named ``"loss"`` (the loss tracker), then one
:class:`CompileMetrics` named ``"compile_metrics"`` holding every metric given to
``compile`` (its ``result()`` is a dict), then, for several outputs, a ``Mean`` per
output loss (``"<output>_loss"``).  The built-in fit keeps its metric state on the
device and publishes it into these objects when ``fit``/``evaluate`` end; a custom
``train_step`` updates them statelessly (``metric.stateless_update_state``).

Example:
    >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])  # doctest: +SKIP
    >>> [m.name for m in model.metrics]                             # doctest: +SKIP
    ['loss', 'compile_metrics']
"""

from __future__ import annotations

import jax.numpy as jnp

from nbkeras.metrics.base import Metric
from nbkeras.metrics.reduction import Mean
from nbkeras.train.objectives import Objectives, flatten_outputs


class _Published:
    """A metric that takes a state published by the built-in engine lazily: converted
    when first read, so publishing costs no transfer (fit's steps allow none)."""

    def publish(self, state) -> None:
        self.__dict__["_published"] = state

    def _ensure_state(self, *args):
        published = self.__dict__.pop("_published", None)
        if published is not None:
            super()._ensure_state()
            self._store(self._from_published(published))
        return super()._ensure_state(*args)

    def reset_state(self) -> None:
        self.__dict__.pop("_published", None)
        super().reset_state()


class LossTracker(_Published, Mean):
    """A ``Mean`` (``loss`` or ``<output>_loss``) fed by the built-in engine's
    ``[weighted sum, count]`` loss state."""

    def _from_published(self, s) -> dict:
        return {"count": jnp.asarray(s[1], jnp.float32), "total": jnp.asarray(s[0], jnp.float32)}


class CompileMetrics(_Published, Metric):
    """All metrics of ``compile(metrics=..., weighted_metrics=...)`` as one metric.

    ``result()`` is a dict keyed by the log names (``"mae"``, ``"out_accuracy"``...).

    Args:
        objectives: The compiled :class:`~nbkeras.train.objectives.Objectives`.
    """

    def __init__(self, objectives: Objectives):
        super().__init__(name="compile_metrics")
        self._obj = objectives

    def _keys(self):
        obj = self._obj
        return [
            (i, m, obj._metric_log_name(i, m), weighted)
            for i in range(len(obj.output_names))
            for ms, weighted in ((obj.metrics[i], False), (obj.weighted[i], True))
            for m in ms
        ]

    def init(self) -> dict:
        return {key: m.init() for _, m, key, _ in self._keys()}

    def _from_published(self, state) -> dict:
        return {key: state[key] for _, _, key, _ in self._keys()}

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        names = self._obj.output_names
        ys = flatten_outputs(y_true, names, "y")
        preds = flatten_outputs(y_pred, names, "The model output")
        state = dict(state)
        for i, m, key, weighted in self._keys():
            sw = None
            if weighted and sample_weight is not None:
                sw = sample_weight[i] if isinstance(sample_weight, (list, tuple)) else (
                    sample_weight.get(names[i]) if isinstance(sample_weight, dict)
                    else sample_weight)
            state[key] = m.update(state[key], ys[i], preds[i], sw, mask)
        return state

    def result_from(self, state) -> dict:
        return {key: m.result_from(state[key]) for _, m, key, _ in self._keys()}

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        # No jnp.asarray: targets and predictions may be lists or dicts (several outputs).
        self._store(self.update(self._ensure_state(), y_true, y_pred, sample_weight))

    @property
    def variables(self) -> list:
        """The state variables; [] until the metrics are built from the first batch."""
        return super().variables if self._obj.built else []


class CompiledMetrics:
    """The loss tracker, compile metrics and per-output loss trackers of one compile.

    Args:
        objectives: The compiled losses and metrics.
        has_metrics: Whether ``compile`` received ``metrics``/``weighted_metrics``.
    """

    def __init__(self, objectives: Objectives, has_metrics: bool):
        self._obj = objectives
        self.loss_tracker = LossTracker(name="loss")
        self.compile_metrics = CompileMetrics(objectives) if has_metrics else None
        self.output_loss_trackers = (
            [LossTracker(name=f"{n}_loss") for n, lo in zip(objectives.output_names, objectives.losses)
             if lo is not None]
            if len(objectives.output_names) > 1 else []
        )

    @property
    def metrics(self) -> list[Metric]:
        """Keras's order: loss tracker, compile metrics, per-output loss trackers."""
        out: list[Metric] = [self.loss_tracker]
        if self.compile_metrics is not None:
            out.append(self.compile_metrics)
        return out + self.output_loss_trackers

    def publish(self, state: dict) -> None:
        """Hand the built-in engine's metric state (``Objectives.init_state`` layout) to
        the metric objects; they convert it when read."""
        for tracker in [self.loss_tracker] + self.output_loss_trackers:
            if tracker.name in state:
                tracker.publish(state[tracker.name])
        if self.compile_metrics is not None and self._obj.built:
            self.compile_metrics.publish(state)
