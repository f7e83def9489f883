"""A real browser: JupyterLab on 127.0.0.1 + Debian's Chromium via Playwright.

Opens a notebook, runs it, and checks what a person sees: the model summary table, the
live panel updated in place until 100 %, the live plot; then saves, reloads and checks
that the final picture is still there.  A screenshot is saved in the test's tmp dir.
"""

import time

import pytest
from lab_server import KERNEL_IDLE, jupyter_lab, launch_chromium, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.kernel, pytest.mark.slow]

require_browser()

CELLS = [
    """import numpy as np
import nbkeras as keras
from nbkeras import layers
from nbkeras.datasets import digits
keras.utils.set_random_seed(0)
(x, y), _ = digits.load_data()
x = x.reshape(len(x), -1).astype("float32") / 16
model = keras.Sequential([keras.Input((64,)), layers.Dense(64, activation="relu"),
                          layers.Dense(10, activation="softmax")], name="browser_mlp")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model""",
    """print("training starts")
history = model.fit(x, y, epochs=40, batch_size=32, validation_split=0.2)""",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with jupyter_lab(tmp_path_factory.mktemp("lab"), {"live.ipynb": CELLS}) as server:
        yield server


WATCH_PHASES = """() => { window.__phases = [];
  const seen = () => document.querySelectorAll('.nbk-live').forEach(e => {
      const p = e.getAttribute('data-phase');
      if (window.__phases[window.__phases.length - 1] !== p) window.__phases.push(p); });
  new MutationObserver(seen).observe(document.body, {subtree: true, childList: true,
                                                     attributes: true}); }"""


def test_live_training_in_jupyterlab(lab):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.goto(f"{lab['base']}/lab/tree/live.ipynb?reset")
            page.wait_for_function(KERNEL_IDLE, timeout=90_000)
            page.evaluate(WATCH_PHASES)
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

            summary = page.locator("table.nbk-summary")
            expect(summary).to_be_visible(timeout=90_000)
            expect(summary.locator("tbody tr")).to_have_count(2)
            expect(page.locator(".jp-OutputArea-output", has_text="Total params")).to_have_count(1)

            done = page.locator('.nbk-live[data-phase="done"]')
            expect(done).to_be_visible(timeout=150_000)
            expect(done.locator(".nbk-pct")).to_have_text("100%")
            expect(done).to_contain_text("Done: 40 epochs")
            phases = page.evaluate("window.__phases")
            assert "training" in phases and phases[-1] == "done", phases

            fit_cell = page.locator(".jp-CodeCell").nth(1)
            outputs = fit_cell.locator(".jp-OutputArea-child")
            expect(outputs).to_have_count(4)  # print + panel + plot + live controls, in place
            expect(outputs.nth(0)).to_contain_text("training starts")
            plot = fit_cell.locator(".jp-RenderedSVG img, .jp-RenderedImage img").first
            expect(plot).to_be_visible()
            assert page.evaluate("e => e.naturalWidth", plot.element_handle()) > 300
            page.screenshot(path=str(lab["root"] / "lab_live.png"), full_page=True)

            # save, reload: the final picture is still there (no kernel output needed)
            page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
            deadline = time.monotonic() + 30
            saved = lab["work"] / "live.ipynb"
            while "nbk-live" not in saved.read_text() and time.monotonic() < deadline:
                time.sleep(0.3)
            page.reload()
            expect(page.locator('.nbk-live[data-phase="done"] .nbk-pct')).to_have_text(
                "100%", timeout=60_000)
            expect(page.locator(".jp-CodeCell").nth(1).locator(
                ".jp-RenderedSVG img, .jp-RenderedImage img").first).to_be_visible()
            page.screenshot(path=str(lab["root"] / "lab_reloaded.png"), full_page=True)
        finally:
            browser.close()
    assert (lab["root"] / "lab_live.png").stat().st_size > 10_000
