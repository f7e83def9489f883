"""timeseries/image/text datasets (NumPy/PIL), Progbar and clear_session.

Keras's versions of the dataset utilities need TensorFlow, which is not installed, so the
file order and labels are compared with Keras's own (TF-free) ``index_directory``, and the
windows with the examples of Keras's documentation.
"""

import io
import re

import numpy as np
import pytest

import nbkeras as keras
from nbkeras import utils


def test_timeseries_documented_examples():
    # Keras docstring, example 1: indices 0..98, length 10, sampling 2, stride 3.
    ds = utils.timeseries_dataset_from_array(np.arange(99), None, sequence_length=10,
                                             sampling_rate=2, sequence_stride=3, batch_size=None)
    windows = [w.tolist() for w in ds]
    assert windows[0] == list(range(0, 20, 2))
    assert windows[1] == list(range(3, 23, 2))
    assert windows[-1] == list(range(78, 98, 2))
    # Example 2: past 10 steps predict the next.
    data = np.arange(50.0)
    ds = utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10,
                                             batch_size=8)
    x, y = next(iter(ds))
    np.testing.assert_array_equal(x[0], data[:10])
    assert y[0] == data[10] and x.shape == (8, 10) and len(ds) == 4
    # Example 3: non-overlapping windows, inputs and targets zipped.
    X, Y = np.arange(100), np.arange(100) * 2
    xs = utils.timeseries_dataset_from_array(X, None, sequence_length=20, sequence_stride=20)
    ys = utils.timeseries_dataset_from_array(Y, None, sequence_length=20, sequence_stride=20)
    for a, b in zip(xs, ys):
        np.testing.assert_array_equal(a[0], X[:20])
        np.testing.assert_array_equal(b[0], Y[:20])


def test_timeseries_shuffle_indices_and_errors():
    data = np.arange(60).reshape(30, 2)
    ds = utils.timeseries_dataset_from_array(data, np.arange(30), sequence_length=5,
                                             batch_size=4, shuffle=True, seed=1,
                                             start_index=2, end_index=25)
    starts = sorted(int(y) for _, ys in ds for y in ys)
    assert starts == list(range(2, 21))  # every window once, inside [start, end)
    x, y = ds[0]
    np.testing.assert_array_equal(x[0], data[int(y[0]) : int(y[0]) + 5])
    with pytest.raises(ValueError, match="sampling_rate must be in"):
        utils.timeseries_dataset_from_array(data, None, 5, sampling_rate=0)
    with pytest.raises(ValueError, match="end_index must be above start_index"):
        utils.timeseries_dataset_from_array(data, None, 5, start_index=5, end_index=3)


def test_timeseries_dataset_trains():
    t = np.linspace(0, 20, 300).astype("float32")
    series = np.sin(t)[:, None]
    ds = utils.timeseries_dataset_from_array(series[:-8], series[8:, 0], sequence_length=8,
                                             batch_size=32, shuffle=True, seed=0)
    model = keras.Sequential([keras.Input((8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    from PIL import Image

    root = tmp_path_factory.mktemp("images")
    colours = {"cats": (200, 30, 30), "dogs": (30, 200, 30), "eels": (30, 30, 200)}
    for c, (cls, rgb) in enumerate(colours.items()):
        (root / cls / "more").mkdir(parents=True)
        for i in range(4 + c):
            sub = root / cls / ("more" if i % 2 else "")
            Image.new("RGB", (12 + i, 8), rgb).save(sub / f"img_{i}.png")
        (root / cls / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    return root, list(colours)


def _keras_index(directory, formats, **kw):
    dataset_utils = pytest.importorskip("keras.src.utils.dataset_utils")
    return dataset_utils.index_directory(str(directory), formats=formats, **kw)


def test_image_dataset_matches_keras_index_and_labels(image_dir, capsys):
    root, classes = image_dir
    ds = utils.image_dataset_from_directory(root, image_size=(6, 10), batch_size=4, seed=7)
    assert "Found 15 files belonging to 3 classes." in capsys.readouterr().out
    k_paths, k_labels, k_names = _keras_index(root, (".bmp", ".gif", ".jpeg", ".jpg", ".png"),
                                              labels="inferred", shuffle=True, seed=7)
    assert ds.class_names == k_names == classes
    assert ds.file_paths == k_paths
    images, labels = ds[0]
    assert images.shape == (4, 6, 10, 3) and images.dtype == np.float32
    assert labels.dtype == np.int32 and len(ds) == 4
    for img, label in zip(images, labels):  # each class has its own colour
        assert np.argmax(img[3, 5]) == label and img.max() <= 255


def test_image_dataset_subsets_modes_and_fit(image_dir):
    root, _ = image_dir
    train, val = utils.image_dataset_from_directory(
        root, image_size=(8, 8), batch_size=5, validation_split=0.2, subset="both", seed=3,
        label_mode="categorical", color_mode="grayscale", verbose=False)
    assert len(train.file_paths) == 12 and len(val.file_paths) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    x, y = train[0]
    assert x.shape == (5, 8, 8, 1) and y.shape == (5, 3) and y.dtype == np.float32
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Rescaling(1 / 255),
                              keras.layers.Flatten(), keras.layers.Dense(3, "softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    only = utils.image_dataset_from_directory(root, labels=None, image_size=(4, 4),
                                              shuffle=False, verbose=False, batch_size=None,
                                              crop_to_aspect_ratio=True)
    assert only[0].shape == (4, 4, 3) and only.class_names is None


def test_image_dataset_errors(image_dir, tmp_path):
    root, _ = image_dir
    with pytest.raises(ValueError, match="pass a seed"):
        utils.image_dataset_from_directory(root, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="label_mode='binary' needs exactly 2 classes, found 3"):
        utils.image_dataset_from_directory(root, label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="color_mode must be 'rgb', 'rgba' or 'grayscale'"):
        utils.image_dataset_from_directory(root, color_mode="rgbx")
    with pytest.raises(ValueError, match="are not subfolders"):
        utils.image_dataset_from_directory(root, class_names=["cats", "owls"])
    with pytest.raises(ValueError, match="does not exist"):
        utils.image_dataset_from_directory(tmp_path / "missing")


@pytest.fixture(scope="module")
def text_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("texts")
    for cls, word in (("neg", "bad"), ("pos", "good")):
        (root / cls).mkdir()
        for i in range(5):
            (root / cls / f"{i}.txt").write_text(f"{word} " * (i + 1), encoding="utf-8")
    return root


def test_text_dataset_matches_keras_index(text_dir):
    ds = utils.text_dataset_from_directory(text_dir, batch_size=3, seed=11, max_length=8,
                                           label_mode="binary", verbose=False)
    k_paths, k_labels, k_names = _keras_index(text_dir, (".txt",), labels="inferred",
                                              shuffle=True, seed=11, verbose=False)
    assert ds.file_paths == k_paths and ds.class_names == k_names == ["neg", "pos"]
    got = sorted((t, float(v)) for x, y in ds for t, v in zip(x, y[:, 0]))
    expected = sorted((open(p, encoding="utf-8").read()[:8], float(v))
                      for p, v in zip(k_paths, k_labels))
    assert got == expected  # each text with Keras's label, cut to max_length
    assert all(t.startswith("good" if v else "bad") for t, v in got)


def test_text_dataset_map_to_numbers_and_fit(text_dir):
    ds = utils.text_dataset_from_directory(text_dir, batch_size=4, seed=1, verbose=False)
    vocab = {"bad": 1, "good": 2}

    def vectorize(texts, labels):
        ids = [[vocab[w] for w in t.split()][:5] for t in texts]
        return keras.utils.pad_sequences(ids, maxlen=5), labels

    numeric = ds.map(vectorize)
    x, y = numeric[0]
    assert x.shape == (4, 5) and x.dtype == np.int32
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2, "softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(numeric, epochs=1, verbose=0)
    assert len(numeric.take(1)) == 1 and len(ds) == 3


def test_progbar_averages_like_keras():
    keras_progbar = pytest.importorskip("keras.src.utils.progbar")
    updates = [(1, [("loss", 4.0), ("acc", 0.1)]), (3, [("loss", 2.0), ("acc", 0.5)]),
               (4, [("loss", 1.0), ("acc", 0.9)])]
    ref = keras_progbar.Progbar(4, verbose=2, stateful_metrics=["acc"])
    bar = utils.Progbar(4, verbose=2, stateful_metrics=["acc"], stream=io.StringIO())
    for current, values in updates[:2]:  # before the end: weighted averages
        bar.update(current, values)
        ref.update(current, values)
    assert bar._values == {k: list(v) for k, v in ref._values.items()}
    ours = io.StringIO()
    bar = utils.Progbar(4, verbose=2, stateful_metrics=["acc"], stream=ours)
    ref = keras_progbar.Progbar(4, verbose=2, stateful_metrics=["acc"])
    for current, values in updates:
        bar.update(current, values)
        ref.update(current, values)
    ours_vals = dict(re.findall(r"(\w+): ([\d.e-]+)", ours.getvalue()))
    ref_vals = {k: (v[0] / v[1]) for k, v in ref._values.items()}
    assert set(ours_vals) == set(ref_vals) == {"loss", "acc"}
    for k in ref_vals:
        assert float(ours_vals[k]) == pytest.approx(ref_vals[k], abs=1e-4)
    assert ours.getvalue().startswith("4/4 - ")


def test_progbar_add_and_bar():
    out = io.StringIO()
    bar = utils.Progbar(10, verbose=1, stream=out, interval=0)
    bar._dynamic = False
    for _ in range(5):
        bar.add(2, values=[("loss", 1.0)])
    assert out.getvalue().count("\n") == 1 and out.getvalue().startswith("10/10 ━━━")
    with pytest.raises(ValueError, match="verbose must be 0, 1 or 2"):
        utils.Progbar(3, verbose=3)


def test_clear_session_resets_names():
    keras.layers.Dense(1)
    keras.layers.Dense(1)
    keras.utils.clear_session()
    assert keras.layers.Dense(1).name == "dense"
    assert keras.layers.Dense(1).name == "dense_1"
