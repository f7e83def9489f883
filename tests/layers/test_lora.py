"""LoRA (``enable_lora`` / ``lora_rank``) on Dense, Embedding and Conv, against Keras 3."""

import keras as real_keras
import numpy as np
import pytest

import nbkeras as keras

CASES = [
    ("Dense", (4,), {}, (None, 6), np.float32),
    ("Embedding", (10, 4), {}, None, np.int32),
    ("Conv2D", (3, 3), {}, (None, 5, 5, 2), np.float32),
]


def _input(name, dtype):
    rng = np.random.default_rng(0)
    if name == "Embedding":
        return rng.integers(0, 10, size=(2, 3)).astype(dtype)
    shape = {"Dense": (2, 6), "Conv2D": (2, 5, 5, 2)}[name]
    return rng.normal(size=shape).astype(dtype)


def _build(K, name, args, shape, x):
    layer = getattr(K.layers, name)(*args)
    if shape is None:
        layer(x)
    else:
        layer.build(shape)
    return layer


@pytest.mark.parametrize("name,args,kw,shape,dtype", CASES, ids=[c[0] for c in CASES])
def test_enable_lora_matches_keras(name, args, kw, shape, dtype):
    x = _input(name, dtype)
    ours = _build(keras, name, args, shape, x)
    theirs = _build(real_keras, name, args, shape, x)
    theirs.set_weights(ours.get_weights())
    before = np.asarray(ours(x))
    ours.enable_lora(2, lora_alpha=3.0)
    theirs.enable_lora(2, lora_alpha=3.0)
    names = lambda ws: [w.name for w in ws]  # noqa: E731
    assert names(ours.weights) == names(theirs.weights)
    assert names(ours.trainable_weights) == names(theirs.trainable_weights)
    assert names(ours.non_trainable_weights) == names(theirs.non_trainable_weights)
    # B starts at zero: the layer's outputs do not change
    np.testing.assert_allclose(np.asarray(ours(x)), before, rtol=1e-6)
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=w.shape).astype("float32") for w in theirs.weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    target = "embeddings" if name == "Embedding" else "kernel"
    np.testing.assert_allclose(
        np.asarray(ours.merged_weight()), np.asarray(getattr(theirs, target)), rtol=1e-5, atol=1e-6
    )
    assert (ours.lora_rank, ours.lora_alpha) == (theirs.lora_rank, theirs.lora_alpha)


def test_lora_rank_in_constructor_and_config_roundtrip():
    layer = keras.layers.Dense(3, lora_rank=2)
    layer.build((None, 5))
    theirs = real_keras.layers.Dense(3, lora_rank=2)
    theirs.build((None, 5))
    assert layer.lora_enabled and theirs.lora_enabled
    assert [w.name for w in layer.weights] == [w.name for w in theirs.weights]
    config = layer.get_config()
    assert (config["lora_rank"], config["lora_alpha"]) == (2, 2)
    assert {"lora_rank": 2, "lora_alpha": 2}.items() <= theirs.get_config().items()
    clone = keras.layers.Dense.from_config(config)
    clone.build((None, 5))
    assert clone.lora_enabled


def test_fit_trains_only_the_lora_factors():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d")])
    model.get_layer("d").enable_lora(2)
    kernel = np.asarray(model.get_layer("d").kernel[...]).copy()
    b_before = np.asarray(model.get_layer("d").lora_kernel_b[...]).copy()
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(16, 4)), rng.normal(size=(16, 3)), epochs=2, verbose=0)
    layer = model.get_layer("d")
    np.testing.assert_array_equal(np.asarray(layer.kernel[...]), kernel)  # frozen
    assert not np.allclose(np.asarray(layer.lora_kernel_b[...]), b_before)  # trained


def test_lora_errors():
    layer = keras.layers.Dense(3)
    with pytest.raises(ValueError, match="not built"):
        layer.enable_lora(2)
    layer.build((None, 4))
    with pytest.raises(ValueError, match="positive integer, received 0"):
        layer.enable_lora(0)
    layer.enable_lora(2)
    with pytest.raises(ValueError, match="already has LoRA enabled"):
        layer.enable_lora(2)
    constrained = keras.layers.Dense(3, kernel_constraint="non_neg")
    constrained.build((None, 4))
    with pytest.raises(ValueError, match="incompatible with kernel_constraint"):
        constrained.enable_lora(2)
    with pytest.raises(TypeError, match="Conv2DTranspose does not support LoRA"):
        keras.layers.Conv2DTranspose(2, 3, lora_rank=2)
