"""Regenerate ``data/digits.npz`` from scikit-learn's copy of the UCI digits.

Run once (``python -m nbkeras.datasets._make_bundled``); the output is committed.
scikit-learn is only needed here, never at import time.
"""

from __future__ import annotations

import os

import numpy as np


def main() -> str:
    """Write ``digits.npz`` (images ``(1797, 8, 8)`` uint8 in 0..16, labels uint8)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = digits.images.astype(np.uint8)
    y = digits.target.astype(np.uint8)
    if x.shape != (1797, 8, 8) or x.max() != 16:
        raise RuntimeError(f"Unexpected digits data: shape {x.shape}, max {x.max()}.")
    path = os.path.join(os.path.dirname(__file__), "data", "digits.npz")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez_compressed(path, x=x, y=y)
    return path


if __name__ == "__main__":
    print(main())
