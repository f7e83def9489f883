"""``ModelCheckpoint``: save the model or its weights during training."""

from __future__ import annotations

import os
import warnings

import numpy as np

from nbkeras.callbacks._monitor import MonitorCallback


def sync_model(model) -> None:
    """Write the running device state into the model's variables (mid-epoch saves)."""
    state = getattr(model, "training_state", None)
    if state is not None:
        state.sync_to_model()


class FilepathFormatError(KeyError, ValueError):
    """A ``filepath`` template names a key the logs do not have (a KeyError, as in Keras)."""

    def __str__(self) -> str:
        return str(self.args[0])


class ModelCheckpoint(MonitorCallback):
    """Save the model (``.keras``) or weights (``.weights.h5``) every epoch or N batches.

    Args:
        filepath: Where to save; may hold ``str.format`` fields filled with ``epoch``
            (1-based), ``batch`` (batch-level saves) and the logs, e.g.
            ``"ckpt/{epoch:02d}-{val_loss:.2f}.keras"``.
        monitor: Log key compared with ``save_best_only``.
        verbose: 1 prints a message on each save.
        save_best_only: Only save when ``monitor`` improves (the latest best model is
            kept at ``filepath`` when it has no format fields).
        save_weights_only: Save weights only (``filepath`` must end in ``.weights.h5``);
            otherwise the whole model incl. optimizer state (``.keras``).
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        save_freq: ``"epoch"`` or an int N: save after every N batches. Batch-level
            saves read logs lazily, so only saving batches wait for the device.
        initial_value_threshold: With ``save_best_only``, only save values better than this.

    Example:
        >>> import numpy as np
        >>> import nbkeras
        >>> model = nbkeras.Sequential([nbkeras.Input((3,)), nbkeras.layers.Dense(1)])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> x, y = np.random.rand(20, 3), np.random.rand(20, 1)
        >>> cb = ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True)
        >>> history = model.fit(x, y, validation_split=0.2, epochs=3, callbacks=[cb], verbose=0)
        >>> best = nbkeras.models.load_model("best.keras")
    """

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ):
        super().__init__(monitor, mode, initial_value_threshold)
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(
                f"ModelCheckpoint expected `filepath` to be a path, received {filepath!r} of "
                f"type {type(filepath).__name__}."
            )
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are 'epoch' or "
                "integer values >= 1 (a number of batches)."
            )
        self.save_freq = save_freq
        if self.save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError(
                "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                "provided must end in `.weights.h5` (Keras weights format). Received: "
                f"filepath={self.filepath}"
            )
        if not self.save_weights_only and not self.filepath.endswith(".keras"):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format); nbkeras "
                "does not write legacy `.h5` models. Received: "
                f"filepath={self.filepath}. Use e.g. 'model.keras', or save_weights_only=True "
                "with 'model.weights.h5'."
            )
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        if save_freq != "epoch":
            self.on_train_batch_end = self._on_train_batch_end

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            sync_model(self.model)
            self._save_model(self._current_epoch, batch, logs)

    def _should_save_on_batch(self, batch: int) -> bool:
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            add = batch + 1
        else:
            add = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save(self, epoch, logs, filepath) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"Can save best model only with {self.monitor} available. Available: "
                f"{', '.join(logs or {})}.",
                stacklevel=3,
            )
            return True
        if np.ndim(current) > 0:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: "
                f"{current}. Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _get_file_path(self, epoch, batch, logs) -> str:
        logs = dict(logs or {})
        fields = {k: v for k, v in logs.items() if np.ndim(v) == 0}
        try:
            if batch is None or "batch" in fields:
                return self.filepath.format(epoch=epoch + 1, **fields)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **fields)
        except KeyError as e:
            raise FilepathFormatError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e} is '
                f"not a log key; available: {['epoch', 'batch', *fields]}."
            ) from None

    def _save_model(self, epoch, batch, logs) -> None:
        if self.save_best_only:
            self._resolve()
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used "
                f"is an existing directory: {filepath}"
            )
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
