"""Core layers (Dense, Embedding, Activation, Dropout, Lambda) and activation layers
(ReLU, LeakyReLU, PReLU, ELU, Softmax) against Keras 3."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402


def check_parity(name, kwargs, x, atol=1e-5, call_kwargs=None):
    rng = np.random.default_rng(0)
    call_kwargs = call_kwargs or {}
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs(x)
    for w in theirs.weights:
        w.assign(rng.normal(size=w.shape).astype("float32"))
    ours = getattr(layers, name)(**kwargs)
    ours(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(np.asarray(ours(x, **call_kwargs)),
                               np.asarray(theirs(x, **call_kwargs)), atol=atol, rtol=1e-5)
    dtype = "int32" if name == "Embedding" else "float32"
    sym = getattr(layers, name)(**kwargs)(nbkeras.Input(x.shape[1:], dtype=dtype)).shape
    assert sym == getattr(keras.layers, name)(**kwargs)(
        keras.Input(x.shape[1:], dtype=dtype)).shape
    return ours, theirs


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


CASES = [
    ("Dense", dict(units=4), normal(3, 5)),
    ("Dense", dict(units=4, activation="relu", use_bias=False), normal(3, 2, 5)),
    ("Embedding", dict(input_dim=10, output_dim=4, embeddings_initializer="random_uniform"),
     np.array([[1, 2, 9], [0, 3, 3]])),
    ("Activation", dict(activation="tanh"), normal(3, 5)),
    ("Activation", dict(activation="softmax"), normal(3, 5)),
    ("ReLU", dict(), normal(3, 5)),
    ("ReLU", dict(max_value=0.5, negative_slope=0.1, threshold=0.2), normal(3, 5)),
    ("LeakyReLU", dict(), normal(3, 5)),
    ("LeakyReLU", dict(negative_slope=0.05), normal(3, 5)),
    ("PReLU", dict(), normal(3, 4, 5)),
    ("PReLU", dict(shared_axes=[1]), normal(3, 4, 5)),
    ("ELU", dict(alpha=0.5), normal(3, 5)),
    ("Softmax", dict(), normal(3, 5)),
    ("Softmax", dict(axis=1), normal(3, 4, 5)),
    ("Softmax", dict(axis=[1, 2]), normal(3, 4, 5)),
]


@pytest.mark.parametrize("name,kwargs,x", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_keras(name, kwargs, x):
    ours, theirs = check_parity(name, kwargs, x)
    assert set(theirs.get_config()) - set(ours.get_config()) <= {"activity_regularizer",
                                                                 "quantization_config"}


def test_embedding_default_initializer_is_keras_uniform():
    emb = layers.Embedding(10, 4)
    out = np.asarray(emb(jnp.array([[1, 2]])))
    assert out.shape == (1, 2, 4) and np.all(np.abs(out) <= 0.05)


def test_softmax_mask_matches_keras():
    x = normal(2, 5)
    mask = np.array([[1, 1, 0, 1, 0], [1, 0, 0, 0, 0]], bool)
    np.testing.assert_allclose(np.asarray(layers.Softmax()(x, mask=mask)),
                               np.asarray(keras.layers.Softmax()(x, mask=mask)), atol=1e-6)


def test_dropout_inference_is_identity():
    x = normal(4, 6)
    np.testing.assert_array_equal(np.asarray(layers.Dropout(0.5)(x, training=False)), x)
    np.testing.assert_array_equal(np.asarray(layers.Dropout(0.5)(x)), x)


def test_dropout_training_drops_rate_and_scales():
    rate = 0.3
    x = jnp.ones((200, 100))
    y = np.asarray(layers.Dropout(rate, seed=1)(x, training=True))
    dropped = np.mean(y == 0)
    assert abs(dropped - rate) < 0.02
    np.testing.assert_allclose(y[y != 0], 1.0 / (1.0 - rate), rtol=1e-6)


def test_dropout_draws_new_masks_each_call():
    layer = layers.Dropout(0.5, seed=2)
    a = np.asarray(layer(jnp.ones((10, 10)), training=True))
    b = np.asarray(layer(jnp.ones((10, 10)), training=True))
    assert not np.array_equal(a, b)


def test_lambda_matches_keras():
    x = normal(3, 4)
    ours = layers.Lambda(lambda t, k: t * k + 1.0, arguments={"k": 2.0})
    theirs = keras.layers.Lambda(lambda t, k: t * k + 1.0, arguments={"k": 2.0})
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), atol=1e-6)
    assert layers.Lambda(lambda t: t[:, :2])(nbkeras.Input((4,))).shape == (None, 2)


def test_core_errors():
    dense = layers.Dense(3, name="d1")
    dense(jnp.ones((2, 4)))
    with pytest.raises(ValueError, match=r"Dense 'd1' expected an input with last dimension 4"):
        dense(jnp.ones((2, 5)))
    with pytest.raises(ValueError, match=r"Dense 'units' must be a positive integer"):
        layers.Dense(0)
    with pytest.raises(ValueError, match=r"Dropout 'rate' must be a float in \[0, 1\]"):
        layers.Dropout(1.5)
    with pytest.raises(TypeError, match=r"Lambda expects a callable"):
        layers.Lambda(3)
    with pytest.raises(ValueError, match=r"ReLU 'max_value' must be a non-negative number"):
        layers.ReLU(max_value=-1.0)
    with pytest.raises(ValueError, match=r"LeakyReLU 'negative_slope' must be a non-negative"):
        layers.LeakyReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match=r"PReLU 'pr' shared_axes=\[3\] must be in 1..2"):
        layers.PReLU(shared_axes=3, name="pr")(jnp.ones((2, 3, 4)))
