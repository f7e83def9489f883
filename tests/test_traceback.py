"""Errors raised through nbkeras's API carry the user's frames, not nbkeras's internals."""

import traceback

import numpy as np
import pytest

import nbkeras as keras
from nbkeras import _traceback


def _frames(exc):
    return traceback.extract_tb(exc.__traceback__)


def _internal(frames):
    return [f for f in frames if _traceback.is_internal(f.filename)]


class ShapeMismatch(keras.layers.Layer):
    def call(self, x):
        return x @ np.ones((7, 2), "float32")  # the input has 3 features, not 7


def _fit_with_bad_layer():
    model = keras.Sequential([keras.layers.Dense(3), ShapeMismatch()])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0)


@pytest.fixture
def filtering():
    yield
    keras.config.enable_traceback_filtering()


def test_shape_error_inside_fit_keeps_user_frames_and_one_internal(filtering):
    assert keras.config.is_traceback_filtering_enabled()
    with pytest.raises(TypeError, match="dot_general requires contracting dimensions") as info:
        _fit_with_bad_layer()
    frames = _frames(info.value)
    names = [f.name for f in frames]
    assert "_fit_with_bad_layer" in names and "call" in names  # the user's own code
    # only the re-raise of the outermost entry point is left of nbkeras
    assert [f.name for f in _internal(frames)] == ["entry_point"]
    text = "".join(traceback.format_exception(info.value))
    assert "ShapeMismatch" in text  # the note naming the layer is kept


def test_disable_traceback_filtering_shows_internal_frames(filtering):
    keras.config.disable_traceback_filtering()
    assert not keras.config.is_traceback_filtering_enabled()
    with pytest.raises(TypeError) as info:
        _fit_with_bad_layer()
    assert len(_internal(_frames(info.value))) >= 5


def test_eager_layer_error_is_filtered(filtering):
    layer = keras.layers.Dense(2)
    layer.build((None, 4))
    with pytest.raises(ValueError, match="expected an input with last dimension 4") as info:
        layer(np.ones((1, 3)))
    assert [f.name for f in _internal(_frames(info.value))] == ["entry_point"]
