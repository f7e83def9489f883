"""Conv layers against Keras 3: same weights in, same outputs out."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402


def check_parity(name, kwargs, shape, seed=0, atol=1e-5):
    """Build both layers, copy Keras's (randomized) weights, compare outputs and shapes."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype("float32")
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs(x)
    for w in theirs.weights:
        w.assign(rng.normal(size=w.shape).astype("float32"))
    ours = getattr(layers, name)(**kwargs)
    ours(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), atol=atol, rtol=1e-5)
    sym = getattr(layers, name)(**kwargs)(nbkeras.Input(shape[1:])).shape
    assert sym == getattr(keras.layers, name)(**kwargs)(keras.Input(shape[1:])).shape
    return ours, theirs


CASES = [
    ("Conv1D", dict(filters=4, kernel_size=3), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, padding="same", strides=2), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=2, data_format="channels_first"), (2, 3, 7)),
    ("Conv1D", dict(filters=4, kernel_size=3, padding="causal",
                    data_format="channels_first"), (2, 3, 7)),
    ("Conv2D", dict(filters=4, kernel_size=3), (2, 8, 8, 3)),
    ("Conv2D", dict(filters=4, kernel_size=3, padding="same", strides=2,
                    activation="relu"), (2, 9, 9, 3)),
    ("Conv2D", dict(filters=4, kernel_size=(3, 2), dilation_rate=(2, 1)), (2, 9, 9, 3)),
    ("Conv2D", dict(filters=6, kernel_size=3, groups=3, use_bias=False), (2, 7, 7, 6)),
    ("Conv2D", dict(filters=4, kernel_size=3, padding="same",
                    data_format="channels_first"), (2, 3, 6, 5)),
    ("Conv3D", dict(filters=4, kernel_size=2, padding="same"), (2, 4, 5, 4, 3)),
    ("Conv1DTranspose", dict(filters=4, kernel_size=3, strides=2), (2, 5, 3)),
    ("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 5, 5, 3)),
    ("Conv2DTranspose", dict(filters=4, kernel_size=4, strides=3), (2, 4, 5, 3)),
    ("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, output_padding=1,
                             data_format="channels_first"), (2, 3, 4, 4)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"),
     (2, 5, 5, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2), (2, 6, 6, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, strides=2, padding="same",
                             data_format="channels_first"), (2, 3, 7, 7)),
    ("SeparableConv2D", dict(filters=5, kernel_size=3, depth_multiplier=2), (2, 6, 6, 3)),
    ("SeparableConv2D", dict(filters=5, kernel_size=3, strides=2, padding="same",
                             use_bias=False), (2, 7, 7, 3)),
]


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_conv_matches_keras(name, kwargs, shape):
    check_parity(name, kwargs, shape)


def test_kernel_layout_and_weight_names():
    conv = layers.Conv2D(8, (3, 2), groups=2)
    conv(jnp.ones((1, 6, 6, 4)))
    assert conv.kernel.shape == (3, 2, 2, 8)
    assert conv.bias.shape == (8,)
    sep = layers.SeparableConv2D(5, 3, depth_multiplier=2)
    sep(jnp.ones((1, 6, 6, 3)))
    assert [w.shape for w in sep.weights] == [(3, 3, 3, 2), (1, 1, 6, 5), (5,)]


def test_conv_get_config_matches_keras_keys():
    for name, kwargs in [("Conv2D", dict(filters=2, kernel_size=3)),
                         ("Conv2DTranspose", dict(filters=2, kernel_size=3)),
                         ("DepthwiseConv2D", dict(kernel_size=3)),
                         ("SeparableConv2D", dict(filters=2, kernel_size=3))]:
        ours = getattr(layers, name)(**kwargs).get_config()
        theirs = getattr(keras.layers, name)(**kwargs).get_config()
        assert set(theirs) <= set(ours)
        assert ours["kernel_size"] == theirs["kernel_size"] == (3, 3)
        assert ours["padding"] == theirs["padding"]


def test_conv_from_config_roundtrip():
    conv = layers.Conv1D(3, 2, padding="causal", activation="relu", name="c")
    clone = layers.Conv1D.from_config(conv.get_config())
    assert clone.get_config() == conv.get_config()


def test_conv_under_jit_and_grad():
    conv = layers.Conv2D(2, 3, padding="same")
    x = jnp.ones((2, 5, 5, 3))
    conv(x)

    def loss(kernel):
        return jnp.sum(jax.lax.conv_general_dilated(
            x, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")))

    g = jax.grad(loss)(conv.kernel[...])
    assert g.shape == conv.kernel.shape
    out = jax.jit(lambda a: conv(a))(x)
    np.testing.assert_allclose(np.asarray(out), np.asarray(conv(x)), atol=1e-6)


def test_wrong_channel_count_names_layer():
    conv = layers.Conv2D(4, 3, name="conv_a")
    conv(jnp.ones((1, 5, 5, 3)))
    with pytest.raises(ValueError, match=r"Conv2D 'conv_a' expected an input with 3 channels"):
        conv(jnp.ones((1, 5, 5, 2)))


def test_wrong_rank_names_layer():
    with pytest.raises(ValueError, match=r"Conv2D 'conv_b' expected a 4D input"):
        layers.Conv2D(4, 3, name="conv_b")(jnp.ones((1, 5, 3)))


def test_input_smaller_than_kernel():
    with pytest.raises(ValueError, match=r"empty output.*padding='same'"):
        layers.Conv2D(4, 5)(jnp.ones((1, 3, 3, 2)))


def test_invalid_arguments():
    with pytest.raises(ValueError, match=r"Did you mean 'same'"):
        layers.Conv2D(4, 3, padding="sam")
    with pytest.raises(ValueError, match=r"invalid padding='causal'"):
        layers.Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match=r"'filters' must be a positive integer"):
        layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match=r"'kernel_size' must be a positive int or a tuple of 2"):
        layers.Conv2D(4, (3, 3, 3))
    with pytest.raises(ValueError, match=r"'groups' must be a positive integer dividing"):
        layers.Conv2D(4, 3, groups=3)
    with pytest.raises(ValueError, match=r"strides > 1 together with dilation_rate > 1"):
        layers.Conv1D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"Did you mean 'channels_first'"):
        layers.Conv2D(4, 3, data_format="channel_first")
    with pytest.raises(ValueError, match=r"must be divisible by groups=2"):
        layers.Conv2D(4, 3, groups=2)(jnp.ones((1, 5, 5, 3)))
