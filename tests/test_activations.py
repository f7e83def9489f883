"""nbkeras.activations against keras.activations (JAX backend) on the same inputs."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbkeras import activations  # noqa: E402

X = np.linspace(-8.0, 8.0, 97, dtype=np.float32).reshape(97, 1) * np.array(
    [[1.0, 0.5, -0.25]], dtype=np.float32
)

NAMES = [
    "relu", "relu6", "sigmoid", "softmax", "log_softmax", "tanh", "elu", "selu", "gelu",
    "silu", "swish", "softplus", "softsign", "exponential", "hard_sigmoid", "hard_silu",
    "hard_swish", "leaky_relu", "mish", "linear", "celu", "hard_tanh", "log_sigmoid",
]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_matches_keras(name):
    ours = np.asarray(getattr(activations, name)(jnp.asarray(X)))
    theirs = np.asarray(getattr(keras.activations, name)(X))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"negative_slope": 0.1},
        {"max_value": 6.0},
        {"max_value": 2.5},
        {"threshold": 1.0},
        {"negative_slope": 0.3, "max_value": 4.0},
        {"negative_slope": 0.3, "threshold": -1.0},
        {"negative_slope": 0.2, "max_value": 3.0, "threshold": 0.5},
    ],
)
def test_relu_options_match_keras(kwargs):
    ours = np.asarray(activations.relu(jnp.asarray(X), **kwargs))
    theirs = np.asarray(keras.activations.relu(X, **kwargs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("gelu", {"approximate": True}),
        ("softmax", {"axis": 0}),
        ("log_softmax", {"axis": 0}),
        ("elu", {"alpha": 0.5}),
        ("leaky_relu", {"negative_slope": 0.01}),
        ("celu", {"alpha": 2.0}),
    ],
)
def test_keyword_variants_match_keras(name, kwargs):
    ours = np.asarray(getattr(activations, name)(jnp.asarray(X), **kwargs))
    theirs = np.asarray(getattr(keras.activations, name)(X, **kwargs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "linear"])
def test_traceable_under_jit_and_grad(name):
    fn = activations.get(name)
    x = jnp.asarray(X)
    np.testing.assert_allclose(jax.jit(fn)(x), fn(x), rtol=1e-6, atol=1e-6)
    grad = jax.grad(lambda v: jnp.sum(fn(v)))(x)
    assert grad.shape == x.shape
    assert bool(jnp.all(jnp.isfinite(grad)))


def test_get_resolves_none_strings_dicts_and_callables():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get({"class_name": "function", "config": "tanh"}) is activations.tanh

    def custom(x):
        return x * 2

    assert activations.get(custom) is custom


def test_get_unknown_name_lists_valid_and_suggests():
    with pytest.raises(ValueError, match=r"Unknown activation identifier: received 'rellu'.*Did you mean 'relu'"):
        activations.get("rellu")


def test_get_wrong_type():
    with pytest.raises(TypeError, match="Could not interpret activation: received 3"):
        activations.get(3)


def test_serialize_roundtrip():
    for name in NAMES:
        fn = activations.get(name)
        assert activations.get(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(None) == "linear"
    assert keras.activations.serialize(keras.activations.get("hard_swish")) == activations.serialize(
        activations.get("hard_swish")
    )
