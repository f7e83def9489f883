"""The hyperparameter explorer, headless: widgets driven as the front end drives them."""

import re
import subprocess
import sys
import time

import numpy as np
import pytest

import nbkeras as keras
from nbkeras import layers
from nbkeras.notebook import explore, runs, space

ipywidgets = pytest.importorskip("ipywidgets")


def frontend_update(widget, **state):
    """What JupyterLab sends when a person moves a slider (a comm ``update`` message)."""
    widget._handle_msg({"content": {"data": {"method": "update", "state": state,
                                             "buffer_paths": []}}, "buffers": []})


def frontend_click(button):
    button._handle_msg({"content": {"data": {"method": "custom",
                                             "content": {"event": "click"}}}, "buffers": []})


def run_column(html):
    rows = re.findall(r"<tr>(.*?)</tr>", html)[1:]
    return [re.sub(r"<[^>]+>", "", re.search(r"<td.*?</td>", r).group(0)) for r in rows]


def data(n=64):
    rng = np.random.default_rng(0)
    x = rng.random((n, 4), dtype=np.float32)
    return x, (x.sum(1) > 2).astype("int32")


def build(hp):
    if hp["units"] == 4 and hp.get("fail_small"):
        raise ValueError("units=4 is refused by this build_fn")
    m = keras.Sequential([keras.Input((4,)), layers.Dense(hp["units"], activation=hp["act"]),
                          layers.Dense(2, activation="softmax")])
    m.compile(optimizer=keras.optimizers.Adam(hp["lr"]),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


SPACE = {"units": (4, 16, 4), "lr": (1e-3, 1e-1, "log"), "act": ["relu", "tanh"]}


# ---------------------------------------------------------------------- the space
def test_shorthand_builds_ipywidgets_widgets():
    ws = space.build_widgets({**SPACE, "drop": (0.0, 0.5), "bn": True})
    kinds = {k: type(w).__name__ for k, w in ws.items()}
    assert kinds == {"units": "IntSlider", "lr": "FloatLogSlider", "act": "Dropdown",
                     "drop": "FloatSlider", "bn": "Checkbox"}
    assert all(w.description == k for k, w in ws.items())
    assert (ws["units"].min, ws["units"].max, ws["units"].step) == (4, 16, 4)
    lr = ws["lr"]
    assert (lr.min, lr.max) == pytest.approx((-3, -1)) and 1e-3 <= lr.value <= 1e-1
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = space.sample(ws, rng)
        assert p["units"] in (4, 8, 12, 16) and 1e-3 <= p["lr"] <= 1e-1
        assert p["act"] in ("relu", "tanh") and 0 <= p["drop"] <= 0.5
    g = space.grid(ws, 1000)
    assert len(g) == 4 * 5 * 2 * 5 * 2 and g[0]["lr"] == pytest.approx(1e-3)
    assert len({tuple(sorted(p.items())) for p in g}) == len(g)


def test_bad_spaces_say_what_to_do():
    with pytest.raises(TypeError, match="non-empty dict"):
        space.build_widgets([("lr", (0.1, 1))])
    with pytest.raises(ValueError, match=r"log range needs 0 < lo < hi, received \(0, 1, 'log'\)"):
        space.build_widgets({"lr": (0, 1, "log")})
    with pytest.raises(ValueError, match="must be identifiers"):
        space.build_widgets({"learning rate": (0.1, 1.0)})
    with pytest.raises(ValueError, match="cannot make a widget from"):
        space.build_widgets({"f": object()})


def test_table_sorting_and_best_on_hand_made_runs():
    a = runs.Run(1, {"units": 8}, "done", points={"val_loss": [(1, 0.9), (2, 0.5)]})
    b = runs.Run(2, {"units": 4}, "done", points={"val_loss": [(1, 0.7), (2, 0.6)]})
    c = runs.Run(3, {"units": 16}, "running")
    assert runs.best_run([a, b, c], "val_loss") is a
    order = [r.index for r in runs.sorted_runs([a, b, c], "best val_loss", "val_loss", True)]
    assert order == [2, 1, 3]  # runs without a value stay last
    assert [r.index for r in runs.sorted_runs([a, b, c], "units", "val_loss")] == [2, 1, 3]
    html = runs.table_html([a, b, c], ["units"], "val_loss")
    assert html.count("<tr>") == 4 and "<b>0.5</b>" in html
    svg = runs.overlay_svg([a, b, c], "val_loss")
    assert re.findall(r'data-label="([^"]+)"', svg) == ["run 1", "run 2"]


# ---------------------------------------------------------------------- runs
@pytest.fixture(scope="module")
def explored(tmp_path_factory):
    """One explorer, two runs: Train clicked after moving sliders, then a grid search."""
    log_dir = tmp_path_factory.mktemp("hp")
    x, y = data()
    ex = explore(build, SPACE, x, y, epochs=3, batch_size=16, validation_split=0.25,
                 log_dir=log_dir)
    frontend_update(ex.controls["units"], value=8)
    frontend_update(ex.controls["lr"], value=0.02)
    frontend_update(ex.controls["act"], index=1)
    frontend_click(ex.train_button)
    first = ex.runs[0]
    assert first.status in ("queued", "running")  # the click only queued it
    searched = ex.search(1, method="grid")
    assert ex.wait(120)
    return ex, first, searched[0], log_dir


def test_train_button_trains_the_slider_values(explored):
    ex, first, _, _ = explored
    assert first.hparams == {"units": 8, "lr": pytest.approx(0.02), "act": "tanh"}
    assert first.status == "done" and first.epochs == 3
    assert list(first.history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    model = first.model
    assert model.layers[0].units == 8
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02, rel=1e-6)
    assert int(model.optimizer.iterations) == 3 * 3  # 48 samples / 16, three epochs


def test_search_drives_the_same_widgets(explored):
    ex, _, grid_run, _ = explored
    assert grid_run.hparams == {"units": 4, "lr": pytest.approx(1e-3), "act": "relu"}
    assert ex.controls["units"].value == 4  # the sliders show the searched point
    assert grid_run.model.layers[0].units == 4


def test_runs_table_plot_and_best_model(explored):
    ex, first, grid_run, _ = explored
    rows = re.findall(r"<tr>(.*?)</tr>", ex.table.value)[1:]
    assert len(rows) == 2
    assert "best val_loss" in ex.table.value and "done" in rows[0]
    labels = re.findall(r'data-label="([^"]+)"', ex.plot.value)
    assert labels == ["run 1", "run 2"]
    best = min((first, grid_run), key=lambda r: min(r.history.history["val_loss"]))
    assert ex.best_model() is best.model
    acc_best = max((first, grid_run), key=lambda r: max(r.history.history["val_accuracy"]))
    assert ex.best_run("val_accuracy").best("val_accuracy") == acc_best.best("val_accuracy")
    # sorting as a person would: pick the column, tick descending
    ex.sort_by.value = "units"
    ex.descending.value = True
    assert run_column(ex.table.value) == ["1", "2"]  # units 8 before units 4
    ex.descending.value = False
    assert run_column(ex.table.value) == ["2", "1"]
    with pytest.raises(ValueError, match="No finished run logged 'auc'"):
        ex.best_model("auc")


def test_each_run_is_an_hparams_session(explored):
    from tensorboard.backend.event_processing.event_accumulator import (
        TENSORS,
        EventAccumulator,
    )
    from tensorboard.plugins.hparams import plugin_data_pb2

    _, _, _, log_dir = explored
    dirs = sorted(p.name for p in log_dir.iterdir())
    assert dirs == ["run-001", "run-002"]
    acc = EventAccumulator(str(log_dir / "run-001"), size_guidance={TENSORS: 0})
    acc.Reload()
    md = acc.SummaryMetadata("_hparams_/session_start_info")
    hp = plugin_data_pb2.HParamsPluginData.FromString(md.plugin_data.content)
    hp = hp.session_start_info.hparams
    assert hp["units"].number_value == 8 and hp["act"].string_value == "tanh"
    assert (log_dir / "run-001" / "validation").is_dir()


def test_stop_cancels_and_failed_runs_are_reported():
    x, y = data(32)
    ex = explore(lambda hp: build({**hp, "fail_small": True}), SPACE, x, y, epochs=500,
                 batch_size=16, seed=None)
    bad = ex.train(units=4)
    long = ex.train(units=8)
    queued = ex.train(units=12)
    deadline = time.monotonic() + 120
    while long.epochs < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bad.status == "failed: ValueError" and "refused" in str(bad.error)
    frontend_click(ex.stop_button)
    assert ex.wait(60)
    assert long.status == "stopped" and 2 <= long.epochs < 500
    assert queued.status == "cancelled" and queued.model is None
    assert len(long.history.epoch) == long.epochs  # partial History kept
    assert "failed: ValueError" in ex.table.value and "cancelled" in ex.table.value


def test_bad_arguments():
    with pytest.raises(TypeError, match="build_fn"):
        explore("not a function", SPACE)
    ex = explore(build, SPACE)
    with pytest.raises(ValueError, match=r"Unknown hyperparameter 'unit'; the space has"):
        ex.train(unit=3)
    with pytest.raises(ValueError, match="method must be 'random' or 'grid'"):
        ex.search(2, method="bayes")


def test_import_nbkeras_does_not_import_ipywidgets():
    code = ("import sys, nbkeras, nbkeras.notebook; "
            "print('ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
