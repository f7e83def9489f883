"""Datasets: bundled digits, and mnist / fashion_mnist against a local HTTP server."""

import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from nbkeras.datasets import digits, fashion_mnist, mnist


def test_digits_shapes_dtypes_and_split():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert y_train.shape == (1438,) and y_test.shape == (359,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8
    assert x_train.max() == 16 and x_train.min() == 0
    assert set(np.unique(y_train)) == set(range(10))
    full = np.concatenate([x_train, x_test]).reshape(len(x_train) + len(x_test), -1)
    assert len(np.unique(full, axis=0)) > 1700  # a split, not duplicated samples


def test_digits_is_deterministic_and_seed_dependent():
    (a, ya), _ = digits.load_data()
    (b, yb), _ = digits.load_data()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    (c, _), _ = digits.load_data(seed=1)
    assert not np.array_equal(a, c)
    (d, _), (e, _) = digits.load_data(test_split=0.5)
    assert len(d) + len(e) == 1797 and abs(len(d) - len(e)) == 1


def test_digits_matches_sklearn():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    ref = sklearn_datasets.load_digits()
    (x_train, y_train), (x_test, y_test) = digits.load_data(test_split=0.0)
    assert len(x_test) == 0
    order = np.random.RandomState(113).permutation(1797)
    np.testing.assert_array_equal(x_train, ref.images[order].astype(np.uint8))
    np.testing.assert_array_equal(y_train, ref.target[order])


def test_digits_bad_split():
    with pytest.raises(ValueError, match=r"expected test_split in \[0, 1\), received 1.5"):
        digits.load_data(test_split=1.5)


@pytest.fixture
def fake_server(tmp_path, monkeypatch):
    root = tmp_path / "www"
    root.mkdir()
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 255, (6, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, (6,), dtype=np.uint8),
        "x_test": rng.integers(0, 255, (2, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, (2,), dtype=np.uint8),
    }
    np.savez(root / "mnist.npz", **arrays)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        with gzip.open(root / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + arrays[f"y_{split}"].tobytes())
        with gzip.open(root / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + arrays[f"x_{split}"].tobytes())

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("NBKERAS_DATASETS_BASE_URL", f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.setenv("NBKERAS_HOME", str(tmp_path / "home"))
    try:
        yield root, arrays
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_mnist_downloads_verifies_and_loads(fake_server, monkeypatch):
    root, arrays = fake_server
    with pytest.raises(ValueError, match="Incomplete or corrupted file"):
        mnist.load_data()  # the fake file does not have the real MNIST hash
    monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256((root / "mnist.npz").read_bytes()).hexdigest())
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_train.dtype == np.uint8 and x_test.shape == (2, 28, 28)
    (root / "mnist.npz").unlink()  # second load comes from the cache
    (x2, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x2, arrays["x_train"])


def test_mnist_keeps_keras_origin_and_hash():
    assert mnist.FILE_HASH == "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    from nbkeras.datasets import _base

    assert _base.BASE_URL == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def test_fashion_mnist_downloads_and_parses(fake_server):
    _, arrays = fake_server
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(x_test, arrays["x_test"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
