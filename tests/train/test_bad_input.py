"""Bad input gets a clear error that says what was received and what was expected."""

import numpy as np
import pytest

import nbkeras as keras
from nbkeras import layers


def _model():
    m = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy")
    return m


def test_fit_before_compile():
    m = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    with pytest.raises(RuntimeError, match=r"compile\(\) before fit\(\)"):
        m.fit(np.zeros((4, 4)), np.zeros(4))


def test_length_mismatch():
    with pytest.raises(ValueError, match=r"x sizes: \[10\], y sizes: \[9\]"):
        _model().fit(np.zeros((10, 4)), np.zeros(9), verbose=0)


def test_empty_data():
    with pytest.raises(ValueError, match="empty data"):
        _model().fit(np.zeros((0, 4)), np.zeros(0), verbose=0)


def test_incompatible_input_shape_names_layer():
    m = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="head")])
    with pytest.raises(ValueError, match=r"Dense 'head' expected an input with last "
                                         r"dimension 4, received shape \(2, 5\)"):
        m(np.zeros((2, 5), "float32"))
    x = keras.Input((5,))
    with pytest.raises(ValueError, match=r"Dense 'head2' expected an input with last"):
        d = layers.Dense(2, name="head2")
        d(keras.Input((3,)))
        d(x)


def test_sparse_labels_out_of_range():
    with pytest.raises(ValueError, match=r"received label 12 but the model outputs 3 classes "
                                         r"\(valid labels are 0\.\.2\)\. Check the labels"):
        _model().fit(np.zeros((4, 4)), np.array([0, 1, 2, 12]), verbose=0)


def test_unknown_identifiers_list_closest():
    m = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"Did you mean 'adam'"):
        m.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match=r"Unknown loss identifier.*'msee'"):
        m.compile(optimizer="adam", loss="msee")
    with pytest.raises(ValueError, match=r"Unknown activation"):
        layers.Dense(3, activation="rleu")


def test_dict_input_missing_named_input():
    a, b = keras.Input((2,), name="title"), keras.Input((3,), name="body")
    out = layers.Dense(1)(layers.Concatenate()([a, b]))
    m = keras.Model([a, b], out)
    with pytest.raises(ValueError, match=r"missing data for input\(s\) \['body'\]"):
        m({"title": np.zeros((1, 2), "float32")})


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="positive integer"):
        layers.Dense(0)
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        layers.Dense(3, unitz=4)
    with pytest.raises(ValueError, match=r"shape=\(784,\)"):
        keras.Input(shape=784)


def test_evaluate_rejects_unknown_arguments():
    m = _model()
    with pytest.raises(ValueError, match=r"evaluate\(\) got arguments it does not recognise: "
                                         r"\['use_multiprocesing'\]"):
        m.evaluate(np.zeros((4, 4)), np.zeros(4), verbose=0, use_multiprocesing=True)
