"""Download-and-cache loaders against a local HTTP server with files in Keras's formats.

Each loader is checked for: a verified download, a checksum mismatch, reuse of a copy in
Keras's cache (no request made), no network (a message naming where to put the file), and
the same arrays as real Keras reading the same file.
"""

import importlib
import os
import pickle
import shutil
import socket
import tempfile

import numpy as np
import pytest
from _dataset_files import serve, sha256, write_all

from nbkeras.datasets import (
    boston_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)
from nbkeras.datasets._safe_pickle import load_cifar_batch, load_npz

# (module, file name on the server, hash attribute, file name in Keras's cache)
HASHED = [
    (mnist, "mnist.npz", "FILE_HASH", "mnist.npz"),
    (imdb, "imdb.npz", "FILE_HASH", "imdb.npz"),
    (reuters, "reuters.npz", "FILE_HASH", "reuters.npz"),
    (boston_housing, "boston_housing.npz", "FILE_HASH", "boston_housing.npz"),
    (cifar10, "cifar-10-python.tar.gz", "FILE_HASH", "cifar-10-batches-py-target_archive"),
    (cifar100, "cifar-100-python.tar.gz", "FILE_HASH", "cifar-100-python-target_archive"),
]
IDS = [m.__name__.rsplit(".", 1)[-1] for m, *_ in HASHED]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    return root, write_all(root)


@pytest.fixture
def server(files, tmp_path, monkeypatch):
    root, data = files
    monkeypatch.setenv("NBKERAS_HOME", str(tmp_path / "nbkeras_home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    with serve(root) as (url, requests):
        monkeypatch.setenv("NBKERAS_DATASETS_BASE_URL", url)
        yield root, data, requests


def _patch_hashes(monkeypatch, root):
    for module, name, attr, _ in HASHED:
        monkeypatch.setattr(module, attr, sha256(root / name))
    for module, name in ((imdb, "imdb_word_index.json"), (reuters, "reuters_word_index.json")):
        monkeypatch.setattr(module, "WORD_INDEX_HASH", sha256(root / name))


def _load(module):
    return module.load_data()


def _assert_same(a, b):
    (xa, ya), (xta, yta) = a
    (xb, yb), (xtb, ytb) = b
    for u, v in ((xa, xb), (ya, yb), (xta, xtb), (yta, ytb)):
        assert u.dtype == v.dtype and u.shape == v.shape
        if u.dtype == object:
            assert [list(s) for s in u] == [list(s) for s in v]
        else:
            np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("module, name, attr, _k", HASHED, ids=IDS)
def test_download_verifies_hash_then_caches(server, monkeypatch, module, name, attr, _k):
    root, _, requests = server
    with pytest.raises(ValueError, match="Incomplete or corrupted file downloaded from"):
        _load(module)  # the synthetic file does not have the real dataset's hash
    cache = os.environ["NBKERAS_HOME"]
    leftovers = [f for _, _, fs in os.walk(cache) for f in fs]
    assert leftovers == [], "a file that failed its checksum was kept"
    _patch_hashes(monkeypatch, root)
    first = _load(module)
    n = len(requests)
    _assert_same(first, _load(module))  # from the cache: no new request
    assert len(requests) == n


def test_mnist_arrays(server, monkeypatch):
    root, data, _ = server
    _patch_hashes(monkeypatch, root)
    (x, y), (xt, yt) = mnist.load_data()
    np.testing.assert_array_equal(x, data["mnist"]["x_train"])
    np.testing.assert_array_equal(yt, data["mnist"]["y_test"])
    (fx, fy), (fxt, fyt) = fashion_mnist.load_data()
    np.testing.assert_array_equal(fx, x)
    np.testing.assert_array_equal(fyt, yt)


def test_cifar10_arrays(server, monkeypatch):
    root, data, _ = server
    _patch_hashes(monkeypatch, root)
    (x, y), (xt, yt) = cifar10.load_data()
    assert x.shape == (15, 32, 32, 3) and y.shape == (15, 1) and xt.shape == (3, 32, 32, 3)
    assert x.dtype == y.dtype == np.uint8
    b1 = data["cifar10"]["data_batch_1"]
    np.testing.assert_array_equal(x[0], b1[b"data"][0].reshape(3, 32, 32).transpose(1, 2, 0))
    assert y[:3, 0].tolist() == b1[b"labels"]
    (_, yc), _ = cifar100.load_data(label_mode="coarse")
    assert yc[:, 0].tolist() == data["cifar100"]["train"][b"coarse_labels"]
    with pytest.raises(ValueError, match="label_mode 'fine' or 'coarse', received 'medium'"):
        cifar100.load_data(label_mode="medium")


def test_sequence_arguments(server, monkeypatch):
    root, data, _ = server
    _patch_hashes(monkeypatch, root)
    (x, _), _ = imdb.load_data(num_words=20, skip_top=4)
    # start_char 1 < skip_top, so it becomes oov_char too (as in Keras)
    assert all(s[0] == 2 and all(w == 2 or 4 <= w < 20 for w in s) for s in x)
    with pytest.raises(ValueError, match="maxlen=2, no sequence was left"):
        imdb.load_data(maxlen=2)
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['nb_words'\\]"):
        imdb.load_data(nb_words=10)
    assert imdb.get_word_index()["w3"] == 3
    assert reuters.get_word_index()["w5"] == 5
    assert len(reuters.get_label_names()) == 46
    (x, y), (xt, yt) = reuters.load_data(test_split=0.25)
    assert len(x) == 15 and len(xt) == 5


@pytest.mark.parametrize("module, name, attr, keras_name", HASHED, ids=IDS)
def test_reuses_keras_cache_without_downloading(server, monkeypatch, module, name, attr,
                                                keras_name):
    root, _, requests = server
    _patch_hashes(monkeypatch, root)
    keras_dir = os.path.join(os.environ["KERAS_HOME"], "datasets")
    os.makedirs(keras_dir)
    shutil.copy(root / name, os.path.join(keras_dir, keras_name))
    result = _load(module)
    assert requests == [], f"downloaded {requests} although Keras's cache had the file"
    assert sorted(os.listdir(keras_dir)) == [keras_name]  # Keras's folder only read
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", os.path.dirname(keras_dir) + "_unused")
    _assert_same(result, _load(module))  # our own cache now holds it (archives extracted)
    if module in (cifar10, cifar100):
        assert requests == []


def test_keras_cache_with_wrong_hash_is_not_used(server, monkeypatch):
    root, _, requests = server
    _patch_hashes(monkeypatch, root)
    keras_dir = os.path.join(os.environ["KERAS_HOME"], "datasets")
    os.makedirs(keras_dir)
    with open(os.path.join(keras_dir, "boston_housing.npz"), "wb") as f:
        f.write(b"not the file")
    boston_housing.load_data()
    assert requests == ["/boston_housing.npz"]


@pytest.mark.parametrize("module, name, attr, keras_name", HASHED, ids=IDS)
def test_offline_message_says_where_to_put_the_file(server, monkeypatch, module, name, attr,
                                                     keras_name):
    root, _, _ = server
    _patch_hashes(monkeypatch, root)
    with socket.socket() as s:  # a port on 127.0.0.1 that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("NBKERAS_DATASETS_BASE_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(OSError) as info:
        _load(module)
    text = str(info.value) + "\n".join(getattr(info.value, "__notes__", []))
    assert f"http://127.0.0.1:{port}/{name}" in text
    assert "To use this dataset offline, download" in text
    assert os.path.join(os.environ["NBKERAS_HOME"], "datasets") in text
    assert os.path.join(os.environ["KERAS_HOME"], "datasets", keras_name) in text


def test_origins_and_hashes_are_keras_s():
    assert mnist.FILE_HASH == "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    from nbkeras.datasets import _base

    assert _base.BASE_URL == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert cifar10.URL == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert reuters.get_label_names() == _keras("reuters").get_label_names()


def _keras(name):
    pytest.importorskip("keras")
    return importlib.import_module(f"keras.src.datasets.{name}")


@pytest.mark.parametrize(
    "name, fname, kwargs",
    [
        ("imdb", "imdb.npz", {}),
        ("imdb", "imdb.npz", {"num_words": 25, "skip_top": 3, "maxlen": 12, "seed": 5}),
        ("imdb", "imdb.npz", {"start_char": None, "oov_char": None, "index_from": 0}),
        ("reuters", "reuters.npz", {"num_words": 30, "test_split": 0.3}),
        ("boston_housing", "boston_housing.npz", {"test_split": 0.1, "seed": 7}),
        ("cifar100", "cifar-100-python.tar.gz", {"label_mode": "coarse"}),
    ],
)
def test_same_arrays_as_keras(server, monkeypatch, tmp_path, name, fname, kwargs):
    root, _, _ = server
    _patch_hashes(monkeypatch, root)
    keras_module = _keras(name)
    source = str(root / fname)
    if fname.endswith(".tar.gz"):
        extracted = tmp_path / "keras_extracted"
        shutil.unpack_archive(source, extracted)
        source = str(extracted)
    monkeypatch.setattr(keras_module, "get_file", lambda *a, **k: source)
    ours = importlib.import_module(f"nbkeras.datasets.{name}")
    _assert_same(ours.load_data(**kwargs), keras_module.load_data(**kwargs))


def test_cifar_batches_read_as_keras_reads_them(files):
    root, _ = files
    keras_cifar = _keras("cifar")
    with tempfile.TemporaryDirectory() as tmp:
        shutil.unpack_archive(str(root / "cifar-10-python.tar.gz"), tmp)
        for name in ("data_batch_1", "test_batch"):
            path = os.path.join(tmp, "cifar-10-batches-py", name)
            x, y = load_cifar_batch(path)
            kx, ky = keras_cifar.load_batch(path)
            np.testing.assert_array_equal(x, kx)
            assert y.tolist() == list(ky)


def test_hostile_pickles_are_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({"data": Evil(), "labels": [1]}, protocol=4))
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load posix.system"):
        load_cifar_batch(str(path))
    npz = tmp_path / "evil.npz"
    arr = np.empty(1, dtype=object)
    arr[0] = Evil()
    np.savez(npz, x=arr)
    with pytest.raises(pickle.UnpicklingError, match="only NumPy arrays and plain Python"):
        load_npz(str(npz))
    path.write_bytes(pickle.dumps([1, 2], protocol=2))
    with pytest.raises(ValueError, match="is not a CIFAR batch .a pickled dict.; received list"):
        load_cifar_batch(str(path))
