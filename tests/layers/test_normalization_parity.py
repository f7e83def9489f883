"""Normalization layers against Keras 3, including BatchNormalization training steps
and the training engine's padded-row mask."""

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from flax import nnx  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402
from nbkeras.layers.base import sample_mask_scope  # noqa: E402


def make_pair(name, kwargs, x, seed=0):
    """Both layers built on ``x`` with Keras's randomized weights copied into ours."""
    rng = np.random.default_rng(seed)
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs(x)
    for w in theirs.weights:  # positive values keep variances valid
        w.assign(rng.uniform(0.5, 1.5, size=w.shape).astype("float32"))
    ours = getattr(layers, name)(**kwargs)
    ours(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def assert_close(a, b, atol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=atol, rtol=1e-5)


CASES = [
    ("BatchNormalization", dict(), (6, 4)),
    ("BatchNormalization", dict(axis=1, momentum=0.9, epsilon=1e-2), (4, 3, 5, 5)),
    ("BatchNormalization", dict(center=False), (4, 5, 3)),
    ("BatchNormalization", dict(scale=False, center=False), (4, 5, 3)),
    ("LayerNormalization", dict(), (4, 6)),
    ("LayerNormalization", dict(axis=[1, 2], epsilon=1e-5), (4, 3, 6)),
    ("LayerNormalization", dict(axis=1, center=False), (4, 3, 6)),
    ("LayerNormalization", dict(scale=False), (4, 3, 6)),
    ("GroupNormalization", dict(groups=2), (4, 5, 6)),
    ("GroupNormalization", dict(groups=3, axis=1), (4, 6, 4, 4)),
    ("GroupNormalization", dict(groups=-1), (4, 5, 6)),
    ("UnitNormalization", dict(), (4, 6)),
    ("UnitNormalization", dict(axis=[1, 2]), (4, 3, 6)),
    ("RMSNormalization", dict(), (4, 6)),
    ("RMSNormalization", dict(axis=[1, 2], epsilon=1e-3), (4, 3, 6)),
]


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_inference_matches_keras(name, kwargs, shape):
    x = np.random.default_rng(1).normal(2.0, 3.0, size=shape).astype("float32")
    ours, theirs = make_pair(name, kwargs, x)
    assert_close(ours(x), theirs(x))
    assert_close(ours(x, training=False), theirs(x, training=False))
    sym = getattr(layers, name)(**kwargs)(nbkeras.Input(shape[1:])).shape
    assert sym == getattr(keras.layers, name)(**kwargs)(keras.Input(shape[1:])).shape
    assert set(theirs.get_config()) <= set(ours.get_config())


def test_layer_normalization_rms_scaling_matches_keras():
    x = np.random.default_rng(2).normal(size=(3, 5)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Keras deprecates the flag
        theirs = keras.layers.LayerNormalization(rms_scaling=True)
        theirs(x)
        theirs.set_weights([np.arange(1, 6, dtype="float32")])
        expected = theirs(x)
    ours = layers.LayerNormalization(rms_scaling=True)
    ours(x)
    ours.set_weights(theirs.get_weights())
    assert_close(ours(x), expected)


@pytest.mark.parametrize("axis,shape", [(-1, (8, 4)), (1, (6, 3, 4, 4)), (-1, (5, 4, 3))])
def test_batchnorm_training_step_matches_keras(axis, shape):
    x = np.random.default_rng(3).normal(1.0, 2.0, size=shape).astype("float32")
    ours, theirs = make_pair("BatchNormalization", dict(axis=axis, momentum=0.8), x)
    assert [w.shape for w in ours.weights] == [w.shape for w in theirs.weights]
    assert_close(ours(x, training=True), theirs(x, training=True))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):  # gamma, beta, mean, var
        assert_close(a, b, atol=1e-6)
    assert_close(ours(x), theirs(x))


def test_batchnorm_weight_order_is_keras_order():
    bn = layers.BatchNormalization()
    bn(jnp.ones((2, 3)))
    names = [w.get_metadata()["path"].split("/")[-1] for w in bn.weights]
    assert names == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2


def test_frozen_batchnorm_runs_in_inference_mode_like_keras():
    x = np.random.default_rng(4).normal(size=(6, 4)).astype("float32")
    ours, theirs = make_pair("BatchNormalization", dict(), x)
    ours.trainable = False
    theirs.trainable = False
    before = ours.get_weights()
    assert_close(ours(x, training=True), theirs(x, training=True))
    for a, b in zip(before, ours.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_masked_rows_do_not_change_batch_statistics():
    rng = np.random.default_rng(5)
    real = rng.normal(size=(5, 3, 4)).astype("float32")
    padded = np.concatenate([real, 100.0 * np.ones((3, 3, 4), "float32")])
    mask = jnp.array([1.0] * 5 + [0.0] * 3)
    a = layers.BatchNormalization(momentum=0.5)
    b = layers.BatchNormalization(momentum=0.5)
    a(real), b(real)
    out_real = a(real, training=True)
    with sample_mask_scope(mask):
        out_padded = b(padded, training=True)
    assert_close(out_padded[:5], out_real)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        assert_close(wa, wb, atol=1e-6)
    # The unpadded run itself equals Keras.
    theirs = keras.layers.BatchNormalization(momentum=0.5)
    assert_close(theirs(real, training=True), out_real)
    for wa, wk in zip(a.get_weights(), theirs.get_weights()):
        assert_close(wa, wk, atol=1e-6)


def test_sample_mask_is_honoured_under_jit():
    rng = np.random.default_rng(6)
    real = rng.normal(size=(4, 3)).astype("float32")
    padded = np.concatenate([real, np.zeros((4, 3), "float32")])
    bn = layers.BatchNormalization()
    bn(real)
    ref = layers.BatchNormalization()
    ref(real)
    ref(real, training=True)
    graphdef, state = nnx.split(bn)

    @jax.jit
    def step(state, x, mask):
        model = nnx.merge(graphdef, state)
        with sample_mask_scope(mask):
            y = model(x, training=True)
        return y, nnx.state(model)

    _, new_state = step(state, padded, jnp.array([1.0] * 4 + [0.0] * 4))
    nnx.update(bn, new_state)
    for wa, wb in zip(bn.get_weights(), ref.get_weights()):
        assert_close(wa, wb, atol=1e-6)


def test_keras_sequence_mask_matches_keras():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    mask = rng.uniform(size=(3, 5)) > 0.3
    ours, theirs = make_pair("BatchNormalization", dict(), x)
    assert_close(ours(x, training=True, mask=mask), theirs(x, training=True, mask=mask))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(a, b, atol=1e-6)


def test_normalization_errors():
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn_a' expected 4 features"):
        bn = layers.BatchNormalization(name="bn_a")
        bn(jnp.ones((2, 4)))
        bn(jnp.ones((2, 5)))
    with pytest.raises(ValueError, match=r"received axis=3, out of range for an input of rank 2"):
        layers.BatchNormalization(axis=3)(jnp.ones((2, 4)))
    with pytest.raises(ValueError, match=r"must be a known multiple of groups=4"):
        layers.GroupNormalization(groups=4)(jnp.ones((2, 6)))
    with pytest.raises(TypeError, match=r"'axis' must be an int or a list/tuple"):
        layers.LayerNormalization(axis="x")
    with pytest.raises(ValueError, match=r"renorm=True"):
        layers.BatchNormalization(renorm=True)
