"""Augmentation layers: identity at inference, seeded and jit-safe in training."""

import numpy as np
import pytest
from flax import nnx

from nbkeras import layers

IMGS = np.random.default_rng(0).uniform(0, 255, size=(3, 8, 8, 2)).astype("float32")

MAKERS = [
    lambda s: layers.RandomFlip(seed=s),
    lambda s: layers.RandomRotation(0.2, seed=s),
    lambda s: layers.RandomZoom(0.3, seed=s),
    lambda s: layers.RandomTranslation(0.2, 0.2, seed=s, fill_mode="constant"),
    lambda s: layers.RandomContrast(0.5, seed=s),
    lambda s: layers.RandomBrightness(0.3, seed=s),
]


@pytest.mark.parametrize("make", MAKERS, ids=lambda m: type(m(0)).__name__)
def test_identity_at_inference_random_in_training_and_seeded(make):
    a, b = make(3), make(3)
    np.testing.assert_array_equal(np.asarray(a(IMGS, training=False)), IMGS)
    out = np.asarray(nnx.jit(lambda m, x: m(x, training=True))(a, IMGS))
    assert out.shape == IMGS.shape and not np.allclose(out, IMGS)
    np.testing.assert_allclose(np.asarray(b(IMGS, training=True)), out, rtol=1e-5, atol=1e-3)
    again = np.asarray(a(IMGS, training=True))  # the key advanced: a new draw
    assert not np.allclose(again, out)


def test_flip_and_crop_semantics():
    flipped = np.asarray(layers.RandomFlip("horizontal", seed=1)(IMGS, training=True))
    for img, out in zip(IMGS, flipped):
        assert np.array_equal(out, img) or np.array_equal(out, img[:, ::-1])
    crop = layers.RandomCrop(4, 5, seed=0)
    np.testing.assert_array_equal(np.asarray(crop(IMGS, training=False)), IMGS[:, 2:6, 1:6])
    out = np.asarray(crop(IMGS, training=True))
    assert out.shape == (3, 4, 5, 2)
    for img, o in zip(IMGS, out):  # each crop is a window of its image
        assert any(np.array_equal(o, img[t:t + 4, s:s + 5])
                   for t in range(5) for s in range(4))


def test_rotation_by_half_turn_matches_numpy():
    layer = layers.RandomRotation((0.5, 0.5), seed=0)
    np.testing.assert_allclose(np.asarray(layer(IMGS, training=True)), IMGS[:, ::-1, ::-1],
                               atol=1e-3)


def test_bad_arguments_and_rank():
    with pytest.raises(ValueError, match="Did you mean 'horizontal'"):
        layers.RandomFlip("horizontl")
    with pytest.raises(ValueError, match="RandomCrop 'height' must be a positive int"):
        layers.RandomCrop(-1, 3)
    with pytest.raises(ValueError, match="expects images"):
        layers.RandomFlip()(np.ones((2, 3), "float32"), training=True)
