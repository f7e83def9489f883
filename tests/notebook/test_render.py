"""Pure renderers of the progress record, called on hand-made records (no view, no fit)."""

import base64
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

from nbkeras.notebook import render
from nbkeras.notebook.progress import Progress

SVG = "{http://www.w3.org/2000/svg}"


class _Parse(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.by_class, self.text = {}, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for c in (a.get("class") or "").split():
            self.by_class.setdefault(c, a)

    def handle_data(self, data):
        self.text.append(data)


def _training(**kw):
    base = dict(mode="train", phase="training", epoch=1, epochs=4, steps=20, done=5,
                epochs_seen=1, elapsed=65.0, compile_s=1.25, traced=True, rate=10.0,
                batch_size=32, epoch_eta=1.5, total_eta=125.0,
                values={"val_loss": 0.5, "loss": 0.25, "accuracy": 0.875})
    base.update(kw)
    return Progress(**base)


def test_html_of_a_running_fit():
    p = _Parse(render.render_html(_training()))
    live = p.by_class["nbk-live"]
    assert live["data-phase"] == "training" and live["data-mode"] == "train"
    assert live["data-progress"] == "0.25"
    text = " ".join(p.text)
    assert "Epoch 2/4" in text and "25%" in text
    assert "5/20 steps" in text and "1:05 elapsed" in text
    assert "ETA 0:02 (epoch), 2:05 (all)" in text
    assert "320 samples/s" in text  # 10 steps/s * 32
    assert "compiled the train step in 1.25 s" in text
    # loss first, then train metrics, then validation
    assert "loss 0.25 · accuracy 0.875 · val_loss 0.5" in text


def test_html_compiling_done_and_unknown_steps():
    p = _Parse(render.render_html(Progress(phase="compiling", epochs=3)))
    assert "compiling the train step" in " ".join(p.text)
    assert p.by_class["nbk-live"]["data-progress"] == ""
    done = _Parse(render.render_html(_training(phase="done", epochs_seen=4)))
    text = " ".join(done.text)
    assert "Done" in text and ": 4 epochs" in text and "20/20 steps" in text
    assert "1:05 total" in text and "ETA" not in text
    again = _Parse(render.render_html(_training(traced=False, rate=None, batch_size=None)))
    assert "train step already compiled (first step 1.25 s)" in " ".join(again.text)
    ev = _Parse(render.render_html(Progress(mode="test", phase="running", steps=4, done=2,
                                            rate=2.0)))
    assert "Evaluate" in " ".join(ev.text) and "2.0 steps/s" in " ".join(ev.text)


def test_html_escapes_metric_names():
    html = render.render_html(_training(values={"<b>x</b>": 1.0}))
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_text_line():
    assert render.render_text(_training()) == (
        "Epoch 2/4 [=======>......................]  25% - loss 0.25 - accuracy 0.875 - "
        "val_loss 0.5"
    )
    assert render.render_text(Progress(mode="predict", steps=None)) == (
        "Predict [>.............................] - "
    )


def test_plot_svg_has_one_point_per_epoch_and_step_points():
    p = _training(points={"loss": [(1, 1.0), (2, 0.5)], "val_loss": [(1, 1.2), (2, 0.7)]},
                  step_points={"loss": [(2.5, 0.4)]})
    root = ET.fromstring(render.plot_svg(p))
    lines = [pl.get("points").split() for pl in root.iter(f"{SVG}polyline")]
    assert sorted(len(line) for line in lines) == [2, 3]  # val: 2 epochs; train: + 1 step
    empty = ET.fromstring(render.plot_svg(Progress()))
    assert empty.tag == f"{SVG}svg"


def test_plot_bundle_png_only_when_asked_and_with_data():
    p = _training(points={"loss": [(1, 1.0), (2, 0.5)]})
    assert "image/png" not in render.plot_bundle(p)
    png = base64.b64decode(render.plot_bundle(p, png=True)["image/png"])
    assert png.startswith(b"\x89PNG")
    assert "image/png" not in render.plot_bundle(Progress(), png=True)


def test_clock_and_fraction():
    assert render.clock(None) == "?" and render.clock(59.6) == "1:00"
    assert render.clock(3725) == "1:02:05"
    assert Progress(steps=None).fraction is None
    assert Progress(phase="done", steps=None).fraction == 1.0
    assert Progress(steps=4, done=9).fraction == 1.0
