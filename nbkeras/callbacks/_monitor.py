"""Shared logic of callbacks that watch a metric: ``mode``, ``min_delta``, improvement."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from nbkeras.callbacks.base import Callback

_MODES = ("auto", "min", "max")
# Metric names (without ``val_``/output prefixes) that improve upwards, as Keras's
# metrics declare with ``_direction = "up"``.
_UP = (
    "acc", "accuracy", "auc", "precision", "recall", "f1", "fbeta", "iou",
    "cosine_similarity", "r2", "true_positives", "true_negatives", "specificity",
    "sensitivity", "top_k",
)
_DOWN = (
    "loss", "error", "crossentropy", "hinge", "divergence", "poisson", "logcosh",
    "false_positives", "false_negatives", "mse", "mae", "mape", "msle", "rmse",
)


def check_mode(owner: str, mode) -> str:
    if mode not in _MODES:
        raise ValueError(
            f"{owner} received mode={mode!r}; expected one of {list(_MODES)}. Use 'min' for "
            "losses/errors, 'max' for accuracy-like metrics, or 'auto' to infer it."
        )
    return mode


def check_monitor(owner: str, monitor) -> str:
    if not isinstance(monitor, str) or not monitor:
        raise TypeError(
            f"{owner} expected `monitor` to be a log key such as 'val_loss', received "
            f"{monitor!r}."
        )
    return monitor


def check_int(owner: str, name: str, value, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(
            f"{owner} expected `{name}` to be an integer >= {minimum}, received {value!r}."
        )
    return int(value)


def check_number(owner: str, name: str, value, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner} expected `{name}` to be a number, received {value!r}.")
    return float(value)


def direction(owner: str, monitor: str, mode: str) -> str:
    """``"min"`` or ``"max"`` for ``monitor`` under ``mode`` (``auto`` infers by name)."""
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_").lower()
    if name == "loss" or name.endswith("_loss"):
        return "min"
    if any(name == k or name.endswith("_" + k) or k in name for k in _UP):
        return "max"
    if any(k in name for k in _DOWN):
        return "min"
    raise ValueError(
        f"{owner} received monitor={monitor!r}, but cannot tell whether that metric should "
        "be maximized or minimized. Pass mode='max' to monitor the highest value or "
        "mode='min' for the lowest."
    )


class MonitorCallback(Callback):
    """Base of EarlyStopping, ModelCheckpoint and ReduceLROnPlateau (Keras's rules)."""

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        owner = type(self).__name__
        self.monitor = check_monitor(owner, monitor)
        self.mode = check_mode(owner, mode)
        self.best = check_number(owner, "baseline", baseline, allow_none=True)
        self.min_delta = abs(check_number(owner, "min_delta", min_delta))
        self._direction: str | None = None

    def _resolve(self) -> str:
        if self._direction is None:
            self._direction = direction(type(self).__name__, self.monitor, self.mode)
        return self._direction

    def _is_improvement(self, current, reference) -> bool:
        if reference is None:
            return True
        if self._resolve() == "min":
            return bool(np.less(current + self.min_delta, reference))
        return bool(np.greater(current - self.min_delta, reference))

    def _monitor_value(self, logs, what: str):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"{what} conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs.keys())}",
                stacklevel=3,
            )
        return value
