"""Argument checks shared by the optimizer classes."""

from __future__ import annotations

import difflib
import inspect
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .schedules import LearningRateSchedule


def is_number(value: Any) -> bool:
    """True for Python/numpy real scalars and 0-d arrays (not bools)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Real):
        return True
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    return shape == () and dtype is not None and np.issubdtype(np.dtype(dtype), np.number)


def check_learning_rate(owner: str, value: Any) -> float | Callable:
    """Return a validated float learning rate, or the schedule unchanged."""
    if isinstance(value, LearningRateSchedule):
        return value
    if is_number(value):
        lr = float(value)
        if not np.isfinite(lr) or lr < 0:
            raise ValueError(
                f"{owner}: `learning_rate` must be a non-negative finite float. "
                f"Received: learning_rate={value!r}. Pass e.g. learning_rate=1e-3."
            )
        return lr
    if callable(value):
        try:
            params = inspect.signature(value).parameters.values()
        except (TypeError, ValueError):  # builtins without a signature
            return value
        takes_arg = any(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params
        )
        if not takes_arg:
            raise TypeError(
                f"{owner}: a callable `learning_rate` must take the step count, "
                f"e.g. `lambda step: 1e-3 * 0.9 ** (step / 100)`. Received "
                f"{value!r}, which takes no argument."
            )
        return value
    raise TypeError(
        f"{owner}: `learning_rate` must be a float, a LearningRateSchedule or a "
        f"callable `step -> learning rate`. Received: {value!r} of type "
        f"{type(value).__name__}."
    )


def check_optional_nonneg(owner: str, name: str, value: Any) -> float | None:
    """Validate an optional non-negative float argument."""
    if value is None:
        return None
    if not is_number(value) or float(value) < 0:
        raise ValueError(
            f"{owner}: `{name}` must be None or a non-negative float. Received: {name}={value!r}."
        )
    return float(value)


def check_unknown_kwargs(owner: str, kwargs: dict, valid: Iterable[str]) -> None:
    """Raise a ValueError naming unknown keyword arguments and close matches."""
    if not kwargs:
        return
    valid = sorted(valid)
    parts = []
    for key in kwargs:
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        parts.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise ValueError(
        f"{owner}: argument(s) not recognized: {', '.join(parts)}. "
        f"Valid arguments are: {', '.join(valid)}."
    )


def check_in_range(owner: str, name: str, value: Any, low: float, high: float) -> float:
    """Validate a float hyperparameter lying in ``[low, high]``."""
    if not is_number(value) or not (low <= float(value) <= high):
        raise ValueError(
            f"{owner}: `{name}` must be a float in [{low}, {high}]. Received: {name}={value!r}."
        )
    return value
