"""Array utilities: ``to_categorical``, ``normalize``, ``pad_sequences``, seeding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from nbkeras import _rng

__all__ = ["normalize", "pad_sequences", "set_random_seed", "to_categorical"]


def set_random_seed(seed: int) -> None:
    """Seed Python, NumPy and nbkeras's global JAX key in one call.

    After this, building the same model again gives the same initial weights.

    Args:
        seed: An integer seed.

    Raises:
        TypeError: If ``seed`` is not an integer.

    Example:
        >>> set_random_seed(42)
    """
    _rng.set_seed(seed)


def to_categorical(x: Any, num_classes: int | None = None) -> Any:
    """One-hot encode integer class labels (Keras semantics).

    A trailing axis of size 1 is dropped first, so labels shaped ``(n, 1)`` give
    ``(n, num_classes)``. NumPy/list input gives a float NumPy array; a JAX array
    input gives a JAX array.

    Args:
        x: Integer labels.
        num_classes: Number of classes (default ``max(x) + 1``).

    Returns:
        The one-hot encoding, shaped ``x.shape + (num_classes,)``.

    Raises:
        ValueError: If a label is negative or not below ``num_classes``.

    Example:
        >>> to_categorical([0, 2]).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    if isinstance(x, jax.Array):
        if x.ndim > 1 and x.shape[-1] == 1:
            x = jnp.reshape(x, x.shape[:-1])
        if num_classes is None:
            num_classes = int(jnp.max(x)) + 1
        return jax.nn.one_hot(x, num_classes)
    x = np.array(x, dtype="int64")
    input_shape = x.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = tuple(input_shape[:-1])
    x = x.reshape(-1)
    if not num_classes:
        num_classes = int(np.max(x)) + 1 if x.size else 0
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        bad = int(x.min()) if x.min() < 0 else int(x.max())
        raise ValueError(
            f"to_categorical received label {bad}, outside the range [0, {num_classes - 1}] "
            f"for num_classes={num_classes}. Pass num_classes larger than the largest label."
        )
    categorical = np.zeros((x.shape[0], num_classes))
    categorical[np.arange(x.shape[0]), x] = 1
    return categorical.reshape(input_shape + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2) -> Any:
    """Scale ``x`` to unit ``order``-norm along ``axis`` (zero rows stay zero).

    Example:
        >>> normalize(np.array([[3.0, 4.0]])).tolist()
        [[0.6, 0.8]]
    """
    if isinstance(x, np.ndarray):
        norm = np.atleast_1d(np.linalg.norm(x, order, axis))
        norm[norm == 0] = 1
        axis = -1 if axis is None else axis  # Keras's `axis or -1` breaks axis=0
        return x / np.expand_dims(norm, axis)
    from nbkeras.ops.nn import normalize as _normalize

    return _normalize(x, axis=axis, order=order)


def pad_sequences(
    sequences: Sequence[Sequence[Any]],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pad (or truncate) sequences to the same length.

    Args:
        sequences: List of sequences (lists or arrays, possibly with trailing dims).
        maxlen: Target length (default: the longest sequence).
        dtype: Output dtype.
        padding: ``"pre"`` or ``"post"``: where to pad.
        truncating: ``"pre"`` or ``"post"``: where to cut long sequences.
        value: Padding value.

    Returns:
        Array of shape ``(len(sequences), maxlen, *sample_shape)``.

    Raises:
        ValueError: For non-iterable entries, inconsistent shapes or unknown modes.

    Example:
        >>> pad_sequences([[1], [2, 3]]).tolist()
        [[0, 1], [2, 3]]
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood: expected "pre" or "post".')
    if truncating not in ("pre", "post"):
        raise ValueError(
            f'Truncating type "{truncating}" not understood: expected "pre" or "post".'
        )
    lengths, sample_shape, found = [], (), False
    for s in sequences:
        try:
            lengths.append(len(s))
        except TypeError as e:
            raise ValueError(
                f"`sequences` must be a list of iterables. Found non-iterable: {s!r}"
            ) from e
        if not found and len(s):
            sample_shape, found = np.asarray(s).shape[1:], True
    if maxlen is None:
        maxlen = int(np.max(lengths)) if lengths else 0
    is_str = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_str:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}. "
            "You should set `dtype=object` for variable length strings."
        )
    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for idx, s in enumerate(sequences):
        if not len(s) or maxlen == 0:
            continue
        trunc = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if trunc.shape[1:] != sample_shape:
            raise ValueError(
                f"Shape of sample {trunc.shape[1:]} of sequence at position {idx} is "
                f"different from expected shape {sample_shape}"
            )
        if padding == "post":
            out[idx, : len(trunc)] = trunc
        else:
            out[idx, -len(trunc) :] = trunc
    return out
