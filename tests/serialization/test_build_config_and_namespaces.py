"""nbkeras._serialization: the build-config protocol and the name lookup below layers."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nbkeras as keras
from nbkeras._serialization import namespaces


def test_get_build_config_matches_keras_in_a_model():
    kr = pytest.importorskip("keras")

    def build(lib):
        inputs = lib.Input((3,))
        return lib.Model(inputs, lib.layers.Dense(2)(inputs)).layers[1].get_build_config()

    # Keras keeps a tuple, JSON writes a list: compare what the file holds.
    assert json.loads(json.dumps(build(keras))) == json.loads(json.dumps(build(kr)))
    assert keras.layers.Dense(2).get_build_config() is None  # not built


def test_a_layer_built_on_data_saves_a_batch_free_shape():
    # Keras would record the batch size (4); nbkeras writes None so the rebuilt layer
    # takes any batch size (both load in either library).
    layer = keras.layers.Dense(2)
    layer(np.zeros((4, 3), "float32"))
    assert layer.get_build_config() == {"input_shape": [None, 3]}


def test_input_layer_has_no_build_config():
    layer = keras.layers.InputLayer(shape=(3,))
    assert layer.built and layer.get_build_config() is None


def test_build_from_config_creates_weights_and_checks_the_shape():
    layer = keras.layers.Dense(2)
    layer.build_from_config({"input_shape": [None, 3]})
    assert layer.kernel.shape == (3, 2)
    norm = keras.layers.LayerNormalization()
    norm.build_from_config({"input_shape": [None, 5]})
    assert norm.gamma.shape == (5,)

    class Lazy(keras.layers.Layer):  # weights appear in call: built by a forward pass
        def call(self, x):
            if not hasattr(self, "w"):
                self.w = self.add_weight(shape=(x.shape[-1],), initializer="ones")
            return x * self.w

    lazy = Lazy()
    lazy.build_from_config({"input_shape": [None, 6]})
    assert lazy.w.shape == (6,)
    with pytest.raises(ValueError, match=r"input_shape .* must hold non-negative integers"):
        Lazy().build_from_config({"input_shape": [None, -4]})


@keras.saving.register_keras_serializable(package="test_build_config")
class Remembers(keras.layers.Layer):
    """A layer that stores its own build config, as a Keras user may."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w

    def get_build_config(self):
        return {"features": int(self.w.shape[0])}

    def build_from_config(self, config):
        self.built_with = config
        self.build((None, config["features"]))
        self.built = True


def test_a_layers_own_build_config_protocol_is_used():
    layer = Remembers()
    layer(np.zeros((2, 4), "float32"))
    config = keras.saving.serialize_keras_object(layer)
    assert config["build_config"] == {"features": 4}
    rebuilt = keras.saving.deserialize_keras_object(json.loads(json.dumps(config)))
    assert rebuilt.built_with == {"features": 4} and rebuilt.w.shape == (4,)


def test_names_resolve_only_to_registered_spaces():
    assert namespaces.find_class("Dense", "keras.layers") is keras.layers.Dense
    assert namespaces.find_class("Adam", "keras.optimizers") is keras.optimizers.Adam
    assert namespaces.find_class("ExponentialDecay", "keras.optimizers.schedules") is (
        keras.optimizers.schedules.ExponentialDecay)
    assert namespaces.find_class("Functional", "keras.src.models.functional") is keras.Model
    # A loss class and the loss function share no name; both are found in their space.
    assert namespaces.find_class("MeanSquaredError", "keras.losses") is (
        keras.losses.MeanSquaredError)
    assert namespaces.find_class("MeanSquaredError", "keras.metrics") is (
        keras.metrics.MeanSquaredError)
    assert namespaces.find_function("relu", "keras.activations") is keras.activations.relu
    assert namespaces.find_function("tanh", "jax.numpy") is keras.ops.tanh
    # Nothing outside the registered spaces, whatever module the config names.
    assert namespaces.find_class("Popen", "subprocess") is None
    assert namespaces.find_function("system", "os") is None
    assert namespaces.find_function("Dense", "keras.layers") is None  # a class, not a function
