"""The live view in a real kernel (nbclient): saved outputs, in-place updates, size bound."""

import json
from xml.etree import ElementTree as ET

import pytest

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

FIT_200 = """\
import numpy as np
import nbkeras as keras
from nbkeras import layers
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.random((96, 8), dtype=np.float32); y = (x.sum(1) > 4).astype("int32")
model = keras.Sequential([keras.Input((8,)), layers.Dense(8, activation="relu"),
                          layers.Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
print("before fit")
history = model.fit(x, y, epochs=200, batch_size=32, validation_split=0.25)
print("after fit", len(history.epoch))
"""


def run_notebook(cells, path, cwd):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()
    nbformat.write(nb, str(path))
    return nb


def test_200_epoch_fit_in_a_kernel(kernel_env, parse_html):
    path = kernel_env / "fit200.ipynb"
    nb = run_notebook([FIT_200], path, kernel_env)
    outs = nb.cells[0].outputs
    kinds = [o.output_type for o in outs]
    # other output of the cell survives; the live view is two display outputs, updated
    # in place (nbclient applies update_display_data to them), not 200+ outputs
    # Plus one widget output: the live controls (Stop / Pause / learning rate, issue 15).
    widgets = [o for o in outs if o.output_type == "display_data"
               and "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(widgets) == 1, kinds
    outs = [o for o in outs if o not in widgets]
    kinds = [o.output_type for o in outs]
    assert kinds.count("display_data") == 2, kinds
    streams = "".join(o.text for o in outs if o.output_type == "stream")
    assert "before fit" in streams and "after fit 200" in streams
    bar, plot = [o for o in outs if o.output_type == "display_data"]
    page = parse_html(bar.data["text/html"])
    assert page.by_class["nbk-live"]["data-phase"] == "done"
    assert page.by_class["nbk-bar"]["aria-valuenow"] == "100"
    text = "".join(page.text)
    assert "Done: 200 epochs" in text and "100%" in text and "val_loss" in text
    svg = ET.fromstring(plot.data["image/svg+xml"])
    assert len(list(svg.iter("{http://www.w3.org/2000/svg}polyline"))) == 4
    assert plot.data["image/png"].startswith("iVBORw0KGgo")  # base64 of the PNG magic
    size = path.stat().st_size
    assert size < 100_000, size
    # the saved notebook is valid and stores no transient display ids needing a kernel
    nbformat.validate(nbformat.read(str(path), as_version=4))
    json.loads(path.read_text())
