"""A person in JupyterLab (Chromium via Playwright) steers a fit and explores hyperparameters.

* Stop pressed during a 500-epoch fit ends the cell early (the click reaches the busy
  kernel through the subshell route) and the panel says where it stopped.
* The explorer: move a slider, press Train, a curve and a table row appear; again.

One JupyterLab server on 127.0.0.1 for the module; screenshots go to the tmp dir.
"""

import re

import pytest
from lab_server import KERNEL_IDLE, jupyter_lab, launch_chromium, require_browser

require_browser()

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


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with jupyter_lab(tmp_path_factory.mktemp("labctl"), {"steer.ipynb": CELLS}) as server:
        yield server


def test_stop_a_fit_and_explore_in_jupyterlab(lab):
    from playwright.sync_api import expect, sync_playwright

    shots = lab["root"]
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
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
