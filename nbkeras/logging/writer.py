"""``SummaryWriter``: TensorBoard event files written with the ``tensorboard`` package only.

No TensorFlow: scalars, histograms and text use the TF-free v2 ``*_pb`` builders
(stored as tensors, read by the scalars/histograms/text dashboards), images are
legacy ``Summary.Image`` PNGs (what ``torch.utils.tensorboard`` writes), hparams come
from ``tensorboard.plugins.hparams.summary_v2`` (``hparams.api`` imports TensorFlow).
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Mapping

import numpy as np

_HPARAM_TYPES = (bool, int, float, str)


def _tb():
    # Imported on first use: ``import nbkeras`` must stay fast.
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    return event_pb2, summary_pb2, EventFileWriter


class _NullEventWriter:
    """Discards events: the writer of a process other than 0."""

    def add_event(self, event) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class SummaryWriter:
    """Appends summaries for one TensorBoard run (one directory) to an event file.

    Args:
        log_dir: The run's directory (created if missing). TensorBoard shows each
            directory under ``--logdir`` that holds event files as a run.
        flush_secs: Flush the queue to disk at least this often (seconds).
        max_queue: Number of events buffered before a flush.

    Example:
        >>> w = SummaryWriter("logs/run1")
        >>> for step, loss in enumerate([1.0, 0.5, 0.25]):
        ...     w.scalar("loss", loss, step)
        >>> w.close()
    """

    def __init__(self, log_dir: str | os.PathLike, flush_secs: float = 10.0, max_queue: int = 100):
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(
                f"SummaryWriter expected log_dir to be a path (str or os.PathLike), received "
                f"{log_dir!r} of type {type(log_dir).__name__}."
            )
        from nbkeras.distribution.process import is_main_process

        self.log_dir = os.fspath(log_dir)
        self._closed = False
        if not is_main_process():  # several processes: only process 0 writes logs
            self._writer = _NullEventWriter()
            return
        _, _, event_file_writer = _tb()
        os.makedirs(self.log_dir, exist_ok=True)
        self._writer = event_file_writer(
            self.log_dir, max_queue_size=max_queue, flush_secs=flush_secs,
            filename_suffix=".nbkeras",
        )
        self._closed = False

    # ------------------------------------------------------------------ plumbing
    def _emit(self, summary=None, step: int = 0, wall_time: float | None = None, **fields):
        if self._closed:
            raise ValueError(
                f"SummaryWriter for '{self.log_dir}' is closed; create a new writer to log more."
            )
        event_pb2, _, _ = _tb()
        event = event_pb2.Event(
            wall_time=time.time() if wall_time is None else wall_time, step=int(step), **fields
        )
        if summary is not None:
            event.summary.CopyFrom(summary)
        self._writer.add_event(event)

    @staticmethod
    def _check_tag(tag) -> str:
        if not isinstance(tag, str) or not tag:
            raise TypeError(f"A summary tag must be a non-empty string, received {tag!r}.")
        return tag

    # ------------------------------------------------------------------ summaries
    def scalar(self, tag: str, value, step: int, wall_time: float | None = None) -> None:
        """Log one number (a Python/NumPy/JAX scalar) at ``step``."""
        from tensorboard.plugins.scalar.summary_v2 import scalar_pb

        arr = np.asarray(value)
        if arr.size != 1 or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(
                f"scalar '{tag}' expected a single number, received {value!r}. Log arrays "
                "with histogram() instead."
            )
        self._emit(scalar_pb(self._check_tag(tag), float(arr.reshape(()))), step, wall_time)

    def histogram(self, tag: str, values, step: int, buckets: int = 30) -> None:
        """Log the distribution of an array's values (histograms/distributions dashboards)."""
        from tensorboard.plugins.histogram.summary_v2 import histogram_pb

        arr = np.asarray(values, dtype=np.float64).reshape(-1)
        self._emit(histogram_pb(self._check_tag(tag), arr, buckets=buckets), step)

    def text(self, tag: str, text: str, step: int = 0) -> None:
        """Log Markdown text (text dashboard)."""
        from tensorboard.plugins.text.summary_v2 import text_pb

        if not isinstance(text, str):
            raise TypeError(f"text '{tag}' expected a str, received {type(text).__name__}.")
        self._emit(text_pb(self._check_tag(tag), text), step)

    def image(self, tag: str, image, step: int) -> None:
        """Log one image: an ``(H, W)``, ``(H, W, C)`` array (C in 1, 3, 4).

        Floats are taken to lie in ``[0, 1]``; integers in ``[0, 255]``.
        """
        from PIL import Image

        _, summary_pb2, _ = _tb()
        arr = np.asarray(image)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3 or arr.shape[-1] not in (1, 3, 4):
            raise ValueError(
                f"image '{tag}' expected shape (H, W) or (H, W, C) with C in (1, 3, 4), "
                f"received shape {arr.shape}."
            )
        if np.issubdtype(arr.dtype, np.floating):
            arr = np.clip(np.nan_to_num(arr) * 255.0 + 0.5, 0, 255)
        arr = arr.astype(np.uint8)
        h, w, c = arr.shape
        buf = io.BytesIO()
        Image.fromarray(arr[:, :, 0] if c == 1 else arr).save(buf, format="PNG")
        img = summary_pb2.Summary.Image(
            height=h, width=w, colorspace=c, encoded_image_string=buf.getvalue()
        )
        self._emit(
            summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=self._check_tag(tag), image=img)]),
            step,
        )

    def hparams(self, hparams: Mapping, trial_id: str | None = None) -> None:
        """Log the hyperparameters of this run (one HParams "session").

        Args:
            hparams: ``{name: value}`` with bool, int, float or str values.
            trial_id: Groups repeated runs of the same trial; defaults to the directory name.
        """
        from tensorboard.plugins.hparams import summary_v2 as hp

        if not isinstance(hparams, Mapping) or not hparams:
            raise TypeError(
                f"hparams expected a non-empty dict {{name: value}}, received {hparams!r}."
            )
        clean = {}
        for k, v in hparams.items():
            if isinstance(v, np.generic):
                v = v.item()
            if not isinstance(k, str) or not isinstance(v, _HPARAM_TYPES):
                raise TypeError(
                    f"hparams values must be bool, int, float or str keyed by str; received "
                    f"{k!r}: {v!r} ({type(v).__name__}). Convert it, e.g. str(value)."
                )
            clean[k] = v
        trial = trial_id or os.path.basename(os.path.abspath(self.log_dir))
        self._emit(hp.hparams_pb(clean, trial_id=trial, start_time_secs=int(time.time())), 0)

    def hparams_end(self, status: str = "STATUS_SUCCESS") -> None:
        """Mark this run's HParams session as finished (``STATUS_SUCCESS``/``FAILURE``)."""
        from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2
        from tensorboard.plugins.hparams import summary_v2 as hp

        info = plugin_data_pb2.SessionEndInfo(
            status=api_pb2.Status.Value(status), end_time_secs=int(time.time())
        )
        data = plugin_data_pb2.HParamsPluginData(session_end_info=info)
        self._emit(hp._summary_pb(metadata.SESSION_END_INFO_TAG, data), 0)

    def graph(self, graph_def) -> None:
        """Log a ``GraphDef`` proto (graphs dashboard); see :func:`model_graph`."""
        self._emit(None, 0, graph_def=graph_def.SerializeToString())

    # ------------------------------------------------------------------ lifecycle
    def flush(self) -> None:
        """Write buffered events to disk."""
        if not self._closed:
            self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file (idempotent)."""
        if not self._closed:
            self._writer.close()
            self._closed = True

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<SummaryWriter log_dir={self.log_dir!r}{' closed' if self._closed else ''}>"
