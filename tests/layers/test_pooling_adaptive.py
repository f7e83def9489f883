"""Adaptive pooling layers against Keras 3 (outputs, gradients, config, saving, errors)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402

CASES = [
    ("AdaptiveAveragePooling1D", dict(output_size=3), (2, 10, 3)),
    ("AdaptiveMaxPooling1D", dict(output_size=4, data_format="channels_first"), (2, 3, 9)),
    ("AdaptiveAveragePooling2D", dict(output_size=(3, 2)), (2, 7, 5, 3)),
    ("AdaptiveAveragePooling2D", dict(output_size=4, data_format="channels_first"), (2, 3, 9, 8)),
    ("AdaptiveMaxPooling2D", dict(output_size=3), (2, 8, 7, 2)),
    ("AdaptiveAveragePooling3D", dict(output_size=2), (1, 5, 4, 6, 2)),
    ("AdaptiveMaxPooling3D", dict(output_size=(2, 3, 1)), (1, 4, 5, 3, 2)),
]


@pytest.mark.parametrize("name,kwargs,shape", CASES)
def test_matches_keras_outputs_gradients_and_config(name, kwargs, shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    ours, theirs = getattr(nbkeras.layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    # jitted: eagerly, every slice of Keras's implementation compiles on its own (minutes)
    fwd_ours, fwd_theirs = jax.jit(lambda v: ours(v)), jax.jit(lambda v: theirs(v))
    np.testing.assert_allclose(np.asarray(fwd_ours(x)), np.asarray(fwd_theirs(x)), rtol=1e-6,
                               atol=1e-6)
    assert ours.compute_output_shape((None, *shape[1:])) == theirs.compute_output_shape(
        (None, *shape[1:]))
    g_ours = jax.jit(jax.grad(lambda v: (ours(v) ** 2).sum()))(x)
    g_theirs = jax.jit(jax.grad(lambda v: (theirs(v) ** 2).sum()))(x)
    np.testing.assert_allclose(np.asarray(g_ours), np.asarray(g_theirs), rtol=1e-5, atol=1e-6)
    config = {k: v for k, v in ours.get_config().items() if k not in ("name", "dtype")}
    expected = {k: v for k, v in theirs.get_config().items() if k not in ("name", "dtype")}
    assert config == expected
    assert getattr(nbkeras.layers, name).from_config(ours.get_config()).output_size == (
        ours.output_size)


def test_in_a_saved_functional_model(tmp_path):
    inputs = nbkeras.Input((9, 7, 3))
    x = nbkeras.layers.Conv2D(4, 3)(inputs)
    x = nbkeras.layers.AdaptiveMaxPooling2D((2, 2))(x)
    model = nbkeras.Model(inputs, nbkeras.layers.Flatten()(x))
    assert model.output_shape == (None, 16)
    data = np.random.default_rng(1).normal(size=(2, 9, 7, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    again = nbkeras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(again(data)), np.asarray(model(data)), rtol=1e-6)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match=r"AdaptiveAveragePooling2D: `output_size` must be an "
                                        r"integer or \(height, width\) tuple. Received: \(1, 2, 3\)"):
        nbkeras.layers.AdaptiveAveragePooling2D((1, 2, 3))
    with pytest.raises(ValueError, match="must hold positive integers, received 0"):
        nbkeras.layers.AdaptiveMaxPooling1D(0)
    with pytest.raises(ValueError, match="data_format"):
        nbkeras.layers.AdaptiveMaxPooling3D(2, data_format="nhwc")
    with pytest.raises(ValueError, match=r"expected a 4D input .* received shape \(2, 5, 3\)"):
        nbkeras.layers.AdaptiveMaxPooling2D(2)(np.ones((2, 5, 3), "float32"))
