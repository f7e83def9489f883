"""``model.fit(..., background=True)``: train on a worker thread, get a handle back.

The cell that starts a background fit ends at once, so the kernel is idle while the
model trains: widget clicks (Stop, Pause, the learning-rate slider) arrive on every
front end, and the notebook stays usable.  The worker runs in a copy of the caller's
``contextvars`` context, so ipykernel sends the live view's output to the cell that
started the fit (not to whichever cell ran last).

Don't use the model from other cells (``predict``, ``save``...) until the fit is done:
call :meth:`FitHandle.wait` first.
"""

from __future__ import annotations

import contextvars
import threading


class FitHandle:
    """A ``fit`` running on a worker thread.

    Attributes:
        control: The fit's :class:`~nbkeras.train.FitControl` (stop, pause, learning rate).
        history: The :class:`~nbkeras.callbacks.History` once the fit returned, else None.
        error: The exception the fit raised, if any.

    Example:
        >>> handle = model.fit(x, y, epochs=100, background=True)  # doctest: +SKIP
        >>> handle.stop()  # doctest: +SKIP
        >>> history = handle.wait()  # doctest: +SKIP
    """

    def __init__(self, fit, kwargs: dict, control):
        self.control = control
        self.history = None
        self.error: BaseException | None = None
        self._done = threading.Event()
        ctx = contextvars.copy_context()
        self._thread = threading.Thread(
            target=ctx.run, args=(self._run, fit, kwargs), name="nbkeras-fit", daemon=True
        )
        self._thread.start()

    def _run(self, fit, kwargs) -> None:
        try:
            self.history = fit(control=self.control, **kwargs)
        except BaseException as e:  # kept for wait(); a worker has nobody else to tell
            self.error = e
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        """True once the fit returned or raised."""
        return self._done.is_set()

    def stop(self) -> None:
        """Stop after the current step (``on_train_end`` runs, History is kept)."""
        self.control.request_stop()

    def pause(self) -> None:
        """Hold the loop at the next step boundary."""
        self.control.pause()

    def resume(self) -> None:
        """Continue a paused fit."""
        self.control.resume()

    def wait(self, timeout: float | None = None):
        """Block until the fit ends; return its History (or raise its exception).

        Raises:
            TimeoutError: The fit is still running after ``timeout`` seconds.
        """
        if not self._done.wait(timeout):
            raise TimeoutError(
                f"The background fit is still running after {timeout} s; call wait() "
                "again, or stop() it first."
            )
        if self.error is not None:
            raise self.error
        return self.history

    def __repr__(self) -> str:
        state = "running" if not self.done else ("failed" if self.error else "done")
        return f"<FitHandle {state}>"
