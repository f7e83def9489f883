"""The fit controls, headless: widgets clicked as a front end would, during a real fit."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import nbkeras as keras
from nbkeras import callbacks, layers
from nbkeras.notebook import LiveView, routes
from nbkeras.notebook.controls import ControlPanel
from nbkeras.notebook.panel import RecordingSink
from nbkeras.train import FitControl

pytest.importorskip("ipywidgets")


def frontend_update(widget, **state):
    widget._handle_msg({"content": {"data": {"method": "update", "state": state,
                                             "buffer_paths": []}}, "buffers": []})


def frontend_click(button):
    button._handle_msg({"content": {"data": {"method": "custom",
                                             "content": {"event": "click"}}}, "buffers": []})


def data():
    rng = np.random.default_rng(0)
    x = rng.random((64, 8), dtype=np.float32)
    return x, (x.sum(1) > 4).astype("int32")


def mlp(lr=0.01):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((8,)), layers.Dense(8, activation="relu"),
                          layers.Dense(2, activation="softmax")])
    m.compile(optimizer=keras.optimizers.SGD(lr), loss="sparse_categorical_crossentropy")
    return m


def wait_for(cond, timeout=120):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_panel_labels_and_disabled_reason():
    ctl = FitControl()
    panel = ControlPanel(ctl, 0.01, routes.Route("none", False, "ipykernel 6.17 has no subshells"))
    assert [w.description for w in panel.widgets] == ["Stop", "Pause", "learning rate"]
    assert type(panel.lr_slider).__name__ == "FloatLogSlider"
    assert panel.lr_slider.value == pytest.approx(0.01)
    assert (panel.lr_slider.min, panel.lr_slider.max) == pytest.approx((-4, 0))
    assert all(w.disabled for w in panel.widgets)
    assert "ipykernel 6.17 has no subshells" in panel.note.value
    live = ControlPanel(ctl, None, routes.Route("background", True))
    assert live.lr_slider is None and not any(w.disabled for w in live.widgets)


def test_widgets_steer_a_running_fit():
    """Slider, Pause and Stop, clicked from the main thread while fit runs in another."""
    x, y = data()
    model = mlp()
    view = LiveView(sink=RecordingSink(), controls=True)
    out = {}
    t = threading.Thread(target=lambda: out.setdefault(
        "h", model.fit(x, y, epochs=20_000, batch_size=16, verbose=0, callbacks=[view])))
    t.start()
    wait_for(lambda: view.controls_panel is not None and view.progress.epochs_seen >= 2)
    panel = view.controls_panel
    assert panel.route.name == "background" and not panel.stop_button.disabled
    frontend_update(panel.lr_slider, value=0.003)
    wait_for(lambda: "learning_rate" in view.progress.values)
    assert model.training_state.learning_rate == pytest.approx(0.003)
    frontend_update(panel.pause_button, value=True)
    time.sleep(0.3)
    held = view.progress.epochs_seen
    time.sleep(0.5)
    assert view.progress.epochs_seen == held and t.is_alive()  # paused
    frontend_update(panel.pause_button, value=False)
    wait_for(lambda: view.progress.epochs_seen > held)
    frontend_click(panel.stop_button)
    t.join(120)
    h = out["h"]
    assert len(h.epoch) < 20_000
    lrs = h.history["learning_rate"]
    assert lrs[0] == pytest.approx(0.01) and lrs[-1] == pytest.approx(0.003)
    assert len(lrs) == len(h.history["loss"]) == len(h.epoch)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.003)
    assert model.training_state.trace_counts["train"] == 1  # no recompile
    p = view.progress
    assert p.phase == "stopped"
    assert p.status == f"stopped at epoch {p.epoch + 1}, step {p.done}"
    assert p.status in view.sink.current["bar"]["text/html"]
    assert all(w.disabled for w in panel.widgets) and p.status in panel.note.value


def test_slider_scales_a_schedule():
    x, y = data()
    sched = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
    model = mlp()
    model.compile(optimizer=keras.optimizers.SGD(sched), loss="sparse_categorical_crossentropy")

    class Halve(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:  # a person moving the slider to half the current rate
                panel = view.controls_panel
                panel.lr_slider.value = model.training_state.learning_rate / 2

    view = LiveView(sink=RecordingSink(), controls=True)
    h = model.fit(x, y, epochs=4, batch_size=16, verbose=0, callbacks=[view, Halve()])
    assert view.controls_panel.schedule
    assert ControlPanel(FitControl(), 0.1, routes.Route("background", True), schedule=True
                        ).note.value.count("scales the learning-rate schedule") == 1
    lrs = h.history["learning_rate"]
    unscaled = [float(sched(4 * (e + 1))) for e in range(4)]
    assert lrs[:2] == pytest.approx(unscaled[:2], rel=1e-5)
    # from epoch 3 on, the schedule keeps decaying, at half its own value
    assert lrs[2] == pytest.approx(unscaled[2] / 2, rel=1e-3)
    assert lrs[3] == pytest.approx(unscaled[3] / 2, rel=1e-3)


def test_failed_fit_says_failed_not_compiling():
    x, y = data()

    class Boom(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise ValueError("boom")

    view = LiveView(sink=RecordingSink(), controls=True)
    with pytest.raises(ValueError, match="boom"):
        mlp().fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[view, Boom()])
    assert view.progress.phase == "failed" and view.progress.status == "failed: ValueError"
    html = view.sink.current["bar"]["text/html"]
    assert 'data-phase="failed"' in html and "failed: ValueError" in html
    assert "compiling" not in html
    assert "failed: ValueError" in view.controls_panel.note.value


def test_keyboard_interrupt_stops_at_a_step_boundary():
    x, y = data()
    model = mlp()

    class Interrupt(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:  # the kernel's Interrupt: SIGINT to the process
                os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    view = LiveView(sink=RecordingSink())
    with pytest.raises(KeyboardInterrupt, match="stopped at a step boundary"):
        model.fit(x, y, epochs=50, batch_size=16, verbose=0, callbacks=[view, Interrupt()])
    assert signal.getsignal(signal.SIGINT) is before
    assert len(model.history.epoch) in (2, 3)  # the partial History is recorded
    assert view.progress.phase == "interrupted"
    assert view.progress.status.startswith("interrupted at epoch")
    # the model is consistent: its weights are the trained ones, and it trains on
    w = [np.asarray(v) for v in model.get_weights()]
    assert all(np.isfinite(a).all() for a in w)
    assert not np.allclose(w[0], mlp().get_weights()[0])
    h = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert len(h.epoch) == 1


def test_background_fit_returns_a_handle():
    x, y = data()
    model = mlp()
    handle = model.fit(x, y, epochs=20_000, batch_size=16, verbose=0, background=True)
    assert not handle.done
    wait_for(lambda: len(getattr(model, "history", None) and model.history.epoch or []) >= 2)
    handle.stop()
    h = handle.wait(60)
    assert handle.done and h is handle.history and 2 <= len(h.epoch) < 20_000
    with pytest.raises(TimeoutError, match="still running"):
        model.fit(x, y, epochs=20_000, batch_size=16, verbose=0, background=True).wait(0.01)
    model.training_state.control.request_stop()
    bad = model.fit(x, y[:3], epochs=1, verbose=0, background=True)
    with pytest.raises(ValueError):
        bad.wait(60)


class ListSink:
    def __init__(self):
        self.bars, self.current = [], {}

    def put(self, key, bundle):
        self.current[key] = bundle
        if key == "bar":
            self.bars.append(bundle["text/plain"])


@pytest.fixture
def notebook_views(monkeypatch):
    """fit's own progress view, as in a notebook, drawing into a list."""
    from nbkeras.train import loop

    views = []

    def progress(verbose):
        views.append(LiveView(verbose=verbose, interval=0.0, sink=ListSink()))
        return views[-1]

    monkeypatch.setattr(loop, "progress_callback", progress)
    return views


def test_final_plot_marks_the_restored_best_epoch(notebook_views):
    import base64

    x, y = data()

    class Score(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_score"] = [0.5, 0.3, 0.4, 0.45, 0.5, 0.6][epoch]

    es = callbacks.EarlyStopping(monitor="val_score", mode="min", patience=2,
                                 restore_best_weights=True)
    h = mlp().fit(x, y, epochs=6, batch_size=16, verbose=1, callbacks=[Score(), es])
    assert len(h.epoch) == 4 and h.restored_epoch == 1
    plot = notebook_views[0].sink.current["plot"]
    assert "best epoch 2 (restored)" in plot["image/svg+xml"] and "image/png" in plot
    html = h._repr_mimebundle_()["text/html"]
    svgs = [base64.b64decode(u).decode() for u in
            __import__("re").findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]
    assert all("best epoch 2 (restored)" in s for s in svgs)
    h2 = mlp().fit(x, y, epochs=2, batch_size=16, verbose=1)
    assert h2.restored_epoch is None
    assert "restored" not in notebook_views[1].sink.current["plot"]["image/svg+xml"]


def test_verbose_2_updates_once_per_epoch(notebook_views):
    x, y = data()
    mlp().fit(x, y, epochs=3, batch_size=8, verbose=2)  # 8 steps per epoch
    bars = notebook_views[0].sink.bars
    # begin, first step compiled, then only epoch ends (100 %), then the end
    assert len(bars) == 3 + 3, bars
    assert all(" 100%" in b for b in bars[2:]), bars
    notebook_views.clear()
    mlp().fit(x, y, epochs=3, batch_size=8, verbose=1)
    assert len(notebook_views[0].sink.bars) > 3 * 8  # verbose=1 follows the steps


def test_route_detection_on_kernels_without_a_route(monkeypatch):
    class Kernel6:  # ipykernel 6: no subshells (Colab, older VS Code setups)
        shell_channel_thread = None

    monkeypatch.setattr(routes, "_kernel", lambda: Kernel6())
    monkeypatch.setattr(routes, "_ipykernel_version", lambda: (6, 17))
    r = routes.detect()
    assert not r.live and r.name == "none"
    assert "ipykernel 6.17 has no subshells" in r.reason and "background=True" in r.reason
    assert routes.detect(background=True).live  # a background fit always has a route
    monkeypatch.setattr(routes, "_kernel", lambda: None)
    assert routes.detect().reason == "not running in a Jupyter kernel"
    panel = ControlPanel(FitControl(), 1e-3, routes.detect())
    assert all(w.disabled for w in panel.widgets)
    assert "not running in a Jupyter kernel" in panel.note.value
