"""fit warns (once) where the loss became NaN/Inf, without a host sync per step."""

import warnings

import numpy as np
import pytest

import nbkeras as keras
from nbkeras import callbacks, layers
from nbkeras.train.nonfinite import NonFiniteLossWarning

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 4)).astype("float32")
Y = RNG.normal(size=(64, 1)).astype("float32")


def _model(lr=0.01):
    m = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    m.compile(keras.optimizers.SGD(lr), "mse")
    return m


def test_nan_in_inputs_is_named_with_the_epoch():
    x = X.copy()
    x[20, 1] = np.nan
    # The step is named when batch logs were fetched anyway, else the epoch's mean is.
    with pytest.warns(NonFiniteLossWarning, match=(
        r"training loss became nan at epoch 1(, step 2;| \(the epoch's mean; pass "
        r"callbacks=\[nbkeras.callbacks.TerminateOnNaN\(\)\]).*"
        r"already holds NaN/Inf: x at sample 20"
    )) as record:
        history = _model().fit(x, Y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    assert len([w for w in record if w.category is NonFiniteLossWarning]) == 1  # once per fit
    assert np.isnan(history.history["loss"]).all()


def test_step_is_named_when_batch_logs_were_read():
    x = X.copy()
    x[20] = np.inf
    with pytest.warns(NonFiniteLossWarning, match=r"at epoch 1, step 2;.*x at sample 20"):
        _model().fit(x, Y, epochs=1, batch_size=16, shuffle=False, verbose=0,
                     callbacks=[callbacks.TerminateOnNaN()])


def test_divergence_with_clean_inputs():
    with pytest.warns(NonFiniteLossWarning, match=r"inputs x hold no NaN/Inf.*learning rate"):
        _model(lr=1e30).fit(X * 1e10, Y, epochs=3, batch_size=16, verbose=0)


def test_finite_training_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", NonFiniteLossWarning)
        _model().fit(X, Y, epochs=2, batch_size=16, verbose=0)
