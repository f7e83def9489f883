"""Distribution on 8 simulated CPU devices, and on 2 processes x 4 devices.

The suite itself keeps 1 device: the checks run in subprocesses started once per
module (``_eight_devices.py`` with ``JAX_NUM_CPU_DEVICES=8``; two ``_process_worker.py``
joined by ``jax.distributed`` on 127.0.0.1), and the tests read what they wrote.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RTOL = 1e-5


def _env(devices: int) -> dict:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.pop("XLA_FLAGS", None)
    env.update(JAX_PLATFORMS="cpu", JAX_NUM_CPU_DEVICES=str(devices), KERAS_BACKEND="jax",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]))
    return env


def _fail(what, proc_out):
    pytest.fail(f"{what} failed:\n{proc_out[-6000:]}")


@pytest.fixture(scope="module")
def eight(tmp_path_factory):
    out = tmp_path_factory.mktemp("eight")
    proc = subprocess.run([sys.executable, str(HERE / "_eight_devices.py"), str(out)],
                          env=_env(8), capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        _fail("_eight_devices.py", proc.stdout + proc.stderr)
    return out, json.loads((out / "results.json").read_text())


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    out = tmp_path_factory.mktemp("procs")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [subprocess.Popen([sys.executable, str(HERE / "_process_worker.py"), str(i),
                               str(port), str(out)], env=_env(4), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for i in range(2)]
    logs = []
    try:
        for p in procs:
            logs.append(p.communicate(timeout=600)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, log in zip(procs, logs):
        if p.returncode != 0:
            _fail("_process_worker.py", log)
    return out


def test_subprocess_sees_eight_devices(eight):
    assert eight[1]["device_count"] == 8


def test_data_parallel_fit_equals_one_device(eight):
    r = eight[1]["dp"]  # partial last batch, BatchNormalization and Dropout
    assert r["history_keys"][0] == r["history_keys"][1] == [
        "accuracy", "loss", "val_accuracy", "val_loss"]
    assert r["history_rel"] < RTOL
    assert r["weights_abs"] < 1e-6 and r["predict_abs"] < 1e-6 and r["eval_rel"] < RTOL
    assert r["kernel_devices"] == 8  # replicated on the whole mesh, not on one device
    assert r["trace_counts"] == {"train": 1, "eval": 1, "predict": 1}
    assert r["loss"][1] < r["loss"][0]


def test_batches_not_divisible_by_devices_are_padded_not_dropped(eight):
    r = eight[1]["odd_batch"]  # batch 12 (and 7, 5) on 8 devices, arrays and a generator
    assert r["history_rel"] < RTOL and r["generator_rel"] < RTOL and r["eval_rel"] < RTOL
    assert r["weights_abs"] < 1e-6 and r["predict_abs"] < 1e-6
    assert r["predict_shape"] == [13, 3]
    assert r["trace_counts"]["eval"] == 1 and r["trace_counts"]["predict"] == 1
    # train_on_batch, test_on_batch and predict_on_batch on 5 rows: padded, same numbers
    assert r["on_batch_abs"] < 1e-5 and r["predict_on_batch_shape"] == [5, 3]


def test_model_parallel_shards_kernels_same_numbers_no_retrace(eight):
    r = eight[1]["mp"]
    s = r["shardings"]
    assert s["dense_a/kernel"]["spec"] == [None, "model"]
    assert s["dense_a/kernel"]["shard_shape"] == [6, 4]  # 16 columns over 4 devices
    assert s["dense_a/bias"]["spec"] == ["model"]  # Keras path "wide/dense_a/bias"
    assert s["dense_b/kernel"]["shard_shape"] == [16, 2]
    assert s["head/kernel"]["spec"] == ["model", None]  # short path "head/kernel"
    assert s["head/bias"]["spec"] == [] and s["head/bias"]["shard_shape"] == [4]
    assert all(v["n_shards"] == 8 and v["mesh_axes"] == ["batch", "model"] for v in s.values())
    assert r["history_rel"] < RTOL and r["weights_abs"] < 1e-6 and r["eval_rel"] < RTOL
    assert r["traces_after_first"]["train"] == 1
    assert r["traces_after_all"] == r["traces_after_first"]
    assert r["nnx_kernel_spec"] == [None, "model"] and r["nnx_kernel_shard"] == [6, 2]
    assert r["nnx_kernel_dp_spec"] == []
    assert r["describe"]["axes"] == {"batch": 2, "model": 4}
    assert r["describe"]["per_device_batch"] == 8


def test_saving_sharded_model_and_loading_reshards(eight):
    r = eight[1]["save"]
    assert r["same_datasets"] and r["n_datasets"] >= 12  # weights + optimizer state
    assert r["max_value_diff"] < 1e-6
    assert r["loaded_kernel_spec"] == [None, "model"] and r["loaded_eval_rel"] == 0.0
    assert r["keras_predict_abs"] < 1e-6


def test_model_moves_back_to_one_device(eight):
    assert eight[1]["back_to_one"] == {"loss_finite": True, "kernel_devices": 1}


def test_same_program_in_keras_and_nbkeras(eight):
    """An ordinary keras.distribution ModelParallel program, same initial weights."""
    r = eight[1]["keras_diff"]
    assert r["keras_keys"] == r["nbkeras_keys"] == ["loss", "mae"]
    np.testing.assert_allclose(r["nbkeras_loss"], r["keras_loss"], rtol=1e-4)
    assert r["keras_kernel_spec"] == r["nbkeras_kernel_spec"] == ["None", "model"]


def test_two_processes_train_like_one_process(eight, two_processes):
    out = two_processes
    infos = [json.loads((out / f"process_{i}.json").read_text()) for i in range(2)]
    for info in infos:
        assert info["info"]["process_count"] == 2 and info["info"]["device_count"] == 8
        assert info["info"]["local_device_count"] == 4 and len(info["info"]["devices"]) == 8
    reference = np.load(eight[0] / "dp_reference.npz")
    ref_json = json.loads((eight[0] / "dp_reference.json").read_text())
    for i in range(2):
        got = np.load(out / f"process_{i}.npz")
        for k in reference.files:
            np.testing.assert_allclose(got[k], reference[k], rtol=RTOL, atol=1e-6)
        for key, values in ref_json["history"].items():  # global metrics on each process
            np.testing.assert_allclose(infos[i]["history"][key], values, rtol=RTOL)
        np.testing.assert_allclose(infos[i]["evaluate"], ref_json["evaluate"], rtol=RTOL)
    assert (out / "saved_by_0.weights.h5").exists()
    assert not (out / "saved_by_1.weights.h5").exists()  # only process 0 writes
    assert (out / "log_0.csv").exists() and not (out / "log_1.csv").exists()
    assert any((out / "tb_0").rglob("events.out.tfevents.*"))
    assert not (out / "tb_1").exists()
