"""Safe mode: whether deserialization may run code stored in a file (Python lambdas).

It is on unless a :class:`SafeModeScope` (``load_model(..., safe_mode=False)``) or the
process-wide ``nbkeras.config.enable_unsafe_deserialization()`` turned it off. Every check
of the mode goes through :func:`in_safe_mode`.

Example:
    >>> in_safe_mode()
    True
    >>> with SafeModeScope(False):
    ...     in_safe_mode()
    False
"""

from __future__ import annotations

import threading

_state = threading.local()
_UNSAFE_GLOBAL = [False]


class SafeModeScope:
    """Within this scope, deserialization refuses (True) or allows (False) lambdas."""

    def __init__(self, safe_mode: bool | None = True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self.previous = getattr(_state, "safe_mode", None)
        _state.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc):
        _state.safe_mode = self.previous


safe_mode_scope = SafeModeScope


def set_unsafe_deserialization(flag: bool) -> None:
    """Process-wide switch behind ``nbkeras.config.enable_unsafe_deserialization``: when
    set, lambdas load even where ``safe_mode=True`` was passed (as in Keras)."""
    _UNSAFE_GLOBAL[0] = bool(flag)


def unsafe_globally() -> bool:
    """Whether :func:`set_unsafe_deserialization` turned safe mode off for the process."""
    return _UNSAFE_GLOBAL[0]


def in_safe_mode() -> bool:
    """Whether lambdas are refused now (True unless a scope said otherwise)."""
    if _UNSAFE_GLOBAL[0]:
        return False
    mode = getattr(_state, "safe_mode", None)
    return True if mode is None else bool(mode)
