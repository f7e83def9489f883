"""Model.train_step/test_step/predict_step/compute_loss overrides (Keras's JAX signature)
and model.metrics, differential against Keras 3 with the same weights and batches."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import keras as real_keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402

RNG = np.random.default_rng(1)
X = RNG.random((64, 4)).astype("float32")
Y = RNG.random((64, 1)).astype("float32")
W0 = [np.linspace(-0.5, 0.5, 4, dtype="float32").reshape(4, 1), np.zeros(1, "float32")]


def _metrics_after_fit(k):
    class Tracked(k.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.tracker = k.metrics.Mean(name="trk")

    inputs = k.Input((4,))
    model = Tracked(inputs, k.layers.Dense(1)(inputs))
    before = model.metrics_names
    model.compile("sgd", "mse", metrics=["mae"])
    model.set_weights(W0)
    history = model.fit(X, Y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    results = {m.name: m.result() for m in model.metrics}
    return before, model.metrics_names, history.history, {
        "loss": float(results["loss"]), "mae": float(results["compile_metrics"]["mae"])}


def test_metrics_and_metrics_names_like_keras():
    ours, theirs = _metrics_after_fit(nbkeras), _metrics_after_fit(real_keras)
    assert ours[0] == theirs[0] == ["trk"]
    assert ours[1] == theirs[1] == ["loss", "compile_metrics", "trk"]
    # The metric objects hold the last epoch's values, as the history's last entries.
    assert ours[3] == pytest.approx({k: v[-1] for k, v in ours[2].items()}, rel=1e-5)
    assert ours[3] == pytest.approx(theirs[3], rel=1e-4)


def _compute_loss_override(k):
    class PenalisedModel(k.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = super().compute_loss(x, y, y_pred, sample_weight, training)
            return loss + 0.1 * k.ops.mean(k.ops.abs(y_pred))

    inputs = k.Input((4,))
    model = PenalisedModel(inputs, k.layers.Dense(1)(inputs))
    model.compile(k.optimizers.SGD(0.1), "mse", metrics=["mae"])
    model.set_weights(W0)
    history = model.fit(X, Y, batch_size=16, epochs=2, verbose=0, shuffle=False,
                        validation_data=(X[:32], Y[:32]))
    return history.history, model.evaluate(X, Y, verbose=0, return_dict=True)


def test_compute_loss_override_drives_fit_and_evaluate_like_keras():
    (h_ours, e_ours), (h_theirs, e_theirs) = (_compute_loss_override(nbkeras),
                                              _compute_loss_override(real_keras))
    assert sorted(h_ours) == sorted(h_theirs) == ["loss", "mae", "val_loss", "val_mae"]
    for key in h_theirs:
        np.testing.assert_allclose(h_ours[key], h_theirs[key], rtol=1e-4)
    assert e_ours == pytest.approx(e_theirs, rel=1e-4)


def test_predict_step_override():
    class Doubled(nbkeras.Model):
        def predict_step(self, state, data):
            outputs, non_trainable = super().predict_step(state, data)
            return outputs * 2.0, non_trainable

    inputs = nbkeras.Input((4,))
    model = Doubled(inputs, nbkeras.layers.Dense(1)(inputs))
    model.set_weights(W0)
    expected = 2.0 * (X @ W0[0] + W0[1])
    np.testing.assert_allclose(model.predict(X, batch_size=24, verbose=0), expected, rtol=1e-5)


def test_custom_train_step_refuses_a_fit_control():
    class Custom(nbkeras.Model):
        def train_step(self, state, data):
            return super().train_step(state, data)

    inputs = nbkeras.Input((4,))
    model = Custom(inputs, nbkeras.layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="control=.*overrides train_step"):
        model.fit(X, Y, verbose=0, control=nbkeras.train.FitControl())
    history = model.fit(X, Y, batch_size=16, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
