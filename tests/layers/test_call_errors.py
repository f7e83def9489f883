"""Errors raised inside ``Layer.call`` keep their type and gain a note naming the layer."""

import jax
import numpy as np
import pytest

import nbkeras as keras


class PythonBranch(keras.layers.Layer):
    def call(self, x):
        if x.sum() > 0:  # a Python branch on a traced value: not allowed under jit
            return x
        return -x


def test_python_branch_inside_fit_ends_in_jax_tracer_error():
    model = keras.Sequential([PythonBranch(name="branchy"), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(jax.errors.ConcretizationTypeError) as info:
        model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0)
    assert isinstance(info.value, jax.errors.TracerBoolConversionError)
    notes = getattr(info.value, "__notes__", [])
    assert any("PythonBranch 'branchy'" in n for n in notes), notes


def test_eager_error_keeps_type_and_names_innermost_layer_once():
    class Outer(keras.layers.Layer):
        def __init__(self):
            super().__init__(name="outer")
            self.dense = keras.layers.Dense(2, name="inner_dense")
            self.dense.build((None, 4))

        def call(self, x):
            return self.dense(x)

    with pytest.raises(ValueError, match=r"Dense 'inner_dense' expected an input with last dimension 4") as info:
        Outer()(np.ones((2, 3)))
    notes = [n for n in getattr(info.value, "__notes__", []) if "Exception encountered" in n]
    assert notes == ["Exception encountered when calling Dense 'inner_dense' (received input shape (2, 3))."]


def test_exception_types_that_take_no_message_pass_through():
    class NoMessage(Exception):
        def __init__(self, code: int):
            super().__init__(code)
            self.code = code

    class Raiser(keras.layers.Layer):
        def call(self, x):
            raise NoMessage(7)

    with pytest.raises(NoMessage) as info:
        Raiser()(np.ones((1, 2)))
    assert info.value.code == 7
