"""A custom layer that overrides ``compute_output_shape`` gets its symbolic outputs from it
(Keras's rule), so its ``call`` is not traced when a functional model is built."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402


def _host_layer(k):
    class HostSum(k.layers.Layer):
        """Sums features in NumPy (untraceable: np.asarray on a tracer fails)."""

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 1)

        def call(self, x):
            return k.ops.convert_to_tensor(np.asarray(x).sum(axis=-1, keepdims=True))

    return HostSum()


@pytest.mark.parametrize("k", [keras, nbkeras], ids=["keras", "nbkeras"])
def test_functional_output_comes_from_compute_output_shape(k):
    inputs = k.Input((4,))
    out = _host_layer(k)(inputs)
    assert tuple(out.shape) == (None, 1)
    assert str(out.dtype) == "float32"
    model = k.Model(inputs, out)
    assert model.output_shape == (None, 1)
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_allclose(np.asarray(model(x)), [[6.0], [22.0]])


def test_multiple_declared_outputs_and_a_bad_declaration():
    class Split(nbkeras.layers.Layer):
        def compute_output_shape(self, input_shape):
            return [(input_shape[0], 2), (input_shape[0], input_shape[1] - 2)]

        def call(self, x):
            return [x[:, :2], x[:, 2:]]

    a, b = Split()(nbkeras.Input((5,)))
    assert (a.shape, b.shape) == ((None, 2), (None, 3))

    class Bad(nbkeras.layers.Layer):
        def compute_output_shape(self, input_shape):
            return "two"

        def call(self, x):
            return x

    with pytest.raises(ValueError, match=r"Bad.compute_output_shape returned 'two'; expected a shape"):
        Bad()(nbkeras.Input((5,)))


def test_builtin_layers_are_still_traced():
    # nbkeras's own layers (and subclasses that don't override it) keep exact inference.
    class MyDense(nbkeras.layers.Dense):
        pass

    out = MyDense(3)(nbkeras.Input((4,)))
    assert out.shape == (None, 3)
