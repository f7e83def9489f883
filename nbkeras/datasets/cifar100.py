"""CIFAR-100 small colour images (100 fine / 20 coarse classes), downloaded and cached.

Read with the restricted unpickler of :mod:`nbkeras.datasets._safe_pickle` (see cifar10).
"""

from __future__ import annotations

import os

import numpy as np

from nbkeras.datasets._base import fetch
from nbkeras.datasets._safe_pickle import load_cifar_batch

URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(
    label_mode: str = "fine",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load CIFAR-100: 50,000 train / 10,000 test 32x32x3 uint8 images.

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 32, 32, 3)`` and
        int64 labels ``(n, 1)`` (Keras's dtypes).

    Raises:
        ValueError: If ``label_mode`` is neither ``"fine"`` nor ``"coarse"``.

    Example:
        >>> (x_train, y_train), _ = load_data(label_mode="coarse")  # doctest: +SKIP
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f"cifar100.load_data expected label_mode 'fine' or 'coarse', received {label_mode!r}."
        )
    root = fetch("cifar-100-python-target", URL, FILE_HASH, extract=True,
                 keras_aliases=("cifar-100-python.tar.gz",))
    folder = os.path.join(root, "cifar-100-python")
    key = f"{label_mode}_labels"
    x_train, y_train = load_cifar_batch(os.path.join(folder, "train"), label_key=key)
    x_test, y_test = load_cifar_batch(os.path.join(folder, "test"), label_key=key)
    return ((x_train.transpose(0, 2, 3, 1), y_train.reshape(-1, 1)),
            (x_test.transpose(0, 2, 3, 1), y_test.reshape(-1, 1)))
