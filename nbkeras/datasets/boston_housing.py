"""Boston housing prices (506 samples, 13 features), cached."""

from __future__ import annotations

import numpy as np

from nbkeras.datasets._base import BASE_URL, fetch

FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(
    path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the Boston housing regression data, shuffled and split as Keras does.

    Args:
        path: File name of the cached copy.
        test_split: Fraction held out for testing, in ``[0, 1)``.
        seed: Seed of the shuffle.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float features ``(n, 13)`` and
        median prices in k$ ``(n,)``.

    Raises:
        ValueError: If ``test_split`` is outside ``[0, 1)``.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
    """
    if not 0 <= test_split < 1:
        raise ValueError(
            f"boston_housing.load_data expected test_split in [0, 1), received {test_split!r}."
        )
    with np.load(fetch(path, f"{BASE_URL}boston_housing.npz", FILE_HASH),
                 allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    idx = int(len(x) * (1 - test_split))
    return (np.array(x[:idx]), np.array(y[:idx])), (np.array(x[idx:]), np.array(y[idx:]))
