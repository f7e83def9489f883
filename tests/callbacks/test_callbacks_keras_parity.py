"""Differential tests: nbkeras and Keras 3 callbacks driven by the same synthetic logs."""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

from nbkeras import callbacks as nbc  # noqa: E402


class FakeOptimizer:
    def __init__(self, lr):
        self.learning_rate = lr
        self.iterations = 0


class FakeModel:
    """Weights are [epoch number], so restored weights tell which epoch was kept."""

    def __init__(self, lr=0.1):
        self.stop_training = False
        self.optimizer = FakeOptimizer(lr)
        self.w = [np.array(-1.0)]
        self.restored = None

    def get_weights(self):
        return [w.copy() for w in self.w]

    def set_weights(self, ws):
        self.restored = float(ws[0])
        self.w = [np.asarray(w) for w in ws]


def drive(cb, values, key="val_loss", extra=None):
    """Run ``values`` as epoch logs; return (epochs run, model)."""
    model = FakeModel()
    cb.set_model(model)
    cb.set_params({"epochs": len(values), "steps": 1, "verbose": 0})
    cb.on_train_begin()
    ran = 0
    for epoch, v in enumerate(values):
        model.w = [np.array(float(epoch))]
        cb.on_epoch_begin(epoch)
        logs = {key: v, **(extra or {})}
        cb.on_epoch_end(epoch, logs)
        ran += 1
        if model.stop_training:
            break
    cb.on_train_end()
    return ran, model


LOSSES = [1.0, 0.8, 0.85, 0.7, 0.71, 0.72, 0.73, 0.69, 0.9, 0.95, 0.99, 1.2]
ACC = [0.5, 0.6, 0.58, 0.7, 0.69, 0.68, 0.71, 0.71, 0.7, 0.6, 0.5, 0.4]


@pytest.mark.parametrize(
    "kwargs,values,key",
    [
        ({"patience": 0}, LOSSES, "val_loss"),
        ({"patience": 2}, LOSSES, "val_loss"),
        ({"patience": 2, "restore_best_weights": True}, LOSSES, "val_loss"),
        ({"patience": 3, "min_delta": 0.05, "restore_best_weights": True}, LOSSES, "val_loss"),
        ({"patience": 2, "baseline": 0.75, "restore_best_weights": True}, LOSSES, "val_loss"),
        ({"patience": 1, "baseline": 0.5, "restore_best_weights": True}, LOSSES, "val_loss"),
        ({"patience": 1, "start_from_epoch": 4, "restore_best_weights": True}, LOSSES,
         "val_loss"),
        ({"patience": 2, "monitor": "val_accuracy", "mode": "max",
          "restore_best_weights": True}, ACC, "val_accuracy"),
        ({"patience": 2, "monitor": "val_accuracy", "mode": "min"}, ACC, "val_accuracy"),
        ({"patience": 20, "restore_best_weights": True}, LOSSES, "val_loss"),
    ],
)
def test_early_stopping_matches_keras(kwargs, values, key):
    ran_k, mk = drive(keras.callbacks.EarlyStopping(**kwargs), values, key)
    ran_n, mn = drive(nbc.EarlyStopping(**kwargs), values, key)
    assert ran_n == ran_k
    assert mn.restored == mk.restored


def test_auto_mode_infers_accuracy_is_maximized():
    # Keras reads the direction from compiled metric objects; nbkeras infers it by name.
    auto = drive(nbc.EarlyStopping(monitor="val_accuracy", patience=2,
                                   restore_best_weights=True), ACC, "val_accuracy")
    explicit = drive(keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max",
                                                   patience=2, restore_best_weights=True),
                     ACC, "val_accuracy")
    assert auto[0] == explicit[0] and auto[1].restored == explicit[1].restored


@pytest.mark.parametrize(
    "kwargs",
    [
        {"patience": 0, "factor": 0.5},
        {"patience": 1, "factor": 0.5, "cooldown": 2},
        {"patience": 2, "factor": 0.1, "min_lr": 0.002, "min_delta": 0.05},
        {"patience": 1, "factor": 0.5, "monitor": "loss", "mode": "max"},
    ],
)
def test_reduce_lr_schedule_matches_keras(kwargs):
    def lrs(cb):
        model = FakeModel(lr=0.1)
        cb.set_model(model)
        cb.on_train_begin()
        out = []
        for epoch, v in enumerate(LOSSES):
            logs = {"val_loss": v, "loss": v}
            cb.on_epoch_end(epoch, logs)
            out.append((float(model.optimizer.learning_rate), logs["learning_rate"]))
        return out

    expected = lrs(keras.callbacks.ReduceLROnPlateau(**kwargs))
    np.testing.assert_allclose(lrs(nbc.ReduceLROnPlateau(**kwargs)), expected, rtol=1e-7)
    assert expected[-1][0] < 0.1  # the schedule under test does reduce


@pytest.mark.parametrize("schedule", [lambda e: 0.1 / (e + 1), lambda e, lr: lr * 0.5])
def test_learning_rate_scheduler_matches_keras(schedule):
    def run(cb):
        model = FakeModel(lr=0.1)
        cb.set_model(model)
        out = []
        for epoch in range(4):
            cb.on_epoch_begin(epoch)
            logs = {"loss": 1.0}
            cb.on_epoch_end(epoch, logs)
            out.append(logs["learning_rate"])
        return out

    assert run(nbc.LearningRateScheduler(schedule)) == pytest.approx(
        run(keras.callbacks.LearningRateScheduler(schedule)))


@pytest.mark.parametrize("with_val", [True, False])
@pytest.mark.parametrize("separator", [",", ";"])
def test_csv_logger_file_matches_keras(tmp_path, with_val, separator):
    rows = [{"loss": 0.5 / (i + 1), "accuracy": 0.25 * i} for i in range(3)]
    if with_val:
        for i, r in enumerate(rows):
            r["val_loss"] = 0.6 / (i + 1)
            r["val_accuracy"] = 0.2 * i

    def write(cls, path, append=False, first_epoch=0):
        cb = cls(str(path), separator=separator, append=append)
        cb.set_model(FakeModel())
        cb.on_train_begin()
        for i, logs in enumerate(rows):
            cb.on_epoch_end(first_epoch + i, dict(logs))
        cb.on_train_end()
        return path.read_bytes()

    k, n = tmp_path / "k.csv", tmp_path / "n.csv"
    assert write(nbc.CSVLogger, n) == write(keras.callbacks.CSVLogger, k)
    # append=True: a second run adds rows without a second header
    assert write(nbc.CSVLogger, n, True, 3) == write(keras.callbacks.CSVLogger, k, True, 3)
    lines = n.read_text().splitlines()
    assert lines[0].split(separator)[0] == "epoch" and len(lines) == 7
    if not with_val:
        assert lines[1].endswith(f"{separator}NA{separator}NA")
