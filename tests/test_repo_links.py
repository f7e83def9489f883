"""The repository URL is written once ([project.urls]); badges and install cells follow it."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_links_are_derived_from_project_urls():
    proc = subprocess.run([sys.executable, ".ci/repo_links.py", "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    url = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    slug = url.split("github.com/")[1]
    readme = (ROOT / "README.md").read_text()
    assert f"git clone {url} nbkeras" in readme
    assert f"mybinder.org/v2/gh/{slug}/HEAD?labpath=notebooks%2F01_quickstart.ipynb" in readme
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        text = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        assert f"colab.research.google.com/github/{slug}/blob/main/notebooks/{path.name}" in text
        assert f"git+{url}" in text, f"{path.name} has no install cell for Colab"


def test_binder_installs_this_repository_with_the_notebook_extra():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    reqs = (ROOT / "binder" / "requirements.txt").read_text().split()
    assert "-e" in reqs and ".[notebook]" in reqs
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["notebook"]
    assert any(r.startswith("jupyterlab") for r in extra)
