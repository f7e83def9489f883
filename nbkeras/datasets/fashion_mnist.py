"""Fashion-MNIST (Zalando clothing images), downloaded once and cached."""

from __future__ import annotations

import gzip
import os

import numpy as np

from nbkeras.datasets._base import BASE_URL, fetch

FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Fashion-MNIST (60,000 train / 10,000 test 28x28 uint8 images, 10 classes).

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` as uint8 NumPy arrays.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
    """
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [fetch(name, BASE_URL + name, None, cache_subdir=subdir) for name in FILES]

    def read(p: str, offset: int) -> np.ndarray:
        with gzip.open(p, "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)

    y_train, y_test = read(paths[0], 8), read(paths[2], 8)
    x_train = read(paths[1], 16).reshape(len(y_train), 28, 28)
    x_test = read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
