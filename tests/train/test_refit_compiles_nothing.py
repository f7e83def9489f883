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
