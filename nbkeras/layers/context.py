"""Call context shared by all layers: generated names, the ``training`` flag, the
padding mask of the current batch and the losses added by ``add_loss``."""

from __future__ import annotations

import re
import threading
import weakref

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


# ---------------------------------------------------------------- losses (add_loss)
# Losses of each layer's last call, kept outside the nnx graph (they are not state).
_LAYER_LOSSES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class collect_losses:
    """Collect every ``add_loss`` value of the calls made within this scope.

    The training step wraps the forward pass in it and adds the collected scalars to
    the total loss.

    Example:
        >>> with collect_losses() as losses:
        ...     record_loss(None, 0.5)
        >>> losses
        [0.5]
    """

    def __enter__(self) -> list:
        self.previous = getattr(_context, "losses", None)
        self.losses: list = []
        _context.losses = self.losses
        return self.losses

    def __exit__(self, *exc) -> None:
        _context.losses = self.previous


def record_loss(layer, value) -> None:
    """Record ``value`` as a loss of ``layer``'s current call (``Layer.add_loss``)."""
    if layer is not None and not getattr(_context, "symbolic", False):
        _LAYER_LOSSES.setdefault(layer, []).append(value)
    bucket = getattr(_context, "losses", None)
    if bucket is not None:
        bucket.append(value)


def own_losses(layer) -> list:
    """The losses ``layer`` itself added in its last call."""
    return list(_LAYER_LOSSES.get(layer, ()))


def clear_losses(layer) -> None:
    """Forget the losses ``layer`` added (done when an outermost call starts)."""
    _LAYER_LOSSES.pop(layer, None)


class call_scope:
    """Entered by every ``Layer.__call__``: sets the ``training`` flag for nested calls.

    ``outermost`` tells whether this call is the entry point (not nested in another
    layer's call); Keras clears the losses of the entry layer and its sublayers then.
    """

    def __init__(self, training):
        self.training = training

    def __enter__(self) -> call_scope:
        self.previous = getattr(_context, "training", None)
        self.depth = getattr(_context, "depth", 0)
        self.outermost = self.depth == 0
        _context.training = self.training
        _context.depth = self.depth + 1
        return self

    def __exit__(self, *exc) -> None:
        _context.training = self.previous
        _context.depth = self.depth


class symbolic_scope:
    """Within this scope layers run on shape placeholders: their losses are not kept."""

    def __enter__(self):
        self.previous = getattr(_context, "symbolic", False)
        _context.symbolic = True

    def __exit__(self, *exc):
        _context.symbolic = self.previous
