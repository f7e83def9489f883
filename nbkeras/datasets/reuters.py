"""Reuters newswire topics (46 classes, Keras's word-index sequences), cached."""

from __future__ import annotations

import json

import numpy as np

from nbkeras.datasets import _sequences
from nbkeras.datasets._base import BASE_URL, fetch
from nbkeras.datasets._safe_pickle import load_npz

FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"

_LABELS = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
    "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass",
    "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum",
    "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi",
    "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
    "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(
    path: str = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the 11,228 Reuters newswires labelled over 46 topics, as Keras does.

    Args:
        path: File name of the cached copy.
        num_words: Keep the ``num_words`` most frequent words; others become ``oov_char``.
        skip_top: Also replace the ``skip_top`` most frequent words.
        maxlen: Drop sequences of ``maxlen`` tokens or more.
        test_split: Fraction of the data held out for testing.
        seed: Seed of the shuffle.
        start_char: Index that starts every sequence (None: no start mark).
        oov_char: Index of dropped words (None: remove them).
        index_from: Offset added to every word index.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of ints and
        int topic labels (see :func:`get_label_names`).

    Example:
        >>> (x_train, y_train), _ = load_data(num_words=10000)  # doctest: +SKIP
    """
    f = load_npz(fetch(path, f"{BASE_URL}reuters.npz", FILE_HASH))
    xs, labels = _sequences.shuffled(np.random.RandomState(seed), f["x"], f["y"])
    xs, labels = _sequences.drop_long(_sequences.shift(xs, start_char, index_from),
                                      labels, maxlen)
    xs = _sequences.cap(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return ((_sequences.object_array(xs[:idx]), np.array(labels[:idx])),
            (_sequences.object_array(xs[idx:]), np.array(labels[idx:])))


def get_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    """The word -> rank index (rank 1 = most frequent); add ``index_from`` to match data."""
    with open(fetch(path, f"{BASE_URL}reuters_word_index.json", WORD_INDEX_HASH),
              encoding="utf-8") as f:
        return json.load(f)


def get_label_names() -> tuple[str, ...]:
    """The 46 topic names, indexed by label.

    Example:
        >>> get_label_names()[3]
        'earn'
    """
    return _LABELS
