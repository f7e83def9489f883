"""Preprocessing layers against Keras 3."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from flax import nnx  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402


def data(*shape, seed=0):
    return np.random.default_rng(seed).normal(3.0, 2.0, size=shape).astype("float32")


def assert_close(a, b, atol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=atol, rtol=1e-5)


@pytest.mark.parametrize("kwargs", [dict(scale=1 / 255), dict(scale=2.0, offset=-1.0),
                                    dict(scale=[1.0, 2.0, 3.0], offset=0.5)])
def test_rescaling_matches_keras(kwargs):
    x = data(2, 4, 3)
    assert_close(layers.Rescaling(**kwargs)(x), keras.layers.Rescaling(**kwargs)(x))
    assert layers.Rescaling(**kwargs)(nbkeras.Input((4, 3))).shape == (None, 4, 3)


@pytest.mark.parametrize("axis,shape", [(-1, (20, 3)), (None, (20, 3)), ((1, 2), (20, 4, 3)),
                                        (1, (20, 4, 3))])
def test_normalization_adapt_matches_keras(axis, shape):
    x = data(*shape)
    ours, theirs = layers.Normalization(axis=axis), keras.layers.Normalization(axis=axis)
    ours.adapt(x)
    theirs.adapt(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    for a, b in zip(ours.get_weights()[:2], theirs.get_weights()[:2]):
        assert_close(a, b)
    assert_close(ours(x), theirs(x))


def test_normalization_adapt_on_batches_equals_adapt_on_all_data():
    # (Keras's own iterable path needs TensorFlow, so compare with the whole array.)
    batches = [data(7, 3, seed=1), data(5, 3, seed=2), data(9, 3, seed=3)]
    ours, theirs = layers.Normalization(), keras.layers.Normalization()
    ours.adapt(iter(batches))
    theirs.adapt(np.concatenate(batches))
    for a, b in zip(ours.get_weights()[:2], theirs.get_weights()[:2]):
        assert_close(a, b)
    assert_close(ours(batches[0]), theirs(batches[0]))


def test_normalization_given_stats_and_invert_match_keras():
    x = data(4, 3)
    for invert in (False, True):
        kw = dict(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 0.25], invert=invert)
        ours, theirs = layers.Normalization(**kw), keras.layers.Normalization(**kw)
        assert_close(ours(x), theirs(x))
        assert ours.get_weights() == theirs.get_weights() == []
    scalar = dict(mean=2.0, variance=4.0)
    assert_close(layers.Normalization(**scalar)(x), keras.layers.Normalization(**scalar)(x))


def test_normalization_weights_roundtrip_from_keras():
    x = data(10, 3)
    theirs = keras.layers.Normalization()
    theirs.adapt(x)
    ours = layers.Normalization()
    ours(jnp.zeros((1, 3)))
    ours.set_weights(theirs.get_weights())
    assert_close(ours(x), theirs(x))


def test_normalization_is_an_nnx_module_after_adapt():
    norm = layers.Normalization()
    norm.adapt(data(10, 3))
    graphdef, state = nnx.split(norm)
    clone = nnx.merge(graphdef, state)
    assert_close(clone(data(2, 3)), norm(data(2, 3)))


@pytest.mark.parametrize("name,kwargs,shape", [
    ("CenterCrop", dict(height=2, width=3), (2, 5, 6, 3)),
    ("CenterCrop", dict(height=3, width=3, data_format="channels_first"), (2, 3, 6, 5)),
    ("Resizing", dict(height=6, width=4), (2, 3, 5, 3)),
    ("Resizing", dict(height=6, width=8, interpolation="nearest"), (2, 3, 4, 3)),
])
def test_image_preprocessing_matches_keras(name, kwargs, shape):
    x = data(*shape)
    assert_close(getattr(layers, name)(**kwargs)(x), getattr(keras.layers, name)(**kwargs)(x))


def test_preprocessing_errors():
    with pytest.raises(ValueError, match=r"needs both 'mean' and 'variance', or neither"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match=r"must have the same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    norm = layers.Normalization(name="nm")
    norm.adapt(data(5, 3))
    with pytest.raises(ValueError, match=r"Normalization 'nm' was built for kept sizes \(3,\)"):
        norm.adapt(data(5, 4))
    with pytest.raises(ValueError, match=r"CenterCrop 'cc' cannot crop 4x4 from images of "
                                         r"size 3x5"):
        layers.CenterCrop(4, 4, name="cc")(jnp.ones((1, 3, 5, 1)))
