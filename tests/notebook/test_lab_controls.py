"""A person in JupyterLab (Chromium via Playwright) steers a fit and explores hyperparameters.

* Stop pressed during a 500-epoch fit ends the cell early (the click reaches the busy
  kernel through the subshell route) and the panel says where it stopped.
* The explorer: move a slider, press Train, a curve and a table row appear; again.

One JupyterLab server on 127.0.0.1 for the module; screenshots go to the tmp dir.
"""

import json
import os
import re
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
ROOT = Path(__file__).resolve().parents[2]

if not IN_CI:  # in CI a missing piece is a failure, not a skip
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("jupyterlab")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed", allow_module_level=True)

CELLS = [
    """import numpy as np
import nbkeras as keras
from nbkeras import layers
from nbkeras.notebook import explore
rng = np.random.default_rng(0)
x = rng.random((2048, 8), dtype=np.float32); y = (x.sum(1) > 4).astype("int32")
def build(hp):
    m = keras.Sequential([keras.Input((8,)), layers.Dense(hp["units"], activation="relu"),
                          layers.Dense(2, activation="softmax")])
    m.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy")
    return m
model = build({"units": 8})""",
    "history = model.fit(x, y, epochs=500, batch_size=32)",
    'print("epochs run:", len(history.epoch))',
    """ex = explore(build, {"units": (4, 32, 4)}, x[:256], y[:256], epochs=4, batch_size=32,
             validation_split=0.25)""",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("labctl")
    env = dict(os.environ)
    for var in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                "IPYTHONDIR", "TMPDIR", "MPLCONFIGDIR"):
        d = root / "env" / var.lower()
        d.mkdir(parents=True)
        env[var] = str(d)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("NBKERAS_DISPLAY", None)
    work = root / "work"
    work.mkdir()
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                   "outputs": [], "source": c} for c in CELLS],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    (work / "steer.ipynb").write_text(json.dumps(nb))
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


KERNEL_IDLE = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return !!(w && w.sessionContext && w.sessionContext.session &&
            w.sessionContext.session.kernel &&
            w.sessionContext.session.kernel.status === 'idle'); }"""


def test_stop_a_fit_and_explore_in_jupyterlab(lab):
    from playwright.sync_api import expect, sync_playwright

    shots = lab["root"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1300})
            page.goto(f"{lab['base']}/lab/tree/steer.ipynb?reset")
            page.wait_for_function(KERNEL_IDLE, timeout=90_000)
            # not awaited: the command's promise resolves only when every cell has run
            page.evaluate("() => { window.jupyterapp.commands.execute("
                          "'notebook:run-all-cells'); }")
            cells = page.locator(".jp-CodeCell")

            # ---- Stop a 500-epoch fit
            fit = cells.nth(1)
            stop = fit.get_by_role("button", name="Stop")
            expect(stop).to_be_visible(timeout=120_000)
            expect(fit.get_by_role("button", name="Pause")).to_be_visible()
            expect(fit.locator(".widget-slider", has_text="learning rate")).to_have_count(1)
            expect(fit.locator('.nbk-live[data-phase="training"]')).to_be_visible(
                timeout=120_000)
            page.wait_for_timeout(1500)
            stop.click()
            stopped = fit.locator('.nbk-live[data-phase="stopped"]')
            expect(stopped).to_be_visible(timeout=60_000)
            expect(stopped).to_contain_text(re.compile(r"stopped at epoch \d+, step \d+"))
            report = cells.nth(2).locator(".jp-OutputArea-output")
            expect(report).to_contain_text("epochs run:", timeout=60_000)
            epochs = int(re.search(r"epochs run: (\d+)", report.inner_text()).group(1))
            assert 1 <= epochs < 500
            expect(stop).to_be_disabled()
            page.screenshot(path=str(shots / "lab_stopped.png"), full_page=True)

            # ---- the explorer: move the slider, Train, see a curve and a row
            ex = cells.nth(3)
            train = ex.get_by_role("button", name="Train")
            expect(train).to_be_visible(timeout=60_000)
            page.wait_for_function(KERNEL_IDLE, timeout=60_000)
            handle = ex.locator(".noUi-handle").first
            readout = ex.locator(".widget-readout").first
            start = int(readout.inner_text())
            handle.focus()
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            expect(readout).to_have_text(str(start + 8))
            train.click()
            rows = ex.locator("table.nbk-runs tbody tr")
            expect(rows).to_have_count(1, timeout=120_000)
            expect(rows.first).to_contain_text("done", timeout=120_000)
            expect(rows.first.locator("td").nth(1)).to_have_text(str(start + 8))
            curves = ex.locator("svg.nbk-explorer-plot polyline.nbk-series")
            expect(curves).to_have_count(1)
            handle.focus()
            page.keyboard.press("ArrowLeft")
            expect(readout).to_have_text(str(start + 4))
            train.click()
            expect(rows).to_have_count(2, timeout=60_000)
            expect(ex.locator("table.nbk-runs")).not_to_contain_text("running",
                                                                     timeout=120_000)
            expect(curves).to_have_count(2)
            labels = [curves.nth(i).get_attribute("data-label") for i in range(2)]
            assert labels == ["run 1", "run 2"]
            page.screenshot(path=str(shots / "lab_explorer.png"), full_page=True)
        finally:
            browser.close()
    assert (shots / "lab_stopped.png").stat().st_size > 10_000
