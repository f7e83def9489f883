"""Callbacks inside real ``fit`` runs: files written, weights restored, rates applied."""

import csv

import numpy as np
import pytest

import nbkeras
from nbkeras import callbacks, layers
from nbkeras.callbacks.base import CallbackList
from nbkeras.train import loop as _loop

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 3)).astype("float32")
Y = (X @ np.array([1.0, -1.0, 0.5], "float32"))[:, None]


def make_model(lr=0.05, seed=0):
    nbkeras.utils.set_random_seed(seed)
    model = nbkeras.Sequential([nbkeras.Input((3,)), layers.Dense(4), layers.Dense(1)])
    model.compile(nbkeras.optimizers.SGD(lr), "mse", metrics=["mae"])
    return model


def snapshots():
    store = {}
    cb = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: store.__setitem__(
            epoch, [np.array(w, copy=True) for w in cb.model.get_weights()]
        )
    )
    return cb, store


def test_early_stopping_restores_best_epoch_weights():
    # Validating against the negated target: val_loss falls, then rises as the fit improves.
    model = make_model(lr=0.02)
    snap, store = snapshots()
    es = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    vx, vy = X[:16], 0.3 * Y[:16] - 0.5
    hist = model.fit(X, Y, epochs=30, batch_size=16, validation_data=(vx, vy), verbose=0,
                     callbacks=[snap, es])
    val = hist.history["val_loss"]
    best = int(np.argmin(val))
    assert len(val) < 30 and len(val) == best + 3  # stopped `patience` epochs after the best
    assert es.best_epoch == best
    for got, want in zip(model.get_weights(), store[best]):
        np.testing.assert_array_equal(got, want)
    assert not np.allclose(model.get_weights()[0], store[len(val) - 1][0])
    np.testing.assert_allclose(model.evaluate(vx, vy, verbose=0, return_dict=True)["loss"],
                               val[best], rtol=1e-5)


def test_reduce_lr_on_plateau_changes_the_optimizer_state():
    model = make_model(lr=0.05)
    seen = []  # the rate inside the optimizer state that the epoch's steps used
    spy = callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: seen.append(float(model.training_state.optimizer_state.learning_rate))
    )
    # min_delta so large that nothing counts as improvement: halve the rate every epoch.
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=100)
    hist = model.fit(X, Y, epochs=4, batch_size=16, verbose=0, callbacks=[spy, cb])
    # Keras logs the rate in use during the epoch, then reduces it for the next one.
    np.testing.assert_allclose(hist.history["learning_rate"], [0.05, 0.05, 0.025, 0.0125],
                               rtol=1e-6)
    np.testing.assert_allclose(seen, [0.05, 0.05, 0.025, 0.0125], rtol=1e-6)
    assert model.optimizer.learning_rate == pytest.approx(0.00625)
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0)  # the next steps use the new rate
    assert float(model.training_state.optimizer_state.learning_rate) == pytest.approx(0.00625)


def test_rate_zero_from_a_callback_freezes_training():
    model = make_model(lr=0.05)
    snap, store = snapshots()
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: 0.05 if epoch == 0 else 0.0)
    hist = model.fit(X, Y, epochs=3, batch_size=16, verbose=0, callbacks=[sched, snap])
    assert hist.history["learning_rate"] == pytest.approx([0.05, 0.0, 0.0])
    assert float(model.training_state.optimizer_state.learning_rate) == 0.0
    assert not np.allclose(store[0][0], make_model().get_weights()[0])
    for a, b in zip(store[0], store[2]):
        np.testing.assert_array_equal(a, b)  # no update once the rate seen by optax is 0


def test_reduce_lr_factor_zero_freezes_training():
    model = make_model(lr=0.05)
    snap, store = snapshots()
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.0, patience=0, min_delta=100)
    model.fit(X, Y, epochs=3, batch_size=16, verbose=0, callbacks=[cb, snap])
    for a, b in zip(store[1], store[2]):
        np.testing.assert_array_equal(a, b)


def test_csv_logger_rows_match_history_and_append(tmp_path):
    path = tmp_path / "sub" / "log.csv"
    model = make_model()
    hist = model.fit(X, Y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                     callbacks=[callbacks.CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    for key in ("loss", "mae", "val_loss", "val_mae"):
        np.testing.assert_allclose([float(r[key]) for r in rows], hist.history[key])
    model.fit(X, Y, epochs=5, initial_epoch=3, batch_size=16, validation_split=0.25, verbose=0,
              callbacks=[callbacks.CSVLogger(path, append=True)])
    lines = path.read_text().splitlines()
    assert len(lines) == 6 and lines.count(lines[0]) == 1
    assert [ln.split(",")[0] for ln in lines[1:]] == ["0", "1", "2", "3", "4"]
    assert not list(tmp_path.joinpath("sub").glob(".*tmp"))  # atomic writes leave no temp


def test_terminate_on_nan_stops_within_the_epoch():
    x = X.copy()
    x[20] = np.nan  # second batch of the first epoch (no shuffle)
    model = make_model()
    hist = model.fit(x, Y, epochs=3, batch_size=16, shuffle=False, verbose=0,
                     callbacks=[callbacks.TerminateOnNaN()])
    assert len(hist.history["loss"]) == 1 and np.isnan(hist.history["loss"][0])
    assert model.optimizer.iterations == 2  # stopped after the NaN batch, not at epoch end
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1"):
        make_model().fit(x, Y, epochs=1, batch_size=16, shuffle=False, verbose=0,
                         callbacks=[callbacks.TerminateOnNaN(raise_error=True)])


def test_lambda_callback_hooks_receive_logs():
    calls = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append("begin"),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch", epoch, sorted(logs))),
        on_train_batch_end=lambda batch, logs: calls.append(("batch", batch, "loss" in logs)),
        on_train_end=lambda logs: calls.append("end"),
    )
    make_model().fit(X, Y, epochs=2, batch_size=32, verbose=0, callbacks=[cb])
    assert calls == ["begin", ("batch", 0, True), ("batch", 1, True),
                     ("epoch", 0, ["loss", "mae"]), ("batch", 0, True), ("batch", 1, True),
                     ("epoch", 1, ["loss", "mae"]), "end"]


def test_epoch_level_callbacks_keep_async_dispatch(tmp_path, monkeypatch):
    quiet = [
        callbacks.EarlyStopping(monitor="loss", patience=5),
        callbacks.ReduceLROnPlateau(monitor="loss"),
        callbacks.LearningRateScheduler(lambda e, lr: lr),
        callbacks.CSVLogger(tmp_path / "a.csv"),
        callbacks.TensorBoard(tmp_path / "tb"),
        callbacks.TensorBoard(tmp_path / "tb2", update_freq=3),
        callbacks.TerminateOnNaN(check_freq=4),
    ]
    assert not CallbackList(quiet[:5]).implements("on_train_batch_end")  # epoch-level only
    assert CallbackList(quiet[5:6]).implements("on_train_batch_end")  # update_freq=3
    assert CallbackList([callbacks.LambdaCallback(on_train_batch_end=print)]).implements(
        "on_train_batch_end"
    )
    # Count host fetches of batch logs: TensorBoard(update_freq=3) reads every 3rd batch,
    # TerminateOnNaN(check_freq=4) every 4th; 8 batches -> 2 + 2 (batch 3 and 6; 4 and 8).
    fetches = []
    real = _loop.to_python_logs
    monkeypatch.setattr(_loop, "to_python_logs", lambda logs: fetches.append(1) or real(logs))
    make_model().fit(X, Y, epochs=2, batch_size=16, verbose=0, callbacks=quiet)
    epoch_fetches = 2
    assert len(fetches) == epoch_fetches + 4


def test_bad_arguments_raise_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="mode='sideways'.*expected one of"):
        callbacks.EarlyStopping(mode="sideways")
    with pytest.raises(ValueError, match="`patience` to be an integer >= 0, received -1"):
        callbacks.EarlyStopping(patience=-1)
    with pytest.raises(TypeError, match="`monitor` to be a log key"):
        callbacks.EarlyStopping(monitor=3)
    with pytest.raises(ValueError, match="factor >= 1.0.*Received factor=1.5"):
        callbacks.ReduceLROnPlateau(factor=1.5)
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['epsilon'\\]"):
        callbacks.ReduceLROnPlateau(epsilon=1e-3)
    with pytest.raises(TypeError, match="`schedule` to be a function"):
        callbacks.LearningRateScheduler(0.1)
    with pytest.raises(ValueError, match="single character"):
        callbacks.CSVLogger(tmp_path / "x.csv", separator=", ")
    with pytest.raises(ValueError, match="is a directory"):
        callbacks.CSVLogger(tmp_path)
    with pytest.raises(TypeError, match="unexpected keyword argument 'on_epoch_ends'"):
        callbacks.LambdaCallback(on_epoch_ends=print)
    with pytest.raises(ValueError, match="`check_freq` to be an integer >= 1"):
        callbacks.TerminateOnNaN(check_freq=0)
    with pytest.raises(ValueError, match="update_freq.*received 'step'"):
        callbacks.TensorBoard(tmp_path, update_freq="step")
    with pytest.raises(TypeError, match="`hparams` to be a dict"):
        callbacks.TensorBoard(tmp_path, hparams=[("lr", 0.1)])


def test_bad_values_during_fit_raise_clear_errors():
    model = make_model()
    with pytest.raises(ValueError, match="should be a float. Got: 'fast'"):
        model.fit(X, Y, epochs=1, verbose=0,
                  callbacks=[callbacks.LearningRateScheduler(lambda e: "fast")])
    with pytest.raises(ValueError, match="monitor='val_wobble'.*mode='max'"):
        model.fit(X, Y, epochs=1, verbose=0,
                  callbacks=[callbacks.EarlyStopping(monitor="val_wobble")])
    with pytest.warns(UserWarning, match="Early stopping conditioned on metric `val_loss`"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.EarlyStopping()])
