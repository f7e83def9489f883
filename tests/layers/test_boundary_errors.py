"""Errors at the layer boundary (``nbkeras/layers/_boundary.py``): strings, ragged lists,
constructor errors that name the layer, and built-in layers' stray exception types."""

import numpy as np
import pytest

import nbkeras as keras
from nbkeras import layers


def _notes(e):
    return "\n".join(getattr(e, "__notes__", []))


@pytest.fixture(scope="module")
def models():
    seq = keras.Sequential([keras.Input((3,)), layers.Dense(2)], name="seq")
    inp = keras.Input((3,))
    func = keras.Model(inp, layers.Dense(2)(inp), name="func")
    return seq, func


@pytest.mark.parametrize("x", [np.array([["a", "b", "c"]]), [["a", "b", "c"]],
                               np.array([[b"a", b"b", b"c"]]),
                               np.array([[1, 2, None]], dtype=object)],
                         ids=["str-array", "str-list", "bytes", "objects"])
def test_non_numeric_input_to_a_model_is_a_type_error_at_the_boundary(models, x):
    for model in models:
        with pytest.raises(TypeError, match=(
            r"'(seq|input_layer\w*)' received an input of dtype .* \((strings|bytes|Python "
            r"objects)\) with shape \(1, 3\); layers take numeric arrays.*Turn text into "
            r"integers first")):
            model(x)


def test_strings_into_a_layer_never_reach_jax():
    with pytest.raises(TypeError, match=r"Dense 'd' received an input of dtype <U1 \(strings\)"):
        layers.Dense(2, name="d")(np.array([["a", "b"]]))


def test_ragged_list_names_the_layer_and_the_fix():
    with pytest.raises(ValueError, match=(
            r"Dense 'r' received a ragged nested list.*pad_sequences")):
        layers.Dense(2, name="r")([[1.0, 2.0], [3.0]])


def test_constructor_errors_keep_their_type_and_name_the_layer():
    with pytest.raises(TypeError) as info:
        layers.Dense(3, kernel_initializer=0.5)
    assert "Exception encountered when creating Dense(3, kernel_initializer=0.5)." in _notes(info.value)


def test_stray_exception_types_in_builtin_layers_become_value_or_type_errors():
    with pytest.raises(TypeError, match=r"Permute 'dims' must be a tuple of ints") as info:
        layers.Permute(dims=3)
    assert "Exception encountered when creating Permute(dims=3)." in _notes(info.value)
    with pytest.raises(ValueError, match=(
            r"CenterCrop 'cc' could not process its input \(received input shape \(2, 2\)\): "
            r"IndexError")) as info:
        layers.CenterCrop(2, 2, name="cc")(np.ones((2, 2), "float32"))
    assert isinstance(info.value.__cause__, IndexError)
    assert "Exception encountered when calling CenterCrop 'cc'" in _notes(info.value)


def test_user_code_keeps_its_exception_type():
    class Picky(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            {}["missing"]

    with pytest.raises(KeyError) as info:
        Picky(name="picky")
    assert "Exception encountered when creating Picky(name='picky')." in _notes(info.value)

    class Indexer(layers.Layer):
        def call(self, x):
            return x.shape[5]

    with pytest.raises(IndexError):
        Indexer()(np.ones((2,), "float32"))
    with pytest.raises(IndexError):
        layers.Lambda(lambda x: [][0])(np.ones((2,), "float32"))


def test_batch_normalization_renorm_is_a_value_error():
    with pytest.raises(ValueError, match=r"BatchNormalization received renorm=True.*renorm=False"):
        layers.BatchNormalization(renorm=True)
