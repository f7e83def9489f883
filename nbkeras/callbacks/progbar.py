"""Terminal progress: a one-line bar (``verbose=1``) or one line per epoch (``verbose=2``)."""

from __future__ import annotations

import sys
import time

from nbkeras.callbacks.base import Callback


def make_progress_callback(verbose: int) -> Callback:
    """The progress display for ``verbose``: notebook view if in Jupyter, else text."""
    try:
        from nbkeras.notebook.live import in_notebook, make_live_view

        if in_notebook():
            return make_live_view(verbose)
    except ImportError:
        pass
    return ProgbarLogger(verbose=verbose)


def _fmt(logs) -> str:
    parts = []
    for k, v in logs.items():
        try:
            parts.append(f"{k}: {float(v):.4f}")
        except (TypeError, ValueError):
            continue
    return " - ".join(parts)


class ProgbarLogger(Callback):
    """Prints progress and metrics to stdout, throttled to ~10 updates/s.

    Batch logs are read only when a line is drawn, so the bar does not force a
    device sync every step.
    """

    lazy_batch_logs = True

    def __init__(self, verbose: int = 1, interval: float = 0.1, stream=None):
        super().__init__()
        self.verbose = verbose
        self.interval = interval
        self.stream = stream or sys.stdout
        self._last = 0.0

    @property
    def uses_batch_hooks(self) -> bool:
        return False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._last = 0.0
        if self.verbose == 1 and self.params.get("epochs", 1) > 1 or self.verbose == 1:
            self.stream.write(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)}\n")

    def _bar(self, done, total, logs) -> str:
        elapsed = time.perf_counter() - self._epoch_start
        if total:
            width = 20
            filled = int(width * done / total)
            bar = "━" * filled + "╸" * (filled < width) + " " * (width - filled - 1)
            head = f"{done}/{total} {bar[:width]}"
        else:
            head = f"{done}"
        return f"{head} {elapsed:.1f}s - {_fmt(logs)}"

    def on_train_batch_end(self, batch, logs=None):
        if self.verbose != 1:
            return
        now = time.perf_counter()
        total = self.params.get("steps")
        if now - self._last < self.interval and (total is None or batch + 1 < total):
            return
        self._last = now
        self.stream.write("\r" + self._bar(batch + 1, total, logs or {}))
        self.stream.flush()

    def on_epoch_end(self, epoch, logs=None):
        total = self.params.get("steps")
        line = self._bar(total or 0, total, logs or {})
        if self.verbose == 1:
            self.stream.write("\r" + line + "\n")
        elif self.verbose == 2:
            self.stream.write(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)} - {line}\n")
        self.stream.flush()

    def on_test_end(self, logs=None):
        if self.verbose and self.params.get("mode") == "test":
            self.stream.write(_fmt(logs or {}) + "\n")
