"""``TensorBoard``: Keras's TensorBoard callback, writing event files without TensorFlow."""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

from nbkeras.callbacks.base import Callback


class TensorBoard(Callback):
    """Log metrics, weights, the model graph and hyperparameters for TensorBoard.

    Same arguments and layout as Keras: ``log_dir/train`` and ``log_dir/validation``
    runs with ``epoch_<metric>`` scalars (``val_`` stripped in ``validation``),
    ``epoch_learning_rate``, ``batch_<metric>`` with ``update_freq``, weight histograms
    ``<layer>/<weight>/histogram`` every ``histogram_freq`` epochs. Event files are
    written with the ``tensorboard`` package alone and flushed at every epoch end.

    Batch hooks only run when ``update_freq`` is a number; even then the logs are
    fetched from the device only every ``update_freq`` batches, so training keeps
    dispatching steps asynchronously.

    View the logs with ``%load_ext tensorboard`` + ``%tensorboard --logdir logs``,
    ``tensorboard --logdir logs``, or without a server via
    ``nbkeras.logging.plot_scalars("logs")``.

    Args:
        log_dir: Directory of this run's logs.
        histogram_freq: Log weight histograms every this many epochs (0: never).
        write_graph: Log the layer graph (graphs dashboard) and a text model summary.
        write_images: With ``histogram_freq``, also log kernels and biases as images.
        write_steps_per_second: Log training steps per second.
        update_freq: ``"epoch"``, ``"batch"`` or an int N: also log ``batch_<metric>``
            every N batches.
        profile_batch: Accepted for compatibility; profiling is not supported (as
            Keras's JAX backend on Python < 3.12). Use ``jax.profiler.trace``.
        embeddings_freq: Accepted for compatibility; the projector is not supported.
        embeddings_metadata: Accepted for compatibility.
        hparams: Optional ``{name: value}`` logged for the HParams dashboard (an
            nbkeras extension; Keras needs ``tensorboard.plugins.hparams.api``). Each
            ``log_dir`` is one session; point ``--logdir`` at its parent to compare runs
            and see their ``train``/``validation`` metrics in the dashboard.

    Example:
        >>> import numpy as np
        >>> import nbkeras
        >>> model = nbkeras.Sequential([nbkeras.Input((3,)), nbkeras.layers.Dense(1)])
        >>> model.compile("sgd", "mse", metrics=["mae"])
        >>> x, y = np.random.rand(20, 3), np.random.rand(20, 1)
        >>> tb = TensorBoard("logs/run1", histogram_freq=1, hparams={"units": 64})
        >>> history = model.fit(x, y, validation_split=0.2, epochs=2, callbacks=[tb], verbose=0)
        >>> import os
        >>> sorted(os.listdir("logs/run1"))
        ['events.out.tfevents...', 'train', 'validation']
    """

    def __init__(
        self,
        log_dir: str | os.PathLike = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: int = 0,
        embeddings_freq: int = 0,
        embeddings_metadata=None,
        hparams: dict | None = None,
    ):
        super().__init__()
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(
                f"TensorBoard expected `log_dir` to be a path, received {log_dir!r} of type "
                f"{type(log_dir).__name__}."
            )
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                f"TensorBoard expected `update_freq` to be 'epoch', 'batch' or an integer >= 1, "
                f"received {update_freq!r}."
            )
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or (
            histogram_freq < 0
        ):
            raise ValueError(
                f"TensorBoard expected `histogram_freq` to be an integer >= 0, received "
                f"{histogram_freq!r}."
            )
        if hparams is not None and not isinstance(hparams, dict):
            raise TypeError(
                f"TensorBoard expected `hparams` to be a dict {{name: value}}, received "
                f"{hparams!r}."
            )
        if profile_batch:
            warnings.warn(
                "TensorBoard profile_batch is not supported by nbkeras (Keras also disables "
                "it on the JAX backend before Python 3.12); profiling is off. Wrap a few "
                "steps in `with jax.profiler.trace(log_dir):` instead.",
                stacklevel=2,
            )
        if embeddings_freq:
            warnings.warn(
                "TensorBoard embeddings_freq is not supported by nbkeras; no projector data "
                "is written.",
                stacklevel=2,
            )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = update_freq
        self.profile_batch = 0
        self.embeddings_freq = 0
        self.embeddings_metadata = embeddings_metadata
        self.hparams = hparams
        self._writers: dict = {}
        self._global_train_batch = 0
        self._epoch_start = (0.0, 0)
        self._last_batch_log = (0.0, 0)
        if update_freq != "epoch":
            # Assigned on the instance: only batch-level TensorBoards get batch hooks;
            # the lazy logs are fetched from the device when read (every update_freq).
            self.on_train_batch_end = self._on_train_batch_end

    # ------------------------------------------------------------------ writers
    def _writer(self, run: str):
        from nbkeras.logging.writer import SummaryWriter

        if run not in self._writers:
            path = self.log_dir if run == "." else os.path.join(self.log_dir, run)
            self._writers[run] = SummaryWriter(path)
        return self._writers[run]

    def _flush(self) -> None:
        for w in self._writers.values():
            w.flush()

    def _close(self) -> None:
        for w in self._writers.values():
            w.close()
        self._writers = {}

    def _iterations(self) -> int:
        opt = getattr(self.model, "optimizer", None)
        return int(getattr(opt, "iterations", 0) or 0)

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._last_batch_log = (time.perf_counter(), 0)
        train = self._writer("train")
        if self.write_graph:
            self._write_model(train)
        if self.hparams:
            self._writer(".").hparams(self.hparams)
        self._flush()

    def _write_model(self, writer) -> None:
        from nbkeras.logging.graph import model_graph

        try:
            writer.graph(model_graph(self.model))
        except Exception as e:  # a graph is a nicety; never fail training over it
            warnings.warn(f"TensorBoard could not build the model graph: {e}", stacklevel=3)
        lines: list[str] = []
        try:
            self.model.summary(print_fn=lines.append)
        except Exception:
            lines = [repr(self.model)]
        text = "\n".join(lines)
        # Indented by four spaces: a Markdown code block keeps the table's columns.
        writer.text("model_summary", "\n".join("    " + ln for ln in text.splitlines()), 0)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = (time.perf_counter(), self._iterations())

    def _on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        step = self._global_train_batch
        if step % self.update_freq:
            return
        train = self._writer("train")
        if self.write_steps_per_second:
            t0, s0 = self._last_batch_log
            now = time.perf_counter()
            if now > t0:
                train.scalar("batch_steps_per_second", (step - s0) / (now - t0), step)
            self._last_batch_log = (now, step)
        for name, value in (logs or {}).items():
            if np.ndim(value) == 0:
                train.scalar(f"batch_{name}", value, step)
        train.flush()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        opt = getattr(self.model, "optimizer", None)
        if opt is not None and hasattr(opt, "learning_rate"):
            train_logs["learning_rate"] = float(opt.learning_rate)
        if self.write_steps_per_second:
            t0, it0 = self._epoch_start
            elapsed = time.perf_counter() - t0
            if elapsed > 0:
                train_logs["steps_per_second"] = (self._iterations() - it0) / elapsed
        train = self._writer("train")
        for name, value in train_logs.items():
            if np.ndim(value) == 0:
                train.scalar(f"epoch_{name}", value, epoch)
        if val_logs:
            val = self._writer("validation")
            iterations = self._iterations()
            for name, value in val_logs.items():
                if np.ndim(value) == 0:
                    val.scalar(f"epoch_{name}", value, epoch)
                    val.scalar(f"evaluation_{name}_vs_iterations", value, iterations)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(train, epoch)
        self._flush()

    def on_test_end(self, logs=None):
        # model.evaluate(..., callbacks=[tb]) outside fit (fit's validation is logged above).
        if not logs or getattr(self.model, "optimizer", None) is None:
            return
        val = self._writer("validation")
        for name, value in logs.items():
            if np.ndim(value) == 0:
                val.scalar(f"evaluation_{name}_vs_iterations", value, self._iterations())
        val.flush()

    def on_train_end(self, logs=None):
        if self.hparams:
            self._writer(".").hparams_end("STATUS_SUCCESS")
        self._close()

    def _log_weights(self, writer, epoch: int) -> None:
        for layer in getattr(self.model, "layers", []):
            for w in getattr(layer, "weights", []):
                name = str(w.get_metadata().get("path") or getattr(w, "name", "weight"))
                name = name.replace(":", "_")
                value = np.asarray(w.get_value(), dtype=np.float64)
                writer.histogram(f"{name}/histogram", value, epoch)
                if self.write_images:
                    img = weight_image(value)
                    if img is not None:
                        writer.image(f"{name}/image", img, epoch)

    def __del__(self):
        try:
            self._close()
        except Exception:
            pass


def weight_image(w: np.ndarray) -> np.ndarray | None:
    """A weight as a grey image in ``[0, 1]`` (Keras's layout), or None for >3-D kernels.

    Biases become one row; dense kernels are transposed to be wide; 3-D kernels show
    each last-axis slice side by side.
    """
    w = np.squeeze(np.asarray(w, dtype=np.float64))
    if w.ndim == 0:
        return None
    if w.ndim == 1:
        img = w[None, :]
    elif w.ndim == 2:
        img = w.T if w.shape[0] > w.shape[1] else w
    elif w.ndim == 3:
        slices = np.transpose(w, (2, 0, 1))
        pad = np.full((slices.shape[0], slices.shape[1], 1), np.nan)
        img = np.concatenate([np.concatenate([s, p], axis=1) for s, p in zip(slices, pad)], 1)
    else:
        return None
    lo, hi = np.nanmin(img), np.nanmax(img)
    img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return np.nan_to_num(img, nan=1.0)
