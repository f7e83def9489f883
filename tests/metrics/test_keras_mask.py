"""Compiled metrics honour the Keras mask of the predictions, as in Keras."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import nbkeras  # noqa: E402


def test_metrics_skip_masked_steps_like_keras():
    """A mask on y_pred (Embedding(mask_zero=True)) weights compiled metrics in Keras:
    padded time steps count neither in the loss nor in the accuracy."""
    rng = np.random.default_rng(0)
    x = rng.integers(1, 6, size=(8, 5))
    x[:, 3:] = 0  # padding
    y = rng.integers(0, 3, size=(8, 5))

    def build(K):
        model = K.Sequential([K.Input((5,), dtype="int32"),
                              K.layers.Embedding(6, 4, mask_zero=True),
                              K.layers.Dense(3, activation="softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy",
                      metrics=["accuracy", "sparse_categorical_crossentropy"])
        return model

    theirs, ours = build(keras), build(nbkeras)
    ours.set_weights(theirs.get_weights())
    got = ours.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    want = theirs.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    assert set(got) == set(want)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, err_msg=k)
    pred = np.asarray(ours.predict(x, verbose=0)).argmax(-1)
    np.testing.assert_allclose(got["accuracy"], (pred == y)[:, :3].mean(), rtol=1e-6)
    assert abs(got["accuracy"] - (pred == y).mean()) > 1e-3  # padding would change it
