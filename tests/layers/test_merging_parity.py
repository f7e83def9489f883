"""Merging layers against Keras 3."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402

CASES = [
    ("Add", dict(), [(2, 3), (2, 3), (2, 3)]),
    ("Add", dict(), [(2, 4, 3), (2, 1, 3)]),
    ("Add", dict(), [(2, 4, 3), (2, 3)]),  # lower rank gets axes after the batch axis
    ("Subtract", dict(), [(2, 3), (2, 3)]),
    ("Multiply", dict(), [(2, 4, 3), (2, 4, 3)]),
    ("Average", dict(), [(2, 3), (2, 3), (2, 3)]),
    ("Maximum", dict(), [(2, 5), (2, 5)]),
    ("Minimum", dict(), [(2, 5), (2, 5)]),
    ("Concatenate", dict(), [(2, 3), (2, 4)]),
    ("Concatenate", dict(axis=1), [(2, 3, 4), (2, 5, 4)]),
    ("Dot", dict(axes=1), [(2, 3), (2, 3)]),
    ("Dot", dict(axes=-1, normalize=True), [(2, 3), (2, 3)]),
    ("Dot", dict(axes=(2, 2)), [(2, 4, 3), (2, 5, 3)]),
    ("Dot", dict(axes=(1, 2)), [(2, 4, 3), (2, 5, 4)]),
    ("Dot", dict(axes=(1, 1)), [(2, 3), (2, 3, 4)]),
]


@pytest.mark.parametrize("name,kwargs,shapes", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_merge_matches_keras(name, kwargs, shapes):
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=s).astype("float32") for s in shapes]
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    np.testing.assert_allclose(np.asarray(ours(xs)), np.asarray(theirs(xs)), atol=1e-5)
    sym = getattr(layers, name)(**kwargs)([nbkeras.Input(s[1:]) for s in shapes]).shape
    ksym = getattr(keras.layers, name)(**kwargs)([keras.Input(s[1:]) for s in shapes]).shape
    assert sym == ksym
    assert set(theirs.get_config()) <= set(ours.get_config())


@pytest.mark.parametrize("fn,args", [
    ("add", {}), ("subtract", {}), ("multiply", {}), ("average", {}), ("maximum", {}),
    ("minimum", {}), ("concatenate", {"axis": -1}), ("dot", {"axes": 1}),
])
def test_functional_forms_match_keras(fn, args):
    rng = np.random.default_rng(1)
    xs = [rng.normal(size=(2, 4)).astype("float32") for _ in range(2)]
    np.testing.assert_allclose(np.asarray(getattr(layers, fn)(xs, **args)),
                               np.asarray(getattr(keras.layers, fn)(xs, **args)), atol=1e-6)
    sym = getattr(layers, fn)([nbkeras.Input((4,)), nbkeras.Input((4,))], **args)
    assert sym.shape == getattr(keras.layers, fn)([keras.Input((4,)), keras.Input((4,))],
                                                  **args).shape


def test_merge_in_functional_model():
    a, b = nbkeras.Input((3,)), nbkeras.Input((3,))
    out = layers.Dense(2)(layers.concatenate([layers.add([a, b]), b]))
    assert out.shape == (None, 2)


def test_mismatched_shapes_name_the_layer():
    with pytest.raises(ValueError, match=r"Add 'add_x' requires inputs of the same shape.*"
                                         r"\[\(2, 3\), \(2, 4\)\]"):
        layers.Add(name="add_x")([jnp.ones((2, 3)), jnp.ones((2, 4))])
    with pytest.raises(ValueError, match=r"Add 'add_y' requires inputs of the same shape"
                                         r".*\(None, 3\), \(None, 4\)"):
        layers.Add(name="add_y")([nbkeras.Input((3,)), nbkeras.Input((4,))])
    with pytest.raises(ValueError, match=r"Concatenate 'cat' requires matching shapes except on "
                                         r"the concatenation axis -1; dimension 1 differs"):
        layers.Concatenate(name="cat")([jnp.ones((2, 3, 4)), jnp.ones((2, 5, 4))])
    with pytest.raises(ValueError, match=r"Subtract 'sub' expects exactly 2 inputs, received 3"):
        layers.Subtract(name="sub")([jnp.ones((2, 3))] * 3)
    with pytest.raises(ValueError, match=r"Dot 'dot_z' needs equal sizes on the contracted axes"):
        layers.Dot(axes=1, name="dot_z")([jnp.ones((2, 3)), jnp.ones((2, 4))])
    with pytest.raises(ValueError, match=r"different batch sizes"):
        layers.Multiply()([jnp.ones((2, 3)), jnp.ones((3, 3))])
    with pytest.raises(ValueError, match=r"Maximum 'mx' should be called on a list of tensors"):
        layers.Maximum(name="mx")(jnp.ones((2, 3)))
    with pytest.raises(TypeError, match=r"Dot 'axes' must be an int or a pair of ints"):
        layers.Dot(axes=(1, 2, 3))
