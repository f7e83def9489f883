"""nbkeras.utils numerical helpers against keras.utils."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbkeras import utils  # noqa: E402
from nbkeras.initializers import GlorotUniform  # noqa: E402


@pytest.mark.parametrize(
    "labels, num_classes",
    [
        ([0, 2, 1], None),
        ([0, 2, 1], 5),
        ([[1], [0], [3]], None),
        ([[0, 1], [2, 3]], 4),
        (np.array([[[1]], [[2]]]), 3),
        (np.array([3]), None),
    ],
)
def test_to_categorical_matches_keras(labels, num_classes):
    ours = utils.to_categorical(labels, num_classes)
    theirs = keras.utils.to_categorical(labels, num_classes)
    assert isinstance(ours, np.ndarray)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_to_categorical_jax_input():
    ours = utils.to_categorical(jnp.array([[1], [0]]), 3)
    theirs = keras.utils.to_categorical(jnp.array([[1], [0]]), 3)
    assert ours.shape == (2, 3)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_to_categorical_out_of_range_message():
    with pytest.raises(ValueError, match=r"received label 5, outside the range \[0, 2\] for num_classes=3"):
        utils.to_categorical([0, 5], 3)
    with pytest.raises(ValueError, match="received label -1"):
        utils.to_categorical([0, -1], 3)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("axis", [-1, 1])
def test_normalize_matches_keras(order, axis):
    x = np.random.default_rng(0).normal(size=(4, 3))
    x[1] = 0.0
    np.testing.assert_allclose(utils.normalize(x, axis, order), keras.utils.normalize(x, axis, order))
    xj = jnp.asarray(x, dtype=jnp.float32)
    np.testing.assert_allclose(
        utils.normalize(xj, axis, order), keras.utils.normalize(xj, axis, order), rtol=1e-6, atol=1e-6
    )


def test_normalize_axis_zero_numpy():
    x = np.array([[3.0, 1.0], [4.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0), [[0.6, 1.0], [0.8, 0.0]])


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"maxlen": 2},
        {"maxlen": 5, "padding": "post"},
        {"maxlen": 2, "truncating": "post"},
        {"value": -1, "padding": "post"},
        {"dtype": "float32", "value": 0.5},
    ],
)
def test_pad_sequences_matches_keras(kwargs):
    seqs = [[1, 2, 3], [4], [], [5, 6]]
    ours = utils.pad_sequences(seqs, **kwargs)
    theirs = keras.utils.pad_sequences(seqs, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_pad_sequences_multidim_and_errors():
    seqs = [np.ones((2, 3)), np.ones((1, 3))]
    np.testing.assert_array_equal(utils.pad_sequences(seqs), keras.utils.pad_sequences(seqs))
    with pytest.raises(ValueError, match='Padding type "middle" not understood'):
        utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="Found non-iterable: 3"):
        utils.pad_sequences([[1], 3])
    with pytest.raises(ValueError, match="different from expected shape"):
        utils.pad_sequences([np.ones((2, 3)), np.ones((1, 2))])


def test_set_random_seed_reproduces_weights_and_numpy():
    utils.set_random_seed(7)
    w1, n1 = np.asarray(GlorotUniform()((3, 3))), np.random.rand()
    utils.set_random_seed(7)
    w2, n2 = np.asarray(GlorotUniform()((3, 3))), np.random.rand()
    np.testing.assert_array_equal(w1, w2)
    assert n1 == n2
    with pytest.raises(TypeError, match="set_random_seed expected an integer seed"):
        utils.set_random_seed("7")
