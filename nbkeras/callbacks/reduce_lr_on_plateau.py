"""``ReduceLROnPlateau``: lower the learning rate when a metric stops improving."""

from __future__ import annotations

import numpy as np

from nbkeras.callbacks._monitor import MonitorCallback, check_int, check_number


def current_lr(owner: str, model) -> float:
    opt = getattr(model, "optimizer", None)
    if opt is None or not hasattr(opt, "learning_rate"):
        raise ValueError(
            f"{owner} needs a compiled model whose optimizer has a `learning_rate`; received "
            f"optimizer={opt!r}. Compile with an nbkeras optimizer, e.g. optimizers.Adam()."
        )
    return float(opt.learning_rate)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    The new rate is written into the running optimizer state before the next step
    (no recompilation). Adds ``learning_rate`` to the epoch logs, like Keras.

    Args:
        monitor: Log key to watch.
        factor: New rate = rate * factor; must be < 1.
        patience: Epochs without improvement before the rate is reduced.
        verbose: 1 prints a message on each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        min_delta: Threshold for measuring a new optimum.
        cooldown: Epochs to wait after a reduction before counting again.
        min_lr: Lower bound on the learning rate.

    Example:
        >>> cb = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=1e-4)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(
                f"ReduceLROnPlateau got unexpected keyword arguments {sorted(kwargs)}. Valid "
                "ones: monitor, factor, patience, verbose, mode, min_delta, cooldown, min_lr."
            )
        super().__init__(monitor, mode, None, min_delta)
        factor = check_number("ReduceLROnPlateau", "factor", factor)
        if not 0.0 <= factor < 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0 (or < 0). Received "
                f"factor={factor}. Use e.g. factor=0.1 to divide the rate by 10."
            )
        self.factor = factor
        self.min_lr = check_number("ReduceLROnPlateau", "min_lr", min_lr)
        self.patience = check_int("ReduceLROnPlateau", "patience", patience)
        self.cooldown = check_int("ReduceLROnPlateau", "cooldown", cooldown)
        self.verbose = verbose
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        self._resolve()
        logs = logs if logs is not None else {}
        lr = current_lr("ReduceLROnPlateau", self.model)
        logs["learning_rate"] = lr
        current = self._monitor_value(logs, "Learning rate reduction")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and lr > np.float32(self.min_lr):
                new_lr = max(lr * self.factor, self.min_lr)
                self.model.optimizer.learning_rate = new_lr
                if self.verbose > 0:
                    print(
                        f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                        f"{new_lr}."
                    )
                self.cooldown_counter = self.cooldown
                self.wait = 0
