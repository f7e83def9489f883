"""A real ``tensorboard`` server reads what the TensorBoard callback wrote during ``fit``."""

import importlib.util
import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

import nbkeras
from nbkeras import callbacks, layers

pytestmark = pytest.mark.slow


def test_tensorflow_is_not_installed():
    assert importlib.util.find_spec("tensorflow") is None
    assert "tensorflow" not in sys.modules


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("tb")
    logs = root / "logs"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0], "float32"))[:, None]
    inp = nbkeras.Input((4,))
    h = layers.Dense(8, activation="relu", name="hidden")(inp)
    model = nbkeras.Model(inp, layers.Dense(1, name="head")(h))
    model.compile(nbkeras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    tb = callbacks.TensorBoard(
        logs / "run1", histogram_freq=1, write_images=True, update_freq=2,
        hparams={"units": 8, "optimizer": "sgd"},
    )
    hist = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, verbose=0,
                     callbacks=[tb])
    assert "tensorflow" not in sys.modules
    return root, logs, hist.history


@pytest.fixture(scope="module")
def server(logged_run):
    root, logs, _ = logged_run
    tmp = root / "tmp"
    tmp.mkdir()
    env = {**__import__("os").environ, "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(logs), "--host", "127.0.0.1",
         "--port", "0", "--load_fast", "false", "--reload_interval", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    try:
        port = None
        deadline = time.time() + 60
        while port is None and time.time() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
        assert port, "tensorboard did not report its port"
        base = f"http://127.0.0.1:{port}"
        while time.time() < deadline:
            if "run1/validation" in _get(base, "/data/runs"):
                break
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def _get(base, path, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def _post(base, path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def test_runs_follow_keras_layout(server):
    runs = set(_get(server, "/data/runs"))
    assert {"run1", "run1/train", "run1/validation"} <= runs


def test_epoch_scalars_match_history(server, logged_run):
    hist = logged_run[2]
    for run, prefix in (("run1/train", ""), ("run1/validation", "val_")):
        for metric in ("loss", "mae"):
            pts = _get(server, "/data/plugin/scalars/scalars", run=run, tag=f"epoch_{metric}")
            assert [s for _, s, _ in pts] == [0, 1, 2]
            np.testing.assert_allclose([v for *_, v in pts], hist[prefix + metric], rtol=1e-6)
    lr = _get(server, "/data/plugin/scalars/scalars", run="run1/train", tag="epoch_learning_rate")
    np.testing.assert_allclose([v for *_, v in lr], [0.05] * 3, rtol=1e-6)


def test_batch_scalars_every_update_freq(server):
    # 72 training rows / 16 = 5 batches per epoch, 15 in all; logged every 2nd batch.
    pts = _get(server, "/data/plugin/scalars/scalars", run="run1/train", tag="batch_loss")
    assert [s for _, s, _ in pts] == [2, 4, 6, 8, 10, 12, 14]


def test_histograms_and_images(server):
    tags = _get(server, "/data/plugin/histograms/tags")["run1/train"]
    assert {"hidden/kernel/histogram", "hidden/bias/histogram", "head/kernel/histogram"} <= set(tags)
    hist = _get(server, "/data/plugin/histograms/histograms", run="run1/train",
                tag="hidden/kernel/histogram")
    assert [h[1] for h in hist] == [0, 1, 2]
    assert sum(b[2] for b in hist[0][2]) == pytest.approx(32)  # 4x8 kernel
    imgs = _get(server, "/data/plugin/images/images", run="run1/train",
                tag="hidden/kernel/image", sample=0)
    assert len(imgs) == 3
    with urllib.request.urlopen(server + "/data/plugin/images/individualImage?"
                                + imgs[0]["query"], timeout=10) as r:
        assert r.read()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hparams_session(server):
    body = {"experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS",
            "STATUS_FAILURE", "STATUS_RUNNING"], "colParams": [], "startIndex": 0,
            "sliceSize": 10}
    groups = _post(server, "/data/plugin/hparams/session_groups", body)["sessionGroups"]
    assert len(groups) == 1
    assert groups[0]["hparams"] == {"units": 8.0, "optimizer": "sgd"}
    session = groups[0]["sessions"][0]
    assert session["name"] == "run1" and session["status"] == "STATUS_SUCCESS"
    metrics = {(m["name"]["group"], m["name"]["tag"]): m["value"] for m in session["metricValues"]}
    assert ("validation", "epoch_loss") in metrics


def test_graph_and_model_summary(server):
    info = _get(server, "/data/plugin/graphs/info")
    assert info["run1/train"]["run_graph"] is True
    with urllib.request.urlopen(server + "/data/plugin/graphs/graph?run=run1/train",
                                timeout=10) as r:
        graph = r.read().decode()
    scope = re.search(r'name: "(functional(?:_\d+)?)/head"', graph).group(1)
    assert f'input: "{scope}/hidden"' in graph
    text = _get(server, "/data/plugin/text/text", run="run1/train", tag="model_summary")
    assert "hidden" in text[0]["text"] and "Dense" in text[0]["text"]
