"""The tutorial notebooks run top to bottom in a real kernel (nbclient) and show their views."""

import time
from pathlib import Path

import pytest

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
def test_notebook_runs(path, kernel_env, executed):
    nb, seconds = executed(path)
    out = kernel_env / path.name
    nbformat.write(nb, str(out))
    assert out.stat().st_size < 200_000
    assert seconds < 90, f"{path.name} took {seconds:.0f} s"


def test_quickstart_outputs(executed):
    nb, _ = executed(NOTEBOOKS[0].parent / "01_quickstart.ipynb")
    by_source = {c.source.splitlines()[-1]: c.outputs for c in nb.cells if c.cell_type == "code"}
    summary = by_source["model"][0].data["text/html"]
    assert 'class="nbk-summary"' in summary and "Total params" in summary
    fit = by_source[next(k for k in by_source if k.startswith("history = model.fit"))]
    assert [o.output_type for o in fit] == ["stream", "display_data", "display_data"]
    assert 'data-phase="done"' in fit[1].data["text/html"]
    assert {"image/svg+xml", "image/png"} <= set(fit[2].data)
    graph = by_source[next(k for k in by_source if "plot_model" in k)][0].data
    assert "nbk-model-graph" in graph["image/svg+xml"]
    assert "<svg" in by_source["history"][0].data["text/html"]
