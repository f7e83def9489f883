"""predict may run several batches per dispatch (vmap over stacked batches), decided by
measurement: same outputs, per-batch semantics kept, safe fallbacks."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import nbkeras as keras
from nbkeras.train import predict as P

RNG = np.random.default_rng(0)


def _mlp():
    return keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(3)])


@pytest.fixture
def always_group(monkeypatch):
    monkeypatch.setattr(P, "MIN_GAIN", 1e9)  # any grouped timing "pays"
    monkeypatch.setattr(P, "GROUP_TARGET_S", 1.0)  # the largest group
    monkeypatch.setattr(P, "MIN_TIMING_S", 0.0)  # the minimum number of dispatches


@pytest.fixture
def never_group(monkeypatch):
    monkeypatch.setattr(P, "MIN_GAIN", 0.0)
    monkeypatch.setattr(P, "MIN_TIMING_S", 0.0)


def _plan(model, batch):
    return P.group_plan(model, np.zeros((batch, *model.inputs[0].shape[1:]), np.float32))


def test_grouped_predict_equals_one_batch_per_dispatch(always_group):
    model = _mlp()
    x = RNG.normal(size=(8 * 200 + 3, 6)).astype("float32")  # a partial last batch
    reference = np.concatenate([np.asarray(model(x[i:i + 8])) for i in range(0, len(x), 8)])
    first = model.predict(x, batch_size=8, verbose=0)
    plan = _plan(model, 8)
    assert plan.decided and 1 < plan.k <= P.MAX_GROUP, plan.report  # sized to the data
    assert plan.report["single"] > 0 and plan.report["grouped"] > 0
    again = model.predict(x, batch_size=8, verbose=0)  # decided: groups from the start
    np.testing.assert_allclose(first, reference, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(again, reference, rtol=1e-6, atol=1e-6)
    assert again.shape == (1603, 3)


def test_decision_is_kept_and_nothing_retraces(always_group):
    model = _mlp()
    x = RNG.normal(size=(8 * 200, 6)).astype("float32")
    model.predict(x, batch_size=8, verbose=0)
    traces = P.trace_count(model)
    plan = _plan(model, 8)
    model.predict(x, batch_size=8, verbose=0)
    assert P.trace_count(model) == traces
    assert _plan(model, 8) is plan and plan.decided


def test_measured_loss_keeps_single_dispatches(never_group):
    model = _mlp()
    x = RNG.normal(size=(8 * 200, 6)).astype("float32")
    out = model.predict(x, batch_size=8, verbose=0)
    plan = _plan(model, 8)
    assert plan.decided and plan.k == 1 and plan.report["candidate"] > 1
    np.testing.assert_allclose(out, np.asarray(model(x)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("rows", [40, 8 * 9 + 8 * 16 + 8 * 2])  # runs out in singles/groups
def test_too_few_batches_to_measure_stay_undecided(always_group, rows):
    model = _mlp()
    x = RNG.normal(size=(rows, 6)).astype("float32")
    out = model.predict(x, batch_size=8, verbose=0)
    np.testing.assert_allclose(out, np.asarray(model(x)), rtol=1e-5, atol=1e-6)
    assert not _plan(model, 8).decided


class BatchCentered(keras.layers.Layer):
    """Mixes samples at inference: grouped batches must still be centered one by one."""

    def call(self, x):
        return x - jnp.mean(x, axis=0, keepdims=True)


def test_grouping_keeps_per_batch_semantics(always_group):
    model = keras.Sequential([keras.Input((4,)), BatchCentered()])
    x = RNG.normal(size=(4 * 200, 4)).astype("float32")
    out = model.predict(x, batch_size=4, verbose=0)
    plan = _plan(model, 4)
    assert plan.k > 1 and plan.report["mode"] == "vmap"  # a custom layer: not merged
    expected = np.concatenate([x[i:i + 4] - x[i:i + 4].mean(0) for i in range(0, len(x), 4)])
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_multi_input_multi_output_grouped(always_group):
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    merged = keras.layers.Concatenate()([a, b])
    model = keras.Model({"a": a, "b": b}, [keras.layers.Dense(2)(merged), merged])
    x = {"a": RNG.normal(size=(300, 3)).astype("float32"),
         "b": RNG.normal(size=(300, 2)).astype("float32")}
    out = model.predict(x, batch_size=4, verbose=0)
    ref = model(x)
    assert [o.shape for o in out] == [(300, 2), (300, 5)]
    for o, r in zip(out, ref):
        np.testing.assert_allclose(o, np.asarray(r), rtol=1e-5, atol=1e-6)


def test_a_model_vmap_cannot_batch_falls_back_to_single_dispatches(always_group):
    def host_double(v):
        return jax.pure_callback(lambda a: np.asarray(a) * 2, jax.ShapeDtypeStruct(v.shape,
                                                                                   v.dtype), v)

    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(host_double)])
    x = RNG.normal(size=(4 * 100, 3)).astype("float32")
    out = model.predict(x, batch_size=4, verbose=0)
    np.testing.assert_allclose(out, 2 * x, rtol=1e-6)
    plan = _plan(model, 4)
    assert plan.decided and plan.k == 1 and "error" in plan.report


def test_user_callbacks_see_every_batch_alone(always_group):
    seen = []

    class Record(keras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append((batch, logs["outputs"].shape))

    model = _mlp()
    x = RNG.normal(size=(8 * 80, 6)).astype("float32")
    model.predict(x, batch_size=8, verbose=0, callbacks=[Record()])
    assert seen == [(i, (8, 3)) for i in range(80)]
    assert not _plan(model, 8).decided  # with callbacks, predict never groups


def _convnet():
    L = keras.layers
    return keras.Sequential([
        keras.Input((8, 8, 2)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
        L.BatchNormalization(), L.Flatten(), L.Dropout(0.5), L.Dense(3, activation="softmax")])


def test_sample_wise_model_runs_groups_as_one_larger_batch(always_group):
    model = _convnet()
    x = RNG.normal(size=(4 * 200 + 1, 8, 8, 2)).astype("float32")
    reference = np.concatenate([np.asarray(model(x[i:i + 4])) for i in range(0, len(x), 4)])
    first = model.predict(x, batch_size=4, verbose=0)
    plan = _plan(model, 4)
    assert plan.decided and plan.k > 1 and plan.report["mode"] == "merge", plan.report
    again = model.predict(x, batch_size=4, verbose=0)
    np.testing.assert_allclose(first, reference, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(again, reference, rtol=1e-5, atol=1e-6)


def test_measurement_goes_on_across_short_predicts(always_group):
    model = _mlp()
    x = RNG.normal(size=(8 * 40, 6)).astype("float32")  # too short to measure in one go
    reference = np.asarray(model(x))
    plans = []
    for _ in range(4):
        out = model.predict(x, batch_size=8, verbose=0)
        np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-6)
        plan = _plan(model, 8)
        plans.append((plan.decided, plan.phase))
    assert plans[0] == (False, 3), plans  # singles, compile and groups timed in the first
    assert [p for p, _ in plans] == [False, False, True, True], plans
    assert plan.k == plan.report["candidate"] > 1


def test_merged_output_without_a_batch_axis_is_refused():
    with pytest.raises(ValueError, match=r"shape \(3,\) has no batch axis of 8 samples"):
        P._split_batch(jnp.zeros(3), 2, 4)


def test_consecutive_batches_stack_without_a_copy():
    x = RNG.normal(size=(10, 3, 2)).astype("float32")
    parts = [x[0:2], x[2:4], x[4:6]]
    view = P.stack_batches(parts)
    np.testing.assert_array_equal(view, np.stack(parts))
    assert np.shares_memory(view, x) and not view.flags.writeable
    for others in ([x[0:2], x[4:6]],  # a gap
                   [x[2:4], x[0:2]],  # out of order
                   [x[0:2], x[2:4].copy()],  # another owner
                   [x[:, :, 0][0:2], x[:, :, 0][2:4]]):  # not contiguous
        stacked = P.stack_batches(others)
        np.testing.assert_array_equal(stacked, np.stack(others))
        assert not np.shares_memory(stacked, x)
