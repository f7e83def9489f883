"""SummaryWriter, the reader and the model graph, checked by reading the event files back."""

import sys

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import (
    IMAGES,
    TENSORS,
    EventAccumulator,
)
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util import tensor_util

import nbkeras
from nbkeras import callbacks, layers
from nbkeras import logging as nblog


def read(path):
    acc = EventAccumulator(str(path), size_guidance={TENSORS: 0, IMAGES: 0})
    acc.Reload()
    return acc


def test_every_summary_kind_round_trips(tmp_path):
    with nblog.SummaryWriter(tmp_path / "run") as w:
        for step in range(3):
            w.scalar("loss", np.float32(1.0 / (step + 1)), step)
        w.histogram("w", np.arange(100.0), 0, buckets=10)
        w.text("note", "**bold**", 0)
        w.image("img", np.linspace(0, 1, 12).reshape(3, 4), 1)
        w.hparams({"lr": 0.1, "opt": "adam", "deep": True})
        w.hparams_end()
    acc = read(tmp_path / "run")
    loss = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in acc.Tensors("loss")]
    assert loss == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    hist = tensor_util.make_ndarray(acc.Tensors("w")[0].tensor_proto)
    assert hist.shape == (10, 3) and hist[:, 2].sum() == 100
    assert tensor_util.make_ndarray(acc.Tensors("note")[0].tensor_proto) == b"**bold**"
    img = acc.Images("img")[0]
    assert (img.step, img.width, img.height) == (1, 4, 3)
    assert img.encoded_image_string[:4] == b"\x89PNG"
    md = acc.SummaryMetadata("_hparams_/session_start_info")
    info = plugin_data_pb2.HParamsPluginData.FromString(md.plugin_data.content)
    hp = info.session_start_info.hparams
    assert (hp["lr"].number_value, hp["opt"].string_value, hp["deep"].bool_value) == (
        0.1, "adam", True)
    assert "tensorflow" not in sys.modules


def test_writer_bad_input(tmp_path):
    w = nblog.SummaryWriter(tmp_path)
    with pytest.raises(ValueError, match="scalar 'x' expected a single number, received"):
        w.scalar("x", [1.0, 2.0], 0)
    with pytest.raises(TypeError, match="non-empty string, received 3"):
        w.scalar(3, 1.0, 0)
    with pytest.raises(ValueError, match=r"expected shape \(H, W\) or \(H, W, C\).*\(2, 2, 2, 2\)"):
        w.image("i", np.zeros((2, 2, 2, 2)), 0)
    with pytest.raises(TypeError, match="hparams values must be bool, int, float or str.*'layers'"):
        w.hparams({"layers": [1, 2]})
    with pytest.raises(TypeError, match="expected a str, received int"):
        w.text("t", 5)
    w.close()
    with pytest.raises(ValueError, match="is closed"):
        w.scalar("x", 1.0, 0)
    with pytest.raises(TypeError, match="log_dir to be a path"):
        nblog.SummaryWriter(None)
    with pytest.raises(FileNotFoundError, match="No log directory at"):
        nblog.scalars(tmp_path / "nope")


@pytest.fixture(scope="module")
def fit_logs(tmp_path_factory):
    logs = tmp_path_factory.mktemp("fitlogs")
    nbkeras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    y = x.sum(1, keepdims=True)
    model = nbkeras.Sequential([nbkeras.Input((3,)), layers.Dense(2), layers.Dense(1)])
    model.compile("sgd", "mse")
    hist = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.2, verbose=0,
                     callbacks=[callbacks.TensorBoard(logs)])
    return logs, hist.history


def test_scalars_reader_returns_keras_layout(fit_logs):
    logs, history = fit_logs
    data = nblog.scalars(logs)
    assert sorted(data) == ["train", "validation"]
    assert [s for s, _ in data["train"]["epoch_loss"]] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in data["train"]["epoch_loss"]], history["loss"])
    np.testing.assert_allclose([v for _, v in data["validation"]["epoch_loss"]],
                               history["val_loss"])
    assert "epoch_learning_rate" in data["train"]


def test_plot_scalars_without_a_server(fit_logs):
    fig = nblog.plot_scalars(fit_logs[0], tags=["epoch_loss"])
    ax = fig.axes[0]
    assert ax.get_title() == "epoch_loss"
    assert sorted(line.get_label() for line in ax.get_lines()) == ["train", "validation"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), fit_logs[1]["loss"])
    with pytest.raises(ValueError, match="No scalars to plot.*Available tags: \\['epoch_"):
        nblog.plot_scalars(fit_logs[0], tags=["accuracy"])


def test_events_are_flushed_when_fit_is_interrupted(tmp_path):
    class Interrupt(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    model = nbkeras.Sequential([nbkeras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    tb = callbacks.TensorBoard(tmp_path, update_freq=1)
    with pytest.raises(KeyboardInterrupt):
        model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=5, batch_size=4, verbose=0,
                  callbacks=[tb, Interrupt()])
    data = nblog.scalars(tmp_path)["train"]  # read while the writer is still open
    assert [s for s, _ in data["epoch_loss"]] == [0, 1]
    assert [s for s, _ in data["batch_loss"]] == [1, 2, 3, 4]


def test_model_graph_of_functional_model_with_shared_layer():
    inp = nbkeras.Input((4,), name="x")
    shared = layers.Dense(4, name="shared")
    a = shared(inp)
    b = shared(a)
    out = layers.Add(name="add")([a, b])
    model = nbkeras.Model(inp, out, name="net")
    graph = nblog.model_graph(model)
    nodes = {n.name: (n.op, list(n.input)) for n in graph.node}
    assert nodes["net/x"] == ("Placeholder", [])
    assert nodes["net/shared_0"] == ("Dense", ["net/x"])  # one node per call of the layer
    assert nodes["net/shared_1"] == ("Dense", ["net/shared_0"])
    assert nodes["net/add"] == ("Add", ["net/shared_0", "net/shared_1"])
    shapes = next(n for n in graph.node if n.name == "net/add").attr["_output_shapes"]
    assert [d.size for d in shapes.list.shape[0].dim] == [-1, 4]


def test_model_graph_of_subclassed_model():
    class Net(nbkeras.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.d1 = layers.Dense(3, name="d1")
            self.d2 = layers.Dense(1, name="d2")

        def call(self, x):
            return self.d2(self.d1(x))

    model = Net()
    model(np.ones((2, 5), "float32"))
    nodes = {n.name: n.op for n in nblog.model_graph(model).node}
    assert nodes == {"sub/d1": "Dense", "sub/d2": "Dense"}
