"""nbkeras.regularizers and nbkeras.constraints against Keras 3 on the same weights."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbkeras import constraints, regularizers  # noqa: E402

W = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
W4 = np.random.default_rng(1).normal(size=(3, 3, 2, 4)).astype(np.float32)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("L1", {"l1": 0.3}),
        ("L2", {"l2": 0.2}),
        ("L1L2", {"l1": 0.1, "l2": 0.05}),
        ("L1L2", {}),
        ("OrthogonalRegularizer", {"factor": 0.5, "mode": "rows"}),
        ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"}),
    ],
)
def test_regularizers_match_keras(name, kwargs):
    ours = getattr(regularizers, name)(**kwargs)
    theirs = getattr(keras.regularizers, name)(**kwargs)
    np.testing.assert_allclose(ours(jnp.asarray(W)), theirs(jnp.asarray(W)), rtol=1e-6, atol=1e-6)
    assert ours.get_config() == pytest.approx(theirs.get_config())
    assert float(jax.jit(ours)(W)) == pytest.approx(float(ours(W)), rel=1e-6)


def test_regularizer_get_and_serialize():
    assert isinstance(regularizers.get("l2"), regularizers.L2)
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.0, "l2": 0.0}
    r = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}})
    assert r.get_config() == {"l1": 0.1, "l2": 0.2}
    assert regularizers.get(regularizers.serialize(r)).get_config() == r.get_config()
    assert regularizers.get(None) is None
    with pytest.raises(ValueError, match=r"Unknown regularizer identifier: received 'l3'"):
        regularizers.get("l3")
    with pytest.raises(TypeError, match="Could not interpret regularizer"):
        regularizers.get(1)
    with pytest.raises(ValueError, match="must be a non-negative float"):
        regularizers.L2(-1.0)
    with pytest.raises(ValueError, match="must have rank 2"):
        regularizers.OrthogonalRegularizer()(jnp.ones(3))


@pytest.mark.parametrize(
    "name, kwargs, w",
    [
        ("MaxNorm", {"max_value": 1.5}, W),
        ("MaxNorm", {"max_value": 1.0, "axis": [0, 1, 2]}, W4),
        ("NonNeg", {}, W),
        ("UnitNorm", {}, W),
        ("UnitNorm", {"axis": 1}, W),
        ("MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "rate": 0.5}, W),
        ("MinMaxNorm", {"min_value": 0.5, "max_value": 0.8, "axis": [0, 1, 2]}, W4),
    ],
)
def test_constraints_match_keras(name, kwargs, w):
    ours = getattr(constraints, name)(**kwargs)
    theirs = getattr(keras.constraints, name)(**kwargs)
    np.testing.assert_allclose(ours(jnp.asarray(w)), theirs(w), rtol=1e-6, atol=1e-6)
    assert ours.get_config() == theirs.get_config()


def test_max_norm_bounds_column_norms():
    out = np.asarray(constraints.MaxNorm(1.0)(W * 10))
    assert np.all(np.linalg.norm(out, axis=0) <= 1.0 + 1e-5)


def test_constraint_get():
    assert isinstance(constraints.get("non_neg"), constraints.NonNeg)
    c = constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 1}})
    assert c.get_config() == {"max_value": 3, "axis": 1}
    assert constraints.get(constraints.serialize(c)).get_config() == c.get_config()
    assert constraints.get(None) is None
    with pytest.raises(ValueError, match=r"Unknown constraint identifier: received 'max_nrom'.*Did you mean 'max_norm'"):
        constraints.get("max_nrom")
    with pytest.raises(TypeError, match="Could not interpret constraint"):
        constraints.get(2.0)
