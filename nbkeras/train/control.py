"""``FitControl``: stop, pause and change the learning rate of a running ``fit``.

Another thread (a widget callback, a web handler, a test) flips the control; the
training loop reads it at each dispatch boundary (between two compiled executions of
``k`` steps).  Nothing here touches the device or recompiles anything.
"""

from __future__ import annotations

import math
import threading


class FitControl:
    """A thread-safe remote control for ``fit`` (an nbkeras extension to Keras).

    Pass one to ``model.fit(..., control=ctl)``, or use the one ``fit`` creates,
    ``model.training_state.control``.  The loop reads it between dispatches:

    * :meth:`request_stop`: the current dispatch finishes, ``on_epoch_end`` and
      ``on_train_end`` run, the weights are written back to the model and ``fit``
      returns its ``History``.
    * :meth:`pause` / :meth:`resume`: the loop blocks on a condition variable (no CPU
      used) until resumed or stopped; the result is the same as an unpaused run.
    * :meth:`set_learning_rate`: applied at the next boundary without recompiling.
      With a learning-rate schedule, a multiplier is set so the current rate equals
      ``value`` (the schedule's shape continues from there).  Once changed this way,
      the epoch logs and the ``History`` carry a ``"learning_rate"`` key.

    ``fit`` clears an earlier stop request when it starts; a pause is kept.

    Example:
        >>> import threading
        >>> ctl = FitControl()
        >>> ctl.set_learning_rate(1e-3)
        >>> ctl.learning_rate
        0.001
        >>> ctl.pause(); ctl.paused
        True
        >>> ctl.resume(); ctl.paused
        False
        >>> ctl.request_stop(); ctl.stop_requested
        True
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._stop = False
        self._stop_reason: str | None = None
        self._paused = False
        self._pending_lr: float | None = None
        self._lr: float | None = None

    # ------------------------------------------------------------ user side
    def request_stop(self, reason: str = "stopped") -> None:
        """End the fit after the current dispatch (also ends a pause).

        Args:
            reason: Why, as the live view shows it (``"stopped"``; a kernel interrupt
                passes ``"interrupted"``).
        """
        with self._cond:
            if not self._stop:
                self._stop_reason = str(reason)
            self._stop = True
            self._cond.notify_all()

    @property
    def stop_requested(self) -> bool:
        """True once :meth:`request_stop` was called (until the next ``fit`` starts)."""
        return self._stop

    @property
    def stop_reason(self) -> str | None:
        """The ``reason`` of the first :meth:`request_stop` (None if none)."""
        return self._stop_reason if self._stop else None

    def pause(self) -> None:
        """Block the loop at the next dispatch boundary until :meth:`resume`."""
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        """Let a paused loop continue."""
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume`."""
        return self._paused

    def set_learning_rate(self, value: float) -> None:
        """Use ``value`` as the learning rate from the next dispatch on.

        Args:
            value: A finite, non-negative float.

        Raises:
            TypeError: If ``value`` is not a real number.
            ValueError: If ``value`` is negative, NaN or infinite.
        """
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(
            value, "__float__"
        ):
            raise TypeError(
                f"FitControl.set_learning_rate expects a float, received {value!r} of type "
                f"{type(value).__name__}. Pass e.g. set_learning_rate(1e-3)."
            )
        value = float(value)
        if not math.isfinite(value) or value < 0:
            raise ValueError(
                f"FitControl.set_learning_rate expects a finite, non-negative float, "
                f"received {value!r}. Pass e.g. set_learning_rate(1e-3)."
            )
        with self._cond:
            self._pending_lr = value
            self._lr = value

    @property
    def learning_rate(self) -> float | None:
        """The learning rate last set here or last reported by the loop (None before)."""
        return self._lr

    def __repr__(self) -> str:
        return (
            f"FitControl(stop_requested={self._stop}, paused={self._paused}, "
            f"learning_rate={self._lr!r})"
        )

    # ------------------------------------------------------------ loop side
    def _begin_fit(self) -> None:
        with self._cond:
            self._stop = False

    def _take_learning_rate(self) -> float | None:
        """The learning rate set since the last call (None if none); clears it."""
        if self._pending_lr is None:
            return None
        with self._cond:
            value, self._pending_lr = self._pending_lr, None
        return value

    def _report_learning_rate(self, value: float | None) -> None:
        with self._cond:
            if self._pending_lr is None and value is not None:
                self._lr = float(value)

    def _wait_if_paused(self) -> None:
        """Block while paused and no stop is requested (cheap when not paused)."""
        if not self._paused:
            return
        with self._cond:
            while self._paused and not self._stop:
                self._cond.wait()
