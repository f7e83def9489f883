"""Noise/regularization layers: identity at inference, Keras's statistics in training."""

import numpy as np
import pytest

from nbkeras import layers

X = np.random.default_rng(0).normal(size=(64, 8, 16)).astype("float32")


@pytest.mark.parametrize("layer", [
    layers.GaussianNoise(0.5, seed=1), layers.GaussianDropout(0.3, seed=1),
    layers.AlphaDropout(0.3, seed=1), layers.SpatialDropout1D(0.5, seed=1),
], ids=lambda la: type(la).__name__)
def test_identity_at_inference_noisy_in_training(layer):
    np.testing.assert_array_equal(np.asarray(layer(X, training=False)), X)
    out = np.asarray(layer(X, training=True))
    assert out.shape == X.shape and not np.allclose(out, X)


def test_noise_statistics():
    ones = np.ones((200, 100), "float32")
    g = np.asarray(layers.GaussianNoise(0.5, seed=0)(ones, training=True)) - 1
    assert abs(g.std() - 0.5) < 0.02
    d = np.asarray(layers.GaussianDropout(0.2, seed=0)(ones, training=True))
    assert abs(d.mean() - 1) < 0.02 and abs(d.std() - 0.5) < 0.02
    # AlphaDropout keeps zero mean / unit variance of standard normal inputs
    z = np.random.default_rng(1).normal(size=(400, 100)).astype("float32")
    a = np.asarray(layers.AlphaDropout(0.2, seed=0)(z, training=True))
    assert abs(a.mean()) < 0.05 and abs(a.std() - 1) < 0.05


def test_spatial_dropout_drops_whole_channels():
    out = np.asarray(layers.SpatialDropout1D(0.5, seed=0)(X, training=True))
    dropped = np.all(out == 0, axis=1)  # (batch, channels): whole channel zero over time
    kept = np.all(np.isclose(out, 2 * X), axis=1)
    assert np.all(dropped | kept) and dropped.any() and kept.any()
    img = np.ones((4, 5, 5, 6), "float32")
    out2 = np.asarray(layers.SpatialDropout2D(0.5, seed=0)(img, training=True))
    assert set(np.unique(out2.reshape(4, 25, 6).std(axis=1))) == {0.0}


def test_bad_rate():
    with pytest.raises(ValueError, match="GaussianDropout 'rate' must be a float in \\[0, 1\\]"):
        layers.GaussianDropout(2.0)
