"""A learning rate set from a callback each epoch changes a value in the optimizer state:
the step is neither traced, lowered nor compiled (or loaded from the cache) again."""

import numpy as np
import optax
import pytest

import nbkeras as keras
from nbkeras.train import compile_stats


class _SetLR(keras.callbacks.Callback):
    """Sets a new learning rate at every epoch begin; watches epochs 1.. for compiles."""

    def __init__(self, setter):
        super().__init__()
        self.setter = setter
        self.watch = None
        self.compiled = None

    def on_epoch_begin(self, epoch, logs=None):
        self.setter(self.model, 0.01 * 0.5 ** epoch)
        if epoch == 1:  # epoch 0 compiled the step; later epochs must not
            self.watch = compile_stats.Watch().__enter__()

    def on_train_end(self, logs=None):
        self.watch.__exit__(None, None, None)
        self.compiled = self.watch.result


def _attr(model, lr):
    model.optimizer.learning_rate = lr


def _control(model, lr):
    model.training_state.set_learning_rate(lr)


@pytest.mark.parametrize("optimizer, setter", [
    (lambda: keras.optimizers.Adam(0.01), _attr),
    (lambda: keras.optimizers.SGD(0.01, momentum=0.9), _control),
    (lambda: keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9)),
     _control),
    (lambda: optax.inject_hyperparams(optax.adam)(learning_rate=0.01), _attr),
], ids=["adam-attribute", "sgd-set_learning_rate", "schedule-multiplier", "optax-inject"])
def test_setting_the_learning_rate_each_epoch_compiles_nothing(optimizer, setter):
    rng = np.random.default_rng(0)
    x = rng.random((48, 5), dtype=np.float32)
    y = rng.integers(0, 3, 48).astype(np.int32)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer(), "sparse_categorical_crossentropy", metrics=["accuracy"])
    cb = _SetLR(setter)
    hist = model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[cb])
    assert cb.compiled is None, f"epochs 1-2 compiled or loaded executables: {cb.compiled}"
    assert model.training_state.trace_counts["train"] == 1
    # (a schedule keeps decaying after the last set: its rate is near, not at, 0.0025)
    assert model.training_state.learning_rate == pytest.approx(0.0025, rel=0.05)
    assert np.isfinite(hist.history["loss"]).all()
