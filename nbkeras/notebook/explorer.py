"""The hyperparameter explorer: sliders, Train/Stop, overlaid curves and a runs table.

Threading.  A click handler must return at once: under kernel subshells it runs on a
thread shared by every widget of the notebook, and without them it blocks the whole
kernel.  So ``Train`` only *queues* a run; one worker thread per explorer trains the
queued runs one after another and updates the widgets (trait changes are comm
messages, which ipykernel sends safely from any thread).  The cell that showed the
explorer has ended by then, so the kernel is idle and clicks (``Stop``, more
``Train``) arrive on every front end; scripts use :meth:`Explorer.search` and
:meth:`Explorer.wait` instead.  Known gap: Colab does not render widget updates made
after a cell ends (colabtools#3373), so there the table refreshes only when touched.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping

import numpy as np

from nbkeras.callbacks.base import Callback
from nbkeras.notebook import runs as _runs
from nbkeras.notebook import space as _space
from nbkeras.notebook.runs import Run
from nbkeras.train.control import FitControl


class WidgetSink:
    """A live-view sink that writes the progress panel's HTML into an ``HTML`` widget."""

    def __init__(self, widget):
        self.widget = widget

    def put(self, key: str, bundle: dict) -> None:
        if key == "bar" and "text/html" in bundle:
            self.widget.value = bundle["text/html"]


class _RunRecorder(Callback):
    """Records a run's epoch logs (its curve in the overlay grows live)."""

    def __init__(self, explorer: Explorer, run: Run):
        super().__init__()
        self.explorer = explorer
        self.run = run

    def on_train_begin(self, logs=None):
        # fit clears earlier stop requests when it starts: Stop pressed while the model
        # was being built must be repeated now.
        if self.explorer._stopped:
            self.explorer._control.request_stop()

    def on_epoch_end(self, epoch, logs=None):
        for k, v in (logs or {}).items():
            try:
                self.run.points.setdefault(k, []).append((epoch + 1, float(v)))
            except (TypeError, ValueError):
                continue
        self.explorer._refresh(throttle=True)


class Explorer:
    """Train models built from slider values; compare the runs in one plot and table.

    Made by :func:`explore`; see there for the arguments.

    Attributes:
        runs: Every queued run (:class:`~nbkeras.notebook.runs.Run`), in queue order.
        controls: ``{name: widget}``, one per hyperparameter.
        widget: The whole user interface (an ``ipywidgets.VBox``).
    """

    def __init__(self, build_fn: Callable, space: Mapping, x=None, y=None, *,
                 metric: str | None = None, log_dir: str | os.PathLike | None = None,
                 seed: int | None = 0, **fit_kwargs):
        if not callable(build_fn):
            raise TypeError(
                f"explore() expected `build_fn` to be a function hp -> compiled model, "
                f"received {build_fn!r}."
            )
        if "verbose" in fit_kwargs:
            fit_kwargs.pop("verbose")  # the explorer shows its own live view
        for bad in ("x", "y"):
            if bad in fit_kwargs:
                raise TypeError(f"explore() got `{bad}` twice (positionally and by keyword).")
        self.build_fn = build_fn
        self.x, self.y = x, y
        self.fit_kwargs = fit_kwargs
        has_val = bool(fit_kwargs.get("validation_split")) or (
            fit_kwargs.get("validation_data") is not None)
        self.metric = metric or ("val_loss" if has_val else "loss")
        self.log_dir = None if log_dir is None else os.fspath(log_dir)
        self.seed = seed
        self.controls = _space.build_widgets(space)
        self.names = list(self.controls)
        self.runs: list[Run] = []
        self._lock = threading.RLock()
        self._pending: list[Run] = []
        self._wake = threading.Condition(self._lock)
        self._worker: threading.Thread | None = None
        self._control = None  # the FitControl of the running run
        self._stopped = False
        self._current: Run | None = None
        self._last_refresh = 0.0
        self._shown_in = None
        self._build_ui()

    # ------------------------------------------------------------------ ui
    def _build_ui(self) -> None:
        import ipywidgets as W

        self.train_button = W.Button(description="Train", button_style="primary",
                                     tooltip="Queue a run with these hyperparameters")
        self.stop_button = W.Button(description="Stop", button_style="danger",
                                    tooltip="Stop the running run and cancel queued ones")
        self.train_button.on_click(lambda _b: self.train())
        self.stop_button.on_click(lambda _b: self.stop())
        self.status = W.HTML()
        self.progress = W.HTML()
        self.plot = W.HTML()
        self.table = W.HTML()
        cols = _runs.columns(self.names, self.metric)
        self.sort_by = W.Dropdown(options=cols, value=cols[0], description="sort by")
        self.descending = W.Checkbox(value=False, description="descending", indent=False)
        self.sort_by.observe(lambda _c: self._refresh(), names="value")
        self.descending.observe(lambda _c: self._refresh(), names="value")
        sliders = W.VBox(list(self.controls.values()))
        buttons = W.VBox([self.train_button, self.stop_button])
        self.widget = W.VBox([
            W.HBox([sliders, buttons]), self.status, self.progress, self.plot,
            W.HBox([self.sort_by, self.descending]), self.table,
        ])
        self.widget.add_class("nbk-explorer")
        self._refresh()

    def _ipython_display_(self):
        from IPython import get_ipython
        from IPython.display import display

        ip = get_ipython()
        count = getattr(ip, "execution_count", None)
        if count is not None and count == self._shown_in:
            return  # explore() already showed it in this cell
        self._shown_in = count
        display(self.widget)

    def __repr__(self) -> str:
        best = _runs.best_run(self.runs, self.metric)
        tail = "" if best is None else (
            f", best run {best.index} ({self.metric} {best.best(self.metric):.4g})")
        return f"<Explorer {len(self.runs)} runs{tail}>"

    def _refresh(self, throttle: bool = False) -> None:
        now = time.monotonic()
        if throttle and now - self._last_refresh < 0.5:
            return
        self._last_refresh = now
        with self._lock:
            runs = list(self.runs)
            queued = len(self._pending)
            current = self._current
        self.table.value = _runs.table_html(runs, self.names, self.metric,
                                            self.sort_by.value, self.descending.value)
        self.plot.value = _runs.overlay_svg(runs, self.metric)
        state = f"training run {current.index}" if current is not None else "idle"
        self.status.value = (
            f'<span class="nbk-explorer-status">{state}; {queued} queued; '
            f"{len(runs)} runs</span>"
        )

    # ------------------------------------------------------------------ queue
    def train(self, **hparams) -> Run:
        """Queue a run with the sliders' values (``hparams`` first moves the named sliders).

        Returns:
            The queued :class:`Run`; it trains on the explorer's worker thread.

        Raises:
            ValueError: An unknown hyperparameter name.
        """
        for k, v in hparams.items():
            if k not in self.controls:
                raise ValueError(
                    f"Unknown hyperparameter {k!r}; the space has {self.names}."
                )
            self.controls[k].value = v
        with self._lock:
            run = Run(index=len(self.runs) + 1, hparams=_space.values(self.controls))
            self.runs.append(run)
            self._pending.append(run)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="nbkeras-explorer",
                                                daemon=True)
                self._worker.start()
            self._wake.notify_all()
        self._refresh()
        return run

    def stop(self) -> None:
        """Stop the running run (at its next step) and cancel the queued ones."""
        with self._lock:
            for r in self._pending:
                r.status = "cancelled"
            self._pending.clear()
            if self._current is not None:
                self._stopped = True
                if self._control is not None:
                    self._control.request_stop()
            self._wake.notify_all()
        self._refresh()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every queued run has finished; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self._pending or self._current is not None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._wake.wait(left)
        return True

    def search(self, n: int, method: str = "random", seed: int | None = None,
               wait: bool = True) -> list[Run]:
        """Queue ``n`` runs over the space, as if the sliders were moved and Train pressed.

        Args:
            n: Number of runs.
            method: ``"random"`` (uniform; log-uniform on log sliders) or ``"grid"``
                (choices as given, ranges in 5 steps, first ``n`` points).
            seed: Seed of the random search.
            wait: Block until the runs have finished.

        Returns:
            The queued runs.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"search() expected n to be an int >= 1, received {n!r}.")
        if method == "random":
            rng = np.random.default_rng(seed)
            points = [_space.sample(self.controls, rng) for _ in range(n)]
        elif method == "grid":
            points = _space.grid(self.controls, n)
        else:
            raise ValueError(f"search() method must be 'random' or 'grid', received {method!r}.")
        queued = [self.train(**p) for p in points]
        if wait:
            self.wait()
        return queued

    def best_run(self, metric: str | None = None) -> Run | None:
        """The finished run with the best ``metric`` (default: the explorer's metric)."""
        metric = metric or self.metric
        done = [r for r in self.runs if r.model is not None and r.history is not None]
        return _runs.best_run(done, metric)

    def best_model(self, metric: str | None = None):
        """The trained model of :meth:`best_run`.

        Raises:
            ValueError: No finished run logged ``metric``.
        """
        run = self.best_run(metric)
        if run is None:
            metric = metric or self.metric
            logged = sorted({k for r in self.runs for k in r.points})
            raise ValueError(
                f"No finished run logged {metric!r} (logged: {logged or 'nothing yet'}). "
                "Train a run first, or pick one of the logged metrics."
            )
        return run.model

    # ------------------------------------------------------------------ worker
    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._pending:
                    self._wake.wait()
                run = self._pending.pop(0)
                self._current = run
                self._stopped = False
                self._control = FitControl()
            try:
                self._execute(run)
            finally:
                with self._lock:
                    self._current = None
                    self._wake.notify_all()
                self._refresh()

    def _execute(self, run: Run) -> None:
        from nbkeras.notebook.live import LiveView

        run.status = "running"
        self._refresh()
        t0 = time.perf_counter()
        try:
            if self.seed is not None:
                from nbkeras.utils import set_random_seed

                set_random_seed(self.seed)
            model = self.build_fn(dict(run.hparams))
            if not getattr(model, "compiled", False):
                raise TypeError(
                    f"build_fn must return a compiled model, received {model!r}. Call "
                    "model.compile(optimizer=..., loss=...) inside build_fn."
                )
            run.model = model
            kwargs = dict(self.fit_kwargs)
            callbacks = list(kwargs.pop("callbacks", None) or [])
            callbacks += [LiveView(sink=WidgetSink(self.progress), plot=False, controls=False),
                          _RunRecorder(self, run)]
            if self.log_dir is not None:
                from nbkeras.callbacks.tensorboard import TensorBoard

                callbacks.append(TensorBoard(
                    os.path.join(self.log_dir, f"run-{run.index:03d}"), write_graph=False,
                    hparams=_space.hparams_for_tensorboard(run.hparams)))
            run.history = model.fit(self.x, self.y, verbose=0, callbacks=callbacks,
                                    control=self._control, **kwargs)
            run.status = "stopped" if self._stopped else "done"
        except Exception as e:  # a bad run must not kill the worker: show it in the table
            run.error = e
            run.status = f"failed: {type(e).__name__}"
            self.progress.value = (
                f'<div class="nbk-live" data-phase="failed">run {run.index} failed: '
                f"{type(e).__name__}: {_short(e)}</div>"
            )
        finally:
            run.seconds = time.perf_counter() - t0


def _short(e: BaseException) -> str:
    from html import escape

    text = str(e).splitlines()[0] if str(e) else ""
    return escape(text[:200])


def explore(build_fn: Callable, space: Mapping, x=None, y=None, *, metric: str | None = None,
            log_dir: str | os.PathLike | None = None, seed: int | None = 0,
            **fit_kwargs) -> Explorer:
    """Explore hyperparameters with sliders: Train queues a run, every run is compared.

    Shows a slider per hyperparameter (labelled with its name), ``Train`` and ``Stop``
    buttons, the live progress of the running run, the curves of ``metric`` for every
    run in one plot and a sortable table (hyperparameters, best ``metric``, epochs,
    time, status).  Runs train one at a time on a worker thread, so the notebook stays
    usable.

    Args:
        build_fn: ``build_fn(hp) -> compiled model``; ``hp`` is ``{name: value}``.
        space: ``{name: shorthand}`` as ipywidgets' ``interact``: ``(lo, hi)`` or
            ``(lo, hi, step)`` -> slider, ``(lo, hi, "log")`` -> log slider, a list ->
            dropdown, a bool -> checkbox.
        x: Training inputs, passed to ``fit``.
        y: Training targets.
        metric: The metric that ranks runs (default ``val_loss`` with validation data,
            else ``loss``); ``loss``/``error``-like metrics are minimised.
        log_dir: Log each run to ``log_dir/run-NNN`` for TensorBoard's HParams dashboard.
        seed: Seed set before each run's ``build_fn`` (None: don't seed), so runs differ
            only by their hyperparameters.
        **fit_kwargs: Passed to ``model.fit`` (``epochs``, ``batch_size``,
            ``validation_split``, ``callbacks``...).

    Returns:
        The :class:`Explorer` (``.runs``, ``.best_model()``, ``.search()``, ``.wait()``).

    Example:
        >>> def build(hp):
        ...     model = keras.Sequential([keras.Input((8,)), layers.Dense(hp["units"]),
        ...                               layers.Dense(1)])
        ...     model.compile(optimizer=keras.optimizers.Adam(hp["lr"]), loss="mse")
        ...     return model
        >>> ex = explore(build, {"units": (4, 64, 4), "lr": (1e-4, 1e-1, "log")},
        ...              x, y, epochs=10, validation_split=0.2)  # doctest: +SKIP
        >>> ex.search(4, method="random")  # doctest: +SKIP
    """
    ex = Explorer(build_fn, space, x, y, metric=metric, log_dir=log_dir, seed=seed,
                  **fit_kwargs)
    from nbkeras.notebook.env import in_notebook

    if in_notebook():
        ex._ipython_display_()
    return ex


__all__ = ["Explorer", "Run", "WidgetSink", "explore"]

