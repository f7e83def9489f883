"""Subclassed models written the Keras way keep working as nnx modules."""

import numpy as np
from flax import nnx

import nbkeras as keras
from nbkeras import layers


class Blocks(keras.Model):
    def __init__(self):
        super().__init__()
        self.blocks = []  # filled after assignment, as Keras code often does
        for width in (6, 4):
            self.blocks.append(layers.Dense(width, activation="relu"))
        self.heads = {}
        self.heads["out"] = layers.Dense(2)
        self.config_list = [1, 2]

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return self.heads["out"](x)


def test_lists_and_dicts_filled_later_are_tracked_in_keras_order():
    model = Blocks()
    out = model(np.ones((3, 5), "float32"))
    assert out.shape == (3, 2)
    assert [w.shape for w in model.weights] == [(5, 6), (6,), (6, 4), (4,), (4, 2), (2,)]
    assert model.config_list == [1, 2]
    assert [la.name for la in model.layers] == [b.name for b in model.blocks] + [
        model.heads["out"].name]
    graphdef, state = nnx.split(model)
    np.testing.assert_allclose(nnx.merge(graphdef, state)(np.ones((3, 5))), out)
    model.compile("sgd", "mse")
    history = model.fit(np.ones((8, 5)), np.zeros((8, 2)), epochs=2, verbose=0)
    assert history.history["loss"][1] <= history.history["loss"][0]


def test_direct_build_then_set_weights_is_kept():
    dense = layers.Dense(3)
    dense.build((None, 4))
    assert dense.built and dense.input_shape == (None, 4)
    dense.set_weights([np.ones((4, 3)), np.zeros(3)])
    np.testing.assert_allclose(dense(np.ones((1, 4))), [[4.0, 4.0, 4.0]])
