"""Tutorial notebooks: their shape (checked statically), and the quickstart's rich outputs.

Every notebook is executed top to bottom by nbval (``testpaths`` includes ``notebooks/``,
``--nbval-lax`` in ``addopts``); here the quickstart is also run with nbclient to check
what a person sees (live view, summary, graph).
"""

import json
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nbrun")
    with pytest.MonkeyPatch.context() as mp:
        for var in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                    "IPYTHONDIR", "TMPDIR", "MPLCONFIGDIR"):
            d = tmp / var.lower()
            d.mkdir()
            mp.setenv(var, str(d))
        yield tmp


@pytest.fixture(scope="module")
def executed(kernel_env):
    """Each notebook executed once: ``{name: (notebook, seconds)}``, filled lazily."""
    cache = {}

    def get(path: Path):
        if path.name not in cache:
            cache[path.name] = execute(path, kernel_env)
        return cache[path.name]

    return get


def execute(path: Path, cwd: Path):
    nb = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    t = time.perf_counter()
    client.execute()  # raises CellExecutionError on any error
    return nb, time.perf_counter() - t


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_shape(path):
    assert path.stat().st_size < 200_000, "keep stored outputs small"
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    first_code = next(c for c in cells if c["cell_type"] == "code")
    assert "except ImportError" in "".join(first_code["source"])  # Colab install cell
    assert "%pip install" in "".join(first_code["source"])
    assert cells[-1]["cell_type"] == "markdown"
    assert "## What next" in "".join(cells[-1]["source"])
    for cell in cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"stored error output in {path.name}"


def test_quickstart_runs(kernel_env, executed):
    nb, _ = executed(NOTEBOOKS[0].parent / "01_quickstart.ipynb")  # no timing assert: speed
    out = kernel_env / "01_quickstart.ipynb"                       # belongs in benchmarks/
    nbformat.write(nb, str(out))
    assert out.stat().st_size < 200_000


def test_quickstart_outputs(executed):
    nb, _ = executed(NOTEBOOKS[0].parent / "01_quickstart.ipynb")
    by_source = {c.source.splitlines()[-1]: c.outputs for c in nb.cells if c.cell_type == "code"}
    summary = by_source["model"][0].data["text/html"]
    assert 'class="nbk-summary"' in summary and "Total params" in summary
    fit = by_source[next(k for k in by_source if k.startswith("history = model.fit"))]
    # The live controls (issue 15) are one widget output besides the panel and the plot.
    fit = [o for o in fit
           if "application/vnd.jupyter.widget-view+json" not in o.get("data", {})]
    assert [o.output_type for o in fit] == ["stream", "display_data", "display_data"]
    assert 'data-phase="done"' in fit[1].data["text/html"]
    assert {"image/svg+xml", "image/png"} <= set(fit[2].data)
    graph = by_source[next(k for k in by_source if "plot_model" in k)][0].data
    assert "nbk-model-graph" in graph["image/svg+xml"]
    history = by_source["history"][0].data  # History's repr: table + curves as PNG
    assert "nbk-history" in history["text/html"] and "image/png" in history
