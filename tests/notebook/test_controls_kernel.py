"""The live controls in a real kernel, driven by comm messages as a front end sends them.

The fit cell is still running when the learning-rate slider moves and Stop is pressed;
both must take effect before the cell ends.  The messages carry no ``subshell_id``
(what VS Code, Notebook < 7.4 or JupyterLab with ``commsOverSubshells: disabled``
send), so this checks the kernel-side route of :mod:`nbkeras.notebook.routes`.
"""

import json
import os
import re
import time
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[2]

SETUP = """\
import numpy as np
import nbkeras as keras
from nbkeras import layers
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.random((64, 8), dtype=np.float32); y = (x.sum(1) > 4).astype("int32")
model = keras.Sequential([keras.Input((8,)), layers.Dense(8, activation="relu"),
                          layers.Dense(2, activation="softmax")])
model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
"""
FIT = "history = model.fit(x, y, epochs=20_000, batch_size=16)"
REPORT = """\
import json
print(json.dumps({"epochs": len(history.epoch), "lr": history.history.get("learning_rate"),
                  "opt_lr": float(model.optimizer.learning_rate),
                  "traces": model.training_state.trace_counts["train"]}))
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kernel")
    env = dict(os.environ)
    for var in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                "IPYTHONDIR", "MPLCONFIGDIR"):
        (tmp / var.lower()).mkdir()
        env[var] = str(tmp / var.lower())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("NBKERAS_DISPLAY", None)
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3", env=env,
                                                     cwd=str(tmp))
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc, code, timeout=120):
    outs = []
    reply = kc.execute_interactive(code, output_hook=outs.append, timeout=timeout)
    assert reply["content"]["status"] == "ok", outs
    return outs


def widget_ids(msg, found):
    """Record the model ids of the Stop button and the learning-rate slider."""
    if msg["msg_type"] != "comm_open":
        return
    state = msg["content"]["data"].get("state", {})
    if state.get("description") in ("Stop", "Pause", "learning rate"):
        found[state["description"]] = msg["content"]["comm_id"]


def epoch_of(bars) -> int:
    """The epoch the live panel shows last (0 before training)."""
    for html in reversed(bars):
        m = re.search(r"Epoch (\d+)/", html)
        if m:
            return int(m.group(1))
    return 0


def send(kc, comm_id, data):
    kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data}))


def test_slider_and_stop_act_while_the_cell_runs(kernel):
    kc = kernel
    run(kc, SETUP)
    msg_id = kc.execute(FIT)
    found, bars, lr_sent, stop_sent, reply = {}, [], None, None, None
    deadline = time.monotonic() + 300
    while reply is None and time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except Exception:
            msg = None
        if msg is not None and msg["parent_header"].get("msg_id") == msg_id:
            widget_ids(msg, found)
            if msg["msg_type"] in ("display_data", "update_display_data"):
                html = msg["content"]["data"].get("text/html", "")
                if "nbk-live" in html:
                    bars.append(html)
        if lr_sent is None and {"Stop", "learning rate"} <= set(found) and epoch_of(bars) >= 3:
            send(kc, found["learning rate"], {"method": "update", "state": {"value": 0.003},
                                              "buffer_paths": []})
            lr_sent = len(bars)
        if stop_sent is None and lr_sent and any(
                "learning_rate 0.003" in b and 'data-phase="training"' in b for b in bars):
            send(kc, found["Stop"], {"method": "custom", "content": {"event": "click"}})
            stop_sent = time.monotonic()
        try:
            r = kc.get_shell_msg(timeout=0.01)
            if r["parent_header"].get("msg_id") == msg_id:
                reply = r
        except Exception:
            pass
    assert reply is not None and reply["content"]["status"] == "ok"
    assert stop_sent is not None, "the slider change never showed in the live panel"
    assert "stopped at epoch" in bars[-1].lower(), bars[-1][:400]

    out = run(kc, REPORT)
    report = json.loads(next(m for m in out if m["msg_type"] == "stream")["content"]["text"])
    assert report["epochs"] < 20_000  # Stop ended the cell early
    lrs = report["lr"]
    assert lrs[0] == pytest.approx(0.01) and lrs[-1] == pytest.approx(0.003)
    assert report["opt_lr"] == pytest.approx(0.003)
    assert report["traces"] == 1  # the new learning rate did not recompile the step
