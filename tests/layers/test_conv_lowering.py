"""The im2col ("patches") convolution lowering equals the plain XLA lowering."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from nbkeras import layers
from nbkeras.layers import lowering

RNG = np.random.default_rng(0)


def _out_and_grads(layer, x):
    graphdef, state = nnx.split(layer)

    def loss(state, x):
        y = nnx.merge(graphdef, state)(x)
        weights = jnp.linspace(-1.0, 1.0, y.size).reshape(y.shape)
        return jnp.sum(jnp.tanh(y) * weights)

    grads = jax.grad(loss, argnums=(0, 1))(state, x)
    return layer(x), jax.tree.leaves(grads)


CASES = [
    (layers.Conv2D, (3, 12, 10, 1), dict(filters=8, kernel_size=3)),
    (layers.Conv2D, (2, 9, 9, 3), dict(filters=5, kernel_size=3, padding="same")),
    (layers.Conv2D, (2, 8, 7, 4), dict(filters=6, kernel_size=(2, 3), padding="same")),
    (layers.Conv2D, (2, 10, 10, 16), dict(filters=4, kernel_size=(3, 1))),
    (layers.Conv1D, (3, 20, 2), dict(filters=7, kernel_size=5, padding="same")),
    (layers.Conv1D, (2, 11, 8), dict(filters=3, kernel_size=4)),
]


@pytest.mark.parametrize("cls,shape,kwargs", CASES)
def test_patches_equal_xla_outputs_and_gradients(cls, shape, kwargs):
    layer = cls(activation="relu", **kwargs)
    x = jnp.asarray(RNG.normal(size=shape).astype("float32"))
    layer(x)
    with lowering.conv_lowering("xla"):
        ref_out, ref_grads = _out_and_grads(layer, x)
    with lowering.conv_lowering("patches"):
        assert lowering.use_patches(x, layer.kernel[...], **_conv_args(layer))
        out, grads = _out_and_grads(layer, x)
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-5)
    assert len(grads) == len(ref_grads) == 3  # kernel, bias, inputs
    for g, ref in zip(grads, ref_grads):
        scale = float(jnp.max(jnp.abs(ref))) or 1.0
        np.testing.assert_allclose(g / scale, ref / scale, rtol=1e-5, atol=1e-5)


def _conv_args(layer):
    return dict(rank=layer.rank, data_format=layer.data_format, strides=layer.strides,
                dilation=layer.dilation_rate, groups=layer.groups,
                padding=layer.padding.upper())


def test_patches_under_jit_match_xla():
    layer = layers.Conv2D(4, 3, padding="same")
    x = jnp.asarray(RNG.normal(size=(2, 6, 6, 2)).astype("float32"))
    layer(x)
    with lowering.conv_lowering("xla"):
        ref = jax.jit(lambda v: layer(v))(x)
    with lowering.conv_lowering("patches"):
        out = jax.jit(lambda v: layer(v) + 0.0)(x)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


def test_auto_picks_patches_only_where_measured_faster(monkeypatch):
    kernel_rgb = jnp.zeros((3, 3, 3, 32))
    kernel_deep = jnp.zeros((3, 3, 32, 64))
    args = dict(rank=2, data_format="channels_last", strides=(1, 1), dilation=(1, 1),
                groups=1, padding="VALID")
    on_cpu = jax.default_backend() == "cpu"
    picks = lowering.AUTO_PATCHES and on_cpu
    assert lowering.use_patches(jnp.zeros((8, 28, 28, 3)), kernel_rgb, **args) == picks
    assert not lowering.use_patches(jnp.zeros((8, 13, 13, 32)), kernel_deep, **args)
    monkeypatch.setattr(lowering, "AUTO_PATCHES", True)
    assert lowering.use_patches(jnp.zeros((8, 28, 28, 3)), kernel_rgb, **args) == on_cpu
    assert not lowering.use_patches(jnp.zeros((8, 13, 13, 32)), kernel_deep, **args)
    # Unsupported configurations always keep the plain lowering.
    for change in (dict(strides=(2, 2)), dict(dilation=(2, 2)), dict(groups=3),
                   dict(data_format="channels_first")):
        with lowering.conv_lowering("patches"):
            assert not lowering.use_patches(
                jnp.zeros((8, 28, 28, 3)), kernel_rgb, **{**args, **change})


def test_conv_lowering_rejects_unknown_mode():
    with pytest.raises(ValueError, match="conv lowering must be one of"):
        lowering.set_conv_lowering("im2col")


def test_too_small_input_still_raises_the_named_error():
    layer = layers.Conv2D(2, 5, name="small_conv")
    with pytest.raises(ValueError, match="small_conv"):
        layer(jnp.zeros((1, 3, 3, 1)))
