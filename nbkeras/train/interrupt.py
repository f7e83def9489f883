"""A kernel interrupt (Ctrl-C) during ``fit`` stops at the next step boundary.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be: possibly
between a compiled step returning its (donated) buffers and the loop storing them,
which would leave the model without valid weights.  While ``fit`` runs on the main
thread, the first SIGINT only asks the loop to stop (as the Stop button does, with the
reason ``"interrupted"``); the loop finishes the current dispatch, syncs the weights,
runs ``on_train_end`` (so ``model.history`` holds the epochs done) and then raises
``KeyboardInterrupt``.  A second interrupt raises at once, as before.
"""

from __future__ import annotations

import signal
import threading


class InterruptGuard:
    """Defers SIGINT to the next step boundary between :meth:`install` and :meth:`restore`.

    Attributes:
        requested: True once an interrupt arrived.
    """

    def __init__(self, control):
        self.control = control
        self.requested = False
        self._previous = None
        self._installed = False

    def install(self) -> None:
        """Take over SIGINT (main thread only; elsewhere, and if SIGINT is ignored, no-op)."""
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGINT)
        if previous is signal.SIG_IGN or previous is None:
            return
        self._previous = previous
        signal.signal(signal.SIGINT, self._handler)
        self._installed = True

    def _handler(self, signum, frame) -> None:
        if self.requested:  # the second interrupt: don't wait for the loop
            if callable(self._previous):
                self._previous(signum, frame)
            raise KeyboardInterrupt
        self.requested = True
        self.control.request_stop("interrupted")

    def restore(self) -> None:
        """Give SIGINT back to its previous handler."""
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False
