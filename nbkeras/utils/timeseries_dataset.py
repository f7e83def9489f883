"""``timeseries_dataset_from_array``: sliding windows over an array, in NumPy."""

from __future__ import annotations

import numpy as np

from nbkeras.utils.batch_dataset import BatchDataset


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    shuffle=False,
    seed=None,
    start_index=None,
    end_index=None,
):
    """Batches of windows over ``data`` (and their targets), as Keras makes them.

    Window ``i`` holds ``data[p, p + r, ..., p + (sequence_length - 1) * r]`` (``r`` the
    ``sampling_rate``) for start ``p = start_index + i * sequence_stride``, and its target
    is ``targets[p]``.

    Args:
        data: Array (or array-like) of timesteps, axis 0 is time.
        targets: Targets aligned with ``data`` (``targets[p]`` for the window starting at
            ``p``), or None for windows only.
        sequence_length: Timesteps per window.
        sequence_stride: Steps between the starts of consecutive windows.
        sampling_rate: Steps between the timesteps inside a window.
        batch_size: Windows per batch; None yields single windows.
        shuffle: Shuffle the windows (and reshuffle every epoch).
        seed: Seed of the shuffles.
        start_index: First timestep used (inclusive).
        end_index: Last timestep used (exclusive).

    Returns:
        A :class:`~nbkeras.utils.batch_dataset.BatchDataset` of ``(windows, targets)``
        batches (``windows`` alone without targets).

    Raises:
        ValueError: For out-of-range indices or strides (the message names the argument).

    Example:
        >>> ds = timeseries_dataset_from_array(np.arange(100)[:-10], np.arange(100)[10:],
        ...                                    sequence_length=10, batch_size=4)
        >>> x, y = ds[0]
        >>> x[0].tolist(), int(y[0])
        ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 10)
    """
    data = np.asarray(data)
    n = len(data)
    if start_index is not None and not 0 <= start_index < n:
        raise ValueError(f"start_index must be in [0, len(data)={n}), received {start_index}.")
    if end_index is not None:
        if end_index <= (start_index or 0) or end_index >= n:
            raise ValueError(
                f"end_index must be above start_index ({start_index or 0}) and below "
                f"len(data)={n}, received {end_index}."
            )
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if not 0 < value < n:
            raise ValueError(f"{name} must be in [1, len(data)={n}), received {value}.")
    start = start_index or 0
    stop = n if end_index is None else end_index
    num_seqs = stop - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(positions)
    window = np.arange(sequence_length) * sampling_rate
    source = data[start:stop]
    target_source = None if targets is None else targets[start:stop]

    def load(idx):
        p = positions[idx]
        x = source[p[:, None] + window]
        return x if target_source is None else (x, target_source[p])

    # positions are already in Keras's (shuffled) order; batches reshuffle each epoch.
    return BatchDataset(len(positions), load, batch_size, shuffle=shuffle, seed=seed)
