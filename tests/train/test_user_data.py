"""Data a Keras user passes: uint8 images, lists, pandas objects, and clear errors otherwise.

Behaviour follows Keras 3 (checked against it where Keras accepts the data).
"""

import numpy as np
import pytest

import nbkeras
from nbkeras import layers

keras3 = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (6, 5, 5, 1)).astype("uint8")


def _pair(build):
    """The same architecture in nbkeras and Keras with the same weights."""
    ours, theirs = build(nbkeras), build(keras3)
    theirs.set_weights([np.asarray(w) for w in ours.get_weights()])
    return ours, theirs


def _convnet(k):
    return k.Sequential([k.Input((5, 5, 1)), k.layers.Conv2D(2, 3), k.layers.Flatten(),
                         k.layers.Dense(1)])


def test_uint8_images_into_conv_and_dense_match_keras():
    ours, theirs = _pair(_convnet)
    np.testing.assert_allclose(ours.predict(IMAGES, verbose=0),
                               theirs.predict(IMAGES, verbose=0), rtol=1e-5, atol=1e-3)
    ours.compile("sgd", "mse")
    history = ours.fit(IMAGES, np.zeros((6, 1), "float32"), epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])
    conv = layers.Conv2D(2, 3)  # called directly, no Input: cast to the compute dtype
    assert conv(IMAGES).dtype == np.float32
    dense = layers.Dense(2)
    assert dense(np.ones((2, 3), "uint8")).dtype == np.float32
    inp = nbkeras.Input((5, 5, 1))
    functional = nbkeras.Model(inp, layers.Conv2DTranspose(1, 2)(inp))
    assert functional.predict(IMAGES, verbose=0).dtype == np.float32


def test_lists_of_numbers_are_arrays():
    ours, theirs = _pair(lambda k: k.Sequential([k.Input((3,)), k.layers.Dense(2)]))
    x = [[1, 2, 3], [4, 5, 6]]  # Keras 3.15 refuses nested lists here: compare with an array
    np.testing.assert_allclose(ours.predict(x, verbose=0),
                               theirs.predict(np.asarray(x, "float32"), verbose=0), rtol=1e-5)
    ours.compile("sgd", "mse")
    assert "loss" in ours.fit(x, [[1.0, 2.0], [3.0, 4.0]], verbose=0).history
    one, one_k = _pair(lambda k: k.Sequential([k.Input((1,)), k.layers.Dense(1)]))
    np.testing.assert_allclose(one.predict([1.0, 2.0, 3.0], verbose=0),
                               one_k.predict(np.array([1.0, 2.0, 3.0]), verbose=0), rtol=1e-5)


def test_pandas_dataframe_and_series():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3, 4, 5], "c": [5.0, 6.0, 7.0]})
    ours, theirs = _pair(lambda k: k.Sequential([k.Input((3,)), k.layers.Dense(2)]))
    np.testing.assert_allclose(ours.predict(df, verbose=0), theirs.predict(df, verbose=0),
                               rtol=1e-5)
    ours.compile("sgd", "mse")
    target = pd.DataFrame({"y1": [1.0, 2.0, 3.0], "y2": [0.0, 1.0, 0.0]})
    assert "loss" in ours.fit(df, target, verbose=0).history
    one = nbkeras.Sequential([nbkeras.Input((1,)), layers.Dense(1)])
    one.compile("sgd", "mse")
    series = pd.Series([1.0, 2.0, 3.0])
    assert len(one.fit(series, series, epochs=2, verbose=0).history["loss"]) == 2
    assert one.predict(series, verbose=0).shape == (3, 1)


def _dense():
    m = nbkeras.Sequential([nbkeras.Input((3,)), layers.Dense(2)])
    m.compile("sgd", "mse")
    return m


def test_ragged_list_gets_a_clear_error():
    with pytest.raises(ValueError, match=r"x is a ragged nested list.*lengths \[2, 3\].*Pad"):
        _dense().fit([[1, 2, 3], [4, 5]], [[1, 2], [3, 4]], verbose=0)
    with pytest.raises(ValueError, match=r"y is a ragged nested list"):
        _dense().fit([[1, 2, 3], [4, 5, 6]], [[1, 2], [3]], verbose=0)
    with pytest.raises(ValueError, match=r"x is a ragged nested list"):
        _dense().predict([[1, 2, 3], [4, 5]], verbose=0)


@pytest.mark.parametrize("x, shown", [
    (np.array([["a", "b", "c"]]), r"dtype <U1, e.g. the value np.str_\('a'\)"),
    ([["a", "b", "c"]], r"dtype <U1"),
    (np.array([[1, None, 3]], dtype=object), r"dtype object, e.g. the value None"),
])
def test_strings_into_predict_name_the_data(x, shown):
    with pytest.raises(ValueError, match=r"^x holds non-numeric data \(" + shown + r".*"
                                         r"Convert text or categories to numbers") as info:
        _dense().predict(x, verbose=0)
    assert "jit" not in str(info.value) and "abstract array" not in str(info.value)
    with pytest.raises(ValueError, match=r"^y holds non-numeric data"):
        _dense().fit(np.ones((1, 3)), np.array([["a", "b"]]), verbose=0)


def test_object_array_of_numbers_is_accepted():
    x = np.array([[1, 2.5, 3]], dtype=object)
    np.testing.assert_allclose(_dense().predict(x, verbose=0).shape, (1, 2))
