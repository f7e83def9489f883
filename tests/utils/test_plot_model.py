"""plot_model: SVG structure (parsed), layout sanity, files written, errors."""

from xml.etree import ElementTree as ET

import pytest

import nbkeras as keras
from nbkeras import layers
from nbkeras.utils import plot_model as keras_plot_model
from nbkeras.utils.graph_layout import Box, layout


def plot_model(model, **kwargs):
    """Layer names on (most tests check them; Keras's default is off)."""
    return keras_plot_model(model, **{"show_layer_names": True, **kwargs})

NS = {"s": "http://www.w3.org/2000/svg"}


def _nodes(svg):
    root = ET.fromstring(svg)
    out = {}
    for g in root.iterfind(".//s:g[@class='nbk-node']", NS):
        rect = g.find("s:rect", NS)
        texts = [t.text for t in g.iterfind("s:text", NS)]
        box = tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))
        out[g.get("data-layer")] = (box, texts)
    return root, out


def _edges(root):
    return root.findall(".//s:g[@class='nbk-edge']", NS)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # plot_model writes model.png by default, as Keras does


@pytest.fixture(scope="module")
def multi_io():
    a = keras.Input((16,), name="a")
    b = keras.Input((8,), name="b")
    shared = layers.Dense(8, activation="relu", name="shared")
    x1 = shared(layers.Dense(8, name="proj")(a))
    x2 = shared(b)
    h = layers.Dense(16, name="hidden")(layers.Concatenate(name="concat")([x1, x2]))
    o1 = layers.Dense(1, name="out1")(h)
    o2 = layers.Dense(3, activation="softmax", name="out2")(h)
    return keras.Model([a, b], [o1, o2], name="multi")


def test_sequential_chain_with_shapes(tmp_path):
    m = keras.Sequential([keras.Input((64,)), layers.Dense(32, activation="relu", name="d1"),
                          layers.Dense(10, name="d2")])
    p = plot_model(m, show_shapes=True, show_layer_activations=True)
    root, nodes = _nodes(p._repr_svg_())
    assert list(nodes) == ["input_layer", "d1", "d2"]
    assert nodes["d1"][1] == ["d1 (Dense)", "in: (None, 64)", "out: (None, 32)",
                              "activation: relu"]
    assert nodes["input_layer"][1] == ["input_layer (InputLayer)", "shape: (None, 64)"]
    assert len(_edges(root)) == 2
    ys = [nodes[k][0][1] for k in ("input_layer", "d1", "d2")]
    assert ys == sorted(ys) and len(set(ys)) == 3  # top to bottom


def test_functional_multi_io_shared_layer(multi_io):
    p = plot_model(multi_io, show_shapes=True, show_trainable=True, show_dtype=True)
    root, nodes = _nodes(p.svg)
    assert set(nodes) == {"a", "b", "proj", "shared", "concat", "hidden", "out1", "out2"}
    # a>proj, proj>shared, b>shared, shared>concat (both calls: one arrow), concat>hidden,
    # hidden>out1, hidden>out2
    assert len(_edges(root)) == 7
    shared_texts = nodes["shared"][1]
    assert "trainable: yes" in shared_texts and "dtype: float32" in shared_texts
    # every edge goes downward and no two boxes overlap
    boxes = [b for b, _ in nodes.values()]
    for i, (x, y, w, h) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1:]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y
    for k in ("out1", "out2"):
        assert nodes[k][0][1] > nodes["hidden"][0][1]
    assert repr(p) == "<ModelPlot 8 layers, 7 edges>"


def test_left_to_right_and_nested_cluster(tmp_path):
    inner = keras.Sequential([keras.Input((8,)), layers.Dense(4, name="i1")], name="inner")
    z = keras.Input((8,), name="z")
    m = keras.Model(z, layers.Dense(1, name="head")(inner(z)), name="outer")
    collapsed = _nodes(plot_model(m).svg)[1]
    assert list(collapsed) == ["z", "inner", "head"]
    p = plot_model(m, expand_nested=True, rankdir="LR")
    root, nodes = _nodes(p.svg)
    assert set(nodes) == {"z", "inner/input_layer", "inner/i1", "head"}
    xs = [nodes[k][0][0] for k in ("z", "inner/input_layer", "inner/i1", "head")]
    assert xs == sorted(xs)  # left to right
    cluster = root.find(".//s:g[@class='nbk-cluster']", NS)
    assert cluster.find("s:text", NS).text == "inner"


def test_files_and_notebook_bundle(multi_io, tmp_path):
    svg_file, png_file = tmp_path / "m.svg", tmp_path / "m.png"
    plot_model(multi_io, to_file=str(svg_file))
    ET.parse(svg_file)
    p = plot_model(multi_io, to_file=str(png_file), dpi=50)
    data = png_file.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(png_file) as img:
        w, h = img.size
    geo_w = float(ET.fromstring(p.svg).get("width"))
    assert abs(w - geo_w * 50 / 72) <= 2  # size follows dpi
    bundle = p._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "image/png", "text/plain"}


def test_errors():
    with pytest.raises(ValueError, match="not built yet"):
        plot_model(keras.Sequential([layers.Dense(2)]))
    m = keras.Sequential([keras.Input((2,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="rankdir must be 'TB' or 'LR'"):
        plot_model(m, rankdir="BT")
    with pytest.raises(ValueError, match=r"use a file name ending in \.svg"):
        plot_model(m, to_file="model.gif")


def test_keras_defaults_write_model_png_and_show_types(tmp_path):
    m = keras.Sequential([keras.Input((4,)), layers.Dense(2, name="d")])
    p = keras_plot_model(m)  # Keras writes model.png by default
    assert (tmp_path / "model.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _nodes(p.svg)[1]["d"][1] == ["Dense"]  # show_layer_names=False by default
    keras_plot_model(m, to_file=str(tmp_path / "noext"))
    assert (tmp_path / "noext").read_bytes()[:4] == b"\x89PNG"
    (tmp_path / "model.png").unlink()
    keras_plot_model(m, to_file=None)
    assert not (tmp_path / "model.png").exists()
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".")] == []


def test_unknown_keyword_arguments_raise():
    m = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"unknown keyword arguments \{'show_shape': True\}"
                                         r".*Did you mean 'show_shape' -> 'show_shapes'"):
        keras_plot_model(m, show_shape=True)
    with pytest.raises(ValueError, match="`layer_range` is no longer supported"):
        keras_plot_model(m, layer_range=["a", "b"])
    with pytest.raises(ValueError, match=r"splines must be one of \['ortho', 'polyline', 'line'\]"):
        keras_plot_model(m, splines="curvy")


def test_splines_shape_the_edges(multi_io):
    def paths(splines):
        root = ET.fromstring(plot_model(multi_io, splines=splines, to_file=None).svg)
        return [e.find("s:path", NS).get("d") for e in _edges(root)]

    def segments(d):
        pts = [tuple(map(float, p.strip("ML ").split(","))) for p in d.split(" ")]
        return list(zip(pts, pts[1:]))

    for d in paths("ortho"):
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in segments(d))
    assert all(len(segments(d)) == 1 for d in paths("line"))
    ortho, poly = paths("ortho"), paths("polyline")
    assert any(a != b for a, b in zip(ortho, poly))


def test_subclassed_model_is_one_box():
    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)

    m = Sub()
    m.build((None, 3))
    assert len(_nodes(plot_model(m).svg)[1]) == 1


def test_layout_ranks_and_dummy_routes():
    boxes = [Box(k, span=40, depth=20) for k in "abcd"]
    lay = layout(boxes, [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")])
    assert [lay.boxes[k].rank for k in "abcd"] == [0, 1, 2, 3]
    route = next(pts for a, b, pts in lay.routes if (a, b) == ("a", "c"))
    assert len(route) == 4  # through a dummy node: straight down its rank band
    assert route[1][0] == route[2][0]
