"""Recurring error messages, so every identifier lookup fails the same way."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def unknown_identifier(kind: str, received: object, valid: Iterable[str]) -> ValueError:
    """Build the ValueError for an unknown string identifier.

    Args:
        kind: What was being looked up, e.g. ``"optimizer"``.
        received: The identifier the user passed.
        valid: The accepted identifiers.

    Returns:
        A ValueError listing the valid names and the closest match.
    """
    names = sorted(set(valid))
    close = difflib.get_close_matches(str(received), names, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(
        f"Unknown {kind} identifier: received {received!r}.{hint} "
        f"Expected one of: {', '.join(repr(n) for n in names)}, "
        f"or a {kind} object."
    )


def wrong_type(kind: str, received: object, expected: str) -> TypeError:
    """Build the TypeError for an argument of the wrong type."""
    return TypeError(
        f"Could not interpret {kind}: received {received!r} "
        f"of type {type(received).__name__}; expected {expected}."
    )
