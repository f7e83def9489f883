"""A warning when the training loss becomes NaN or Inf, from logs already on the host.

``fit`` never fetches the loss per step just for this check (that would add a host sync
per step): it looks at batch logs only when a callback already fetched them, and at the
epoch logs, which are fetched at every epoch end anyway.  The first non-finite value
gives one :class:`NonFiniteLossWarning` per ``fit`` naming the epoch (and the step when
batch logs were read), and says whether the training inputs already held NaN/Inf.
"""

from __future__ import annotations

import math
import warnings

import jax
import numpy as np


class NonFiniteLossWarning(RuntimeWarning):
    """The training loss became NaN or Inf during ``fit``."""


def _first_non_finite(logs) -> tuple[str, float] | None:
    for key in ("loss", *sorted(k for k in logs if k.endswith("loss") and k != "loss")):
        value = logs.get(key)
        if isinstance(value, float | int | np.floating) and not math.isfinite(float(value)):
            return key, float(value)
    return None


class NonFiniteWatch:
    """Watches the logs ``fit`` has on the host; warns once per fit.

    Args:
        x: The training inputs if they are in memory (checked for NaN only on a warning).
    """

    def __init__(self, x=None):
        self.x = x
        self.warned = False

    def batch(self, epoch: int, step: int, logs) -> None:
        """Check batch logs, only if they were already fetched from the device."""
        if self.warned or logs is None or not getattr(logs, "loaded", True):
            return
        found = _first_non_finite(logs)
        if found is not None:
            self._warn(epoch, step, *found)

    def epoch_end(self, epoch: int, logs) -> None:
        if not self.warned and logs:
            found = _first_non_finite(logs)
            if found is not None:
                self._warn(epoch, None, *found)

    def _warn(self, epoch: int, step: int | None, key: str, value: float) -> None:
        self.warned = True
        where = f"epoch {epoch + 1}" + (f", step {step + 1}" if step is not None else "")
        how = "" if step is not None else (
            " (the epoch's mean; pass callbacks=[nbkeras.callbacks.TerminateOnNaN()] to "
            "find and stop at the first bad step)"
        )
        warnings.warn(
            f"The training {key} became {value} at {where}{how}; the weights are probably "
            f"no longer finite either.{self._inputs_note()} Otherwise lower the learning "
            "rate, clip gradients (e.g. optimizer clipnorm=1.0), and check the loss for "
            "log(0) or a division by zero.",
            NonFiniteLossWarning,
            stacklevel=4,
        )

    def _inputs_note(self) -> str:
        if self.x is None:
            return ""
        for i, leaf in enumerate(jax.tree.leaves(self.x)):
            arr = np.asarray(leaf)
            if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
                sample = int(np.argwhere(~np.isfinite(arr))[0][0])
                which = "x" if len(jax.tree.leaves(self.x)) == 1 else f"input {i} of x"
                return (
                    f" The training data already holds NaN/Inf: {which} at sample {sample}. "
                    "Clean it first (e.g. np.nan_to_num, or drop those rows)."
                )
        return " The training inputs x hold no NaN/Inf."
