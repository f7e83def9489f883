"""CIFAR-10 small colour images (10 classes), downloaded once and cached.

The batches are Python pickles (Keras's format); they are read with
:class:`nbkeras.datasets._safe_pickle.SafeUnpickler`, which builds NumPy arrays and plain
values only.
"""

from __future__ import annotations

import os

import numpy as np

from nbkeras.datasets._base import fetch
from nbkeras.datasets._safe_pickle import load_cifar_batch

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck")


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load CIFAR-10: 50,000 train / 10,000 test 32x32x3 uint8 images.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images ``(n, 32, 32, 3)`` (channels
        last) and labels ``(n, 1)``, all uint8; class names in ``CLASS_NAMES``.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
    """
    root = fetch("cifar-10-batches-py-target", URL, FILE_HASH, extract=True,
                 keras_aliases=("cifar-10-batches-py.tar.gz",))
    folder = os.path.join(root, "cifar-10-batches-py")
    train = [load_cifar_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_test, y_test = load_cifar_batch(os.path.join(folder, "test_batch"))
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train]).astype(np.uint8)
    return ((x_train.transpose(0, 2, 3, 1), y_train.reshape(-1, 1)),
            (x_test.transpose(0, 2, 3, 1), y_test.astype(np.uint8).reshape(-1, 1)))
