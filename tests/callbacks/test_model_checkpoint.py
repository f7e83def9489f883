"""ModelCheckpoint: the files written are reloaded and evaluated."""

import numpy as np
import pytest

import nbkeras
from nbkeras import callbacks, layers

RNG = np.random.default_rng(1)
X = RNG.normal(size=(64, 3)).astype("float32")
Y = (X @ np.array([1.0, -1.0, 0.5], "float32"))[:, None]
VX, VY = X[:16], 0.3 * Y[:16] - 0.5  # val_loss falls, then rises


def make_model(seed=0):
    nbkeras.utils.set_random_seed(seed)
    model = nbkeras.Sequential([nbkeras.Input((3,)), layers.Dense(4), layers.Dense(1)])
    model.compile(nbkeras.optimizers.SGD(0.02), "mse", metrics=["mae"])
    return model


def test_save_best_only_with_template_reloads_and_evaluates(tmp_path):
    model = make_model()
    template = str(tmp_path / "ckpt" / "m-{epoch:02d}-{val_loss:.3f}.keras")
    cb = callbacks.ModelCheckpoint(template, save_best_only=True)
    best = callbacks.ModelCheckpoint(tmp_path / "best.keras", save_best_only=True)
    hist = model.fit(X, Y, epochs=12, batch_size=16, validation_data=(VX, VY), verbose=0,
                     callbacks=[cb, best])
    val = np.array(hist.history["val_loss"])
    improved = [i for i in range(len(val)) if val[i] < val[:i].min(initial=np.inf)]
    assert improved[-1] < len(val) - 1  # the sequence does get worse at the end
    names = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert names == [f"m-{i + 1:02d}-{val[i]:.3f}.keras" for i in improved]
    i = improved[-1]
    loaded = nbkeras.models.load_model(tmp_path / "best.keras")
    got = loaded.evaluate(VX, VY, verbose=0, return_dict=True)
    np.testing.assert_allclose(got["loss"], val[i], rtol=1e-5)
    loaded_i = nbkeras.models.load_model(tmp_path / "ckpt" / names[-1])
    np.testing.assert_allclose(loaded_i.predict(VX, verbose=0), loaded.predict(VX, verbose=0))


def test_save_weights_every_n_batches(tmp_path):
    model = make_model()
    captured = {}

    class Capture(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            captured[(self.epoch + 1, batch + 1)] = [np.array(w) for w in model.get_weights()]

    cb = callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch}-{batch}.weights.h5"),
                                   save_weights_only=True, save_freq=3)
    model.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0, callbacks=[cb, Capture()])
    # 4 batches per epoch; saves after every 3 batches seen: e1b3, e2b2.
    files = sorted(p.name for p in tmp_path.glob("*.weights.h5"))
    assert files == ["w-1-3.weights.h5", "w-2-2.weights.h5"]
    fresh = make_model(seed=5)
    fresh.load_weights(tmp_path / "w-2-2.weights.h5")
    for a, b in zip(fresh.get_weights(), captured[(2, 2)]):
        np.testing.assert_allclose(a, b, rtol=0, atol=0)


def test_batch_level_saves_read_logs_only_when_saving(tmp_path):
    cb = callbacks.ModelCheckpoint(tmp_path / "x.weights.h5", save_weights_only=True,
                                   save_freq=5)
    assert cb.implements("on_train_batch_end")  # batch-level saves: hook assigned
    assert not callbacks.ModelCheckpoint(tmp_path / "x.keras").implements("on_train_batch_end")


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="must end in `.weights.h5`.*Received: filepath=.*m.keras"):
        callbacks.ModelCheckpoint(tmp_path / "m.keras", save_weights_only=True)
    with pytest.raises(ValueError, match="must end in `.keras`.*legacy `.h5`"):
        callbacks.ModelCheckpoint(tmp_path / "m.h5")
    with pytest.raises(ValueError, match="Unrecognized save_freq: 'batch'"):
        callbacks.ModelCheckpoint(tmp_path / "m.keras", save_freq="batch")
    with pytest.raises(ValueError, match="mode='best'"):
        callbacks.ModelCheckpoint(tmp_path / "m.keras", mode="best")
    model = make_model()
    bad = callbacks.ModelCheckpoint(str(tmp_path / "m-{val_acc:.2f}.keras"))
    with pytest.raises(KeyError, match="'val_acc' is not a log key; available: .*'val_loss'"):
        model.fit(X, Y, epochs=1, validation_data=(VX, VY), verbose=0, callbacks=[bad])
