"""``BackupAndRestore``: resume an interrupted ``fit`` where it stopped."""

from __future__ import annotations

import json
import os
import shutil

from nbkeras.callbacks.base import Callback
from nbkeras.callbacks.csv_logger import atomic_write
from nbkeras.callbacks.model_checkpoint import sync_model

_META = "training_metadata.json"


class BackupAndRestore(Callback):
    """Back up weights, optimizer state and progress; a restarted ``fit`` resumes from them.

    With ``save_freq="epoch"`` a run killed at any moment and started again (same
    script, same ``epochs``) ends with the same weights and per-epoch logs as an
    uninterrupted run: the backup holds the weights and the optimizer state
    (``.weights.h5``), the next epoch and the fit's shuffle seed (shuffles are seeded
    per epoch). Each backup is written to a new file and then published by atomically
    replacing ``training_metadata.json``, so a kill during a save leaves the previous
    backup intact.

    With ``save_freq=N`` (batches) the interrupted epoch restarts from the weights
    saved mid-epoch, as in Keras, so that run is not bit-identical to an
    uninterrupted one. Random layers (e.g. ``Dropout``) draw from RNG state that is
    restored only if the weights file stores it.

    Args:
        backup_dir: Directory for the backup (created; removed at the end of a
            successful run if ``delete_checkpoint``).
        save_freq: ``"epoch"`` or an int N: back up every N batches.
        double_checkpoint: Also keep the previous backup, used if the latest is unreadable.
        delete_checkpoint: Delete ``backup_dir`` when training finishes normally.

    Example:
        >>> import numpy as np
        >>> import nbkeras
        >>> model = nbkeras.Sequential([nbkeras.Input((3,)), nbkeras.layers.Dense(1)])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> x, y = np.random.rand(20, 3), np.random.rand(20, 1)
        >>> cb = BackupAndRestore("backup")
        >>> history = model.fit(x, y, epochs=3, callbacks=[cb], verbose=0)  # rerun to resume
    """

    def __init__(
        self,
        backup_dir: str | os.PathLike,
        save_freq: str | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ):
        super().__init__()
        if not backup_dir:
            raise ValueError(
                "Empty `backup_dir` argument passed to BackupAndRestore; give a directory "
                "such as '/tmp/backup'."
            )
        if not isinstance(backup_dir, (str, os.PathLike)):
            raise TypeError(
                f"BackupAndRestore expected `backup_dir` to be a path, received {backup_dir!r}."
            )
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. "
                "Expected either 'epoch' or an integer value >= 1."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._meta_path = os.path.join(self.backup_dir, _META)
        self._prev_meta_path = self._meta_path + ".bkp"
        self._current_epoch = 0
        self._last_batch_seen = 0
        self._batches_seen_since_last_saving = 0
        self._counter = 0
        if save_freq != "epoch":
            self.on_train_batch_end = self._on_train_batch_end

    # ------------------------------------------------------------------ restore
    def on_train_begin(self, logs=None):
        model = self.model
        if not getattr(model, "built", False):
            raise ValueError(
                f"To use the BackupAndRestore callback, your model must be built before you "
                f"call `fit()`. Model {model.name!r} is unbuilt. Build it by calling it on a "
                "batch of data or start it with an Input(shape=...)."
            )
        for meta_path in (self._meta_path, self._prev_meta_path):
            if not os.path.exists(meta_path):
                continue
            try:
                self._restore(meta_path)
                return
            except (OSError, ValueError, KeyError) as e:
                if meta_path == self._prev_meta_path or not os.path.exists(self._prev_meta_path):
                    raise ValueError(
                        f"BackupAndRestore could not restore from '{self.backup_dir}': {e}. "
                        "Delete the directory to start training from scratch."
                    ) from e

    def _restore(self, meta_path: str) -> None:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        weights = os.path.join(self.backup_dir, meta["weights"])
        self.model.load_weights(weights)
        seed = meta.get("shuffle_seed")
        self.model.training_state.resume(int(meta["epoch"]), None if seed is None else int(seed))
        self._current_epoch = int(meta["epoch"])
        self._counter = int(meta.get("counter", 0))

    # ------------------------------------------------------------------ save
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save(batch=0)

    def _on_train_batch_end(self, batch, logs=None):
        if batch <= self._last_batch_seen:
            add = batch + 1
        else:
            add = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            sync_model(self.model)
            self._save(batch=batch)

    def _save(self, batch: int) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        self._counter += 1
        name = f"backup-{self._counter:06d}.weights.h5"
        self.model.save_weights(os.path.join(self.backup_dir, name), overwrite=True)
        meta = {
            "epoch": self._current_epoch,
            "batch": batch,
            "weights": name,
            "counter": self._counter,
            "shuffle_seed": self.model.training_state.shuffle_seed,
        }
        previous = _read_json(self._meta_path)
        if self.double_checkpoint and previous is not None:
            atomic_write(self._prev_meta_path, json.dumps(previous))
        atomic_write(self._meta_path, json.dumps(meta))  # publishes the new backup
        keep = {name}
        if self.double_checkpoint and previous is not None:
            keep.add(previous.get("weights"))
        for f in os.listdir(self.backup_dir):
            if f.startswith("backup-") and f.endswith(".weights.h5") and f not in keep:
                os.remove(os.path.join(self.backup_dir, f))

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)


def _read_json(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
