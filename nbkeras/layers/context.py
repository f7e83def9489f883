"""Call context shared by all layers: generated names, the ``training`` flag, the
padding mask of the current batch."""

from __future__ import annotations

import re
import threading

_NAME_COUNTS: dict[str, int] = {}
_context = threading.local()


def to_snake_case(name: str) -> str:
    """Keras's class-name to layer-name rule: ``Conv2D`` -> ``conv2d``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def unique_name(prefix: str) -> str:
    """``dense``, ``dense_1``, ``dense_2``... as Keras names layers."""
    count = _NAME_COUNTS.get(prefix, 0)
    _NAME_COUNTS[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reset_names() -> None:
    """Forget generated names (``keras.backend.clear_session``)."""
    _NAME_COUNTS.clear()


def current_training() -> bool | None:
    """The ``training`` flag of the innermost running ``__call__``, if any."""
    return getattr(_context, "training", None)


class sample_mask_scope:
    """Within this scope, layers that compute batch statistics see which rows are real.

    The training engine pads the last batch to a fixed size; ``BatchNormalization``
    reads :func:`current_sample_mask` so padded rows do not change its statistics.
    """

    def __init__(self, mask):
        self.mask = mask

    def __enter__(self):
        self.previous = getattr(_context, "sample_mask", None)
        _context.sample_mask = self.mask

    def __exit__(self, *exc):
        _context.sample_mask = self.previous


def current_sample_mask():
    """A ``(batch,)`` float array of 1 for real rows and 0 for padding, or None."""
    return getattr(_context, "sample_mask", None)
