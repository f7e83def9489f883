"""The rest of the everyday layer list against Keras 3 (weights in, outputs out, 1e-5):
Conv3DTranspose, DepthwiseConv1D, SeparableConv1D, ConvLSTM1D/2D, UpSampling3D,
ZeroPadding3D, Cropping3D, ActivityRegularization, SpectralNormalization, add_variable."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402

_INITS = ("kernel_initializer", "recurrent_initializer", "depthwise_initializer",
          "pointwise_initializer")


def _cheap(name, kwargs):
    """Zeros initializers: weights are overwritten anyway, and eager random/orthogonal
    initialization compiles dozens of small XLA programs on both sides."""
    params = keras.layers.__dict__[name].__init__.__code__.co_varnames
    return {**{k: "zeros" for k in _INITS if k in params}, **kwargs}


def _pair(name, kwargs, x, rng, call_kwargs=None):
    """Both layers, with the same random weights (Keras's, set into ours)."""
    call_kwargs = call_kwargs or {}
    kwargs = _cheap(name, kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs(x, **call_kwargs)
    for w in theirs.weights:
        w.assign(rng.normal(scale=0.5, size=w.shape).astype("float32"))
    ours = getattr(layers, name)(**kwargs)
    ours(x, **call_kwargs)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _close(a, b):
    for u, v in zip(a if isinstance(a, (list, tuple)) else [a],
                    b if isinstance(b, (list, tuple)) else [b]):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), atol=1e-5, rtol=1e-5)


CASES = [
    ("Conv3DTranspose", dict(filters=3, kernel_size=2, strides=2), (2, 3, 3, 2, 2)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=(1, 2, 1), padding="same",
                             data_format="channels_first"), (1, 2, 3, 3, 4)),
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same"),
     (2, 9, 3)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, dilation_rate=2), (2, 9, 3)),
    ("ConvLSTM1D", dict(filters=3, kernel_size=3, padding="same", return_sequences=True),
     (2, 4, 6, 2)),
    ("ConvLSTM2D", dict(filters=2, kernel_size=2, strides=2, return_state=True,
                        go_backwards=True), (2, 3, 4, 4, 2)),
    ("ConvLSTM2D", dict(filters=2, kernel_size=3, data_format="channels_first"),
     (1, 3, 2, 5, 5)),
    ("UpSampling3D", dict(size=(2, 1, 3)), (1, 2, 2, 2, 3)),
    ("ZeroPadding3D", dict(padding=((1, 0), (0, 2), (1, 1))), (1, 2, 2, 2, 3)),
    ("Cropping3D", dict(cropping=((1, 0), (0, 1), 1), data_format="channels_first"),
     (1, 2, 3, 3, 4)),
]


@pytest.mark.parametrize("name,kwargs,shape", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_layer_matches_keras(name, kwargs, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype("float32")
    ours, theirs = _pair(name, kwargs, x, rng)
    _close(ours(x), theirs(x))
    kwargs = _cheap(name, kwargs)
    sym = getattr(layers, name)(**kwargs)(nbkeras.Input(shape[1:]))
    ref = getattr(keras.layers, name)(**kwargs)(keras.Input(shape[1:]))
    assert [t.shape for t in (sym if isinstance(sym, (list, tuple)) else [sym])] == [
        t.shape for t in (ref if isinstance(ref, (list, tuple)) else [ref])]


def test_conv_lstm_mask_and_initial_state_match_keras():
    # (Keras's own ConvLSTM fails on a mask: compare a masked tail with the cut sequence.)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 5, 2)).astype("float32")
    ours, theirs = _pair("ConvLSTM1D", dict(filters=2, kernel_size=3, padding="same"), x, rng)
    h0, c0 = (rng.normal(size=(2, 5, 2)).astype("float32") for _ in range(2))
    mask = np.array([[1, 1, 0], [1, 1, 0]], bool)
    _close(ours(x, mask=mask, initial_state=[h0, c0]),
           theirs(x[:, :2], initial_state=[h0, c0]))


def test_spectral_normalization_matches_keras_in_training():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 4)).astype("float32")
    theirs = keras.layers.SpectralNormalization(keras.layers.Dense(5, kernel_initializer="zeros"),
                                                power_iterations=2)
    theirs(x)
    for w in theirs.weights:
        w.assign(rng.normal(size=w.shape).astype("float32"))
    ours = layers.SpectralNormalization(layers.Dense(5, kernel_initializer="zeros"),
                                        power_iterations=2)
    ours(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    _close(ours(x), theirs(x))
    for _ in range(2):  # training calls normalize the kernel and advance u
        _close(ours(x, training=True), theirs(x, training=True))
    _close(ours.get_weights(), theirs.get_weights())
    sigma = np.linalg.svd(np.asarray(ours.layer.kernel[...]), compute_uv=False)[0]
    assert abs(sigma - 1) < 0.2
    conv = layers.SpectralNormalization(layers.Conv2D(2, 3, kernel_initializer="zeros"))
    assert conv(jnp.ones((1, 5, 5, 2)), training=True).shape == (1, 3, 3, 2)
    with pytest.raises(ValueError, match=r"needs a layer with a 'kernel' or 'embeddings'"):
        layers.SpectralNormalization(layers.Flatten())(jnp.ones((1, 2)))


def test_activity_regularization_adds_keras_loss_in_fit():
    x = np.random.default_rng(3).normal(size=(4, 3)).astype("float32")
    ours, theirs = (m.layers.ActivityRegularization(l1=0.1, l2=0.01) for m in (nbkeras, keras))
    _close(ours(x), x)
    theirs(x)
    _close(ours.losses, theirs.losses)
    model = nbkeras.Sequential([nbkeras.Input((3,)), layers.Dense(2, kernel_initializer="ones"),
                                layers.ActivityRegularization(l2=1.0)])
    model.compile(loss="mse", optimizer="sgd")
    plain = float(np.mean((np.asarray(model.predict(x, verbose=0))) ** 2))
    loss = model.evaluate(x, np.zeros((4, 2)), verbose=0)
    assert loss > plain + 0.1  # the activity penalty is part of the loss


def test_add_variable_is_keras_alias_of_add_weight():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.s = self.add_variable((input_shape[-1],), "ones", name="s")
            self.n = self.add_variable((), "zeros", trainable=False, name="n")

        def call(self, x):
            return x * self.s

    layer = Scale()
    assert layer(jnp.ones((2, 3))).shape == (2, 3)
    assert [w.shape for w in layer.trainable_weights] == [(3,)]
    assert [w.shape for w in layer.non_trainable_weights] == [()]
