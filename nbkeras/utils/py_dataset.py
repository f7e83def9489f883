"""``PyDataset`` (Keras 3's ``keras.utils.PyDataset``, alias ``Sequence``): batches made
by Python code, indexed by batch number, optionally prepared by worker threads.

``model.fit``/``evaluate``/``predict`` iterate one epoch through :meth:`PyDataset.epoch`:
``on_epoch_begin()``, the batches ``self[0] ... self[len(self) - 1]`` in order (fetched
ahead by ``workers`` threads, at most ``max_queue_size`` pending), ``on_epoch_end()``.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor


class PyDataset:
    """Base class for a dataset of batches computed in Python.

    Subclass it, call ``super().__init__(**kwargs)``, and define ``__getitem__(index)``
    (one complete batch: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``) and
    ``__len__`` (the number of batches; or a ``num_batches`` property returning None for
    an endless dataset, used with ``steps_per_epoch``).

    Args:
        workers: Number of threads preparing batches ahead of training (1: batches are
            made in the training thread, in turn).
        use_multiprocessing: Only False is supported: nbkeras prepares batches in
            threads (the batch code of most datasets, NumPy and file reads, releases the
            GIL). True raises a ValueError.
        max_queue_size: Most batches prepared ahead when ``workers > 1``.

    Raises:
        ValueError: For ``workers < 1``, ``max_queue_size < 1`` or
            ``use_multiprocessing=True``.

    Example:
        >>> import numpy as np
        >>> class Squares(PyDataset):
        ...     def __init__(self, n, batch_size, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x = np.arange(n, dtype="float32")[:, None]
        ...         self.batch_size = batch_size
        ...     def __len__(self):
        ...         return -(-len(self.x) // self.batch_size)
        ...     def __getitem__(self, idx):
        ...         x = self.x[idx * self.batch_size:(idx + 1) * self.batch_size]
        ...         return x, x**2
        >>> ds = Squares(10, batch_size=4, workers=2)
        >>> [len(x) for x, y in ds.epoch()]
        [4, 4, 2]
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size
        self._check()

    def _check(self) -> None:
        name = type(self).__name__
        if not isinstance(self.workers, int) or isinstance(self.workers, bool) or \
                self.workers < 1:
            raise ValueError(
                f"{name}: workers must be an int >= 1 (the number of threads preparing "
                f"batches), received {self.workers!r}."
            )
        if not isinstance(self.max_queue_size, int) or self.max_queue_size < 1:
            raise ValueError(
                f"{name}: max_queue_size must be an int >= 1, received "
                f"{self.max_queue_size!r}."
            )
        if self.use_multiprocessing:
            raise ValueError(
                f"{name}: use_multiprocessing=True is not supported by nbkeras, which "
                "prepares batches in threads. Pass use_multiprocessing=False and "
                "workers=N to use N threads."
            )

    # Keras's attributes; defaults apply when a subclass skipped super().__init__().
    @property
    def workers(self) -> int:
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int):
        """The batch at position ``index``; define it in subclasses."""
        raise NotImplementedError(
            f"{type(self).__name__} must define __getitem__(self, index) returning a batch."
        )

    @property
    def num_batches(self) -> int | None:
        """The number of batches (``len(self)``), or None for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must define __len__ (the number of batches) or a "
            "num_batches property (None for an endless dataset)."
        )

    def on_epoch_begin(self) -> None:
        """Called before each pass over the data."""

    def on_epoch_end(self) -> None:
        """Called after each pass over the data (e.g. to reshuffle)."""

    def __iter__(self) -> Iterator:
        """The batches in order, without the epoch hooks (as Keras's ``__iter__``)."""
        count = self.num_batches
        for index in range(count) if count is not None else itertools.count():
            yield self[index]

    def epoch(self) -> Iterator:
        """One pass as ``fit`` makes it: ``on_epoch_begin``, the batches (prepared by
        ``workers`` threads), ``on_epoch_end`` - also when the pass stops early."""
        self._check()
        count = self.num_batches
        indices = range(count) if count is not None else itertools.count()
        self.on_epoch_begin()
        try:
            if self.workers == 1:
                for index in indices:
                    yield self[index]
                return
            with ThreadPoolExecutor(self.workers, thread_name_prefix="nbk-pydataset") as pool:
                pending: deque = deque()
                indices = iter(indices)
                try:
                    for index in itertools.islice(indices, self.max_queue_size):
                        pending.append(pool.submit(self.__getitem__, index))
                    while pending:
                        batch = pending.popleft().result()
                        for index in itertools.islice(indices, 1):
                            pending.append(pool.submit(self.__getitem__, index))
                        yield batch
                finally:
                    for future in pending:
                        future.cancel()
        finally:
            self.on_epoch_end()


Sequence = PyDataset
