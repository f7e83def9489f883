"""``%load_ext tensorboard`` + ``%tensorboard --logdir`` serve nbkeras logs in a real kernel."""

import json
import os
import signal

import pytest

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

CELLS = [
    """
from nbkeras.logging import SummaryWriter
w = SummaryWriter("logs/run1")
for step, v in enumerate([1.0, 0.5, 0.25]):
    w.scalar("epoch_loss", v, step)
w.close()
""",
    "%load_ext tensorboard",
    "%tensorboard --logdir logs --host 127.0.0.1 --port 0 --load_fast false",
    """
import json, sys, time, urllib.request
from tensorboard import notebook
info = [i for i in notebook.manager.get_all() if i.logdir == "logs"][-1]
url = f"http://127.0.0.1:{info.port}/data/plugin/scalars/scalars?run=run1&tag=epoch_loss"
deadline = time.time() + 30
while True:
    try:
        pts = json.loads(urllib.request.urlopen(url, timeout=5).read())
        break
    except Exception:
        if time.time() > deadline:
            raise
        time.sleep(0.5)
print(json.dumps({"pid": info.pid, "port": info.port, "points": [[s, v] for _, s, v in pts],
                  "tf": "tensorflow" in sys.modules}))
""",
]


def test_tensorboard_magic_serves_nbkeras_logs(kernel_env):
    # kernel_env gives the kernel (and tensorboard's info files) a private TMPDIR
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c.strip()) for c in CELLS])
    pid = None
    try:
        client = nbclient.NotebookClient(nb, timeout=90, kernel_name="python3",
                                         resources={"metadata": {"path": str(kernel_env)}})
        client.execute()
        magic_out = nb.cells[2].outputs
        html = "".join(o.get("data", {}).get("text/html", "") for o in magic_out)
        result = json.loads(nb.cells[3].outputs[0]["text"])
        pid = result["pid"]
        # the magic displays an iframe pointed at the server it started
        assert '<iframe id="tensorboard-frame-' in html
        assert f"const port = {result['port']};" in html
        assert result["points"] == [[0, 1.0], [1, 0.5], [2, 0.25]]
        assert result["tf"] is False
    finally:
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
