"""Which hooks run (one rule: overridden on the class or assigned on the instance), and
what they receive (a mapping, never None, as in Keras)."""

from collections.abc import Mapping

import numpy as np

import nbkeras as keras
from nbkeras import callbacks, layers
from nbkeras.callbacks.base import CallbackList
from nbkeras.train.loop import LazyLogs

RNG = np.random.default_rng(4)
X = RNG.normal(size=(32, 3)).astype("float32")
Y = RNG.normal(size=(32, 1)).astype("float32")

HOOKS = [
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
]


def _model():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


class Everything(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = {}

    def _record(self, hook, logs):
        self.seen.setdefault(hook, []).append(logs)


for _hook in HOOKS:
    def _make(hook):
        if hook.endswith(("_begin", "_end")) and ("batch" in hook or "epoch" in hook):
            return lambda self, i, logs=None: self._record(hook, logs)
        return lambda self, logs=None: self._record(hook, logs)

    setattr(Everything, _hook, _make(_hook))


def test_every_hook_gets_a_mapping_never_none():
    model = _model()
    cb = Everything()
    model.fit(X, Y, batch_size=8, epochs=2, validation_data=(X, Y), verbose=0, callbacks=[cb])
    model.evaluate(X, Y, batch_size=8, verbose=0, callbacks=[cb])
    model.predict(X, batch_size=8, verbose=0, callbacks=[cb])
    assert sorted(cb.seen) == sorted(HOOKS)
    for hook, logs in cb.seen.items():
        assert all(isinstance(entry, Mapping) for entry in logs), hook
    assert len(cb.seen["on_train_batch_end"]) == 8
    assert cb.seen["on_train_batch_end"][0]["loss"] > 0
    assert set(cb.seen["on_epoch_end"][0]) == {"loss", "val_loss"}
    assert cb.seen["on_predict_batch_end"][0]["outputs"].shape == (8, 1)


def test_a_hook_assigned_on_the_instance_is_called():
    model = _model()
    cb = callbacks.Callback()
    calls = []
    cb.on_train_batch_end = lambda batch, logs=None: calls.append((batch, float(logs["loss"])))
    assert cb.implements("on_train_batch_end")
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0, callbacks=[cb])
    assert [c[0] for c in calls] == [0, 1, 2, 3] and all(c[1] > 0 for c in calls)


def test_on_batch_end_counts_for_train_batches_and_defaults_do_not():
    class Old(callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches = []

        def on_batch_end(self, batch, logs=None):
            self.batches.append(batch)

    old = Old()
    assert old.implements("on_train_batch_end") and not old.implements("on_test_batch_end")
    plain = callbacks.Callback()
    assert not any(plain.implements(h) for h in HOOKS)
    _model().fit(X, Y, batch_size=16, epochs=1, verbose=0, callbacks=[old])
    assert old.batches == [0, 1]
    cbs = CallbackList([plain, callbacks.History()])
    assert not cbs.implements("on_train_batch_end") and cbs.implements("on_epoch_end")


def test_callback_model_is_synced_mid_epoch():
    model = _model()
    w0 = model.get_weights()
    seen = []

    class Peek(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(self.model.get_weights()[0].copy())

    model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0, callbacks=[Peek()])
    ref = _model()
    ref.set_weights(w0)
    ref.train_on_batch(X[:8], Y[:8])
    np.testing.assert_allclose(seen[0], ref.get_weights()[0], rtol=1e-6)
    assert not np.allclose(seen[0], seen[1])


def test_lazy_logs_is_a_mapping_fetched_once():
    fetched = []
    logs = LazyLogs(lambda: fetched.append(1) or {"loss": 0.5})
    assert isinstance(logs, Mapping) and not fetched
    assert logs["loss"] == 0.5 and dict(logs) == {"loss": 0.5} and "loss" in logs
    assert logs.get("acc", 1.0) == 1.0 and len(logs) == 1
    logs["extra"] = 2.0
    assert sorted(logs) == ["extra", "loss"] and fetched == [1]
