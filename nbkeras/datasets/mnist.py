"""MNIST handwritten digits, downloaded once from Keras's storage and cached."""

from __future__ import annotations

import numpy as np

from nbkeras.datasets._base import BASE_URL, fetch

#: sha256 of Keras's ``mnist.npz``.
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(
    path: str = "mnist.npz",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST (60,000 train / 10,000 test 28x28 uint8 images).

    Args:
        path: File name of the cached copy (under ``$NBKERAS_HOME/datasets``; a copy
            in Keras's cache ``~/.keras/datasets`` is used instead of downloading).

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` as uint8 NumPy arrays.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
    """
    path = fetch(path, f"{BASE_URL}mnist.npz", FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
