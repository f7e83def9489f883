"""Fast paths of the engine: flat-state dispatch, steps_per_execution="auto", no host
syncs per step, the persistent compilation cache."""

import jax
import numpy as np
import pytest

import nbkeras as keras
from nbkeras import layers
from nbkeras.train import execution

RNG = np.random.default_rng(3)


def _data(n=96, d=8, classes=3):
    x = RNG.normal(size=(n, d)).astype("float32")
    y = np.argmax(x[:, :classes], axis=1).astype("int32")
    return x, y


def _model(weights=None, spe=1):
    model = keras.Sequential([keras.Input((8,)), layers.Dense(3, activation="softmax")])
    if weights is not None:
        model.set_weights(weights)
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=spe)
    return model


def test_auto_measures_and_matches_single_steps(monkeypatch):
    # Make the measurement short and force a fused candidate, whatever this machine does.
    monkeypatch.setattr(execution, "FUSE_BELOW_S", 10.0)
    monkeypatch.setattr(execution, "MIN_TIMING_S", {"time": 0.0, "time_fused": 0.0})
    monkeypatch.setattr(execution, "MIN_GAIN", 100.0)
    monkeypatch.setattr(execution, "BACKGROUND_COMPILE", False)
    x, y = _data(200)
    ref = _model()
    weights = ref.get_weights()
    h_ref = ref.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    auto = _model(weights, spe="auto")
    h_auto = auto.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    report = auto.training_state.execution_report
    assert report["decided"] and report["k"] > 1, report
    assert set(report) >= {"single", "fused", "k"}
    np.testing.assert_allclose(h_auto.history["loss"], h_ref.history["loss"], rtol=1e-5)
    for a, b in zip(auto.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # The decision is kept: a second fit does not measure or recompile again.
    counts = dict(auto.training_state.trace_counts)
    auto.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert auto.training_state.trace_counts == counts


@pytest.mark.parametrize("factor", [1e6, 0.0])
def test_auto_compiles_in_the_foreground_when_the_epoch_is_too_short(monkeypatch, factor):
    """A tiny model's epoch ends before a background compile would: with a huge expected
    compile, the fused step is compiled, measured and chosen within the first epoch."""
    monkeypatch.setattr(execution, "FUSE_BELOW_S", 10.0)
    monkeypatch.setattr(execution, "MIN_TIMING_S", {"time": 0.0, "time_fused": 0.0})
    monkeypatch.setattr(execution, "MIN_GAIN", 100.0)
    monkeypatch.setattr(execution, "FUSED_COMPILE_FACTOR", factor)
    x, y = _data(400)
    model = _model(spe="auto")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    report = model.training_state.execution_report
    assert report["first_call"] > 0
    if factor:
        assert report["foreground"] and report["decided"] and report["k"] > 1, report
    else:  # a long epoch: the compile runs in the background (not joined)
        assert "foreground" not in report


def test_auto_keeps_single_steps_when_steps_are_slow(monkeypatch):
    monkeypatch.setattr(execution, "FUSE_BELOW_S", 0.0)
    monkeypatch.setattr(execution, "MIN_TIMING_S", {"time": 0.0, "time_fused": 0.0})
    x, y = _data(64)
    model = _model(spe="auto")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert model.training_state.execution_report["k"] == 1
    assert model.training_state.trace_counts["train"] == 1  # no fused variant compiled


def test_fit_makes_no_host_transfers_per_step(monkeypatch):
    x, y = _data(64)
    model = _model()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # build and compile outside
    # Implicit host->device transfers (NumPy arguments to a jitted step) raise here.
    with jax.transfer_guard("disallow"):
        h = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2
    # Device->host fetches happen per epoch, not per step: 8 or 2 steps per epoch
    # fetch the same number of times.
    calls = []
    real = jax.device_get
    monkeypatch.setattr(jax, "device_get", lambda tree: calls.append(1) or real(tree))
    fetches = []
    for batch_size in (8, 32):
        calls.clear()
        model.fit(x, y, batch_size=batch_size, epochs=2, verbose=0)
        fetches.append(len(calls))
    assert fetches[0] == fetches[1] <= 8, fetches


def test_state_dict_is_available_between_flat_steps():
    x, y = _data(32)
    model = _model()

    class Peek(keras.callbacks.Callback):
        seen = []

        def on_train_batch_end(self, batch, logs=None):
            state = self.model.training_state._get_state()
            self.seen.append(sorted(state))
            assert logs["loss"] > 0

    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Peek()])
    assert Peek.seen and Peek.seen[0] == ["metrics", "opt", "params", "rest"]


def test_compilation_cache_writes_entries(tmp_path):
    from nbkeras import config

    before = config.compilation_cache_dir()
    path = config.enable_compilation_cache(tmp_path / "xla")
    try:
        assert config.compilation_cache_dir() == path
        jax.jit(lambda a: a * 3.0 + 1.0)(np.arange(7.0, dtype="float32")).block_until_ready()
        assert any((tmp_path / "xla").iterdir())
    finally:
        config.disable_compilation_cache()
        assert config.compilation_cache_dir() is None
        if before is not None:  # the default cache of this process
            config._from_env()


def test_compilation_cache_rejects_bad_arguments():
    from nbkeras import config

    with pytest.raises(TypeError, match="min_compile_time_secs"):
        config.enable_compilation_cache("/tmp/x", min_compile_time_secs="0")
