"""A byte budget for the weights created while a file is being loaded.

``load_model`` builds the model that a file's config describes before it reads the
weights, and a few bytes of config can ask for a 40 GB ``Dense`` kernel.  While a budget
is active (:func:`weight_budget`), :func:`charge` is called by ``add_weight`` before
anything is allocated and refuses weights beyond the budget with a ValueError.

Example:
    >>> with weight_budget(1024, "the file stores 1 KB of weights"):
    ...     charge((16, 16), "float32", "dense", "kernel")
"""

from __future__ import annotations

import contextlib
import math
import threading

_state = threading.local()


@contextlib.contextmanager
def weight_budget(nbytes: int, why: str):
    """Within this scope, weights created may total at most ``nbytes`` bytes.

    Args:
        nbytes: The budget in bytes.
        why: Where the budget comes from, for the error message
            (``"'m.keras' stores 1.2 MB of weights"``).
    """
    previous = getattr(_state, "budget", None)
    _state.budget = [int(nbytes), int(nbytes), why]
    try:
        yield
    finally:
        _state.budget = previous


def _itemsize(dtype) -> int:
    try:
        import jax.numpy as jnp

        return jnp.dtype(dtype).itemsize
    except TypeError:
        return 4


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KB'``."""
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} TB"


def charge(shape, dtype, layer: str, what: str) -> None:
    """Count a weight (or build input) of ``shape``/``dtype`` against the active budget.

    Raises:
        ValueError: If the budget is exceeded, naming the layer and the shape.
    """
    budget = getattr(_state, "budget", None)
    if budget is None:
        return
    size = math.prod(max(int(d), 0) for d in shape) * _itemsize(dtype)
    budget[0] -= size
    if budget[0] < 0:
        raise ValueError(
            f"Layer '{layer}' asks for {what} of shape {tuple(shape)} ({format_bytes(size)}), "
            f"but {budget[2]}, which allows at most {format_bytes(budget[1])} of weights in "
            "all. The config does not match the stored weights: the file is corrupt or "
            "crafted to exhaust memory."
        )
