"""``CSVLogger``: stream epoch results to a CSV file (Keras's format)."""

from __future__ import annotations

import collections.abc
import csv
import io
import os

import numpy as np

from nbkeras.callbacks.base import Callback


def atomic_write(path: str, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``.

    With several processes (``jax.distributed``) only process 0 writes.
    """
    from nbkeras.distribution.process import is_main_process

    if not is_main_process():
        return
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    mode = "wb" if isinstance(data, bytes) else "w"
    kwargs = {} if isinstance(data, bytes) else {"newline": "", "encoding": "utf-8"}
    try:
        with open(tmp, mode, **kwargs) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _handle_value(v):
    if isinstance(v, str):
        return v
    if isinstance(v, collections.abc.Iterable) and not (isinstance(v, np.ndarray) and v.ndim == 0):
        return f'"[{", ".join(map(str, v))}]"'
    return v


class CSVLogger(Callback):
    """Write one CSV row per epoch: ``epoch`` then the sorted log keys (Keras's layout).

    The file is rewritten atomically (temporary file + rename) after every epoch, so
    it is always complete and readable while training runs.

    Args:
        filename: Path of the CSV file.
        separator: Column separator.
        append: Append to an existing file (the header is only written if the file
            is empty) instead of overwriting it.

    Example:
        >>> import numpy as np
        >>> import nbkeras
        >>> model = nbkeras.Sequential([nbkeras.Input((3,)), nbkeras.layers.Dense(1)])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> x, y = np.random.rand(20, 3), np.random.rand(20, 1)
        >>> history = model.fit(x, y, epochs=5, callbacks=[CSVLogger("training.log")], verbose=0)
        >>> open("training.log").readline().strip()
        'epoch,loss,mae,val_loss,val_mae'
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(
                f"CSVLogger expected `filename` to be a path, received {filename!r} of type "
                f"{type(filename).__name__}."
            )
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(
                f"CSVLogger expected `separator` to be a single character, received "
                f"{separator!r}."
            )
        self.filename = os.fspath(filename)
        if os.path.isdir(self.filename):
            raise ValueError(
                f"CSVLogger filename '{self.filename}' is a directory; pass a file path such "
                "as 'logs/training.csv'."
            )
        self.sep = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self._prefix = ""
        self._buf: io.StringIO | None = None
        self._writer = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        self._prefix = ""
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="", encoding="utf-8") as f:
                self._prefix = f.read()
            self.append_header = not self._prefix
        self._buf = io.StringIO()
        self._writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._buf is None:
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend([f"val_{k}" for k in self.keys])
        if self._writer is None:

            class Dialect(csv.excel):
                delimiter = self.sep

            self._writer = csv.DictWriter(
                self._buf, fieldnames=["epoch"] + self.keys, dialect=Dialect
            )
            if self.append_header:
                self._writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, _handle_value(logs.get(k, "NA"))) for k in self.keys)
        self._writer.writerow(row)
        atomic_write(self.filename, self._prefix + self._buf.getvalue())

    def on_train_end(self, logs=None):
        self._writer = None
