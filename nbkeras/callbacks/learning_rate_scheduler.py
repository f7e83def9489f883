"""``LearningRateScheduler``: set the learning rate from ``schedule(epoch, lr)`` each epoch."""

from __future__ import annotations

import inspect
import numbers

from nbkeras.callbacks.base import Callback
from nbkeras.callbacks.reduce_lr_on_plateau import current_lr


class LearningRateScheduler(Callback):
    """Call ``schedule(epoch, lr)`` (or ``schedule(epoch)``) at each epoch start.

    The returned float is written into the running optimizer state before the
    epoch's first step (no recompilation). ``learning_rate`` is added to epoch logs.

    Args:
        schedule: A function of the epoch index (0-based) and the current rate,
            returning the new rate as a float.
        verbose: 1 prints the rate at each epoch.

    Example:
        >>> def schedule(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.9
        >>> import numpy as np
        >>> import nbkeras
        >>> model = nbkeras.Sequential([nbkeras.Input((3,)), nbkeras.layers.Dense(1)])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> x, y = np.random.rand(20, 3), np.random.rand(20, 1)
        >>> cb = LearningRateScheduler(schedule)
        >>> history = model.fit(x, y, epochs=12, callbacks=[cb], verbose=0)
        >>> round(float(model.optimizer.learning_rate), 6)  # 0.01 * 0.9 * 0.9
        0.0081
    """

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler expected `schedule` to be a function "
                f"(epoch, lr) -> float, received {schedule!r}."
            )
        self.schedule = schedule
        self.verbose = verbose
        try:
            params = inspect.signature(schedule).parameters.values()
            positional = [
                p for p in params
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
            ]
            self._takes_lr = len(positional) >= 2 or any(
                p.kind == p.VAR_POSITIONAL for p in positional
            )
        except (TypeError, ValueError):
            self._takes_lr = True

    def on_epoch_begin(self, epoch, logs=None):
        lr = current_lr("LearningRateScheduler", self.model)
        new = self.schedule(epoch, lr) if self._takes_lr else self.schedule(epoch)
        if isinstance(new, bool) or not isinstance(new, numbers.Real):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {new!r} "
                f"(type {type(new).__name__}) at epoch {epoch}."
            )
        self.model.optimizer.learning_rate = float(new)
        if self.verbose > 0:
            print(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = current_lr("LearningRateScheduler", self.model)
