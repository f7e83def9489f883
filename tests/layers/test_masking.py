"""Keras masks: produced by Embedding(mask_zero)/Masking, carried on outputs, consumed by
RNNs, pooling, custom layers and losses, in Sequential and Functional models (vs Keras 3)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402

RNG = np.random.default_rng(0)
TOKENS = RNG.integers(1, 10, size=(4, 7))
TOKENS[0, 5:] = 0
TOKENS[1, 3:] = 0


def _functional(ns, K):
    inp = K.Input((7,), dtype="int32")
    e = ns.Embedding(10, 5, mask_zero=True)(inp)
    h = ns.LSTM(6, return_sequences=True)(e)
    d = ns.Dense(3)(h)
    pooled = ns.GlobalAveragePooling1D()(d)
    last = ns.GRU(4)(d)
    return K.Model(inp, [ns.Concatenate()([pooled, last]), d])


def test_masks_flow_through_functional_model_like_keras():
    theirs, ours = _functional(keras.layers, keras), _functional(layers, nbkeras)
    ours.set_weights(theirs.get_weights())
    a, b = ours(TOKENS), theirs(TOKENS)
    for p, q in zip(a, b):
        np.testing.assert_allclose(np.asarray(p), np.asarray(q), atol=1e-5)
    np.testing.assert_array_equal(np.asarray(a[1]._keras_mask), TOKENS != 0)
    np.testing.assert_array_equal(np.asarray(a[1]._keras_mask), np.asarray(b[1]._keras_mask))


def test_masks_flow_in_sequential_predict_and_loss_like_keras():
    def make(ns, K):
        return K.Sequential([K.Input((7,), dtype="int32"), ns.Embedding(10, 5, mask_zero=True),
                             ns.LSTM(3, return_sequences=True)])

    theirs, ours = make(keras.layers, keras), make(layers, nbkeras)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(TOKENS, verbose=0),
                               theirs.predict(TOKENS, verbose=0), atol=1e-5)
    y = RNG.normal(size=(4, 7, 3)).astype("float32")
    theirs.compile("sgd", "mse")
    ours.compile("sgd", "mse")
    # masked timesteps do not count in the loss (mean over unmasked steps)
    np.testing.assert_allclose(ours.evaluate(TOKENS, y, verbose=0),
                               theirs.evaluate(TOKENS, y, verbose=0), rtol=1e-5)


def test_masking_layer_and_embedding_compute_mask():
    x = RNG.normal(size=(3, 5, 2)).astype("float32")
    x[0, 3:] = 0.0
    out = layers.Masking()(x)
    ref = keras.layers.Masking()(x)
    np.testing.assert_array_equal(np.asarray(out._keras_mask), np.asarray(ref._keras_mask))
    np.testing.assert_allclose(np.asarray(out), np.asarray(ref))
    emb = layers.Embedding(10, 2, mask_zero=True)
    np.testing.assert_array_equal(np.asarray(emb.compute_mask(TOKENS)), TOKENS != 0)
    assert layers.Embedding(10, 2).compute_mask(TOKENS) is None


def test_custom_layer_masking_contract():
    class Consumer(layers.Layer):
        """Reads the mask: a masked mean over time."""

        def call(self, x, mask=None):
            m = jnp.asarray(mask, x.dtype)[..., None]
            return jnp.sum(x * m, axis=1) / jnp.sum(m, axis=1)

    class PassThrough(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, x):
            return x * 2.0

    class Maker(layers.Layer):
        def call(self, x):
            return x

        def compute_mask(self, inputs, previous_mask=None):
            return jnp.any(inputs > 0, axis=-1)

    assert Maker().supports_masking and not Consumer().supports_masking
    x = np.abs(RNG.normal(size=(2, 4, 3))).astype("float32")
    x[0, 2:] = -1.0
    inp = nbkeras.Input((4, 3))
    out = Consumer()(PassThrough()(Maker()(inp)))
    model = nbkeras.Model(inp, out)
    expect = np.stack([(2 * x[0, :2]).mean(0), (2 * x[1]).mean(0)])
    np.testing.assert_allclose(np.asarray(model(x)), expect, rtol=1e-5)
    # under jit the mask travels on tracers too
    np.testing.assert_allclose(np.asarray(jax.jit(lambda a: model(a))(x)), expect, rtol=1e-5)
    # a layer that does not support masking drops the mask
    assert getattr(layers.Flatten()(Maker()(x)), "_keras_mask", None) is None


def test_lambda_mask_and_merge_masks():
    x = RNG.normal(size=(2, 4, 3)).astype("float32")
    lam = layers.Lambda(lambda t: t, mask=lambda t, m: jnp.ones(t.shape[:2], bool))
    assert np.asarray(lam(x)._keras_mask).all()
    a, b = layers.Masking(0.0), layers.Masking(0.0)
    x1, x2 = x.copy(), x.copy()
    x1[0, 3] = 0.0
    x2[1, 0] = 0.0
    ours = layers.Add()([a(x1), b(x2)])
    theirs = keras.layers.Add()([keras.layers.Masking()(x1), keras.layers.Masking()(x2)])
    np.testing.assert_array_equal(np.asarray(ours._keras_mask), np.asarray(theirs._keras_mask))


def test_mask_trains_lstm_text_classifier():
    """Variable-length sequences, zero-padded: the class is whether token 1 occurs."""
    rng = np.random.default_rng(1)
    n, t = 256, 10
    lengths = rng.integers(3, t + 1, size=n)
    x = rng.integers(2, 12, size=(n, t))
    y = rng.integers(0, 2, size=n)
    for i in range(n):
        if y[i]:
            x[i, rng.integers(0, lengths[i])] = 1
        x[i, lengths[i]:] = 0
    nbkeras.utils.set_random_seed(0)
    model = nbkeras.Sequential([
        nbkeras.Input((t,), dtype="int32"),
        layers.Embedding(12, 8, mask_zero=True),
        layers.LSTM(16),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(nbkeras.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=12, batch_size=32, verbose=0)
    assert hist.history["accuracy"][-1] > 0.95
