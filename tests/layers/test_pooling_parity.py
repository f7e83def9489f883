"""Pooling layers against Keras 3."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402

CASES = [
    ("MaxPooling1D", dict(), (2, 9, 3)),
    ("MaxPooling1D", dict(pool_size=3, strides=1, padding="same"), (2, 7, 3)),
    ("MaxPooling1D", dict(data_format="channels_first"), (2, 3, 8)),
    ("MaxPooling2D", dict(), (2, 8, 8, 3)),
    ("MaxPooling2D", dict(), (2, 7, 9, 3)),  # 'valid' drops the remainder
    ("MaxPooling2D", dict(padding="same"), (2, 7, 7, 3)),
    ("MaxPooling2D", dict(padding="same"), (2, 8, 6, 3)),
    ("MaxPooling2D", dict(pool_size=3, strides=2), (2, 9, 9, 3)),
    ("MaxPooling2D", dict(pool_size=(2, 3), data_format="channels_first"), (2, 3, 8, 9)),
    ("MaxPooling3D", dict(), (2, 4, 4, 5, 2)),
    ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 8, 3)),
    ("AveragePooling1D", dict(pool_size=2, data_format="channels_first"), (2, 3, 8)),
    ("AveragePooling2D", dict(pool_size=2), (2, 8, 8, 3)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 7, 3)),
    ("AveragePooling2D", dict(pool_size=3, strides=1, padding="same",
                              data_format="channels_first"), (2, 3, 5, 5)),
    ("AveragePooling3D", dict(pool_size=2, padding="same"), (2, 3, 4, 5, 2)),
    ("GlobalAveragePooling1D", dict(), (2, 7, 3)),
    ("GlobalAveragePooling1D", dict(data_format="channels_first", keepdims=True), (2, 3, 7)),
    ("GlobalAveragePooling2D", dict(), (2, 5, 6, 3)),
    ("GlobalAveragePooling2D", dict(keepdims=True, data_format="channels_first"), (2, 3, 5, 6)),
    ("GlobalMaxPooling1D", dict(), (2, 7, 3)),
    ("GlobalMaxPooling2D", dict(), (2, 5, 6, 3)),
    ("GlobalMaxPooling2D", dict(keepdims=True), (2, 5, 6, 3)),
]


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_pooling_matches_keras(name, kwargs, shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), atol=1e-5)
    assert ours.get_weights() == theirs.get_weights() == []
    sym = getattr(layers, name)(**kwargs)(nbkeras.Input(shape[1:])).shape
    assert sym == getattr(keras.layers, name)(**kwargs)(keras.Input(shape[1:])).shape
    assert set(theirs.get_config()) <= set(ours.get_config())


def test_global_average_pooling1d_mask_matches_keras():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    ours = layers.GlobalAveragePooling1D()(x, mask=mask)
    theirs = keras.layers.GlobalAveragePooling1D()(x, mask=mask)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), atol=1e-6)


TILED = [
    (layers.MaxPooling1D, dict(), (2, 9, 3)),  # remainder dropped
    (layers.MaxPooling1D, dict(pool_size=3, data_format="channels_first"), (2, 3, 9)),
    (layers.MaxPooling2D, dict(), (2, 8, 8, 3)),
    (layers.MaxPooling2D, dict(), (2, 7, 9, 3)),
    (layers.MaxPooling2D, dict(pool_size=(2, 3), data_format="channels_first"), (2, 3, 8, 9)),
    (layers.MaxPooling2D, dict(padding="same"), (2, 8, 6, 3)),
    (layers.MaxPooling3D, dict(), (2, 4, 5, 4, 2)),
]


@pytest.mark.parametrize("cls,kwargs,shape", TILED, ids=[f"{c[0].__name__}-{i}" for i, c in
                                                        enumerate(TILED)])
def test_fast_max_pool_matches_keras_values_and_gradients_with_ties(cls, kwargs, shape):
    """Training's tiled max: Keras's values and Keras's gradient, which sends each
    window's gradient to its *first* maximum (select-and-scatter) - ties included."""
    rng = np.random.default_rng(3)
    # Few distinct values: most windows hold tied maxima; plus a relu-like block of zeros.
    x = (rng.integers(0, 3, size=shape) * 0.5).astype("float32")
    ours, theirs = cls(**kwargs), getattr(keras.layers, cls.__name__)(**kwargs)
    weights = rng.normal(size=np.shape(theirs(x))).astype("float32")

    def loss_ours(a):
        return jnp.sum(ours(a, training=True) * weights)

    def loss_keras(a):
        return jnp.sum(theirs(a, training=True) * weights)

    assert "reduce_window" not in str(jax.make_jaxpr(loss_ours)(x))  # the fast path ran
    np.testing.assert_array_equal(np.asarray(ours(x, training=True)), np.asarray(theirs(x)))
    g_ours, g_keras = jax.grad(loss_ours)(x), jax.grad(loss_keras)(x)
    assert np.count_nonzero(np.asarray(g_keras)) > 0
    np.testing.assert_array_equal(np.asarray(g_ours), np.asarray(g_keras))
    # Forward mode works too (a custom JVP, not a custom VJP): jvp equals the jvp of Keras's.
    tangent = rng.normal(size=shape).astype("float32")
    _, t_ours = jax.jvp(lambda a: ours(a, training=True), (x,), (tangent,))
    _, t_keras = jax.jvp(lambda a: theirs(a, training=True), (x,), (tangent,))
    np.testing.assert_array_equal(np.asarray(t_ours), np.asarray(t_keras))


def test_fast_max_pool_second_order_gradient():
    x = jax.random.normal(jax.random.key(0), (2, 4, 4, 3))
    pool = layers.MaxPooling2D()
    hvp = jax.jvp(jax.grad(lambda a: jnp.sum(pool(a, training=True) ** 2)), (x,), (x,))[1]
    ref = jax.jvp(jax.grad(lambda a: jnp.sum(jax.lax.reduce_window(
        a, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID") ** 2)), (x,), (x,))[1]
    np.testing.assert_allclose(np.asarray(hvp), np.asarray(ref), atol=1e-6)


def test_fast_path_is_used_only_in_training_when_windows_tile():
    pool = layers.MaxPooling2D(padding="same")

    def jaxpr(layer, shape, training=True):
        return str(jax.make_jaxpr(lambda a: layer(a, training=training))(jnp.ones(shape)))

    assert "reduce_window" not in jaxpr(pool, (1, 8, 8, 1))
    assert "reduce_max" in jaxpr(pool, (1, 8, 8, 1))
    assert "name=tiled_max" in jaxpr(pool, (1, 8, 8, 1))
    assert "reduce_window" in jaxpr(pool, (1, 7, 7, 1))
    assert "reduce_window" in jaxpr(layers.MaxPooling2D(3, strides=2), (1, 7, 7, 1))
    # predict/evaluate: reduce_window's forward is the faster one on XLA:CPU
    assert "reduce_window" in jaxpr(pool, (1, 8, 8, 1), training=False)


def test_pooling_errors():
    with pytest.raises(ValueError, match=r"Did you mean 'valid'"):
        layers.MaxPooling2D(padding="vaild")
    with pytest.raises(ValueError, match=r"'pool_size' must be a positive int or a tuple of 2"):
        layers.MaxPooling2D(pool_size=(2, 0))
    with pytest.raises(ValueError, match=r"MaxPooling2D 'mp' expected a 4D input"):
        layers.MaxPooling2D(name="mp")(jnp.ones((2, 8, 3)))
    with pytest.raises(ValueError, match=r"AveragePooling2D 'ap' produced an empty output"):
        layers.AveragePooling2D(pool_size=4, name="ap")(jnp.ones((1, 3, 3, 1)))
    with pytest.raises(ValueError, match=r"GlobalAveragePooling2D 'gap' expected a 4D input"):
        layers.GlobalAveragePooling2D(name="gap")(jnp.ones((2, 3)))
