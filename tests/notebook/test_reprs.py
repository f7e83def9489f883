"""Rich reprs: the HTML is parsed and checked for the facts a user reads."""

import base64
import io
import re
from xml.etree import ElementTree as ET

import numpy as np

import nbkeras as keras
from nbkeras import layers
from nbkeras.models import summary
from nbkeras.notebook import reprs

SVG = "{http://www.w3.org/2000/svg}"


def _mlp():
    m = keras.Sequential(
        [keras.Input((8,)), layers.Dense(4, activation="relu", name="hidden"),
         layers.Dense(2, activation="softmax", name="out")],
        name="tiny",
    )
    return m


def test_model_html_table_matches_summary_facts(parse_html):
    m = _mlp()
    html = m._repr_html_()
    t = parse_html(html)
    table = t.tables[0]
    assert table[0] == ["Layer (type)", "Output shape", "Param #", "Trainable", "Dtype"]
    assert table[1] == ["hidden (Dense)", "(None, 4)", "36", "✓", "float32"]
    assert table[2] == ["out (Dense)", "(None, 2)", "10", "✓", "float32"]
    tot = summary.totals(m)
    assert f"Total params: {tot['total']:,} ({summary.readable_bytes(tot['total_bytes'])})" in (
        t.all_text
    )
    assert 'Model: "tiny"' in t.all_text


def test_functional_nested_model_is_collapsible_and_shows_connections(parse_html):
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="in_dense")], name="inner")
    x = keras.Input((4,), name="x")
    y = layers.Dense(1, name="head")(inner(x))
    m = keras.Model(x, y, name="outer")
    m.compile(optimizer="adam", loss="mse")
    t = parse_html(m._repr_html_())
    assert "Connected to" in t.tables[0][0]
    assert ("details", {}) in t.tags and ("summary", {}) in t.tags
    nested = t.tables[1]  # the inner model's table inside <details>
    assert nested[1][:3] == ["in_dense (Dense)", "(None, 3)", "15"]
    assert any(row[0] == "head (Dense)" and "inner[0][0]" in row[-1] for row in t.tables[0])
    assert "Optimizer: Adam (learning_rate=0.001)" in t.all_text


def test_unbuilt_model_and_layer_reprs_do_not_fail(parse_html):
    m = keras.Sequential([layers.Dense(3)])
    assert "Not built yet" in parse_html(m._repr_html_()).all_text
    d = layers.Dense(3, name="lazy")
    t = parse_html(d._repr_html_())
    assert ["built", "False"] in t.tables[0]


def test_layer_html_lists_weights_and_config(parse_html):
    d = _mlp().layers[0]
    t = parse_html(d._repr_html_())
    kv = dict(tuple(r) for r in t.tables[0])
    assert kv["params"] == "36" and kv["output shape"] == "(None, 4)"
    weights = t.tables[1]
    assert weights[0] == ["weight", "shape", "dtype", "trainable"]
    assert ["hidden/kernel", "(8, 4)", "float32", "✓"] in weights
    assert ["activation", "relu"] in t.tables[2]


def test_optimizer_repr_and_html(parse_html):
    opt = keras.optimizers.Adam(learning_rate=1e-3)
    assert "Adam" in repr(opt)
    kv = dict(tuple(r) for r in parse_html(opt._repr_html_()).tables[0])
    assert kv["learning_rate"] == "0.001" and kv["beta_1"] == "0.9"


def test_history_html_has_parsable_curves_and_best_values(parse_html):
    m = _mlp()
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 8), dtype=np.float32), rng.integers(0, 2, 64)
    h = m.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0)
    html = h._repr_html_()
    t = parse_html(html)
    assert "History: 3 epochs" in t.all_text
    rows = {r[0]: r for r in t.tables[0][1:]}
    assert list(rows) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert rows["loss"][2] == f"{min(h.history['loss']):.4g}"
    assert "<svg" not in html  # inline SVG turns into stray text when sanitized
    uris = re.findall(r'<img class="nbk-chart" src="data:image/svg\+xml;base64,([^"]+)" alt="', html)
    svgs = [base64.b64decode(u).decode() for u in uris]
    assert len(svgs) == 2  # loss and accuracy charts
    root = ET.fromstring(svgs[0])
    lines = root.findall(f"{SVG}polyline")
    assert [p.get("data-label") for p in lines] == ["train", "validation"]
    assert len(lines[0].get("points").split()) == 3
    assert root.findall(f"{SVG}text")[0].text == "loss"


def test_reprs_never_raise():
    class Broken:
        def __getattr__(self, name):
            raise RuntimeError("boom")

        def __repr__(self):
            return "<Broken & bad>"

    for fn in (reprs.history_html, reprs.model_html, reprs.layer_html, reprs.optimizer_html):
        assert fn(Broken()) == "<pre>&lt;Broken &amp; bad&gt;</pre>"


def test_history_html_empty_and_nan(parse_html):
    from nbkeras.callbacks import History

    h = History()
    assert "No epochs recorded" in parse_html(h._repr_html_()).all_text
    h.epoch, h.history = [0, 1], {"loss": [float("nan"), 0.5], "lr": [np.ones(2), np.ones(2)]}
    t = parse_html(h._repr_html_())
    assert t.tables[0][1] == ["loss", "0.5", "0.5", "2"]
    assert len(t.tables[0]) == 2  # the non-scalar entry is left out


def test_history_bundle_carries_a_png_of_the_curves():
    from PIL import Image

    from nbkeras.callbacks import History

    h = History()
    h.epoch = [0, 1, 2]
    h.history = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.9]}
    bundle = h._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain", "image/png"}
    img = Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    assert img.format == "PNG" and img.size == (680, 210)  # two charts side by side
    assert bundle["text/plain"] == "<History epochs=3 keys=['loss', 'val_loss', 'accuracy']>"
    assert "image/png" not in History()._repr_mimebundle_()  # nothing to draw yet
