"""Terminal progress: a one-line bar (``verbose=1``) or one line per epoch (``verbose=2``).

In a notebook the training loop adds the live view of :mod:`nbkeras.notebook.live`
instead (see ``nbkeras._progress_views.default_progress_view``).
"""

from __future__ import annotations

import sys
import time

from nbkeras.callbacks.base import Callback
from nbkeras.utils.progbar import per_unit


def _fmt(logs) -> str:
    parts = []
    for k, v in logs.items():
        try:
            parts.append(f"{k}: {float(v):.4f}")
        except (TypeError, ValueError):
            continue
    return " - ".join(parts)


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    if seconds >= 10:
        return f"{seconds:.0f}s"
    return f"{seconds:.1f}s" if seconds >= 1 else f"{1000 * seconds:.0f}ms"


class ProgbarLogger(Callback):
    """Prints progress and metrics to a text stream, throttled to ~10 updates/s.

    ``verbose=1``: a bar redrawn in place with ``\\r`` on a terminal (only the final line
    of each epoch when the stream is not a terminal, e.g. a log file); ``verbose=2``:
    one line per epoch.  Batch logs are read only when a line is drawn, so the bar does
    not force a device sync every step.

    Args:
        verbose: 1 or 2 (0 is silent).
        interval: Minimum seconds between redraws of the bar.
        stream: Where to write (default ``sys.stdout``).
        dynamic: Redraw in place with ``\\r`` (default: when ``stream`` is a terminal).
    """

    progress_view = True

    def __init__(self, verbose: int = 1, interval: float = 0.1, stream=None, dynamic=None):
        super().__init__()
        self.verbose = verbose
        self.interval = interval
        self.stream = stream or sys.stdout
        if dynamic is None:
            try:
                dynamic = bool(self.stream.isatty())
            except Exception:
                dynamic = False
        self.dynamic = dynamic
        self._last = 0.0
        self._width = 0
        self._start = time.perf_counter()

    # ------------------------------------------------------------------ output
    def _write_line(self, text: str, final: bool) -> None:
        """Overwrite the current line (padding over a longer previous one)."""
        if self.dynamic:
            pad = " " * max(self._width - len(text), 0)
            self.stream.write("\r" + text + pad + ("\n" if final else ""))
            self._width = 0 if final else len(text)
        elif final:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _bar(self, done, total, logs, start) -> str:
        elapsed = time.perf_counter() - start
        if total:
            width = 20
            filled = int(width * min(done, total) / total)
            bar = "━" * filled + ("╸" if filled < width else "") + " " * (width - filled - 1)
            head = f"{done}/{total} {bar[:width]}"
        else:
            head = f"{done}"
        timing = _duration(elapsed)
        if done and total and done < total:
            timing += f" - ETA {_duration(elapsed / done * (total - done))}"
        elif done:
            timing += " " + per_unit(elapsed / done)
        metrics = _fmt(logs)
        return f"{head} {timing}" + (f" - {metrics}" if metrics else "")

    def _maybe_update(self, batch, logs, start) -> None:
        if self.verbose != 1 or not self.dynamic:
            return
        now = time.perf_counter()
        total = self.params.get("steps")
        if now - self._last < self.interval and (total is None or batch + 1 < total):
            return
        self._last = now
        self._write_line(self._bar(batch + 1, total, logs or {}, start), final=False)

    # ------------------------------------------------------------------ fit
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._last = 0.0
        if self.verbose == 1:
            self.stream.write(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)}\n")
            self.stream.flush()

    def on_train_batch_end(self, batch, logs=None):
        self._maybe_update(batch, logs, self._epoch_start)

    def on_epoch_end(self, epoch, logs=None):
        total = self.params.get("steps")
        line = self._bar(total or 0, total, logs or {}, self._epoch_start)
        if self.verbose == 1:
            self._write_line(line, final=True)
        elif self.verbose == 2:
            self.stream.write(f"Epoch {epoch + 1}/{self.params.get('epochs', 1)} - {line}\n")
            self.stream.flush()

    # ------------------------------------------------------------------ evaluate / predict
    def on_test_begin(self, logs=None):
        self._start = time.perf_counter()
        self._last = 0.0

    on_predict_begin = on_test_begin

    def on_test_batch_end(self, batch, logs=None):
        if self.params.get("mode") == "test":
            self._maybe_update(batch, logs, self._start)

    def on_predict_batch_end(self, batch, logs=None):
        self._maybe_update(batch, {}, self._start)

    def on_test_end(self, logs=None):
        if self.verbose and self.params.get("mode") == "test":
            total = self.params.get("steps")
            self._write_line(self._bar(total or 0, total, logs or {}, self._start), final=True)

    def on_predict_end(self, logs=None):
        if self.verbose:
            total = self.params.get("steps")
            self._write_line(self._bar(total or 0, total, {}, self._start), final=True)
