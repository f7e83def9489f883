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


TAP_CASES = [
    (layers.Conv2D, (3, 12, 10, 1), dict(filters=8, kernel_size=3)),  # shallow: im2col
    (layers.Conv2D, (2, 9, 9, 3), dict(filters=5, kernel_size=3, padding="same")),
    (layers.Conv2D, (2, 9, 8, 12), dict(filters=6, kernel_size=(2, 3), padding="same")),  # deep
    (layers.Conv2D, (2, 11, 11, 4), dict(filters=3, kernel_size=3, strides=2)),
    (layers.Conv2D, (2, 12, 12, 2), dict(filters=3, kernel_size=3, strides=(2, 1),
                                         padding="same")),
    (layers.Conv2D, (2, 11, 11, 20), dict(filters=3, kernel_size=3, dilation_rate=2)),
    (layers.Conv1D, (3, 20, 2), dict(filters=7, kernel_size=5, padding="causal")),
    (layers.Conv1D, (2, 11, 40), dict(filters=3, kernel_size=4)),
    (layers.Conv3D, (2, 5, 6, 5, 2), dict(filters=4, kernel_size=2, padding="same")),
    (layers.SeparableConv2D, (2, 8, 8, 3), dict(filters=4, kernel_size=3)),  # pointwise part
]


@pytest.mark.parametrize("cls,shape,kwargs", TAP_CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(TAP_CASES)])
def test_tap_gradient_equals_xla_outputs_and_gradients(cls, shape, kwargs):
    """Training convolutions on CPU differentiate the kernel through GEMMs of shifted
    slices: same outputs, same input and weight gradients as XLA's own lowering."""
    layer = cls(activation="relu", **kwargs)
    x = jnp.asarray(RNG.normal(size=shape).astype("float32"))
    layer(x)
    with lowering.conv_lowering("xla"):
        ref_out, ref_grads = _out_and_grads(layer, x)
        assert "name=_conv" not in str(jax.make_jaxpr(lambda v: layer(v))(x))
    assert "name=_conv" in str(jax.make_jaxpr(lambda v: layer(v))(x)) or \
        jax.default_backend() != "cpu"
    out, grads = _out_and_grads(layer, x)
    np.testing.assert_array_equal(np.asarray(layer(x)), np.asarray(ref_out))  # not trained
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-5)
    assert len(grads) == len(ref_grads) >= 3
    for g, ref in zip(grads, ref_grads):
        scale = float(jnp.max(jnp.abs(ref))) or 1.0
        np.testing.assert_allclose(g / scale, ref / scale, rtol=1e-5, atol=1e-5)


def test_tap_gradient_forward_mode_and_second_order():
    x = jnp.asarray(RNG.normal(size=(2, 7, 7, 3)).astype("float32"))
    k = jnp.asarray(RNG.normal(size=(3, 3, 3, 4)).astype("float32"))
    conv = dict(strides=(1, 1), padding="SAME", dilation=(1, 1))

    def ours(x, k):
        return lowering.conv_tap_gradient(x, k, **conv)

    def xla(x, k):
        return jax.lax.conv_general_dilated(x, k, (1, 1), "SAME",
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))

    tangents = (jnp.ones_like(x), jnp.full_like(k, 0.5))
    np.testing.assert_allclose(jax.jvp(ours, (x, k), tangents)[1],
                               jax.jvp(xla, (x, k), tangents)[1], rtol=1e-5, atol=1e-4)
    hess = jax.hessian(lambda k: jnp.sum(jnp.tanh(ours(x, k))))(k)
    ref = jax.hessian(lambda k: jnp.sum(jnp.tanh(xla(x, k))))(k)
    np.testing.assert_allclose(hess, ref, rtol=1e-4, atol=1e-4)


def test_tap_gradient_is_chosen_only_where_it_applies(monkeypatch):
    args = dict(rank=2, data_format="channels_last", strides=(1, 1), dilation=(1, 1),
                groups=1, padding="VALID")
    x, k = jnp.zeros((8, 28, 28, 3)), jnp.zeros((3, 3, 3, 32))
    assert lowering.use_tap_gradient(x, k, **args) == (jax.default_backend() == "cpu")
    for change in (dict(groups=3), dict(data_format="channels_first")):
        assert not lowering.use_tap_gradient(x, k, **{**args, **change})
    assert not lowering.use_tap_gradient(x.astype(jnp.int32), k, **args)
    with lowering.conv_lowering("xla"):
        assert not lowering.use_tap_gradient(x, k, **args)
    monkeypatch.setattr(lowering, "AUTO_TAP_GRADIENT", False)
    assert not lowering.use_tap_gradient(x, k, **args)


def test_tap_gradient_trains_in_mixed_precision():
    from nbkeras import mixed_precision

    mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = layers.Conv2D(4, 3)
        x = jnp.asarray(RNG.normal(size=(2, 6, 6, 2)).astype("float32"))
        layer(x)
        out, grads = _out_and_grads(layer, x)
        assert out.dtype == jnp.bfloat16
        assert all(bool(jnp.all(jnp.isfinite(g.astype(jnp.float32)))) for g in grads)
        with lowering.conv_lowering("xla"):
            _, ref = _out_and_grads(layer, x)
        for g, r in zip(grads, ref):
            np.testing.assert_allclose(np.asarray(g, np.float32), np.asarray(r, np.float32),
                                       rtol=0.05, atol=0.05)
    finally:
        mixed_precision.set_global_policy("float32")
