"""Re-running a cell reuses the compiled steps of the same architecture in memory (no
trace, no lowering, no compile), gives the same weights as a cold run, and never reuses a
step for a model that computes something else."""

import numpy as np
import pytest

import nbkeras as keras
from nbkeras.train import step_cache


@pytest.fixture(autouse=True)
def _empty_cache():
    step_cache.clear()
    yield
    step_cache.set_enabled(True)
    step_cache.clear()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.random((48, 6), dtype=np.float32)
    y = rng.integers(0, 3, 48).astype(np.int32)
    return x, y


def _cell(data, activation="relu", loss="sparse_categorical_crossentropy", beta_1=0.9,
          lr=1e-2, metrics=("accuracy",), rate=0.25, validation=False):
    """A notebook cell: seed, build, compile, fit; returns (model, history)."""
    x, y = data
    keras.utils.set_random_seed(7)
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(5, activation=activation),
        keras.layers.Dropout(rate),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(lr, beta_1=beta_1), loss, metrics=list(metrics))
    hist = model.fit(x, y, batch_size=16, epochs=1, verbose=0,
                     validation_data=(x, y) if validation else None)
    return model, hist.history


def _reused(model) -> bool:
    return bool(model.training_state.compile_report["train"].get("in_memory"))


def _same(a, b):
    wa, wb = a[0].get_weights(), b[0].get_weights()
    assert len(wa) == len(wb)
    for u, v in zip(wa, wb):
        np.testing.assert_array_equal(u, v)
    assert a[1] == b[1]


def test_rerun_reuses_the_steps_and_matches_a_cold_run(data):
    cold = _cell(data, validation=True)
    assert not _reused(cold[0])
    assert cold[0].training_state.trace_counts["train"] == 1
    again = _cell(data, validation=True)  # new layer names, same structure
    assert _reused(again[0])
    assert again[0].training_state.trace_counts["train"] == 0  # not even traced
    assert [w.path for w in again[0].weights] != [w.path for w in cold[0].weights]
    _same(cold, again)
    assert again[0].predict(data[0][:4], verbose=0).shape == (4, 3)


def test_another_learning_rate_reuses_the_step_and_trains_with_the_new_rate(data):
    _cell(data, lr=1e-2)
    fast = _cell(data, lr=0.5)
    assert _reused(fast[0])
    step_cache.set_enabled(False)
    _same(fast, _cell(data, lr=0.5))


def test_a_model_that_differs_never_gets_another_models_step(data):
    base = _cell(data)
    assert base[0].training_state.trace_counts["train"] == 1
    changes = [
        {"activation": "tanh"},
        {"loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True)},  # config only
        {"beta_1": 0.5},
        {"metrics": ("acc",)},  # same metric, another log name
        {"rate": 0.5},
    ]
    for change in changes:
        other = _cell(data, **change)
        assert not _reused(other[0]), change
        assert other[0].training_state.trace_counts["train"] == 1, change
    step_cache.clear()
    _same(other, _cell(data, **changes[-1]))  # the same as with nothing kept


SCALE = 2.0


def _scaled(t):
    return t * SCALE  # reads a global when traced


def test_user_code_is_never_shared(data):
    """A user function may read a global that changed since it was traced."""
    global SCALE
    first = _cell(data, activation=_scaled)
    SCALE = 3.0
    try:
        again = _cell(data, activation=_scaled)  # the same function object
    finally:
        SCALE = 2.0
    assert not _reused(again[0])
    assert not np.allclose(first[0].get_weights()[2], again[0].get_weights()[2])
    assert not _reused(_cell(data, activation=lambda t: t * 2.0)[0])


def test_disabled_reuse_compiles_each_model(data):
    step_cache.set_enabled(False)
    assert not step_cache.is_enabled()
    _cell(data)
    assert not _reused(_cell(data)[0])


@pytest.mark.parametrize("optimizer", [
    lambda: keras.optimizers.Adam(0.01),
    lambda: keras.optimizers.Adagrad(0.1, initial_accumulator_value=0.3),
    lambda: keras.optimizers.SGD(0.1, momentum=0.9, use_ema=True),
], ids=["adam", "adagrad", "sgd-ema"])
def test_optimizer_state_is_one_program_equal_to_init_state(data, optimizer):
    import jax
    from flax import nnx

    from nbkeras import variables
    from nbkeras.train import compile_stats

    x, y = data
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer(), "sparse_categorical_crossentropy")
    ts = model.training_state
    ts._ensure_built(x[:2], y[:2])
    _, params, _ = nnx.split(model, variables.is_trainable, ...)
    before = compile_stats._counts()[0]
    got = ts._steps.init_optimizer(model.optimizer, params)
    assert compile_stats._counts()[0] - before <= 1  # one program, not one per shape
    want = model.optimizer.init_state(params)
    assert jax.tree.structure(got) == jax.tree.structure(want)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert a.dtype == b.dtype


def test_a_changed_lowering_setting_is_not_served_a_step_traced_under_another(data,
                                                                             monkeypatch):
    from nbkeras.layers import lowering, matmul_lowering

    _cell(data)
    monkeypatch.setattr(matmul_lowering, "AUTO_NARROW_GRADIENT", False)
    assert not _reused(_cell(data)[0])
    with lowering.conv_lowering("xla"):
        assert not _reused(_cell(data)[0])
