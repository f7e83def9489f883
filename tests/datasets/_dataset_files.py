"""Small synthetic files in the formats of Keras's real dataset files, and a local server."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.server
import io
import json
import pickle
import struct
import tarfile
import threading
from pathlib import Path

import numpy as np

_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(0))[0]


class Py2StylePickler(pickle._Pickler):
    """Writes protocol-2 pickles the way Python 2 did for the CIFAR batches.

    ``bytes`` become ``SHORT_BINSTRING``/``BINSTRING`` (Python 2's ``str``) and arrays are
    rebuilt by ``numpy.core.multiarray._reconstruct``, as in the files Keras downloads.
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str

    def save_global(self, obj, name=None):
        if obj is _RECONSTRUCT:
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
            return
        super().save_global(obj, name)


def py2_pickle(obj) -> bytes:
    buf = io.BytesIO()
    Py2StylePickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tar(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _objects(lists) -> np.ndarray:
    out = np.empty(len(lists), dtype=object)
    out[:] = [[int(v) for v in x] for x in lists]  # Python ints, as in the real files
    return out


def write_all(root: Path) -> dict:
    """Write every synthetic dataset file into ``root``; return the arrays they hold."""
    rng = np.random.default_rng(0)
    data = {}
    mnist = {
        "x_train": rng.integers(0, 255, (6, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, (6,), dtype=np.uint8),
        "x_test": rng.integers(0, 255, (2, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, (2,), dtype=np.uint8),
    }
    np.savez(root / "mnist.npz", **mnist)
    data["mnist"] = mnist
    for split, prefix in (("train", "train"), ("test", "t10k")):
        with gzip.open(root / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + mnist[f"y_{split}"].tobytes())
        with gzip.open(root / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + mnist[f"x_{split}"].tobytes())

    # CIFAR-10: five training batches and a test batch, 3 images each.
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batches[name] = {
            b"batch_label": f"synthetic {name}".encode(),
            b"labels": [int(v) for v in rng.integers(0, 10, 3)],
            b"data": rng.integers(0, 255, (3, 3072), dtype=np.uint8),
            b"filenames": [f"img_{i}.png".encode() for i in range(3)],
        }
    _tar(root / "cifar-10-python.tar.gz",
         {f"cifar-10-batches-py/{k}": py2_pickle(v) for k, v in batches.items()})
    data["cifar10"] = batches
    c100 = {}
    for name, n in (("train", 5), ("test", 2)):
        c100[name] = {
            b"filenames": [b"x"] * n,
            b"fine_labels": [int(v) for v in rng.integers(0, 100, n)],
            b"coarse_labels": [int(v) for v in rng.integers(0, 20, n)],
            b"data": rng.integers(0, 255, (n, 3072), dtype=np.uint8),
        }
    _tar(root / "cifar-100-python.tar.gz",
         {f"cifar-100-python/{k}": py2_pickle(v) for k, v in c100.items()})
    data["cifar100"] = c100

    def seqs(n):
        return _objects([rng.integers(1, 40, int(rng.integers(3, 15))) for _ in range(n)])

    imdb = {"x_train": seqs(12), "y_train": rng.integers(0, 2, 12),
            "x_test": seqs(10), "y_test": rng.integers(0, 2, 10)}
    np.savez(root / "imdb.npz", **imdb)
    data["imdb"] = imdb
    reuters = {"x": seqs(20), "y": rng.integers(0, 46, 20)}
    np.savez(root / "reuters.npz", **reuters)
    data["reuters"] = reuters
    for name in ("imdb_word_index.json", "reuters_word_index.json"):
        (root / name).write_text(json.dumps({f"w{i}": i for i in range(1, 40)}))
    boston = {"x": rng.normal(size=(30, 13)), "y": rng.normal(20, 5, size=30)}
    np.savez(root / "boston_housing.npz", **boston)
    data["boston_housing"] = boston
    return data


@contextlib.contextmanager
def serve(root: Path):
    """Serve ``root`` over HTTP on 127.0.0.1; yields the base URL; counts requests."""
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def log_message(self, *args):
            requests.append(self.path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
