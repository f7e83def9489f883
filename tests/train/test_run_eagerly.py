"""``compile(run_eagerly=True)`` / ``jit_compile=False``: fit, evaluate and predict run op
by op, so a layer may use Python control flow on values (Keras's debugging switch)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402


def _gate(k, seen):
    class Gate(k.layers.Layer):
        def compute_output_shape(self, input_shape):
            return input_shape

        def call(self, x):
            total = float(k.ops.sum(x))  # a Python float: impossible under jit
            seen.append(total)
            return x if total > 0 else -x

    return Gate()


def _probe(k, seen):
    class Probe(k.layers.Layer):
        def call(self, x):
            seen.append(not isinstance(x, jax.core.Tracer))  # a concrete array: eager
            return x * 2.0

    return Probe()


def _data():
    rng = np.random.default_rng(0)
    return rng.random((16, 3), dtype=np.float32), rng.random((16, 2), dtype=np.float32)


@pytest.mark.parametrize("flag", [{"run_eagerly": True}, {"jit_compile": False}])
def test_fit_evaluate_predict_run_eagerly_like_keras(flag):
    x, y = _data()
    results, initial = {}, None
    for k in (keras, nbkeras):
        seen = []
        model = k.Sequential([k.Input((3,)), _probe(k, seen), k.layers.Dense(2)])
        model.compile("sgd", "mse", **flag)
        assert model.run_eagerly or k is keras
        model.build((None, 3))
        if k is keras:
            initial = model.get_weights()
        else:
            model.set_weights(initial)
        calls = len(seen)
        history = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        fit_calls = sum(seen[calls:])  # calls on concrete values
        results[k] = (model.get_weights(), history.history["loss"], fit_calls,
                      model.evaluate(x, y, verbose=0), model.predict(x, verbose=0))
        if k is keras:
            continue
        ours, theirs = results[nbkeras], results[keras]
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5)
        for a, b in zip(ours[0], theirs[0]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        assert ours[2] >= 4 and theirs[2] >= 4  # call ran on values for each of 2 x 2 batches
        np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-5)
        np.testing.assert_allclose(ours[4], theirs[4], rtol=1e-5, atol=1e-6)


def test_python_control_flow_on_values_works_eagerly():
    # Beyond Keras: Keras 3 still traces the model symbolically once in fit (this layer
    # fails there); nbkeras uses the layer's compute_output_shape and runs call on values.
    x, y = _data()
    seen = []
    model = nbkeras.Sequential([nbkeras.Input((3,)), _gate(nbkeras, seen), nbkeras.layers.Dense(2)])
    model.compile("adam", "mse", run_eagerly=True, steps_per_execution="auto")
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.25)
    assert sorted(history.history) == ["loss", "val_loss"]
    assert len(seen) >= 4 and all(isinstance(t, float) for t in seen)
    assert model.predict(x, verbose=0).shape == (16, 2)


def test_switching_run_eagerly_off_jits_again():
    x, y = _data()
    model = nbkeras.Sequential([nbkeras.Input((3,)), _gate(nbkeras, []), nbkeras.layers.Dense(2)])
    model.compile("sgd", "mse", run_eagerly=True, steps_per_execution="auto")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.run_eagerly = False
    with pytest.raises(Exception, match="[Cc]oncret|[Tt]racer"):
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)


def test_run_eagerly_needs_a_compiled_model():
    model = nbkeras.Sequential([nbkeras.Input((3,)), nbkeras.layers.Dense(2)])
    assert model.run_eagerly is False
    with pytest.raises(RuntimeError, match=r"compile\(\.\.\., run_eagerly=True\)"):
        model.run_eagerly = True
