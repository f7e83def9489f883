"""A kernel interrupt (Ctrl-C) during ``fit`` stops at the next step boundary.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be: possibly
between a compiled step returning its (donated) buffers and the loop storing them,
which would leave the model without valid weights.  While ``fit`` runs on the main
thread, the first SIGINT only asks the loop to stop (as the Stop button does); the
loop finishes the current dispatch, syncs the weights, runs ``on_train_end`` (so
``model.history`` holds the epochs done) and then raises ``KeyboardInterrupt``.  A
second interrupt raises at once, as before.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


class Interrupt:
    """Whether a deferred interrupt arrived (``requested``)."""

    def __init__(self) -> None:
        self.requested = False


@contextmanager
def deferred_interrupt(control):
    """Within the block, SIGINT calls ``control.request_stop()`` once (main thread only)."""
    flag = Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN or previous is None:  # interrupts are off: keep it so
        yield flag
        return

    def handler(signum, frame):
        if flag.requested:  # the second interrupt: don't wait for the loop
            if callable(previous):
                previous(signum, frame)
            raise KeyboardInterrupt
        flag.requested = True
        control.request_stop()

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
