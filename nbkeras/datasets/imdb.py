"""IMDB movie-review sentiment (Keras's preprocessed word-index sequences), cached."""

from __future__ import annotations

import json

import numpy as np

from nbkeras.datasets import _sequences
from nbkeras.datasets._base import BASE_URL, fetch
from nbkeras.datasets._safe_pickle import load_npz

FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(
    path: str = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    **kwargs,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the IMDB reviews (25,000 train / 25,000 test), as Keras does.

    Args:
        path: File name of the cached copy.
        num_words: Keep the ``num_words`` most frequent words; others become ``oov_char``.
        skip_top: Also replace the ``skip_top`` most frequent words.
        maxlen: Drop sequences of ``maxlen`` tokens or more.
        seed: Seed of the shuffle.
        start_char: Index that starts every sequence (None: no start mark).
        oov_char: Index of dropped words (None: remove them).
        index_from: Offset added to every word index.
        **kwargs: Keras's deprecated arguments are rejected.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of ints, and
        int labels (1 positive, 0 negative).

    Raises:
        TypeError: On an unknown keyword argument.
        ValueError: If ``maxlen`` leaves no sequence.

    Example:
        >>> (x_train, y_train), _ = load_data(num_words=10000)  # doctest: +SKIP
    """
    if kwargs:
        raise TypeError(f"imdb.load_data() got unexpected keyword arguments {sorted(kwargs)}.")
    f = load_npz(fetch(path, f"{BASE_URL}imdb.npz", FILE_HASH))
    rng = np.random.RandomState(seed)
    x_train, y_train = _sequences.shuffled(rng, f["x_train"], f["y_train"])
    x_test, y_test = _sequences.shuffled(rng, f["x_test"], f["y_test"])
    x_train, y_train = _sequences.drop_long(
        _sequences.shift(x_train, start_char, index_from), y_train, maxlen)
    x_test, y_test = _sequences.drop_long(
        _sequences.shift(x_test, start_char, index_from), y_test, maxlen)
    _sequences.check_kept(maxlen, x_train, x_test)
    xs = _sequences.cap(x_train + x_test, num_words, skip_top, oov_char)  # one vocabulary
    idx = len(x_train)
    return ((_sequences.object_array(xs[:idx]), y_train),
            (_sequences.object_array(xs[idx:]), y_test))


def get_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    """The word -> rank index (rank 1 = most frequent); add ``index_from`` to match data.

    Example:
        >>> index = get_word_index()  # doctest: +SKIP
    """
    with open(fetch(path, f"{BASE_URL}imdb_word_index.json", WORD_INDEX_HASH),
              encoding="utf-8") as f:
        return json.load(f)
