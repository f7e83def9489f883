"""A JupyterLab server on 127.0.0.1 and Debian's Chromium, shared by the browser tests.

Used by ``test_lab_browser.py`` and ``test_lab_controls.py`` (a plain module, not a
conftest: the browser tests import what they need)::

    require_browser()                       # at module level: skip (or fail in CI)
    with jupyter_lab(root, {"a.ipynb": cells}) as lab:   # lab["base"], lab["work"]
        browser = launch_chromium(playwright)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[2]

# True once the notebook's kernel is connected and idle.
KERNEL_IDLE = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return !!(w && w.sessionContext && w.sessionContext.session &&
            w.sessionContext.session.kernel &&
            w.sessionContext.session.kernel.status === 'idle'); }"""


def require_browser() -> None:
    """Skip the calling module without Playwright, JupyterLab or Chromium; in CI a missing
    piece is a failure (the import errors), not a skip."""
    if IN_CI:
        return
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("jupyterlab")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(cells: list[str]) -> str:
    return json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                   "outputs": [], "source": c} for c in cells],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    })


@contextlib.contextmanager
def jupyter_lab(root: Path, notebooks: dict[str, list[str]]):
    """Start JupyterLab with private Jupyter/IPython dirs under ``root`` and the repository
    on the kernels' PYTHONPATH, serving ``notebooks`` (name -> code cells); stop it (and
    its kernels) by process group at exit.

    Yields:
        ``{"base": url, "root": root, "work": the notebooks' directory}``.
    """
    env = dict(os.environ)
    for var in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                "IPYTHONDIR", "TMPDIR", "MPLCONFIGDIR"):
        d = root / "env" / var.lower()
        d.mkdir(parents=True)
        env[var] = str(d)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.pop("NBKERAS_DISPLAY", None)
    work = root / "work"
    work.mkdir()
    for name, cells in notebooks.items():
        (work / name).write_text(_notebook(cells))
    port = _free_port()
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--allow-root", "--no-browser",
         "--ip=127.0.0.1", f"--port={port}", "--IdentityProvider.token=",
         "--ServerApp.password=", f"--ServerApp.root_dir={work}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--ServerApp.disable_check_xsrf=True"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("JupyterLab did not start:\n" + (root / "lab.log").read_text())
            time.sleep(0.5)
        yield {"base": base, "root": root, "work": work}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and the kernels it started
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def launch_chromium(playwright):
    """Debian's Chromium, headless, as the CI container allows it."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
