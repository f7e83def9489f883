"""Colour / intensity augmentation layers against real Keras 3 (JAX backend).

Deterministic configurations are compared end to end with Keras; random ones are compared
with Keras's own ``transform_images`` given the parameters our layer drew (the draws
themselves come from different PRNG streams), plus invariants and a ``model.fit`` run.
"""

import json

import keras
import numpy as np
import pytest
from flax import nnx

import nbkeras
from nbkeras import layers

RNG = np.random.default_rng(0)
IMGS = RNG.uniform(0, 255, size=(2, 8, 8, 3)).astype("float32")
UNIT = (IMGS / 255.0).astype("float32")
CF = np.ascontiguousarray(IMGS.transpose(0, 3, 1, 2))


def _close(a, b, atol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=atol)


# Deterministic configurations: the whole layer call matches Keras.  Values in 0..255 get
# atol 1e-4 (float32 rounding of values ~255 is ~1.5e-5 per op; HSV round trips do a few).
DETERMINISTIC = [
    ("RandomGrayscale", dict(factor=1.0), IMGS, 1e-4),
    ("RandomHue", dict(factor=(1.0, 1.0), value_range=(0, 1)), UNIT, 1e-5),  # ±half turn
    ("RandomHue", dict(factor=(0.0, 0.0)), IMGS, 1e-4),
    ("RandomSaturation", dict(factor=(0.5, 0.5), value_range=(0, 1)), UNIT, 1e-5),
    ("RandomSaturation", dict(factor=(0.0, 0.0)), IMGS, 1e-4),
    ("RandomColorDegeneration", dict(factor=(0.4, 0.4)), IMGS, 1e-4),
    ("RandomSharpness", dict(factor=(0.9, 0.9)), IMGS, 1e-4),
    ("RandomInvert", dict(factor=(1.0, 1.0)), IMGS, 1e-5),
    ("RandomPosterization", dict(factor=(3, 3)), IMGS, 1e-5),
    ("RandomPosterization", dict(factor=(5, 5), value_range=(0, 1)), UNIT, 1e-5),
    ("Solarization", dict(), IMGS, 1e-4),
    ("Solarization", dict(value_range=(0, 1)), UNIT, 1e-5),
    ("AutoContrast", dict(), IMGS * 0.5 + 20, 1e-4),
    ("AutoContrast", dict(value_range=(0, 1)), UNIT * 0.5 + 0.1, 1e-5),
    ("Equalization", dict(bins=16), np.round(IMGS), 1e-4),
    ("Equalization", dict(value_range=(0, 1), bins=8), UNIT, 1e-5),
    ("ContrastLimitedAdaptiveHistogramEqualization", dict(tile_grid_size=(3, 2)), IMGS, 1e-4),
    ("ContrastLimitedAdaptiveHistogramEqualization",
     dict(value_range=(0, 1), clip_limit=0, tile_grid_size=(4, 4)), UNIT, 1e-5),
    ("RandomColorJitter", dict(saturation_factor=(0.5, 0.5), hue_factor=(1.0, 1.0),
                               value_range=(0, 1)), UNIT, 1e-5),
]


@pytest.mark.parametrize("name,kwargs,x,atol", DETERMINISTIC,
                         ids=[f"{d[0]}-{i}" for i, d in enumerate(DETERMINISTIC)])
def test_deterministic_configs_match_keras(name, kwargs, x, atol):
    seeded = {} if name in ("AutoContrast", "Equalization") or "Histogram" in name else {
        "seed": 1}
    ours = getattr(layers, name)(**kwargs, **seeded)
    theirs = getattr(keras.layers, name)(**kwargs, **seeded)
    want = np.asarray(theirs(x, training=True))
    _close(ours(x, training=True), want, atol)
    ref = {k: v for k, v in theirs.get_config().items() if k != "dtype"}
    got = {k: v for k, v in ours.get_config().items() if k != "dtype"}
    if "seed" not in ref:  # (Keras's RandomGrayscale does not save its seed; we do)
        got.pop("seed", None)
    assert got == {**ref, "name": got["name"]}


@pytest.mark.parametrize("name,kwargs", [
    ("RandomSharpness", dict(factor=(0.9, 0.9))), ("RandomPosterization", dict(factor=(2, 2))),
    ("AutoContrast", dict()), ("Equalization", dict(bins=16)),
    ("RandomColorDegeneration", dict(factor=(0.7, 0.7))),
])
def test_channels_first_matches_channels_last(name, kwargs):
    last = np.asarray(getattr(layers, name)(**kwargs)(IMGS, training=True))
    first = getattr(layers, name)(**kwargs, data_format="channels_first")(CF, training=True)
    _close(np.asarray(first).transpose(0, 2, 3, 1), last, 1e-4)
    if name != "AutoContrast":  # Keras reduces AutoContrast over axes (1, 2) in any layout
        theirs = getattr(keras.layers, name)(**kwargs, data_format="channels_first")
        _close(first, theirs(CF, training=True), 1e-4)


def _keras_transform(name, kwargs, x, params):
    theirs = getattr(keras.layers, name)(**kwargs)
    return np.asarray(theirs.transform_images(x, params, training=True))


@pytest.mark.parametrize("name,kwargs,x,to_keras", [
    ("RandomHue", dict(factor=0.8), IMGS, lambda p: {"factor": p}),
    ("RandomSaturation", dict(factor=0.9, value_range=(0, 1)), UNIT, lambda p: {"factor": p}),
    ("RandomColorDegeneration", dict(factor=1.0), IMGS, lambda p: {"factor": p}),
    ("RandomSharpness", dict(factor=1.0), IMGS, lambda p: {"factor": p / 2}),
    ("RandomInvert", dict(factor=0.5), IMGS, lambda p: {"apply_inversion": p}),
    ("RandomPosterization", dict(factor=(1, 8)), IMGS, lambda p: {"shift_factor": p}),
    ("Solarization", dict(addition_factor=0.3, threshold_factor=(0.2, 0.9)), IMGS,
     lambda p: {"additions": p[0], "thresholds": p[1]}),
])
def test_random_draws_applied_as_keras_applies_them(name, kwargs, x, to_keras):
    import jax

    ours = getattr(layers, name)(**kwargs, seed=3)
    for i in range(2):
        params = ours.draw(jax.random.key(i), x.shape[0])
        got = jax.jit(ours.apply)(x, params)
        _close(got, _keras_transform(name, kwargs, x, to_keras(params)), 1e-4)


RANDOM = [
    lambda s: layers.RandomGrayscale(0.5, seed=s),
    lambda s: layers.RandomHue(0.5, seed=s),
    lambda s: layers.RandomSaturation(0.9, seed=s),
    lambda s: layers.RandomColorDegeneration(0.9, seed=s),
    lambda s: layers.RandomColorJitter(brightness_factor=0.3, contrast_factor=0.3,
                                       saturation_factor=0.5, hue_factor=0.3, seed=s),
    lambda s: layers.RandomSharpness(1.0, seed=s),
    lambda s: layers.RandomInvert(0.5, seed=s),
    lambda s: layers.RandomPosterization(8, seed=s),
    lambda s: layers.Solarization(0.5, 0.8, seed=s),
]
BATCH = RNG.uniform(0, 255, size=(8, 6, 6, 3)).astype("float32")


@pytest.mark.parametrize("make", RANDOM, ids=lambda m: type(m(0)).__name__)
def test_random_layers_seeded_identity_at_inference_and_in_range(make):
    a, b, other = make(5), make(5), make(6)
    np.testing.assert_array_equal(np.asarray(a(BATCH, training=False)), BATCH)
    out = np.asarray(nnx.jit(lambda m, x: m(x, training=True))(a, BATCH))
    assert out.shape == BATCH.shape and not np.allclose(out, BATCH, atol=1e-2)
    assert out.min() >= -1e-3 and out.max() <= 255 + 1e-3
    _close(b(BATCH, training=True), out, 1e-3)  # same seed, same draw (jit or not)
    assert not np.allclose(np.asarray(other(BATCH, training=True)), out)
    assert not np.allclose(np.asarray(a(BATCH, training=True)), out)  # the key moved on


def test_random_choices_are_per_image():
    gray = np.asarray(layers.RandomGrayscale(0.5, seed=0)(BATCH, training=True))
    is_gray = [np.allclose(g[..., 0], g[..., 1]) for g in gray]
    assert 0 < sum(is_gray) < len(gray)
    for g, x, flag in zip(gray, BATCH, is_gray):
        if not flag:
            np.testing.assert_array_equal(g, x)
    inv = np.asarray(layers.RandomInvert(0.5, seed=0)(BATCH, training=True))
    flipped = [np.allclose(o, 255 - x) for o, x in zip(inv, BATCH)]
    kept = [np.array_equal(o, x) for o, x in zip(inv, BATCH)]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    post = np.asarray(layers.RandomPosterization((2, 6), seed=0)(BATCH, training=True))
    assert np.array_equal(post, np.floor(post)) and (post % 4 == 0).all()  # <= 5 bits kept


def test_intensity_layers_inference_behaviour_matches_keras():
    x = IMGS * 0.5 + 20
    _close(layers.AutoContrast()(x, training=False),
           keras.layers.AutoContrast()(x, training=False), 1e-4)
    for name in ("Equalization", "Solarization"):
        np.testing.assert_array_equal(np.asarray(getattr(layers, name)()(x, training=False)), x)
        _close(getattr(keras.layers, name)()(x, training=False), x)
    single = layers.RandomColorJitter(brightness_factor=0.5, hue_factor=0.5, seed=0)
    assert not np.allclose(np.asarray(single(x[0], training=True)), x[0])  # one (h, w, c) image
    _close(layers.AutoContrast()(x[0]), layers.AutoContrast()(x)[0])
    const = np.full((1, 4, 4, 3), 7.0, "float32")
    _close(layers.AutoContrast()(const), const)  # constant image unchanged (Keras: NaN -> x)
    _close(layers.Equalization()(const, training=True), const)


ALL = RANDOM + [lambda s: layers.AutoContrast(), lambda s: layers.Equalization(),
               lambda s: layers.ContrastLimitedAdaptiveHistogramEqualization(
                   tile_grid_size=(2, 2))]


def test_every_layer_runs_inside_fit():
    nbkeras.utils.set_random_seed(0)
    x = RNG.uniform(0, 255, size=(8, 6, 6, 3)).astype("float32")
    y = RNG.integers(0, 2, size=(8,))
    model = nbkeras.Sequential([nbkeras.Input((6, 6, 3))] + [m(i) for i, m in enumerate(ALL)] + [
        layers.Rescaling(1 / 255.0), layers.Conv2D(2, 3), layers.GlobalAveragePooling2D(),
        layers.Dense(2)])
    model.compile("adam", nbkeras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    pred = model.predict(x, verbose=0)
    assert pred.shape == (8, 2) and np.isfinite(pred).all()


def test_save_load_round_trip(tmp_path):
    model = nbkeras.Sequential([
        nbkeras.Input((6, 6, 3)),
        layers.RandomColorJitter(value_range=(0, 1), brightness_factor=0.1, hue_factor=0.2,
                                 seed=4),
        layers.RandomPosterization((2, 6), value_range=(0, 1), seed=2),
        layers.Solarization(0.1, (0.5, 1.0), value_range=(0, 1), seed=1),
        layers.AutoContrast(value_range=(0, 1)),
        layers.Equalization(value_range=(0, 1), bins=64),
        layers.ContrastLimitedAdaptiveHistogramEqualization((0, 1), 2.0, (2, 3)),
    ])
    model.save(tmp_path / "m.keras")
    again = nbkeras.models.load_model(tmp_path / "m.keras")
    for a, b in zip(model.layers, again.layers):
        assert type(a) is type(b)
        assert json.loads(json.dumps(a.get_config())) == json.loads(json.dumps(b.get_config()))
    x = BATCH[:2] / 255.0
    _close(again(x, training=False), model(x, training=False))
    _close(again.layers[-1](x, training=True), model.layers[-1](x, training=True))


@pytest.mark.parametrize("make,exc,match", [
    (lambda: layers.RandomGrayscale(1.5), ValueError,
     r"RandomGrayscale 'factor' must be a number between 0 and 1.*factor=1.5"),
    (lambda: layers.RandomHue((0.1, 0.2, 0.3)), ValueError,
     r"RandomHue 'factor' must be a number or a pair of numbers in \[0, 1\]"),
    (lambda: layers.RandomSaturation("high"), ValueError, "RandomSaturation 'factor'"),
    (lambda: layers.RandomPosterization(9), ValueError,
     r"RandomPosterization 'factor'.*\[1, 8\], received factor=9"),
    (lambda: layers.RandomSharpness(0.5, value_range=(1,)), ValueError,
     r"RandomSharpness 'value_range' must be a \(low, high\) pair"),
    (lambda: layers.Solarization(threshold_factor=2.0), ValueError,
     "Solarization 'threshold_factor'"),
    (lambda: layers.Equalization(bins=0), ValueError, "Equalization 'bins' must be a positive"),
    (lambda: layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(0, 2)),
     ValueError, r"ContrastLimitedAdaptiveHistogramEqualization 'tile_grid_size' must be a pair "
                 r"of positive ints.*received tile_grid_size=\(0, 2\)"),
    (lambda: layers.ContrastLimitedAdaptiveHistogramEqualization(clip_limit=-1), ValueError,
     "'clip_limit' must be a number >= 0"),
    (lambda: layers.AutoContrast(data_format="nchw"), ValueError, "AutoContrast.*data_format"),
    (lambda: layers.RandomColorJitter(hue_factor=3.0), ValueError, "RandomHue 'factor'"),
])
def test_bad_configurations_name_the_layer(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bad_inputs_name_the_layer():
    with pytest.raises(ValueError, match=r"RandomHue 'random_hue.*' expects RGB images with 3 "
                                         r"channels.*received shape \(2, 8, 8, 1\)"):
        layers.RandomHue(0.2)(IMGS[..., :1], training=True)
    with pytest.raises(ValueError, match=r"AutoContrast .* expects images .*received shape "
                                         r"\(8, 3\)"):
        layers.AutoContrast()(IMGS[0, 0])
    with pytest.raises(TypeError, match="Equalization .* received an input of dtype <U1"):
        layers.Equalization()(np.array(["a", "b", "c"]).reshape(1, 1, 3))
