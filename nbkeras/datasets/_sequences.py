"""Keras's word-index sequence preparation, shared by ``imdb``, ``reuters`` and ``reviews``.

Index 0 is padding, ``start_char`` marks the start of a sequence, ``oov_char`` replaces
words outside ``[skip_top, num_words)``, and real words start at ``index_from`` (so word
rank ``r`` in the word index becomes ``r + index_from``).
"""

from __future__ import annotations

import numpy as np


def shift(sequences, start_char: int | None, index_from: int) -> list[list[int]]:
    """Add ``index_from`` to every word and prepend ``start_char`` (unless None)."""
    head = [] if start_char is None else [start_char]
    return [head + [int(w) + index_from for w in x] for x in sequences]


def drop_long(xs: list, labels: np.ndarray, maxlen: int | None):
    """Keep the sequences shorter than ``maxlen`` (all if ``maxlen`` is falsy)."""
    if not maxlen:
        return xs, labels
    keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
    return [xs[i] for i in keep], np.asarray(labels)[keep]


def cap(xs: list, num_words: int | None, skip_top: int, oov_char: int | None) -> list:
    """Replace (or, with ``oov_char=None``, remove) words outside ``[skip_top, num_words)``."""
    if not num_words:
        num_words = max((max(x) for x in xs if x), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(xs: list[list[int]]) -> np.ndarray:
    """A 1-D object array of lists (what Keras returns), even when all lengths match."""
    out = np.empty(len(xs), dtype=object)
    out[:] = xs
    return out


def shuffled(rng: np.random.RandomState, x, y):
    order = np.arange(len(x))
    rng.shuffle(order)
    return [x[i] for i in order], np.asarray(y)[order]


def check_kept(maxlen, *parts) -> None:
    if maxlen and any(len(p) == 0 for p in parts):
        raise ValueError(
            f"After keeping only sequences shorter than maxlen={maxlen}, no sequence was "
            "left. Increase maxlen."
        )
