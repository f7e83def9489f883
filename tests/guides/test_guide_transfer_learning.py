"""keras.io guide "Transfer learning & fine-tuning" (fchollet): its trainable/freezing
programs under nbkeras, with the ImageNet base model replaced by a small one and the
cats-vs-dogs data by synthetic arrays; plus the feature-extraction pattern of the
functional API guide (``[layer.output for layer in model.layers]``)."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import keras as real_keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras as keras  # noqa: E402


def _counts(k, layer):
    return len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)


@pytest.mark.parametrize("make", [
    lambda k: k.layers.Dense(3),
    lambda k: k.layers.BatchNormalization(),
])
def test_weight_lists_and_freezing_match_keras(make):
    for frozen in (False, True):
        ours, theirs = make(keras), make(real_keras)
        ours.build((None, 4))
        theirs.build((None, 4))
        ours.trainable = theirs.trainable = not frozen
        assert _counts(keras, ours) == _counts(real_keras, theirs)


def test_frozen_layer_does_not_change_and_trainable_is_recursive():
    layer1 = keras.layers.Dense(3, activation="relu")
    layer2 = keras.layers.Dense(3, activation="sigmoid")
    model = keras.Sequential([keras.Input(shape=(3,)), layer1, layer2])
    layer1.trainable = False
    initial = layer1.get_weights()
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.random.random((2, 3)), np.random.random((2, 3)), verbose=0)
    for a, b in zip(initial, layer1.get_weights()):
        np.testing.assert_array_equal(a, b)

    inner = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(3, activation="relu")])
    outer = keras.Sequential([keras.Input(shape=(3,)), inner,
                              keras.layers.Dense(3, activation="sigmoid")])
    outer.trainable = False
    assert inner.trainable is False and inner.layers[0].trainable is False
    assert outer.trainable_weights == []


def test_freeze_compile_fit_unfreeze_recompile():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(64, 8)).astype("float32")
    y = (x.sum(1) > 4).astype("float32")
    base_model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(6),
                                   keras.layers.BatchNormalization()])
    base_model.trainable = False
    inputs = keras.Input(shape=(8,))
    h = base_model(inputs, training=False)
    outputs = keras.layers.Dense(1)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    frozen = base_model.get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(frozen, base_model.get_weights()):
        np.testing.assert_array_equal(a, b)  # weights and BN statistics
    base_model.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    history = model.fit(x, y, epochs=2, verbose=0)
    assert sorted(history.history) == ["binary_accuracy", "loss"]
    # training=False in the call: BN statistics stay; the Dense kernel moves.
    after = base_model.get_weights()
    assert not np.array_equal(frozen[0], after[0])
    np.testing.assert_array_equal(frozen[-1], after[-1])


def test_feature_extractor_from_layer_outputs_matches_keras():
    def build(k):
        inputs = k.Input(shape=(6,))
        h = k.layers.Dense(5, activation="relu", name="a")(inputs)
        h = k.layers.Dense(4, name="b")(h)
        model = k.Model(inputs, k.layers.Dense(2, name="c")(h))
        features = k.Model(inputs=model.inputs,
                           outputs=[layer.output for layer in model.layers])
        return model, features

    model, features = build(keras)
    kmodel, kfeatures = build(real_keras)
    model.set_weights(kmodel.get_weights())
    x = np.random.default_rng(1).normal(size=(3, 6)).astype("float32")
    for ours, theirs in zip(features.predict(x, verbose=0), kfeatures.predict(x, verbose=0)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert model.get_layer("b").input is model.get_layer("a").output
    with pytest.raises(AttributeError, match="never called on a symbolic"):
        _ = keras.layers.Dense(2).output
    shared = keras.layers.Dense(2)
    a, b = keras.Input((3,)), keras.Input((3,))
    shared(a), shared(b)
    with pytest.raises(AttributeError, match="called 2 times"):
        _ = shared.output
