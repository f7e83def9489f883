"""Short tracebacks: hide nbkeras's own frames from errors raised through its API.

A shape error inside ``fit`` passes through a dozen nbkeras frames (the loop, the jitted
step, the layer machinery) that a user cannot act on.  Entry points decorated with
:func:`filter_traceback` (``Layer.__call__``, ``fit``, ``evaluate``, ``predict``...)
re-raise the same exception object with those frames removed; the message, the notes
and the user's own frames stay.  Like Keras, filtering is on by default and
``nbkeras.config.disable_traceback_filtering()`` shows everything.
"""

from __future__ import annotations

import functools
import os
import threading
import traceback
import types

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_state = threading.local()
_enabled = [True]


def enable_traceback_filtering() -> None:
    """Hide nbkeras-internal frames from tracebacks (the default).

    Example:
        >>> enable_traceback_filtering()
        >>> is_traceback_filtering_enabled()
        True
    """
    _enabled[0] = True


def disable_traceback_filtering() -> None:
    """Show every frame, nbkeras's own included (for debugging nbkeras itself).

    Example:
        >>> disable_traceback_filtering()
        >>> is_traceback_filtering_enabled()
        False
        >>> enable_traceback_filtering()
    """
    _enabled[0] = False


def is_traceback_filtering_enabled() -> bool:
    """Whether nbkeras-internal frames are hidden from tracebacks."""
    return _enabled[0]


def is_internal(filename: str) -> bool:
    """True for a source file inside the nbkeras package."""
    return os.path.abspath(filename).startswith(_PACKAGE_DIR)


def filtered(tb: types.TracebackType | None) -> types.TracebackType | None:
    """A copy of ``tb`` without nbkeras frames (None if nothing else is left: the re-raise
    adds the entry point's own frame)."""
    out = None
    for frame, line in reversed(list(traceback.walk_tb(tb))):
        if not is_internal(frame.f_code.co_filename):
            out = types.TracebackType(out, frame, frame.f_lasti, line)
    return out


def filter_traceback(fn):
    """Decorate a public entry point: errors leave it without nbkeras frames.

    Only the outermost decorated call filters; nested ones pass errors through as they are.
    """

    @functools.wraps(fn)
    def entry_point(*args, **kwargs):
        if not _enabled[0] or getattr(_state, "active", False):
            return fn(*args, **kwargs)
        _state.active = True
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            raise e.with_traceback(filtered(e.__traceback__))  # noqa: B904 (same exception)
        finally:
            _state.active = False

    return entry_point
