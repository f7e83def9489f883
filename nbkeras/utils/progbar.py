"""``keras.utils.Progbar``: a text progress bar for hand-written loops."""

from __future__ import annotations

import sys
import time

import numpy as np


def per_unit(seconds: float, unit: str = "step") -> str:
    """Time per unit as Keras prints it: ``2s/step``, ``15ms/step`` or ``250us/step``.

    Example:
        >>> per_unit(0.015), per_unit(0.00025), per_unit(2.4)
        ('15ms/step', '250us/step', '2s/step')
    """
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def _clock(seconds: float) -> str:
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


class Progbar:
    """A progress bar for hand-written loops, with Keras's arguments and averaging.

    Values passed to :meth:`update` are averaged over the steps seen (weighted by the
    number of steps since the previous update), except ``stateful_metrics`` and the
    values of the final update, which are shown as given (Keras's rule).

    Args:
        target: Total number of steps, or None if unknown.
        width: Width of the bar in characters.
        verbose: 0 (silent), 1 (bar redrawn in place) or 2 (one line when finished).
        interval: Minimum seconds between redraws.
        stateful_metrics: Names of values shown as they are, not averaged.
        unit_name: Name of a step in the time display.
        stream: Where to write (default ``sys.stdout``).

    Example:
        >>> bar = Progbar(3, verbose=2)
        >>> for step in range(3):
        ...     bar.update(step + 1, values=[("loss", 1.0 / (step + 1))])  # doctest: +ELLIPSIS
        3/3 - ...s - ...step - loss: 0.3333
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step", stream=None):
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2, received {verbose!r}.")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.stream = stream or sys.stdout
        try:
            self._dynamic = bool(self.stream.isatty()) or "ipykernel" in sys.modules
        except Exception:
            self._dynamic = False
        self._values: dict[str, list] = {}
        self._order: list[str] = []
        self._seen = 0
        self._start = time.time()
        self._last_update = 0.0
        self._prev_width = 0

    def update(self, current, values=None, finalize=None) -> None:
        """Move the bar to step ``current``.

        Args:
            current: Index of the current step.
            values: ``[(name, value), ...]`` to show (averaged unless stateful).
            finalize: Whether this is the last update (default: ``current >= target``).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for k, v in values or ():
            if k not in self._order:
                self._order.append(k)
            if k in self.stateful_metrics or finalize:  # Keras: the final value is shown
                self._values[k] = [v, 1]
            else:
                base = max(current - self._seen, 1)
                total, count = self._values.get(k, [0.0, 0])
                self._values[k] = [total + v * base, count + base]
        self._seen = current
        now = time.time()
        per_step = (now - self._start) / current if current else 0.0
        if self.verbose == 1 and (finalize or now - self._last_update >= self.interval):
            self._draw(current, per_step, now, finalize)
        elif self.verbose == 2 and finalize:
            n = len(str(self.target)) if self.target else 1
            line = f"{current:{n}d}/{self.target} - {now - self._start:.0f}s - "
            self.stream.write(line + per_unit(per_step, self.unit_name) + self._metrics() + "\n")
            self.stream.flush()
        self._last_update = now

    def add(self, n, values=None) -> None:
        """Advance the bar by ``n`` steps."""
        self.update(self._seen + n, values)

    def _metrics(self) -> str:
        out = ""
        for k in self._order:
            total, count = self._values[k]
            avg = float(np.mean(total)) / max(1, count)
            out += f" - {k}: {avg:.4f}" if abs(avg) > 1e-3 else f" - {k}: {avg:.4e}"
        return out

    def _draw(self, current, per_step, now, finalize) -> None:
        if self.target:
            n = len(str(self.target))
            filled = int(self.width * min(current / self.target, 1.0))
            bar = f"{current:{n}d}/{self.target} " + "━" * filled + "─" * (self.width - filled)
        else:
            bar = f"{current:7d}/Unknown"
        if self.target and not finalize:
            info = f" {_clock(per_step * (self.target - current))}"
        else:
            info = f" {now - self._start:.0f}s"
        text = bar + info + " " + per_unit(per_step, self.unit_name) + self._metrics()
        pad = " " * max(self._prev_width - len(text), 0)
        if self._dynamic:
            self.stream.write("\r" + text + pad + ("\n" if finalize else ""))
        elif finalize:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._prev_width = len(text)
