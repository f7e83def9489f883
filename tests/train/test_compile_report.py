"""Re-running a cell: the same architecture again loads its steps from the persistent
compilation cache instead of compiling them, and the live view says so."""

import numpy as np
import pytest

import nbkeras as keras
from nbkeras import config
from nbkeras.notebook import render
from nbkeras.notebook.progress import Progress


@pytest.fixture
def fresh_cache(tmp_path):
    before = config.compilation_cache_dir()
    config.enable_compilation_cache(tmp_path / "xla", min_compile_time_secs=0.0)
    yield
    config.disable_compilation_cache()
    if before is not None:
        config._from_env()


def _cell(x, y, lr):
    """What a notebook cell does: build, compile, fit."""
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_data=(x, y))
    return model.training_state


def test_rerun_of_the_same_architecture_loads_steps_from_the_cache(fresh_cache):
    rng = np.random.default_rng(0)
    x = rng.random((40, 6), dtype=np.float32)
    y = rng.integers(0, 3, 40).astype(np.int32)
    first = _cell(x, y, 1e-3).compile_report
    assert first["train"]["compiles"] >= 1 and not first["train"]["from_cache"]
    assert not first["eval"]["from_cache"]
    again = _cell(x, y, 3e-4).compile_report  # new layer names, another learning rate
    assert again["train"] == {**again["train"], "compiles": 0, "from_cache": True}
    assert again["eval"]["from_cache"]


def test_live_view_says_when_the_step_came_from_the_cache():
    p = Progress(phase="training", compile_s=0.31, traced=True, cached=True)
    assert "train step loaded from the compilation cache in 0.31 s" in render.render_html(p)
    p = Progress(phase="training", compile_s=2.5, traced=True, cached=False)
    assert "compiled the train step in 2.50 s" in render.render_html(p)
