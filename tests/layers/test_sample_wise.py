"""Which models are known to compute each sample on its own at inference (predict merges
their batches): an allowlist, so anything unknown or batch-mixing must say False."""

import jax.numpy as jnp
import pytest

import nbkeras as keras
from nbkeras import layers as L
from nbkeras import ops
from nbkeras.layers._sample_wise import sample_wise


def _functional(build, shape=(6, 8)):
    x = keras.Input(shape)
    return keras.Model(x, build(x))


def _encoder(x):
    h = L.Dense(8)(x)
    h = L.LayerNormalization()(h + L.MultiHeadAttention(2, 4)(h, h))
    return L.Dense(2)(L.GlobalAveragePooling1D()(h))


class MyDense(L.Dense):
    """Inherits Dense's call: still sample-wise."""


class ScaledDense(L.Dense):
    def call(self, x):
        return super().call(x) / jnp.max(x)  # the batch's maximum: mixes samples


class Centered(L.Layer):
    def call(self, x):
        return x - ops.mean(x, axis=0)


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = L.Dense(2)

    def call(self, x):
        return self.dense(x)


@pytest.mark.parametrize("make", [
    lambda: keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(4, 3, activation="relu"),
                              L.MaxPooling2D(2), L.BatchNormalization(), L.Flatten(),
                              L.Dropout(0.5), L.Dense(10, activation="softmax")]),
    lambda: _functional(_encoder),
    lambda: _functional(lambda x: L.Dense(2)(L.LSTM(4)(x))),
    lambda: _functional(lambda x: L.Concatenate()([x, ops.tanh(x) * 2.0])),
    lambda: _functional(lambda x: keras.Sequential([L.Dense(3), MyDense(2)])(x)),  # nested
], ids=["convnet", "encoder", "lstm", "concat-ops", "nested"])
def test_built_in_layers_and_elementwise_ops_are_sample_wise(make):
    assert sample_wise(make())


@pytest.mark.parametrize("make", [
    lambda: _functional(lambda x: Centered()(x)),
    lambda: _functional(lambda x: L.Lambda(lambda v: v * 2)(x)),  # unknown code
    lambda: _functional(lambda x: ScaledDense(2)(x)),  # call overridden
    lambda: _functional(lambda x: x - ops.mean(x, axis=0)),
    lambda: _functional(lambda x: L.Dense(2)(x[0])),  # indexes the batch axis
    lambda: _functional(lambda x: L.Concatenate(axis=0)([x, x])),
    lambda: _functional(lambda x: L.Concatenate()([x, x]), shape=()),  # -1 is the batch
    lambda: keras.Sequential([keras.Input((6, 8), batch_size=2),
                              L.LSTM(4, stateful=True)]),  # carries state across batches
    lambda: _functional(lambda x: L.Softmax(axis=0)(x)),  # not on the allowlist
    Subclassed,
], ids=["custom-layer", "lambda", "overridden-call", "mean-over-batch", "getitem",
        "concat-batch", "rank-1-axis", "stateful", "softmax", "subclassed-model"])
def test_anything_unknown_or_batch_mixing_is_not(make):
    assert not sample_wise(make())
