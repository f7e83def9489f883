"""``FitControl`` and the public ``TrainingState`` API: stop, pause and a new learning
rate from a second thread take effect within one dispatch, without recompiling."""

import sys
import threading

import numpy as np
import pytest

import nbkeras as keras
from nbkeras import layers
from nbkeras.train import FitControl, TrainingState

RNG = np.random.default_rng(7)
X = RNG.normal(size=(64, 4)).astype("float32")
Y = (X @ RNG.normal(size=(4, 1))).astype("float32")
BATCH = 8  # 8 steps per epoch


def _model(lr=0.05, weights=None, spe=1):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    if weights is not None:
        model.set_weights(weights)
    model.compile(keras.optimizers.SGD(lr), "mse", steps_per_execution=spe)
    return model


class _AtBatch(keras.callbacks.Callback):
    """At batch ``at`` of epoch ``epoch``, run ``action`` on a second thread and wait.

    The loop thread waits until the other thread has flipped the control, so the
    flip lands exactly between two dispatches (no timing involved).
    """

    def __init__(self, at, action, epoch=0):
        super().__init__()
        self.at, self.epoch_at, self.action = at, epoch, action
        self.batches = []
        self.train_end = False
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append((self._epoch, batch))
        if (self._epoch, batch) == (self.epoch_at, self.at):
            t = threading.Thread(target=self.action)
            t.start()
            t.join()

    def on_train_end(self, logs=None):
        self.train_end = True


def _reference(weights, steps, lr=0.05):
    """Weights after ``steps`` plain SGD steps on the first batches (shuffle=False)."""
    ref = _model(lr, weights)
    ref.fit(X[: steps * BATCH], Y[: steps * BATCH], batch_size=BATCH, shuffle=False, verbose=0)
    return ref.get_weights()


def test_training_state_is_public_and_none_before_compile():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    assert model.training_state is None
    model.compile("sgd", "mse")
    ts = model.training_state
    assert isinstance(ts, TrainingState)
    assert isinstance(ts.control, FitControl)
    assert ts.is_live is False
    assert ts.trace_counts == {"train": 0, "eval": 0, "predict": 0}


def test_request_stop_from_another_thread_ends_after_the_current_dispatch():
    model = _model()
    w0 = model.get_weights()
    ctl = FitControl()
    cb = _AtBatch(3, ctl.request_stop)
    hist = model.fit(X, Y, batch_size=BATCH, epochs=5, shuffle=False, verbose=0,
                     callbacks=[cb], control=ctl)
    assert cb.batches == [(0, 0), (0, 1), (0, 2), (0, 3)]  # no dispatch after the stop
    assert cb.train_end
    assert len(hist.history["loss"]) == 1  # on_epoch_end ran for the partial epoch
    assert model.training_state.control is ctl and ctl.stop_requested
    assert not model.training_state.is_live
    for a, b in zip(model.get_weights(), _reference(w0, 4)):  # the 4 steps were synced
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # A new fit clears the stop request and trains normally.
    hist = model.fit(X, Y, batch_size=BATCH, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2 and not ctl.stop_requested


def test_training_state_request_stop_with_fused_dispatches():
    model = _model(spe=4)  # dispatches of 4 steps: batch ends 3 and 7
    ts = model.training_state
    cb = _AtBatch(3, ts.request_stop)
    model.fit(X, Y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0, callbacks=[cb])
    assert cb.batches == [(0, 3)]


def _loop_thread_is_waiting(ident) -> bool:
    frame = sys._current_frames()[ident]
    names = []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return names[:2] == ["wait", "_wait_if_paused"]


def test_pause_blocks_without_spinning_and_resume_gives_identical_results():
    w0 = _model().get_weights()
    ref = _model(weights=w0)
    h_ref = ref.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    model = _model(weights=w0)
    ctl = FitControl()
    seen_while_paused = []

    loop_thread = threading.get_ident()  # fit runs on this thread

    def pause_then_resume():
        ctl.pause()

        def watcher():  # runs while the loop thread is blocked
            try:
                for _ in range(2000):
                    if _loop_thread_is_waiting(loop_thread):
                        break
                    threading.Event().wait(0.005)
                seen_while_paused.append((_loop_thread_is_waiting(loop_thread), len(cb.batches)))
                threading.Event().wait(0.05)
                seen_while_paused.append((_loop_thread_is_waiting(loop_thread), len(cb.batches)))
                seen_while_paused.append(ctl.paused)
            finally:
                ctl.resume()  # never leave the fit blocked, even if something failed

        threading.Thread(target=watcher, daemon=True).start()

    cb = _AtBatch(2, pause_then_resume, epoch=1)
    hist = model.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                     callbacks=[cb], control=ctl)
    # The loop sat in Condition.wait (no busy loop) and ran no step while paused.
    assert seen_while_paused == [(True, 11), (True, 11), True]
    assert not ctl.paused
    np.testing.assert_allclose(hist.history["loss"], h_ref.history["loss"], rtol=1e-6)
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_stop_ends_a_pause():
    model = _model()
    ctl = FitControl()

    def pause_and_stop_later():
        ctl.pause()
        threading.Timer(0.05, ctl.request_stop).start()

    cb = _AtBatch(1, pause_and_stop_later)
    model.fit(X, Y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[cb], control=ctl)
    assert cb.batches == [(0, 0), (0, 1)] and cb.train_end


def test_set_learning_rate_applies_at_the_next_dispatch_without_recompiling():
    model = _model(lr=0.05)
    w0 = model.get_weights()
    ts = model.training_state
    weights = {}

    class Snap(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            weights[batch] = [w.copy() for w in self.model.get_weights()]

    ctl = FitControl()
    cb = _AtBatch(2, lambda: ctl.set_learning_rate(0.0))
    hist = model.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                     callbacks=[cb, Snap()], control=ctl)
    # Steps 0-2 used 0.05, every step after the boundary used 0.0: weights frozen.
    for a, b in zip(weights[2], _reference(w0, 3)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not np.allclose(weights[2][0], w0[0])
    for a, b in zip(model.get_weights(), weights[2]):
        np.testing.assert_array_equal(a, b)
    assert ts.trace_counts["train"] == 1  # the new rate did not recompile the step
    assert ts.learning_rate == 0.0 and ctl.learning_rate == 0.0
    assert float(ts.optimizer_state.learning_rate) == 0.0
    assert hist.history["learning_rate"] == [0.0, 0.0]
    assert len(hist.history["learning_rate"]) == len(hist.history["loss"])


def test_history_learning_rate_is_backfilled_for_earlier_epochs():
    model = _model(lr=0.05)
    ctl = FitControl()
    cb = _AtBatch(0, lambda: ctl.set_learning_rate(0.01), epoch=1)
    hist = model.fit(X, Y, batch_size=BATCH, epochs=3, verbose=0, callbacks=[cb], control=ctl)
    assert hist.history["learning_rate"] == pytest.approx([0.05, 0.01, 0.01])
    hist = model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0)
    assert "learning_rate" not in hist.history  # unchanged in this fit: Keras's keys only


def test_set_learning_rate_with_a_schedule_sets_a_multiplier():
    sched = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.9)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(keras.optimizers.SGD(sched), "mse")
    ts = model.training_state
    model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0)  # 8 steps
    assert ts.learning_rate == pytest.approx(0.1 * 0.9**8, rel=1e-5)
    ctl = ts.control
    cb = _AtBatch(1, lambda: ctl.set_learning_rate(0.02))
    model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0, callbacks=[cb])
    # Steps 8, 9 follow the schedule; at step 10 the rate is 0.02, then it decays on.
    assert ts.learning_rate == pytest.approx(0.02 * 0.9**6, rel=1e-5)
    last_used = float(ts.optimizer_state.learning_rate)
    assert last_used == pytest.approx(0.02 * 0.9**5, rel=1e-5)
    assert ts.trace_counts["train"] == 1
    ts.set_learning_rate(0.5)  # between fits: applied at once
    assert ts.learning_rate == pytest.approx(0.5, rel=1e-5)


def test_set_learning_rate_between_fits_is_used_by_the_next_fit():
    model = _model(lr=0.05)
    model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0)
    model.training_state.set_learning_rate(0.0)
    w = model.get_weights()
    model.fit(X, Y, batch_size=BATCH, epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), w):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.learning_rate == 0.0


def test_control_validates_its_input():
    ctl = FitControl()
    with pytest.raises(TypeError, match=r"expects a float, received 'fast'"):
        ctl.set_learning_rate("fast")
    with pytest.raises(ValueError, match=r"finite, non-negative float, received -1.0"):
        ctl.set_learning_rate(-1.0)
    model = _model()
    with pytest.raises(TypeError, match=r"control must be an nbkeras.train.FitControl"):
        model.fit(X, Y, verbose=0, control="stop")
    with pytest.raises(ValueError, match=r"non-negative epoch, received -2"):
        model.training_state.resume(-2)


def test_sync_and_reload_are_noops_outside_fit_and_work_inside():
    model = _model()
    ts = model.training_state
    ts.sync_to_model()  # nothing to do before a fit
    ts.reload_from_model()
    zeros = [np.zeros_like(w) for w in model.get_weights()]

    class Reset(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                assert self.model.training_state.is_live
                self.model.set_weights(zeros)
                self.model.training_state.reload_from_model()

    seen = []

    class Check(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.training_state.sync_to_model()
                seen.append([w.copy() for w in self.model.get_weights()])

    model.fit(X, Y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[Reset(), Check()])
    for a in seen[0]:
        np.testing.assert_array_equal(a, 0.0)


def test_stop_requested_at_an_epoch_end_logs_no_empty_epoch():
    model = _model()
    ctl = FitControl()

    class StopAtEpochEnd(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                threading.Thread(target=ctl.request_stop).start()
                while not ctl.stop_requested:
                    threading.Event().wait(0.001)

    hist = model.fit(X, Y, batch_size=BATCH, epochs=5, verbose=0, control=ctl,
                     callbacks=[StopAtEpochEnd()])
    assert hist.epoch == [0, 1] and len(hist.history["loss"]) == 2
    assert all(np.isfinite(hist.history["loss"]))
