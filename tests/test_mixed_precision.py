"""Dtype policies and mixed precision (keras.mixed_precision.set_global_policy) vs Keras 3."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402


@pytest.fixture(autouse=True)
def _reset():
    yield
    nbkeras.mixed_precision.set_global_policy(None)
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("name", ["float32", "float16", "bfloat16", "mixed_float16",
                                  "mixed_bfloat16"])
def test_policies_match_keras(name):
    ours, theirs = nbkeras.dtype_policies.DTypePolicy(name), keras.DTypePolicy(name)
    assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (
        theirs.name, theirs.compute_dtype, theirs.variable_dtype)
    assert nbkeras.dtype_policies.get(ours.get_config()["name"]) == ours
    assert nbkeras.dtype_policies.deserialize(nbkeras.dtype_policies.serialize(ours)) == ours


def _program(k):
    k.mixed_precision.set_global_policy("mixed_bfloat16")
    inputs = k.Input(shape=(8,))
    x = k.layers.Dense(16, activation="relu")(inputs)
    x = k.layers.Dense(3)(x)
    outputs = k.layers.Activation("softmax", dtype="float32")(x)
    model = k.Model(inputs, outputs)
    dense = model.layers[1]
    info = (str(dense.dtype_policy.name), dense.compute_dtype, dense.variable_dtype,
            str(dense.kernel.value.dtype), str(x.dtype), str(outputs.dtype))
    k.mixed_precision.set_global_policy("float32")
    return model, info


def test_mixed_bfloat16_model_matches_keras_dtypes_and_trains():
    ours, info = _program(nbkeras)
    theirs, kinfo = _program(keras)
    assert info == kinfo == ("mixed_bfloat16", "bfloat16", "float32", "float32", "bfloat16",
                             "float32")
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).uniform(size=(16, 8)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=2e-2)
    y = (x.sum(1) > 4).astype("int32")
    ours.compile("adam", "sparse_categorical_crossentropy")
    history = ours.fit(x, y, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert str(ours.layers[1].kernel.value.dtype) == "float32"


def test_policy_errors_and_layer_setter():
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        nbkeras.mixed_precision.set_global_policy("mixed_int8")
    layer = nbkeras.layers.Dense(2)
    layer.dtype_policy = "mixed_float16"
    assert (layer.compute_dtype, layer.variable_dtype) == ("float16", "float32")
    assert nbkeras.config.dtype_policy() == nbkeras.mixed_precision.global_policy()
