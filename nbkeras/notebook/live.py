"""The live training view: an HTML progress panel and a live plot, updated in place.

``fit(verbose="auto")`` in a notebook adds a :class:`LiveView`.  It displays two outputs
once (``display(..., display_id=True)``) and then only updates them (``handle.update``):
no ``clear_output``, so other output of the cell survives, and a saved notebook keeps
only the final state.

* Panel (``text/html``): phase (compiling, with its duration), progress bar, steps,
  ETA, samples/s, current metrics.
* Plot (``image/svg+xml``; at the end also ``image/png``): loss and metrics, train vs
  validation.  The PNG is what an untrusted front end (JupyterLab on a fresh machine,
  GitHub) shows, since those strip SVG from HTML.

Redraws are throttled (``interval``, default 0.5 s) and batch logs are lazy: device
values are fetched only when a redraw happens, so training is not synced every step.

The view is split in two: this callback keeps a :class:`~nbkeras.notebook.progress.Progress`
record up to date (``view.progress``), and the pure functions of
:mod:`nbkeras.notebook.render` draw it.
"""

from __future__ import annotations

import sys
import time

from nbkeras.callbacks.base import Callback
from nbkeras.notebook import render, steering
from nbkeras.notebook.env import in_notebook
from nbkeras.notebook.panel import DisplaySink, RecordingSink, _scalars
from nbkeras.notebook.progress import Progress


class LiveView(Callback):
    """Live progress panel and learning-curve plot for notebooks.

    Added automatically by ``fit``/``evaluate``/``predict`` with ``verbose`` 1, 2 or
    ``"auto"`` in a notebook; add it yourself to keep it with ``verbose=0``.

    Args:
        verbose: 1: per-step progress (throttled); 2: update at epoch ends only.
        interval: Minimum seconds between redraws (about 2 per second by default).
        plot: Show the live plot during ``fit``.
        final_png: Add a PNG of the curves to the final plot output.
        eval_delay: ``evaluate``/``predict`` show a progress bar only after this many
            seconds (short runs show a one-line result).
        sink: Where bundles go (default: IPython display handles).
        controls: Show ``Stop``, ``Pause`` and a ``learning rate`` slider bound to the
            fit's :class:`~nbkeras.train.FitControl` (None: in a notebook kernel; see
            :mod:`nbkeras.notebook.routes` for how clicks reach a running fit).

    Attributes:
        progress: The :class:`~nbkeras.notebook.progress.Progress` record as of the
            last redraw.

    Example:
        >>> from nbkeras.notebook import LiveView
        >>> model.fit(x, y, epochs=5, verbose=0, callbacks=[LiveView()])  # doctest: +SKIP
    """

    progress_view = True

    def __init__(
        self,
        verbose: int = 1,
        interval: float = 0.5,
        plot: bool = True,
        final_png: bool = True,
        eval_delay: float = 1.0,
        sink=None,
        controls: bool | None = None,
    ):
        super().__init__()
        self.verbose = verbose
        self.interval = interval
        self.plot = plot
        self.final_png = final_png
        self.eval_delay = eval_delay
        self.sink = sink if sink is not None else DisplaySink()
        self.controls = controls
        self.controls_panel = None  # the ControlPanel of the current fit, if shown
        self._status = ""
        self._marker = None
        self._reset("train")

    # ------------------------------------------------------------------ state
    def _reset(self, mode: str) -> None:
        now = time.perf_counter()
        self._mode = mode
        self._phase = "compiling"
        self._t_begin = now
        self._first_begin = None
        self._compile_s = None
        self._traced = None
        self._eval_note = ""
        self._cached = False
        self._last_draw = -1e9
        self._shown = False
        self._epoch = 0
        self._epochs_seen = 0
        self._epoch_t0 = now
        self._epoch_times: list[float] = []
        self._done = 0
        self._gsteps_before = 0
        self._rate_t0 = now
        self._rate_step0 = 0
        self._t_batch = now
        self._vals: dict[str, float] = {}
        self._points: dict[str, list] = {}
        self._step_points: dict[str, list] = {}
        self._plot_dirty = True
        self._batch_size = None
        self._mesh = None
        self.progress = Progress(mode=mode)

    def _steps(self):
        return self.params.get("steps")

    def _gstep(self) -> int:
        return self._gsteps_before + self._done

    def _traces(self, kind: str) -> int:
        # self._model, not self.model: reading trace counts needs no weight sync.
        state = getattr(self._model, "training_state", None)
        if state is None:
            return -1
        return int(state.trace_counts.get(kind, -1))

    def _find_mesh(self):
        """The distribution's mesh and per-device batch (None on one device)."""
        from nbkeras.distribution.placement import Placement

        placement = Placement.capture(self._model)
        return None if placement is None else placement.describe(self._batch_size)

    def _find_batch_size(self):
        bs = self.params.get("batch_size")
        return int(bs) if bs else None

    # ------------------------------------------------------------------ fit hooks
    def on_train_begin(self, logs=None):
        self._reset("train")
        self._status = ""
        self._marker = None
        self.controls_panel = None
        if steering.wanted(self.controls, self.sink):
            try:
                self.controls_panel = steering.attach(
                    self.model, show=isinstance(self.sink, DisplaySink))
            except Exception as e:  # controls are a convenience: never stop the fit
                print(f"nbkeras fit controls unavailable: {type(e).__name__}: {e}",
                      file=sys.stderr)
        self._batch_size = self._find_batch_size()
        self._mesh = self._find_mesh()
        self._trace0 = self._traces("train")
        self._eval_trace0 = self._traces("eval")
        self._draw(time.perf_counter(), None, force=True)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_t0 = time.perf_counter()
        self._gsteps_before += self._done
        self._done = 0

    def on_train_batch_begin(self, batch, logs=None):
        if self._first_begin is None:
            self._first_begin = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._done = batch + 1
        now = self._t_batch = time.perf_counter()
        if self._phase == "compiling":
            self._end_compile(now, "train")
            self._draw(now, logs, force=True)
        elif self.verbose == 1 and now - self._last_draw >= self.interval:
            self._draw(now, logs)

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        steps = self._steps()
        if steps and not getattr(self.model, "stop_training", False):  # stopped: keep the count
            self._done = steps
        if self._phase == "compiling":  # no batch hook ran (empty epoch)
            self._end_compile(now, "train")
        self._epoch_times.append(now - self._epoch_t0)
        if self._epochs_seen == 0 and self._traces("eval") > self._eval_trace0 >= 0:
            self._eval_note = f"eval step compiled (validation took {now - self._t_batch:.2f} s)"
        self._epochs_seen += 1
        vals = _scalars(logs)
        for k, v in vals.items():
            self._points.setdefault(k, []).append((epoch + 1, v))
        self._vals = vals
        self._plot_dirty = True
        if now - self._last_draw >= self.interval or self._epochs_seen == 1:
            self._draw(now, None)

    def on_train_end(self, logs=None):
        self._end(None)

    def on_train_failed(self, error):
        """fit is raising ``error`` (an nbkeras hook): say so instead of "compiling"."""
        self._end(error)

    def _end(self, error) -> None:
        phase, self._status = steering.outcome(self.model, self._epoch, self._done, error)
        self._phase = phase
        if phase == "done":
            self._done = self._steps() or self._done
        self._marker = steering.restored_marker(self.model)
        self._draw(time.perf_counter(), None, force=True, final=True)
        if self.controls_panel is not None:
            self.controls_panel.finish(self._status or "done")

    # ------------------------------------------------------------------ evaluate/predict
    def on_test_begin(self, logs=None):
        self._reset("test")
        self._batch_size = self._find_batch_size()
        self._mesh = self._find_mesh()
        self._trace0 = self._traces("eval")

    def on_predict_begin(self, logs=None):
        self._reset("predict")
        self._batch_size = self._find_batch_size()
        self._mesh = self._find_mesh()
        self._trace0 = self._traces("predict")

    def on_test_batch_begin(self, batch, logs=None):
        if self._first_begin is None:
            self._first_begin = time.perf_counter()

    on_predict_batch_begin = on_test_batch_begin

    def on_test_batch_end(self, batch, logs=None):
        self._done = batch + 1
        now = time.perf_counter()
        if self._phase == "compiling":
            self._end_compile(now, "eval" if self._mode == "test" else "predict")
        if not self._shown:
            if now - self._t_begin >= self.eval_delay:
                self._draw(now, logs, force=True)
        elif now - self._last_draw >= self.interval:
            self._draw(now, logs)

    on_predict_batch_end = on_test_batch_end

    def on_test_end(self, logs=None):
        self._finish_eval(logs)

    def on_predict_end(self, logs=None):
        self._finish_eval(None)

    def _finish_eval(self, logs) -> None:
        self._phase = "done"
        self._done = self._steps() or self._done
        if logs:
            self._vals = _scalars(logs)
        if self._shown or (self._mode == "test" and self._vals):
            self._draw(time.perf_counter(), None, force=True, final=True)

    # ------------------------------------------------------------------ drawing
    def _end_compile(self, now: float, kind: str) -> None:
        self._compile_s = now - (self._first_begin or self._t_begin)
        n = self._traces(kind)
        self._traced = None if n < 0 else n > self._trace0
        state = getattr(self._model, "training_state", None)
        report = getattr(state, "compile_report", {}).get(kind) if self._traced else None
        self._cached = bool(report and report["from_cache"])
        self._phase = "training" if self._mode == "train" else "running"
        self._rate_t0 = now
        self._rate_step0 = self._gstep()

    def _read(self, logs, now: float) -> None:
        vals = _scalars(logs)
        if not vals:
            return
        self._vals = vals
        steps = self._steps()
        if self._mode != "train" or self.verbose != 1 or not steps or self._done >= steps:
            return
        rate = self._rate(now)
        if rate is None or steps / rate < 2 * self.interval:
            return  # short epochs: epoch-end points are enough
        x = self._epoch + self._done / steps
        for k, v in vals.items():
            self._step_points.setdefault(k, []).append((x, v))
        self._plot_dirty = True

    def _rate(self, now: float):
        dt = now - self._rate_t0
        n = self._gstep() - self._rate_step0
        return n / dt if dt > 0 and n > 0 else None

    def _eta(self, now: float):
        rate = self._rate(now)
        steps = self._steps()
        if rate is None or not steps:
            return None, None
        epoch_eta = max(steps - self._done, 0) / rate
        if self._mode != "train":
            return epoch_eta, epoch_eta
        remaining = max(self.params.get("epochs", 1) - self._epoch - 1, 0)
        times = self._epoch_times[1:] or [steps / rate]
        return epoch_eta, epoch_eta + remaining * (sum(times) / len(times))

    def _snapshot(self, now: float) -> Progress:
        """The record the renderers draw, as of ``now``."""
        epoch_eta, total_eta = self._eta(now)
        return Progress(
            mode=self._mode,
            phase=self._phase,
            epoch=self._epoch,
            epochs=self.params.get("epochs", 1),
            steps=self._steps(),
            done=self._done,
            epochs_seen=self._epochs_seen,
            elapsed=now - self._t_begin,
            compile_s=self._compile_s,
            traced=self._traced,
            cached=self._cached,
            note=self._eval_note,
            rate=self._rate(now),
            batch_size=self._batch_size,
            epoch_eta=epoch_eta,
            total_eta=total_eta,
            values=dict(self._vals),
            points=self._points,
            step_points=self._step_points,
            mesh=self._mesh,
            status=self._status,
            marker=self._marker,
        )

    def _draw(self, now: float, logs, force: bool = False, final: bool = False) -> None:
        try:
            if logs is not None:
                self._read(logs, now)
            self._last_draw = now
            self._shown = True
            p = self.progress = self._snapshot(now)
            self.sink.put("bar", {"text/html": render.render_html(p),
                                  "text/plain": render.render_text(p)})
            if self._mode == "train" and self.plot and (self._plot_dirty or final or force):
                self._plot_dirty = False
                self.sink.put("plot", render.plot_bundle(p, png=final and self.final_png))
        except Exception as e:  # a display problem must never stop training
            if not getattr(self, "_warned", False):
                self._warned = True
                print(f"nbkeras live view disabled: {type(e).__name__}: {e}", file=sys.stderr)
            self.sink = RecordingSink()


def make_live_view(verbose) -> LiveView:
    """The notebook progress display for ``verbose`` (1/"auto": per step, 2: per epoch)."""
    return LiveView(verbose=1 if verbose in ("auto", True) else int(verbose))


__all__ = ["DisplaySink", "LiveView", "RecordingSink", "in_notebook", "make_live_view"]
