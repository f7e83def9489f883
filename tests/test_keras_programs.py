"""Ordinary Keras 3 programs run unchanged with ``import nbkeras as keras``.

Each program is written once against the Keras API and run twice: with real Keras 3
(JAX backend) and with nbkeras.  Accuracy must be comparable and history keys equal.
"""

import numpy as np
import pytest

pytestmark = pytest.mark.slow

real_keras = pytest.importorskip("keras")

import nbkeras  # noqa: E402
from nbkeras.datasets import digits  # noqa: E402

(X_TRAIN, Y_TRAIN), (X_TEST, Y_TEST) = digits.load_data()
X_TRAIN = X_TRAIN.astype("float32") / 16.0
X_TEST = X_TEST.astype("float32") / 16.0


def mlp_program(keras):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input(shape=(8, 8)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(X_TRAIN, Y_TRAIN, batch_size=32, epochs=12, validation_split=0.1,
                        verbose=0)
    return history, model.evaluate(X_TEST, Y_TEST, verbose=0)[1]


def convnet_program(keras):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X_TRAIN[..., None], Y_TRAIN, batch_size=64, epochs=12, verbose=0,
                        validation_data=(X_TEST[..., None], Y_TEST))
    return history, model.evaluate(X_TEST[..., None], Y_TEST, verbose=0)[1]


def functional_program(keras):
    keras.utils.set_random_seed(3)
    pixels = keras.Input(shape=(64,), name="pixels")
    extra = keras.Input(shape=(1,), name="extra")
    h = keras.layers.Dense(64, activation="relu")(pixels)
    h = keras.layers.Concatenate()([h, extra])
    digit = keras.layers.Dense(10, activation="softmax", name="digit")(h)
    parity = keras.layers.Dense(1, activation="sigmoid", name="parity")(h)
    model = keras.Model(inputs=[pixels, extra], outputs=[digit, parity])
    model.compile(optimizer="adam",
                  loss={"digit": "sparse_categorical_crossentropy",
                        "parity": "binary_crossentropy"},
                  loss_weights={"digit": 1.0, "parity": 0.5},
                  metrics={"digit": ["accuracy"], "parity": ["accuracy"]})
    x = [X_TRAIN.reshape(-1, 64), np.ones((len(X_TRAIN), 1), "float32")]
    y = {"digit": Y_TRAIN, "parity": (Y_TRAIN % 2).astype("float32")[:, None]}
    history = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    res = model.evaluate([X_TEST.reshape(-1, 64), np.ones((len(X_TEST), 1), "float32")],
                         {"digit": Y_TEST, "parity": (Y_TEST % 2).astype("float32")[:, None]},
                         verbose=0, return_dict=True)
    return history, res["digit_accuracy"]


def subclassed_program(keras):
    keras.utils.set_random_seed(4)

    class Residual(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="glorot_uniform", name="w")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

        def call(self, inputs):
            return inputs + keras.ops.relu(keras.ops.matmul(inputs, self.w) + self.b)

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.embed = keras.layers.Dense(32, activation="relu")
            self.block = Residual(32)
            self.drop = keras.layers.Dropout(0.1)
            self.head = keras.layers.Dense(10, activation="softmax")

        def call(self, x, training=False):
            return self.head(self.drop(self.block(self.embed(x)), training=training))

    model = Net()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(X_TRAIN.reshape(-1, 64), Y_TRAIN, epochs=12, batch_size=32,
                        verbose=0)
    return history, model.evaluate(X_TEST.reshape(-1, 64), Y_TEST, verbose=0)[1]


@pytest.mark.parametrize("program", [mlp_program, convnet_program, functional_program,
                                     subclassed_program])
def test_program_runs_unchanged_with_comparable_accuracy(program):
    k_hist, k_acc = program(real_keras)
    n_hist, n_acc = program(nbkeras)
    assert list(n_hist.history) == list(k_hist.history)
    assert len(n_hist.history["loss"]) == len(k_hist.history["loss"])
    assert n_acc > 0.85, n_acc
    assert n_acc >= k_acc - 0.05, (n_acc, k_acc)
