"""``BatchDataset``: what the ``*_dataset_from_*`` utilities return (NumPy, no TensorFlow).

It iterates like Keras's dataset (batches of ``(x, y)``, or ``x`` alone without labels),
re-iterates every epoch (reshuffled when ``shuffle=True``), has ``len()`` (the number of
batches), indexing, ``take`` and ``map``, and ``model.fit`` accepts it as it is.
Samples are produced lazily, one batch at a time (image files are read when their batch
is asked for).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np


class BatchDataset:
    """A re-iterable sequence of batches built from ``load(indices) -> batch``.

    Args:
        size: Number of samples.
        load: Function from an int array of sample indices to one batch (a tuple
            ``(x, y)`` or an array ``x``).
        batch_size: Samples per batch; None yields single samples (``load`` of one
            index, with the batch axis removed).
        shuffle: Reshuffle the sample order at the start of every pass.
        seed: Seed of the shuffles.

    Example:
        >>> x = np.arange(10)
        >>> ds = BatchDataset(10, lambda i: (x[i], x[i] % 2), batch_size=4)
        >>> len(ds), [b[0].tolist() for b in ds]
        (3, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    """

    def __init__(self, size: int, load: Callable, batch_size: int | None = 32,
                 shuffle: bool = False, seed: int | None = None):
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"batch_size must be a positive int or None, received {batch_size!r}.")
        self._size = int(size)
        self._load = load
        self.batch_size = batch_size
        self._shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._order = self._new_order()
        self._maps: list[Callable] = []
        self._limit: int | None = None
        self.class_names: list[str] | None = None
        self.file_paths: list[str] | None = None

    def _new_order(self) -> np.ndarray:
        order = np.arange(self._size)
        if self._shuffle:
            self._rng.shuffle(order)
        return order

    def __len__(self) -> int:
        n = self._size if self.batch_size is None else math.ceil(self._size / self.batch_size)
        return n if self._limit is None else min(n, self._limit)

    def cardinality(self) -> int:
        """The number of batches (``len(self)``), as ``tf.data.Dataset.cardinality``."""
        return len(self)

    def __getitem__(self, i: int):
        if not -len(self) <= i < len(self):
            raise IndexError(f"batch index {i} out of range for {len(self)} batches")
        i %= len(self)
        if self.batch_size is None:
            item = self._load(self._order[i : i + 1])
            item = tuple(a[0] for a in item) if isinstance(item, tuple) else item[0]
        else:
            item = self._load(self._order[i * self.batch_size : (i + 1) * self.batch_size])
        for fn in self._maps:
            item = fn(*item) if isinstance(item, tuple) else fn(item)
        return item

    def on_epoch_end(self) -> None:
        """Reshuffle for the next pass (``fit`` calls it after each epoch)."""
        if self._shuffle:
            self._order = self._new_order()

    def __iter__(self) -> Iterator:
        for i in range(len(self)):
            yield self[i]
        self.on_epoch_end()

    def as_numpy_iterator(self) -> Iterator:
        """Iterate the batches (they are NumPy arrays already)."""
        return iter(self)

    def _copy(self) -> BatchDataset:
        new = object.__new__(BatchDataset)
        new.__dict__.update(self.__dict__)
        new._maps = list(self._maps)
        return new

    def take(self, count: int) -> BatchDataset:
        """The first ``count`` batches (all if ``count`` is -1), like ``Dataset.take``."""
        new = self._copy()
        if count != -1:
            new._limit = min(count, len(self)) if self._limit is None else min(count, self._limit)
        return new

    def map(self, fn: Callable) -> BatchDataset:
        """Apply ``fn`` to every batch: ``fn(x, y)`` for ``(x, y)`` batches, ``fn(x)`` else.

        Example:
            >>> ds = BatchDataset(4, lambda i: (i * 1.0, i), batch_size=2)
            >>> [x.tolist() for x, _ in ds.map(lambda x, y: (x / 2, y))]
            [[0.0, 0.5], [1.0, 1.5]]
        """
        new = self._copy()
        new._maps.append(fn)
        return new

    def __repr__(self) -> str:
        names = f", class_names={self.class_names}" if self.class_names else ""
        return f"<BatchDataset {self._size} samples, {len(self)} batches{names}>"
