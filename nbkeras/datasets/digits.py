"""The UCI 8x8 handwritten digits, bundled with nbkeras (no download needed).

1,797 grayscale images with pixel values 0..16 and labels 0..9, returned in the
same layout as ``keras.datasets.mnist``.
"""

from __future__ import annotations

import os

import numpy as np

_PATH = os.path.join(os.path.dirname(__file__), "data", "digits.npz")


def load_data(
    test_split: float = 0.2, seed: int = 113
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the bundled digits, shuffled and split deterministically.

    Args:
        test_split: Fraction of the 1,797 samples held out for testing, in ``[0, 1)``.
        seed: Seed of the shuffle before splitting.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images ``(n, 8, 8)`` uint8 in 0..16,
        labels ``(n,)`` uint8.

    Raises:
        ValueError: If ``test_split`` is outside ``[0, 1)``.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()
        >>> x_train.shape, x_test.shape
        ((1438, 8, 8), (359, 8, 8))
    """
    if not 0.0 <= test_split < 1.0:
        raise ValueError(
            f"digits.load_data expected test_split in [0, 1), received {test_split!r}."
        )
    with np.load(_PATH, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    order = np.random.RandomState(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_test = int(round(len(x) * test_split))
    split = len(x) - n_test
    return (x[:split], y[:split]), (x[split:], y[split:])
