"""Calling fit again on the same model ("5 more epochs", the most common notebook re-run)
reuses the compiled steps: nothing is traced, lowered, compiled or loaded again.

Each fit hands the trained variables back to the model; the next fit starts from them.
If their commitment to a device differs from what the first fit traced with (committed
arrays where the first fit had uncommitted ones), jit sees a new signature and compiles
the whole step again (2-3 s per fit on CPU).
"""

import numpy as np
import pytest

import nbkeras as keras
from nbkeras.train import compile_stats


def _data():
    rng = np.random.default_rng(0)
    x = rng.random((96, 5), dtype=np.float32)
    y = rng.integers(0, 3, 96).astype(np.int32)
    return x, y


@pytest.mark.parametrize("steps_per_execution", [1, 4])
def test_fit_again_compiles_nothing(steps_per_execution):
    x, y = _data()
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.BatchNormalization(),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=steps_per_execution)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_split=0.25)
    model.evaluate(x, y, batch_size=16, verbose=0)
    model.predict(x, batch_size=16, verbose=0)
    for again in range(2):
        with compile_stats.Watch() as watch:
            hist = model.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_split=0.25)
            model.evaluate(x, y, batch_size=16, verbose=0)
            model.predict(x, batch_size=16, verbose=0)
        assert watch.result is None, f"fit number {again + 2} compiled: {watch.result}"
        assert np.isfinite(hist.history["loss"]).all()
    assert model.training_state.trace_counts["train"] == 1


def test_a_fit_stopped_early_does_not_change_the_model_graph():
    # Attributes a fit sets on the model (history, stop_training) live outside nnx's
    # graph: a changed graphdef would make predict (keyed on it) trace again.
    from flax import nnx

    x, y = _data()
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    model.predict(x, verbose=0)
    before = nnx.graphdef(model)
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    with compile_stats.Watch() as watch:
        hist = model.fit(x, y, batch_size=16, epochs=5, verbose=0, callbacks=[stop])
        model.predict(x, verbose=0)
    assert len(hist.epoch) < 5 and model.stop_training
    assert nnx.graphdef(model) == before
    assert watch.result is None, f"compiled after an early stop: {watch.result}"
