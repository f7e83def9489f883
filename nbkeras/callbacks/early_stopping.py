"""``EarlyStopping``: stop training when a monitored metric stops improving."""

from __future__ import annotations

from nbkeras.callbacks._monitor import MonitorCallback, check_int


class EarlyStopping(MonitorCallback):
    """Stop ``fit`` when ``monitor`` has not improved for ``patience`` epochs (Keras's rules).

    Only epoch hooks are used, so steps keep being dispatched asynchronously.

    Args:
        monitor: Log key to watch, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        min_delta: Changes smaller than this (absolute) do not count as improvement.
        patience: Epochs without improvement after which training stops.
        verbose: 1 prints a message when stopping or restoring weights.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the name).
        baseline: Training stops if the metric does not beat this within ``patience``
            epochs.
        restore_best_weights: At the end of training, set the weights of the best
            epoch (even when training ran all epochs without stopping early).
        start_from_epoch: Epochs of warm-up before monitoring starts.

    Example:
        >>> import numpy as np
        >>> import nbkeras
        >>> model = nbkeras.Sequential([nbkeras.Input((3,)), nbkeras.layers.Dense(1)])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> x, y = np.random.rand(20, 3), np.random.rand(20, 1)
        >>> cb = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
        >>> history = model.fit(x, y, validation_split=0.2, epochs=30, callbacks=[cb], verbose=0)
        >>> len(history.epoch) <= 30
        True
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ):
        super().__init__(monitor, mode, None, min_delta)
        owner = "EarlyStopping"
        self.patience = check_int(owner, "patience", patience)
        self.start_from_epoch = check_int(owner, "start_from_epoch", start_from_epoch)
        self.verbose = verbose
        self.baseline = None if baseline is None else float(baseline)
        self.restore_best_weights = bool(restore_best_weights)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        self._resolve()
        current = self._monitor_value(logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _copy_weights(self.model)
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _copy_weights(self.model)
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)
            history = getattr(self.model, "history", None)
            if history is not None and hasattr(history, "restored_epoch"):
                history.restored_epoch = self.best_epoch  # the plots mark it


def _copy_weights(model) -> list:
    # get_weights may return zero-copy views of device buffers that later steps donate.
    import numpy as np

    return [np.array(w, copy=True) for w in model.get_weights()]
