"""What each callback hook receives as ``logs`` (a dict, and which keys), nbkeras vs Keras 3,
for fit (with validation), evaluate and predict."""

import os
from collections.abc import Mapping

os.environ["KERAS_BACKEND"] = "jax"

import keras as real_keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402

HOOKS = [
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_test_begin",
    "on_test_end", "on_predict_begin", "on_predict_end", "on_train_batch_begin",
    "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
]  # fmt: skip


def _record(k):
    seen = {}

    class Recorder(k.callbacks.Callback):
        pass

    for hook in HOOKS:
        def method(self, *args, _hook=hook, logs=None):
            if args and not isinstance(args[-1], int):
                logs = args[-1]
            kind = ("mapping", sorted(logs)) if isinstance(logs, Mapping) else (repr(logs), None)
            seen.setdefault(_hook, kind)
        setattr(Recorder, hook, method)

    inputs = k.Input((4,))
    model = k.Model(inputs, k.layers.Dense(1)(inputs))
    model.compile("sgd", "mse", metrics=["mae"])
    x, y = np.ones((8, 4), "float32"), np.ones((8, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, validation_data=(x, y),
              callbacks=[Recorder()])
    model.evaluate(x, y, verbose=0, callbacks=[Recorder()])
    model.predict(x, verbose=0, callbacks=[Recorder()])
    return seen


@pytest.fixture(scope="module")
def seen():
    return _record(nbkeras), _record(real_keras)


EMPTY = [h for h in HOOKS if "begin" in h] + ["on_predict_end"]  # Keras passes {}


@pytest.mark.parametrize("hook", [h for h in HOOKS if h not in EMPTY])
def test_end_hooks_get_the_same_logs_as_keras(seen, hook):
    ours, theirs = seen
    assert ours[hook] == theirs[hook]


@pytest.mark.parametrize("hook", EMPTY)
def test_begin_hooks_get_a_dict_like_keras(seen, hook):
    ours, theirs = seen
    assert ours[hook] == theirs[hook]


def _fit_hook_order(k):
    calls = []

    class Recorder(k.callbacks.Callback):
        pass

    for hook in HOOKS:
        def method(self, *args, _hook=hook, logs=None):
            logs = args[-1] if args and not isinstance(args[-1], int) else logs
            calls.append((_hook, sorted(logs) if isinstance(logs, Mapping) else None))
        setattr(Recorder, hook, method)

    model = k.Sequential([k.Input((4,)), k.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    x, y = np.ones((8, 4), "float32"), np.ones((8, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_data=(x, y),
              callbacks=[Recorder()])
    return calls


def test_fit_validation_calls_the_test_hooks_like_keras():
    """Keras's fit validates through evaluate with the same callbacks: on_test_begin,
    on_test_batch_begin/end and on_test_end run inside every epoch, with the same logs."""
    ours, theirs = _fit_hook_order(nbkeras), _fit_hook_order(real_keras)
    assert ("on_test_end", ["loss", "mae"]) in ours
    assert ours == theirs
