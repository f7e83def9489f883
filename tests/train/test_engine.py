"""The training engine: compile counts, padding, callbacks, generators, interop."""

import jax
import numpy as np
import pytest
from flax import nnx

import nbkeras as keras
from nbkeras import layers

RNG = np.random.default_rng(1)


def _data(n=100, d=8, classes=3):
    x = RNG.normal(size=(n, d)).astype("float32")
    y = (np.argmax(x[:, :classes], axis=1)).astype("int32")
    return x, y


def _mlp(d=8, classes=3, bn=True):
    norm = [layers.BatchNormalization()] if bn else []
    model = keras.Sequential([layers.Dense(16, activation="relu"), *norm,
                              layers.Dropout(0.1), layers.Dense(classes, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_three_epochs_partial_batch_and_evaluation_compile_once():
    x, y = _data(100)
    model = _mlp()
    model.fit(x, y, epochs=3, batch_size=32, validation_data=(x[:30], y[:30]), verbose=0)
    model.evaluate(x[:30], y[:30], batch_size=32, verbose=0)
    model.evaluate(x[:17], y[:17], batch_size=32, verbose=0)
    assert model.training_state.trace_counts["train"] == 1
    assert model.training_state.trace_counts["eval"] == 1


def test_model_learns_and_history_has_keras_keys():
    x, y = _data(400)
    model = _mlp(bn=False)
    h = model.fit(x, y, epochs=30, batch_size=16, validation_split=0.2, verbose=0)
    assert list(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert h.history["val_accuracy"][-1] > 0.75, h.history["val_accuracy"]
    assert h.epoch == list(range(30))


def test_padded_batch_gives_same_step_as_unpadded():
    x, y = _data(40)
    weights = None
    results = []
    for batch_size in (40, 64):  # 64 > n: one batch padded... clipped to n by Keras rule
        model = keras.Sequential([keras.Input((8,)), layers.Dense(3, activation="softmax")])
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        model.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=1, batch_size=batch_size, shuffle=False, verbose=0)
        results.append(model.get_weights())
    # 25 + 15 rows: the second batch is padded to 25 and masked.
    model = keras.Sequential([keras.Input((8,)), layers.Dense(3, activation="softmax")])
    model.set_weights(weights)
    model.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=25, shuffle=False, verbose=0)
    ref = keras.Sequential([keras.Input((8,)), layers.Dense(3, activation="softmax")])
    ref.set_weights(weights)
    ref.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    ref.train_on_batch(x[:25], y[:25])
    ref.train_on_batch(x[25:], y[25:])
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(results[0], results[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer", [lambda: keras.optimizers.SGD(0.1),
                                       lambda: keras.optimizers.Adam(0.01)], ids=["sgd", "adam"])
def test_steps_per_execution_matches_single_steps(optimizer):
    # 5 batches per epoch: with k = 4 the second dispatch has 1 real step and 3 padding
    # rows, which must not run (for Adam even a zero gradient moves the weights).
    x, y = _data(70)
    outs = []
    init = None
    for spe in (1, 4):
        model = keras.Sequential([keras.Input((8,)), layers.Dense(3, activation="softmax")])
        init = init or model.get_weights()
        model.set_weights(init)
        model.compile(optimizer(), "sparse_categorical_crossentropy",
                      steps_per_execution=spe)
        h = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
        outs.append((h.history["loss"], model.get_weights()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-5)
    for a, b in zip(outs[0][1], outs[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch", epoch, sorted(logs)))
        # Variables are synced into the live model at epoch end.
        self.kernel = np.array(self.model.layers[0].kernel[...])

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("batch", batch, float(logs["loss"])))
        if batch == 1:
            self.model.stop_training = True


def test_callbacks_see_batches_epochs_and_can_stop():
    x, y = _data(100)
    model = _mlp()
    rec = Recorder()
    h = model.fit(x, y, epochs=5, batch_size=20, callbacks=[rec], verbose=0)
    batches = [e for e in rec.events if e[0] == "batch"]
    assert [b[1] for b in batches] == [0, 1]
    assert all(np.isfinite(b[2]) for b in batches)
    assert ("epoch", 0, ["accuracy", "loss"]) in rec.events
    assert len(h.history["loss"]) == 1
    np.testing.assert_array_equal(rec.kernel, model.layers[0].kernel[...])


def test_generator_and_class_weight_and_sample_weight():
    x, y = _data(96)

    def gen():
        for i in range(0, 96, 32):
            yield x[i:i + 32], y[i:i + 32]

    model = _mlp()
    h = model.fit(gen(), epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])
    h = model.fit(x, y, epochs=1, class_weight={0: 1.0, 1: 2.0, 2: 0.5}, verbose=0)
    assert np.isfinite(h.history["loss"][0])
    zero = model.evaluate(x, y, sample_weight=np.zeros(96), verbose=0)
    assert zero[0] == pytest.approx(0.0, abs=1e-7)


def test_subclassed_model_with_custom_layer_and_training_flag():
    class Scale(keras.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, inputs):
            return inputs * self.w

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.scale = Scale()
            self.hidden = [layers.Dense(8, activation="relu"), layers.Dense(8)]
            self.drop = layers.Dropout(0.5)
            self.out = layers.Dense(3, activation="softmax")

        def call(self, x, training=False):
            x = self.scale(x)
            for layer in self.hidden:
                x = layer(x)
            return self.out(self.drop(x))

    x, y = _data(64)
    net = Net()
    out_eval = net(x[:4])
    assert out_eval.shape == (4, 3)
    dense, scale = net.hidden[0].name, net.scale.name  # auto names depend on earlier tests
    assert scale.startswith("scale")
    assert [w.path for w in net.weights][:3] == [f"{scale}/w", f"{dense}/kernel", f"{dense}/bias"]
    a = np.asarray(net(x[:4], training=True))
    b = np.asarray(net(x[:4], training=True))
    assert not np.allclose(a, b)  # dropout active and its PRNG state advances
    np.testing.assert_allclose(net(x[:4]), out_eval)
    net.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = net.fit(x, y, epochs=2, verbose=0)
    assert list(h.history) == ["accuracy", "loss"]


def test_plain_nnx_module_in_sequential_and_nnx_interop():
    x, y = _data(64)
    model = keras.Sequential([nnx.Linear(8, 16, rngs=nnx.Rngs(0)), layers.Activation("relu"),
                              layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model(x[:1])  # build, so the weights exist before training
    before = [np.array(w) for w in model.get_weights()]
    model.fit(x, y, epochs=2, verbose=0)
    assert len(model.trainable_weights) == 4
    for b, a in zip(before, model.get_weights()):  # nnx.Linear's weights train too
        assert not np.allclose(b, a)
    graphdef, state = nnx.split(model)
    clone = nnx.merge(graphdef, state)
    np.testing.assert_allclose(clone(x[:3]), model(x[:3]), rtol=1e-6)
    jitted = nnx.jit(lambda m, v: m(v))
    np.testing.assert_allclose(jitted(model, x[:3]), model.predict(x[:3], verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert jax.tree.leaves(nnx.state(model, nnx.Param))


def test_frozen_layer_is_not_trained():
    x, y = _data(64)
    model = _mlp()
    model(x[:1])
    model.layers[0].trainable = False
    model.compile("adam", "sparse_categorical_crossentropy")
    frozen = np.array(model.layers[0].kernel[...])
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(frozen, model.layers[0].kernel[...])
    assert len(model.non_trainable_weights) == 2 + 2  # frozen Dense + BN moving stats
