"""A saved notebook keeps a picture of a History: re-opened from disk, the PNG is there."""

import base64
import io

import pytest

pytestmark = pytest.mark.kernel

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

CELL = """\
import numpy as np
import nbkeras as keras
from nbkeras import layers
rng = np.random.default_rng(0)
x = rng.random((32, 4), dtype=np.float32); y = (x.sum(1) > 2).astype("int32")
model = keras.Sequential([keras.Input((4,)), layers.Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
history = model.fit(x, y, epochs=4, batch_size=16, validation_split=0.25, verbose=0)
history
"""


def test_saved_notebook_reopens_with_the_history_png(tmp_path, monkeypatch):
    from PIL import Image

    for var in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                "IPYTHONDIR", "MPLCONFIGDIR"):
        (tmp_path / var.lower()).mkdir()
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "saved.ipynb"
    nbformat.write(nb, str(path))

    reopened = nbformat.read(str(path), as_version=4)
    (out,) = [o for o in reopened.cells[0].outputs if o.output_type == "execute_result"]
    assert {"text/html", "image/png", "text/plain"} <= set(out.data)
    img = Image.open(io.BytesIO(base64.b64decode(out.data["image/png"])))
    assert img.format == "PNG" and img.width >= 340 and img.height >= 200
    assert "History: 4 epochs" in out.data["text/html"]
    assert out.data["text/plain"].startswith("<History epochs=4")
