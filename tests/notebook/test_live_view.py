"""The live view (with a recording sink) and the terminal progress bar."""

import base64
import io
import json
from xml.etree import ElementTree as ET

import numpy as np
import pytest

import nbkeras as keras
from nbkeras import layers
from nbkeras.callbacks.progbar import ProgbarLogger
from nbkeras.notebook import env
from nbkeras.notebook.live import LiveView, RecordingSink, make_live_view
from nbkeras.train.loop import LazyLogs
from nbkeras.train.loop import progress_callback as make_progress_callback

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.random((96, 6), dtype=np.float32), rng.integers(0, 3, 96)


@pytest.fixture(scope="module")
def model(data):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"),
                          layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_fit_live_view_final_state(model, data, parse_html):
    x, y = data
    sink = RecordingSink()
    model = keras.models.clone_model(model)  # not fitted by another test: it compiles here
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=4, batch_size=16, validation_split=0.25, verbose=0,
              callbacks=[LiveView(sink=sink, interval=0.0)])
    assert list(sink.current) == ["bar", "plot"]  # two outputs, updated in place
    bar = sink.current["bar"]
    p = parse_html(bar["text/html"])
    live = p.by_class["nbk-live"]
    assert live["data-phase"] == "done" and live["data-progress"] == "1.0"
    assert p.by_class["nbk-bar"]["aria-valuenow"] == "100"
    text = " ".join(p.text)
    assert "100%" in text and "Done" in text and "4 epochs" in text
    assert "samples/s" in text and "val_accuracy" in text
    # a fresh model: its first fit traces (XLA may then find the program in the persistent
    # compilation cache, filled by another test or an earlier run)
    assert "compiled the train step in" in text or "train step loaded from the compilation cache" in text
    assert bar["text/plain"].startswith("Epoch 4/4 [") and "100%" in bar["text/plain"]
    plot = sink.current["plot"]
    root = ET.fromstring(plot["image/svg+xml"])
    labels = [p.get("data-label") for p in root.iter(f"{SVG}polyline")]
    assert labels == ["train", "validation", "train", "validation"]  # loss and accuracy
    png = base64.b64decode(plot["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    json.dumps(sink.current)  # what a kernel sends must be JSON


def test_compile_phase_is_shown_first(model, data, parse_html):
    x, y = data
    m = keras.models.clone_model(model)
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    seen = []

    class Spy(RecordingSink):
        def put(self, key, bundle):
            super().put(key, bundle)
            if key == "bar":
                seen.append(parse_html(bundle["text/html"]).by_class["nbk-live"]["data-phase"])

    m.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[LiveView(sink=Spy())])
    assert seen[0] == "compiling" and seen[1] == "training" and seen[-1] == "done"


def test_batch_logs_read_only_when_redrawing():
    view = LiveView(sink=RecordingSink(), interval=3600)
    view.set_params({"epochs": 1, "steps": 5000, "verbose": 1})
    fetches = []

    def fetch():
        fetches.append(1)
        return {"loss": 1.0}

    view.on_train_begin()
    view.on_epoch_begin(0)
    for i in range(5000):
        view.on_train_batch_begin(i)
        view.on_train_batch_end(i, LazyLogs(fetch))
    assert len(fetches) == 1  # only the first step (end of the compile phase) was read
    view.on_epoch_end(0, {"loss": 0.5})
    view.on_train_end()
    assert "loss 0.5" in view.sink.current["bar"]["text/html"]


def test_plot_updates_are_throttled_but_every_epoch_is_recorded():
    view = LiveView(sink=RecordingSink(), interval=3600)
    view.set_params({"epochs": 200, "steps": 2, "verbose": 1})
    view.on_train_begin()
    for e in range(200):
        view.on_epoch_begin(e)
        for b in range(2):
            view.on_train_batch_end(b, LazyLogs(lambda: {"loss": 1.0}))
        view.on_epoch_end(e, {"loss": 1.0 / (e + 1), "val_loss": 2.0 / (e + 1)})
    view.on_train_end()
    assert view.sink.count["bar"] <= 4  # begin, first step, first epoch, end
    root = ET.fromstring(view.sink.current["plot"]["image/svg+xml"])
    train = next(root.iter(f"{SVG}polyline"))
    assert len(train.get("points").split()) == 200


def test_evaluate_and_predict(model, data, parse_html):
    x, y = data
    short = RecordingSink()
    model.evaluate(x, y, verbose=0, callbacks=[LiveView(sink=short)])
    p = parse_html(short.current["bar"]["text/html"])
    assert p.by_class["nbk-live"]["data-mode"] == "test" and "accuracy" in " ".join(p.text)
    assert "plot" not in short.current
    long = RecordingSink()
    model.predict(x, batch_size=8, verbose=0, callbacks=[LiveView(sink=long, eval_delay=0.0)])
    assert parse_html(long.current["bar"]["text/html"]).by_class["nbk-live"]["data-progress"] == "1.0"
    quiet = RecordingSink()
    model.predict(x, verbose=0, callbacks=[LiveView(sink=quiet, eval_delay=60.0)])
    assert quiet.current == {}  # a short predict shows nothing


def test_display_errors_never_stop_training(model, data, capsys):
    class Bad:
        def put(self, key, bundle):
            raise RuntimeError("no frontend")

    x, y = data
    model.fit(x, y, epochs=1, verbose=0, callbacks=[LiveView(sink=Bad())])
    assert "live view disabled: RuntimeError: no frontend" in capsys.readouterr().err


def test_environment_detection(monkeypatch):
    assert not env.in_notebook()  # pytest is not a kernel
    assert isinstance(make_progress_callback(1), ProgbarLogger)
    monkeypatch.setenv("NBKERAS_DISPLAY", "html")
    assert env.in_notebook() and isinstance(make_progress_callback(1), LiveView)
    assert make_live_view(2).verbose == 2 and make_live_view("auto").verbose == 1
    monkeypatch.setenv("NBKERAS_DISPLAY", "text")
    assert not env.in_notebook() and env.frontend() == "terminal"


# ------------------------------------------------------------------ terminal progress bar
def _run_progbar(verbose, dynamic, epochs=2, steps=30):
    out = io.StringIO()
    cb = ProgbarLogger(verbose=verbose, interval=0.0, stream=out, dynamic=dynamic)
    cb.set_params({"epochs": epochs, "steps": steps, "verbose": verbose})
    for e in range(epochs):
        cb.on_epoch_begin(e)
        for b in range(steps):
            cb.on_train_batch_end(b, LazyLogs(lambda: {"loss": 0.123456}))
        cb.on_epoch_end(e, {"loss": 0.1, "val_loss": 0.2})
    return out.getvalue()


def test_progbar_verbose1_terminal_redraws_one_line():
    text = _run_progbar(1, dynamic=True)
    lines = text.split("\n")
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and lines[-1] == ""
    assert lines[1].count("\r") == 31  # 30 steps + the final line, all on one line
    last = lines[1].split("\r")[-1]
    assert last.startswith("30/30 ━━━━━━━━━━━━━━━━━━━━") and "val_loss: 0.2000" in last


def test_progbar_shorter_redraw_blanks_the_previous_line():
    out = io.StringIO()
    cb = ProgbarLogger(stream=out, dynamic=True)
    cb._write_line("a long line", final=False)
    cb._write_line("short", final=True)
    assert out.getvalue() == "\ra long line\rshort      \n"


def test_progbar_not_a_terminal_prints_final_lines_only():
    text = _run_progbar(1, dynamic=False)
    assert "\r" not in text and text.count("\n") == 4


def test_progbar_verbose2_one_line_per_epoch():
    lines = _run_progbar(2, dynamic=True, epochs=3).splitlines()
    assert len(lines) == 3 and lines[2].startswith("Epoch 3/3 - 30/30")


def test_fit_verbose0_is_silent_and_verbose2_prints(model, data, capsys):
    x, y = data
    model.fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert [line[:9] for line in out] == ["Epoch 1/2", "Epoch 2/2"]
