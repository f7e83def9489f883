"""A kernel started by the tests runs this checkout's nbkeras, not whatever an editable
install points to (a stale install once made every kernel test fail with
"No module named 'nbkeras'", or silently test another clone)."""

import os

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

pytestmark = pytest.mark.kernel


def test_kernel_imports_nbkeras_from_this_checkout(kernel_env):
    from conftest import REPO_ROOT

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import nbkeras\nprint(nbkeras.__file__)")]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(kernel_env)}}).execute()
    (out,) = [o for o in nb.cells[0].outputs if o.output_type == "stream"]
    expected = os.path.join(REPO_ROOT, "nbkeras", "__init__.py")
    assert os.path.realpath(out.text.strip()) == os.path.realpath(expected)
