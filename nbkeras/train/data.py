"""Turning user data into fixed-shape batches.

Every batch has the same shape: the last partial batch is padded and a ``(batch,)``
mask marks its real rows, so a step compiles once.  In-memory arrays are put on the
device once per ``fit`` and batches are gathered inside the jitted step from an index
array; generators and ``Sequence``-like objects are batched on the host.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import jax
import numpy as np


def _is_array(x) -> bool:
    return isinstance(x, (np.ndarray, jax.Array)) or (
        hasattr(x, "__array__") and hasattr(x, "shape") and hasattr(x, "dtype")
    )


def _is_pandas(x) -> bool:
    return type(x).__module__.split(".", 1)[0] == "pandas" and hasattr(x, "to_numpy")


def _is_number(x) -> bool:
    return isinstance(x, (int, float, bool, np.number, np.bool_))


def _is_scalar(x) -> bool:
    return _is_number(x) or x is None or isinstance(x, (str, bytes, np.str_, np.bytes_))


def _is_nested_numbers(x) -> bool:
    """A (possibly ragged) nested list/tuple of scalars, like ``[[1, 2], [3, 4]]``.

    Strings and None count as scalars here so that ``[["a", "b"]]`` is one (bad) array
    with a clear error, not a list of model inputs.
    """
    if not isinstance(x, (list, tuple)) or not x:
        return False
    return all(_is_scalar(v) or _is_nested_numbers(v) for v in x)


def _is_data_structure(x) -> bool:
    if _is_array(x) or x is None or _is_pandas(x) or _is_nested_numbers(x):
        return True
    if isinstance(x, dict):
        return all(_is_data_structure(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return len(x) > 0 and all(_is_data_structure(v) for v in x)
    return False


def to_numpy_tree(x, name: str = "x"):
    """Arrays, pandas objects or nested lists of numbers to NumPy, keeping dict/list structure.

    Raises:
        ValueError: For ragged lists, strings or other non-numeric data, or scalars.
    """
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: to_numpy_tree(v, f"{name}[{k!r}]") for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and not _is_nested_numbers(x):
        return [to_numpy_tree(v, f"{name}[{i}]") for i, v in enumerate(x)]
    if isinstance(x, jax.Array):
        return x
    if _is_pandas(x):
        x = x.to_numpy()
    try:
        arr = np.asarray(x)
    except ValueError as e:
        if isinstance(x, (list, tuple)):
            raise ValueError(_ragged_message(x, name)) from None
        raise ValueError(f"Could not convert {name} to an array: {e}") from None
    if arr.dtype.kind in "OUSV":
        arr = _numeric_or_raise(arr, name)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    if arr.ndim == 0:
        raise ValueError(f"Expected arrays with a batch dimension, received a scalar {x!r}.")
    return arr


def _ragged_message(x, name: str) -> str:
    lengths = sorted({len(v) if isinstance(v, (list, tuple)) else 1 for v in x})
    return (
        f"{name} is a ragged nested list: its rows have different lengths {lengths[:5]}, so "
        "it cannot be turned into one array. Pad the rows to a common length (e.g. "
        "nbkeras.utils.pad_sequences) or pass a NumPy array."
    )


def _numeric_or_raise(arr: np.ndarray, name: str) -> np.ndarray:
    """Object arrays of numbers (pandas' mixed columns) -> float; strings -> ValueError."""
    flat = arr.reshape(-1)
    bad = [v for v in flat[:100_000] if not _is_number(v)][:1]
    if arr.dtype.kind == "O" and not bad and flat.size:
        return arr.astype(np.float32)
    bad = bad[0] if bad else (flat[0] if flat.size else None)
    raise ValueError(
        f"{name} holds non-numeric data (dtype {arr.dtype}, e.g. the value {bad!r}); models "
        "take numbers. Convert text or categories to numbers first (a vocabulary lookup or "
        "one-hot encoding), and missing values (None) to a number or NaN."
    )


def _leaves(tree):
    return [v for v in jax.tree.leaves(tree) if v is not None]


def num_samples(x, y=None, sample_weight=None) -> int:
    """Common first dimension of all arrays; a clear error if they differ."""
    sizes = {}
    for label, tree in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        for leaf in _leaves(tree):
            sizes.setdefault(label, set()).add(int(leaf.shape[0]))
    all_sizes = set().union(*sizes.values()) if sizes else set()
    if len(all_sizes) > 1:
        detail = ", ".join(f"{k} sizes: {sorted(v)}" for k, v in sizes.items())
        raise ValueError(
            f"Data cardinality is ambiguous: all arrays must have the same number of "
            f"samples (first dimension), received {detail}. Make sure x, y and "
            "sample_weight describe the same samples."
        )
    if not all_sizes:
        raise ValueError("No data received: x is empty or None.")
    n = all_sizes.pop()
    if n == 0:
        raise ValueError(
            "Received empty data (0 samples). Pass at least one sample to fit/evaluate/predict."
        )
    return n


def class_weight_to_sample_weight(y, class_weight: dict, sample_weight=None):
    """Per-sample weights from a ``{class_index: weight}`` dict (Keras semantics)."""
    if isinstance(y, (dict, list)):
        raise ValueError(
            "class_weight is only supported for models with a single output; use "
            "sample_weight for multi-output models."
        )
    y = np.asarray(y)
    labels = (
        np.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(y.shape[0], -1)[:, 0]
    )
    labels = np.rint(labels).astype(np.int64)
    max_class = max(class_weight)
    table = np.ones(max(max_class, labels.max(initial=0)) + 1, np.float32)
    for k, w in class_weight.items():
        table[int(k)] = float(w)
    sw = table[labels]
    if sample_weight is not None:
        sw = sw * np.asarray(sample_weight, np.float32)
    return sw


def split_validation(x, y, sample_weight, validation_split: float):
    """Keras's ``validation_split``: the last fraction of samples, before shuffling."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(
            f"validation_split must be a float in (0, 1), received {validation_split!r}."
        )
    n = num_samples(x, y, sample_weight)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split={validation_split} leaves no training or no validation "
            f"samples out of {n}. Use a value that keeps both sides non-empty."
        )

    def take(tree, sl):
        return None if tree is None else jax.tree.map(lambda a: a[sl], tree)

    train = (
        take(x, slice(0, split_at)),
        take(y, slice(0, split_at)),
        take(sample_weight, slice(0, split_at)),
    )
    val = (
        take(x, slice(split_at, None)),
        take(y, slice(split_at, None)),
        take(sample_weight, slice(split_at, None)),
    )
    return train, val


@dataclass
class Batch:
    """One fixed-shape host batch: ``(x, y, sample_weight)`` plus a row mask.

    ``global_rows`` is set when the batch holds only this process's rows of a global
    batch of that many rows (several processes, see :meth:`ArrayData.local_batches`).
    """

    data: tuple
    mask: np.ndarray
    size: int
    global_rows: int | None = None


class ArrayData:
    """In-memory arrays: padded index batches for training, padded host batches otherwise."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.n = num_samples(x, y, sample_weight)
        if batch_size is None:
            batch_size = 32
        if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, received {batch_size!r}.")
        self.batch_size = int(batch_size)
        self.steps = int(math.ceil(self.n / self.batch_size))
        if steps is not None:
            self.steps = int(steps)

    @property
    def arrays(self):
        return (self.x, self.y, self.sample_weight)

    def epoch_indices(self, shuffle: bool, rng: np.random.Generator):
        """Index and mask arrays of shape ``(steps, batch_size)`` for one epoch."""
        order = rng.permutation(self.n) if shuffle else np.arange(self.n)
        total = self.steps * self.batch_size
        reps = int(math.ceil(total / self.n))
        idx = np.tile(order, reps)[:total] if reps > 1 else np.resize(order, total)
        mask = np.zeros(total, np.float32)
        mask[: min(total, self.n)] = 1.0
        if total > self.n:
            idx[self.n :] = 0
        return (
            idx.reshape(self.steps, self.batch_size).astype(np.int32),
            mask.reshape(self.steps, self.batch_size),
        )

    def local_batches(self, idx: np.ndarray, mask: np.ndarray, rows: slice) -> Iterator[Batch]:
        """This process's ``rows`` of each global batch ``idx[i]`` (host gather).

        Every process holds the same arrays and the same epoch indices, and feeds only
        its slice, so the global batches are exactly those of a single process.
        """
        for i in range(len(idx)):
            take = idx[i, rows]
            data = tuple(
                None if t is None else jax.tree.map(lambda a, t_=take: np.asarray(a)[t_], t)
                for t in self.arrays
            )
            yield Batch(data, mask[i, rows], int(mask[i].sum()), idx.shape[1])

    def host_batches(self) -> Iterator[Batch]:
        """Sequential padded batches on the host (evaluate/predict)."""
        b = self.batch_size
        for start in range(0, self.n, b):
            stop = min(start + b, self.n)
            size = stop - start

            def take(a, start=start, stop=stop, size=size):
                out = np.asarray(a[start:stop])
                if size < b:
                    pad = np.zeros((b - size, *out.shape[1:]), out.dtype)
                    out = np.concatenate([out, pad])
                return out

            data = tuple(None if t is None else jax.tree.map(take, t) for t in self.arrays)
            mask = np.zeros(b, np.float32)
            mask[:size] = 1.0
            yield Batch(data, mask, size)


class IterableData:
    """Generators, iterables and ``Sequence``-likes yielding ``(x, y[, sample_weight])``."""

    def __init__(self, source, steps=None):
        self.source = source
        self.steps = steps
        self.batch_size = None

    def _iterate(self) -> Iterator:
        from nbkeras.utils.py_dataset import PyDataset

        src = self.source
        if isinstance(src, PyDataset):  # epoch hooks and worker threads
            yield from src.epoch()
            return
        if (
            hasattr(src, "__getitem__")
            and hasattr(src, "__len__")
            and not isinstance(src, (list, tuple))
        ):
            for i in range(len(src)):
                yield src[i]
            if hasattr(src, "on_epoch_end"):
                src.on_epoch_end()
            return
        yield from src

    def host_batches(self) -> Iterator[Batch]:
        count = 0
        for item in self._iterate():
            if self.steps is not None and count >= self.steps:
                break
            x, y, sw = unpack_item(item)
            x, y, sw = to_numpy_tree(x), to_numpy_tree(y, "y"), to_numpy_tree(sw, "sample_weight")
            size = num_samples(x, y, sw)
            if self.batch_size is None:
                self.batch_size = size
            b = max(self.batch_size, size)

            def pad(a, size=size, b=b):
                a = np.asarray(a)
                if size == b:
                    return a
                return np.concatenate([a, np.zeros((b - size, *a.shape[1:]), a.dtype)])

            data = tuple(None if t is None else jax.tree.map(pad, t) for t in (x, y, sw))
            mask = np.zeros(b, np.float32)
            mask[:size] = 1.0
            count += 1
            yield Batch(data, mask, size)
        if count == 0:
            raise ValueError(
                "The data generator/iterable produced no batches. Check that it is not "
                "exhausted (a Python generator can only be iterated once: pass "
                "steps_per_epoch or a re-iterable object for several epochs)."
            )


def unpack_item(item):
    """Keras's ``unpack_x_y_sample_weight`` for one generator item."""
    if isinstance(item, tuple):
        if len(item) == 1:
            return item[0], None, None
        if len(item) == 2:
            return item[0], item[1], None
        if len(item) == 3:
            return item
        raise ValueError(
            f"Data items must be x, (x,), (x, y) or (x, y, sample_weight); received a tuple "
            f"of length {len(item)}."
        )
    return item, None, None


def adapt(x, y=None, sample_weight=None, batch_size=None, steps=None, class_weight=None):
    """Pick the adapter for the user's data and check it."""
    if x is None:
        raise ValueError(
            "No data received: x is None. Pass arrays, a dict of arrays or a generator of batches."
        )
    if _is_data_structure(x):
        x, y = to_numpy_tree(x, "x"), to_numpy_tree(y, "y")
        sample_weight = to_numpy_tree(sample_weight, "sample_weight")
        if class_weight is not None:
            sample_weight = class_weight_to_sample_weight(y, class_weight, sample_weight)
        return ArrayData(x, y, sample_weight, batch_size=batch_size, steps=steps)
    if isinstance(x, Iterable) or hasattr(x, "__getitem__"):
        if y is not None:
            raise ValueError(
                "When x is a generator or iterable of batches, y must be None: yield "
                "(x, y) tuples from the generator instead."
            )
        return IterableData(x, steps=steps)
    raise TypeError(
        f"Unrecognized data type: x={type(x).__name__}. Expected a NumPy/JAX array, a "
        "list or dict of arrays, or a generator/iterable of (x, y) batches."
    )
