"""Reshaping layers against Keras 3."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402

CASES = [
    ("Flatten", dict(), (2, 3, 4)),
    ("Flatten", dict(), (2,)),
    ("Flatten", dict(data_format="channels_first"), (2, 3, 4, 5)),
    ("Reshape", dict(target_shape=(4, 3)), (2, 12)),
    ("Reshape", dict(target_shape=(-1, 2)), (2, 3, 4)),
    ("Permute", dict(dims=(2, 1)), (2, 3, 4)),
    ("Permute", dict(dims=(3, 1, 2)), (2, 3, 4, 5)),
    ("RepeatVector", dict(n=3), (2, 4)),
    ("Cropping1D", dict(cropping=(1, 2)), (2, 6, 3)),
    ("Cropping1D", dict(cropping=1), (2, 6, 3)),
    ("Cropping2D", dict(cropping=((1, 0), (2, 1))), (2, 5, 6, 3)),
    ("Cropping2D", dict(cropping=1, data_format="channels_first"), (2, 3, 5, 6)),
    ("Cropping2D", dict(cropping=(1, 2)), (2, 5, 6, 3)),
    ("ZeroPadding1D", dict(padding=(1, 2)), (2, 4, 3)),
    ("ZeroPadding1D", dict(padding=2, data_format="channels_first"), (2, 3, 4)),
    ("ZeroPadding2D", dict(padding=((1, 0), (2, 3))), (2, 4, 4, 3)),
    ("ZeroPadding2D", dict(padding=1, data_format="channels_first"), (2, 3, 4, 4)),
    ("UpSampling1D", dict(size=3), (2, 4, 3)),
    ("UpSampling2D", dict(size=(2, 3)), (2, 4, 4, 3)),
    ("UpSampling2D", dict(size=2, data_format="channels_first"), (2, 3, 4, 4)),
    ("UpSampling2D", dict(size=2, interpolation="bilinear"), (2, 4, 5, 3)),
]


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_reshaping_matches_keras(name, kwargs, shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), atol=1e-5)
    sym = getattr(layers, name)(**kwargs)(nbkeras.Input(shape[1:])).shape
    assert sym == getattr(keras.layers, name)(**kwargs)(keras.Input(shape[1:])).shape
    assert set(theirs.get_config()) <= set(ours.get_config())


def test_flatten_keeps_unknown_dims_symbolic():
    assert layers.Flatten()(nbkeras.Input((None, 4))).shape == (None, None)
    assert layers.Reshape((-1, 2))(nbkeras.Input((6,))).shape == (None, 3, 2)


def test_reshaping_errors():
    with pytest.raises(ValueError, match=r"Reshape 'rs' cannot reshape a sample of shape "
                                         r"\(12,\) \(12 values\) to target_shape=\(5, 2\)"):
        layers.Reshape((5, 2), name="rs")(jnp.ones((2, 12)))
    with pytest.raises(ValueError, match=r"12 is not a multiple of 5"):
        layers.Reshape((-1, 5))(jnp.ones((2, 12)))
    with pytest.raises(ValueError, match=r"Reshape 'rs2' cannot reshape"):
        layers.Reshape((5, 2), name="rs2")(nbkeras.Input((12,)))
    with pytest.raises(ValueError, match=r"at most one -1"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match=r"Permute 'dims' must be a permutation of 1..n"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match=r"Permute 'pm' with dims=\(2, 1\) expects inputs of "
                                         r"rank 3"):
        layers.Permute((2, 1), name="pm")(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"RepeatVector 'rv' expects a 2D input"):
        layers.RepeatVector(2, name="rv")(jnp.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"Cropping1D 'cr' cropping=\(3, 3\) removes all"):
        layers.Cropping1D(3, name="cr")(jnp.ones((2, 5, 1)))
    with pytest.raises(ValueError, match=r"Did you mean 'bilinear'"):
        layers.UpSampling2D(interpolation="bilinar")
    with pytest.raises(ValueError, match=r"'padding' must be an int, a tuple of 2 ints"):
        layers.ZeroPadding2D(padding=(1, 2, 3))
