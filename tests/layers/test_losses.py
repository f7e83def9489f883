"""``Layer.add_loss`` and ``Layer.losses`` behave as in Keras 3 (differential tests)."""

import keras as real_keras
import numpy as np
import pytest

import nbkeras as keras


def _program(K):
    """The same subclassed program, written against either library."""

    class Penalty(K.layers.Layer):
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, x):
            self.add_loss(self.rate * K.ops.sum(x * x))
            return x

    class Block(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = Penalty(0.5)
            self.dense = K.layers.Dense(
                3,
                kernel_regularizer=K.regularizers.L2(0.1),
                bias_regularizer=K.regularizers.L1(0.2),
                activity_regularizer=K.regularizers.L1(0.01),
                kernel_initializer="ones",
                bias_initializer="ones",
            )

        def call(self, x):
            self.add_loss(K.ops.mean(x))
            return self.dense(self.inner(x))

    return Penalty, Block


def _values(losses):
    return [float(np.asarray(v)) for v in losses]


def test_losses_match_keras_after_nested_calls():
    x = np.arange(8, dtype="float32").reshape(2, 4) / 10
    results = []
    for K in (keras, real_keras):
        _, Block = _program(K)
        block = Block()
        block(x)
        first = _values(block.losses)
        block(x * 2)  # an outermost call forgets the previous call's losses
        second = _values(block.losses)
        results.append((first, second, _values(block.dense.losses), _values(block.inner.losses)))
    ours, theirs = results
    for a, b in zip(ours, theirs):
        assert len(a) == len(b)
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # 2 add_loss + 1 activity + 2 weight penalties, not accumulated over calls
    assert len(ours[1]) == 5


def test_losses_before_any_call_are_the_weight_penalties_only():
    for K in (keras, real_keras):
        layer = K.layers.Dense(2, kernel_regularizer=K.regularizers.L2(0.5), kernel_initializer="ones")
        assert layer.losses == []
        layer.build((None, 3))
        np.testing.assert_allclose(_values(layer.losses), [0.5 * 6])


def test_symbolic_call_leaves_no_losses_on_the_layer():
    Penalty, _ = _program(keras)
    layer = Penalty(1.0)
    inputs = keras.Input((3,))
    keras.Model(inputs, layer(inputs))
    assert layer.losses == []


def test_add_loss_is_added_to_the_training_loss():
    Penalty, _ = _program(keras)
    inputs = keras.Input((2,))
    model = keras.Model(inputs, Penalty(1.0)(inputs))
    model.compile("sgd", "mse")
    x = np.ones((4, 2), "float32")
    # prediction equals the target, so the whole loss is the add_loss term: sum(x**2)/... per batch
    loss = model.evaluate(x, x, batch_size=4, verbose=0)
    assert loss == pytest.approx(8.0)
