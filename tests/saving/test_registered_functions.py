"""A registered custom activation round-trips through .keras by its registered name."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402


@nbkeras.saving.register_keras_serializable(package="i11test")
def scaled_tanh(x):
    return 2.0 * nbkeras.ops.tanh(x)


def test_registered_activation_round_trips(tmp_path):
    assert nbkeras.activations.serialize(scaled_tanh) == "i11test>scaled_tanh"
    assert nbkeras.activations.get("i11test>scaled_tanh") is scaled_tanh
    x = nbkeras.Input((3,))
    model = nbkeras.Model(x, nbkeras.layers.Dense(2, activation=scaled_tanh)(x))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = nbkeras.models.load_model(path)
    assert loaded.layers[1].activation is scaled_tanh
    data = np.ones((1, 3), "float32")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


def test_unregistered_activation_names_the_fix():
    with pytest.raises(ValueError, match="activation"):
        nbkeras.activations.get("not_an_activation_xyz")
    with nbkeras.utils.custom_object_scope({"my_act": scaled_tanh}):
        assert nbkeras.activations.get("my_act") is scaled_tanh
    assert nbkeras.activations.deserialize("my_act", custom_objects={"my_act": scaled_tanh}) \
        is scaled_tanh
