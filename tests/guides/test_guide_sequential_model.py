"""keras.io guide "The Sequential model" (fchollet): its program run under nbkeras and
under Keras 3 (``tf.ones`` written as ``keras.ops.ones``
the stacked pre-trained base is
a small convnet instead of ImageNet Xception), comparing what the guide prints: layer
counts, weight shapes, ``output_shape`` after each ``add``, the feature extractors built
from ``model.inputs`` and ``layer.output``, and what freezing leaves trainable."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import keras as real_keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402


def run_guide(keras):
    layers = keras.layers
    ops = keras.ops
    out = {}
    model = keras.Sequential(
        [
            layers.Dense(2, activation="relu", name="layer1"),
            layers.Dense(3, activation="relu", name="layer2"),
            layers.Dense(4, name="layer3"),
        ]
    )
    x = ops.ones((3, 3))
    y = model(x)
    out["y_shape"] = tuple(y.shape)
    layer1 = layers.Dense(2, activation="relu", name="layer1")
    layer2 = layers.Dense(3, activation="relu", name="layer2")
    layer3 = layers.Dense(4, name="layer3")
    y = layer3(layer2(layer1(ops.ones((3, 3)))))
    model = keras.Sequential(
        [layers.Dense(2, activation="relu"), layers.Dense(3, activation="relu"), layers.Dense(4)]
    )
    out["n_layers"] = len(model.layers)
    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))
    model.pop()
    out["after_pop"] = len(model.layers)
    model = keras.Sequential(name="my_sequential")
    model.add(layers.Dense(2, activation="relu", name="layer1"))
    model.add(layers.Dense(3, activation="relu", name="layer2"))
    model.add(layers.Dense(4, name="layer3"))
    layer = layers.Dense(3)
    out["w0"] = len(layer.weights)
    y = layer(ops.ones((1, 4)))
    out["w1"] = [tuple(w.shape) for w in layer.weights]
    model = keras.Sequential(
        [layers.Dense(2, activation="relu"), layers.Dense(3, activation="relu"), layers.Dense(4)]
    )
    y = model(ops.ones((1, 4)))
    out["n_weights"] = len(model.weights)
    model.summary(print_fn=lambda *a, **k: None)
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))
    model.summary(print_fn=lambda *a, **k: None)
    out["layers_input"] = len(model.layers)
    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu", input_shape=(4,)))
    model.summary(print_fn=lambda *a, **k: None)
    out["input_shape_weights"] = len(model.weights)
    model = keras.Sequential()
    model.add(keras.Input(shape=(250, 250, 3)))
    model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    out["shape1"] = tuple(model.output_shape)
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))
    out["shape2"] = tuple(model.output_shape)
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Dense(10))
    out["shape3"] = tuple(model.output_shape)
    initial_model = keras.Sequential(
        [
            keras.Input(shape=(250, 250, 3)),
            layers.Conv2D(32, 5, strides=2, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs, outputs=[layer.output for layer in initial_model.layers]
    )
    features = feature_extractor(ops.ones((1, 250, 250, 3)))
    out["features"] = [tuple(f.shape) for f in features]
    initial_model = keras.Sequential(
        [
            keras.Input(shape=(250, 250, 3)),
            layers.Conv2D(32, 5, strides=2, activation="relu"),
            layers.Conv2D(32, 3, activation="relu", name="my_intermediate_layer"),
            layers.Conv2D(32, 3, activation="relu"),
        ]
    )
    feature_extractor = keras.Model(
        inputs=initial_model.inputs,
        outputs=initial_model.get_layer(name="my_intermediate_layer").output,
    )
    out["one_feature"] = tuple(feature_extractor(ops.ones((1, 250, 250, 3))).shape)
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(32, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(10),
        ]
    )
    for layer in model.layers[:-1]:
        layer.trainable = False
    out["trainable"] = len(model.trainable_weights)
    base_model = keras.Sequential(
        [keras.Input((8, 8, 3)), layers.Conv2D(4, 3), layers.GlobalAveragePooling2D()]
    )
    base_model.trainable = False
    model = keras.Sequential([base_model, layers.Dense(1000)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 8, 8, 3), "float32"), np.ones((4, 1000), "float32"), verbose=0)
    out["stacked_trainable"] = len(model.trainable_weights)
    return out


@pytest.mark.slow
def test_sequential_guide_matches_keras():
    assert run_guide(nbkeras) == run_guide(real_keras)
