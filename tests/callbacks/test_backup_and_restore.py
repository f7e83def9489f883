"""BackupAndRestore: a run killed with SIGKILL and restarted ends where an uninterrupted run ends."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nbkeras
from nbkeras import callbacks, layers

SCRIPT = textwrap.dedent(
    """
    import json, os, signal, sys
    import numpy as np
    import nbkeras
    from nbkeras import callbacks, layers

    backup, out, kill_epoch, kill_batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    nbkeras.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 5)).astype("float32")
    y = np.tanh(x @ rng.normal(size=(5, 2))).astype("float32")
    model = nbkeras.Sequential([nbkeras.Input((5,)), layers.Dense(16, activation="relu"),
                                layers.Dense(2)])
    model.compile(nbkeras.optimizers.Adam(0.01), "mse", metrics=["mae"])

    class Killer(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == kill_epoch and batch == kill_batch:
                os.kill(os.getpid(), signal.SIGKILL)

    cbs = [callbacks.BackupAndRestore(backup, delete_checkpoint=False)]
    if kill_epoch >= 0:
        cbs.append(Killer())
    hist = model.fit(x, y, batch_size=16, epochs=6, validation_split=0.2, shuffle=True,
                     verbose=0, callbacks=cbs)
    np.savez(out, *model.get_weights())
    with open(out + ".json", "w") as f:
        json.dump({"epochs": hist.epoch, "history": hist.history,
                   "iterations": model.optimizer.iterations}, f)
    """
)


def start(tmp_path, name, backup, kill_epoch=-1, kill_batch=-1):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    out = str(tmp_path / f"{name}.npz")
    env = {**os.environ, "TMPDIR": str(tmp_path), "JAX_PLATFORMS": "cpu"}
    proc = subprocess.Popen([sys.executable, str(script), str(backup), out, str(kill_epoch),
                             str(kill_batch)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    return proc, out


def finish(proc):
    try:
        _, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


def load(out):
    with np.load(out) as z:
        weights = [z[k] for k in sorted(z.files, key=lambda k: int(k.split("_")[1]))]
    with open(out + ".json") as f:
        return weights, json.load(f)


def test_sigkill_mid_training_then_resume_matches_uninterrupted_run(tmp_path):
    backup = tmp_path / "backup"
    ref, ref_out = start(tmp_path, "reference", tmp_path / "ref_backup")  # in parallel
    killed, _ = start(tmp_path, "killed", backup, kill_epoch=3, kill_batch=2)
    code, err = finish(killed)
    assert code == -signal.SIGKILL, err
    meta = json.loads((backup / "training_metadata.json").read_text())
    assert meta["epoch"] == 3  # epochs 0, 1, 2 finished and backed up
    code, err = finish(start(tmp_path, "resumed", backup)[0])
    assert code == 0, err
    resumed_out = str(tmp_path / "resumed.npz")
    code, err = finish(ref)
    assert code == 0, err

    ref_w, ref = load(ref_out)
    res_w, res = load(resumed_out)
    assert res["epochs"] == [3, 4, 5]
    assert res["iterations"] == ref["iterations"] == 6 * 4
    for key, values in res["history"].items():
        np.testing.assert_allclose(values, ref["history"][key][3:], rtol=0, atol=1e-6)
    for a, b in zip(res_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def _model():
    nbkeras.utils.set_random_seed(2)
    model = nbkeras.Sequential([nbkeras.Input((3,)), layers.Dense(2)])
    model.compile("adam", "mse")
    return model


def test_backup_files_are_published_atomically_and_deleted_at_the_end(tmp_path):
    x = np.ones((8, 3), "float32")
    y = np.zeros((8, 2), "float32")
    seen = []
    spy = callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: seen.append(sorted(os.listdir(tmp_path / "b")))
    )
    model = _model()
    model.fit(x, y, epochs=3, verbose=0, callbacks=[
        callbacks.BackupAndRestore(tmp_path / "b", double_checkpoint=True), spy])
    assert seen[0] == ["backup-000001.weights.h5", "training_metadata.json"]
    assert seen[2] == ["backup-000002.weights.h5", "backup-000003.weights.h5",
                       "training_metadata.json", "training_metadata.json.bkp"]
    assert not (tmp_path / "b").exists()  # delete_checkpoint=True


def test_corrupt_latest_backup_falls_back_to_previous(tmp_path):
    x = np.ones((8, 3), "float32")
    y = np.zeros((8, 2), "float32")
    model = _model()
    b = tmp_path / "b"
    model.fit(x, y, epochs=2, verbose=0, callbacks=[
        callbacks.BackupAndRestore(b, double_checkpoint=True, delete_checkpoint=False)])
    (b / "backup-000002.weights.h5").write_bytes(b"garbage")
    hist = _model().fit(x, y, epochs=3, verbose=0, callbacks=[
        callbacks.BackupAndRestore(b, double_checkpoint=True, delete_checkpoint=False)])
    assert hist.epoch == [1, 2]  # resumed from the epoch-1 backup
    (b / "training_metadata.json.bkp").unlink()
    (b / "training_metadata.json").write_text('{"epoch": 1, "weights": "missing.weights.h5"}')
    with pytest.raises(ValueError, match="could not restore from .*Delete the directory"):
        _model().fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(b)])


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq=0"):
        callbacks.BackupAndRestore(tmp_path, save_freq=0)
