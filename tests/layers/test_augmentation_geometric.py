"""Keras 3's geometric and mixing augmentation layers: Keras parity where Keras is
deterministic, invariants where it draws, jit, channels_first, errors, saving and fit."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from flax import nnx  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402

IMGS = np.random.default_rng(0).uniform(0, 255, size=(4, 8, 8, 3)).astype("float32")

MAKERS = {
    "RandomShear": lambda s: layers.RandomShear(0.3, 0.3, seed=s),
    "RandomPerspective": lambda s: layers.RandomPerspective(seed=s),
    "RandomElasticTransform": lambda s: layers.RandomElasticTransform(seed=s),
    "RandomErasing": lambda s: layers.RandomErasing(factor=(1.0, 1.0), seed=s),
    "RandomGaussianBlur": lambda s: layers.RandomGaussianBlur(sigma=(0.5, 1.0), seed=s),
    "MixUp": lambda s: layers.MixUp(seed=s),
    "CutMix": lambda s: layers.CutMix(seed=s),
    "Pipeline": lambda s: layers.Pipeline([layers.RandomFlip(seed=s),
                                           layers.RandomShear(0.2, seed=s + 1)]),
}


def _train(layer, x):
    return np.asarray(nnx.jit(lambda m, v: m(v, training=True))(layer, x))


@pytest.mark.parametrize("name", list(MAKERS))
def test_identity_at_inference_seeded_and_jitted(name):
    a, b = MAKERS[name](3), MAKERS[name](3)
    np.testing.assert_array_equal(np.asarray(a(IMGS, training=False)), IMGS)
    outs = [_train(a, IMGS) for _ in range(3)]
    assert outs[0].shape == IMGS.shape and np.isfinite(outs[0]).all()
    assert any(not np.allclose(o, IMGS) for o in outs)  # something happened
    np.testing.assert_allclose(_train(b, IMGS), outs[0], atol=1e-3)


@pytest.mark.parametrize("name", ["RandomShear", "RandomErasing", "MixUp"])
def test_channels_first_is_the_transposed_channels_last_and_rank3(name):
    make = MAKERS[name]
    last = _train(make(5), IMGS)
    cfg = {**make(5).get_config(), "data_format": "channels_first"}
    first = _train(type(make(5)).from_config(cfg), np.transpose(IMGS, (0, 3, 1, 2)))
    np.testing.assert_allclose(np.transpose(first, (0, 2, 3, 1)), last, atol=1e-3)
    assert _train(make(5), IMGS[0]).shape == IMGS[0].shape


def test_gaussian_blur_matches_keras_when_deterministic():
    cfg = {"factor": (1.0, 1.0), "kernel_size": (3, 5), "sigma": (0.7, 0.7),
           "value_range": (0, 255)}
    want = np.asarray(keras.layers.RandomGaussianBlur(**cfg, seed=1)(IMGS, training=True))
    got = np.asarray(layers.RandomGaussianBlur(**cfg, seed=2)(IMGS, training=True))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


def test_pipeline_of_deterministic_layers_matches_keras():
    def build(lib):
        return lib.layers.Pipeline([
            lib.layers.RandomGaussianBlur(factor=(1.0, 1.0), sigma=(0.6, 0.6), seed=0),
            lib.layers.Rescaling(1 / 255.0),
            lib.layers.CenterCrop(6, 6),
        ])

    want = np.asarray(build(keras)(IMGS, training=True))
    got = np.asarray(build(nbkeras)(IMGS, training=True))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(build(nbkeras)(IMGS, training=False)),
                               np.asarray(build(keras)(IMGS, training=False)), atol=1e-5)


def test_shear_is_one_of_keras_two_signed_shears():
    out = np.asarray(layers.RandomShear((0.3, 0.3), (0.2, 0.2), seed=0)(IMGS, training=True))
    k_out = np.asarray(keras.layers.RandomShear((0.3, 0.3), (0.2, 0.2), seed=0)(
        IMGS, training=True))
    refs = [np.asarray(keras.ops.image.affine_transform(
        IMGS, np.tile(np.array([1, 0.3 * s, 0, 0.2 * s, 1, 0, 0, 0], "float32"), (4, 1)),
        fill_mode="reflect")) for s in (1, -1)]
    for i in range(len(IMGS)):
        for o in (out, k_out):
            assert min(np.abs(o[i] - r[i]).max() for r in refs) < 1e-3


def test_perspective_with_zero_scale_and_erasing_and_blur_invariants():
    still = layers.RandomPerspective(factor=(1.0, 1.0), scale=0.0, seed=0)
    np.testing.assert_allclose(np.asarray(still(IMGS, training=True)), IMGS, atol=1e-2)
    erased = np.asarray(layers.RandomErasing((1.0, 1.0), (0.2, 0.3), fill_value=7.0,
                                             seed=0)(IMGS, training=True))
    changed = erased != IMGS
    assert changed.any() and np.all(erased[changed] == 7.0)
    for img in changed.any(-1):  # one axis-aligned rectangle per image
        rows, cols = np.where(img)
        assert img[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()
    never = layers.RandomGaussianBlur(factor=0.0, seed=0)
    np.testing.assert_array_equal(np.asarray(never(IMGS, training=True)), IMGS)
    elastic = np.asarray(layers.RandomElasticTransform(value_range=(0, 100), seed=0)(
        IMGS, training=True))
    assert elastic.min() >= 0 and elastic.max() <= 100


def test_mixup_and_cutmix_mix_labels_to_one():
    labels = np.eye(4, dtype="float32")
    for layer in (layers.MixUp(alpha=0.4, seed=0), layers.CutMix(seed=0)):
        out = layer({"images": IMGS, "labels": labels}, training=True)
        assert set(out) == {"images", "labels"}
        np.testing.assert_allclose(np.asarray(out["labels"]).sum(1), 1.0, atol=1e-5)
        assert np.asarray(out["images"]).min() >= 0 and np.asarray(out["images"]).max() <= 255
    cut = np.asarray(layers.CutMix(seed=4)({"images": IMGS, "labels": labels},
                                           training=True)["images"])
    for i, img in enumerate(cut):  # every pixel comes from the image or one partner
        src = [j for j in range(4) if np.all((img == IMGS[i]) | (img == IMGS[j]))]
        assert src
    same = layers.MixUp(seed=0)({"images": IMGS, "labels": labels}, training=False)
    np.testing.assert_array_equal(np.asarray(same["labels"]), labels)


def test_bad_configurations_name_the_layer():
    with pytest.raises(ValueError, match=r"RandomShear argument 'x_factor'.*\[0, 1\]"):
        layers.RandomShear(x_factor=1.5)
    with pytest.raises(ValueError, match="RandomShear received an invalid fill_mode"):
        layers.RandomShear(0.1, fill_mode="edge")
    with pytest.raises(ValueError, match="RandomPerspective 'scale'"):
        layers.RandomPerspective(scale=2)
    with pytest.raises(ValueError, match="RandomGaussianBlur 'kernel_size' must be an odd"):
        layers.RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match="RandomErasing 'fill_value'"):
        layers.RandomErasing(fill_value=(1, 2))
    with pytest.raises(ValueError, match="RandomElasticTransform 'value_range'"):
        layers.RandomElasticTransform(value_range=(1, 0))
    with pytest.raises(ValueError, match="MixUp 'alpha' must be a positive"):
        layers.MixUp(alpha=0)
    with pytest.raises(ValueError, match="CutMix argument 'factor'"):
        layers.CutMix(factor="x")
    with pytest.raises(TypeError, match="Pipeline 'layers' must be a list"):
        layers.Pipeline(3)
    with pytest.raises(ValueError, match="MixUp .* expects images"):
        layers.MixUp()(np.ones((2, 3), "float32"), training=True)


@pytest.mark.slow
def test_save_load_round_trip_and_fit(tmp_path):
    aug = [layers.RandomShear(0.2, 0.1, seed=1), layers.RandomPerspective(scale=0.3, seed=2),
           layers.RandomElasticTransform(scale=0.5, seed=3), layers.RandomErasing(seed=4),
           layers.RandomGaussianBlur(seed=5), layers.MixUp(seed=6), layers.CutMix(seed=7),
           layers.Pipeline([layers.RandomFlip(seed=8)])]
    model = nbkeras.Sequential([nbkeras.Input((8, 8, 3)), *aug,
                                layers.Conv2D(2, 3, activation="relu"),
                                layers.GlobalAveragePooling2D(), layers.Dense(2)])
    model.compile("adam", "mse")
    x, y = IMGS / 255.0, np.ones((4, 2), "float32")
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    path = str(tmp_path / "aug.keras")
    model.save(path)
    loaded = nbkeras.models.load_model(path)
    for a, b in zip(model.layers, loaded.layers):
        assert type(a) is type(b) and a.get_config() == b.get_config()
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)),
                               np.asarray(model(x, training=False)), atol=1e-5)
    assert isinstance(loaded.layers[7].layers[0], layers.RandomFlip)
