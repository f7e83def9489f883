"""``text_dataset_from_directory`` in plain Python (no TensorFlow)."""

from __future__ import annotations

import numpy as np

from nbkeras.utils import dataset_utils
from nbkeras.utils.batch_dataset import BatchDataset


def text_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    max_length=None,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    verbose=True,
):
    """Batches of texts (and labels) from a folder of ``.txt`` files, one subfolder per class.

    Keras's ``keras.utils.text_dataset_from_directory``; returns a
    :class:`~nbkeras.utils.batch_dataset.BatchDataset`.  Texts are Python strings in an
    object array (Keras gives ``tf.string`` tensors); turn them into numbers with
    ``ds.map(lambda x, y: (vectorize(x), y))`` before ``fit``.

    Args:
        directory: Folder with one subfolder per class (``labels="inferred"``).
        labels: ``"inferred"``, None (texts only) or a list of int labels, one per file in
            alphanumeric order of the paths.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or None.
        class_names: Subfolders to use, in this order (``labels="inferred"`` only).
        batch_size: Texts per batch; None yields single texts.
        max_length: Keep at most this many characters of each text.
        shuffle: Shuffle the files (and reshuffle every epoch).
        seed: Seed of the shuffles; required with ``validation_split`` and shuffling.
        validation_split: Fraction held out for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"``.
        follow_links: Follow symbolic links to subfolders.
        verbose: Print how many files were found and used.

    Returns:
        A dataset of ``(texts, labels)`` batches, or two with ``subset="both"``;
        ``class_names`` and ``file_paths`` are attributes.

    Example:
        >>> train_ds = text_dataset_from_directory(  # doctest: +SKIP
        ...     "aclImdb/train", batch_size=32, validation_split=0.2, subset="training",
        ...     seed=1337)
    """
    if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
        raise ValueError(f"max_length must be a positive int or None, received {max_length!r}.")
    dataset_utils.check_arguments(labels, label_mode, class_names, validation_split, subset,
                                  shuffle, seed)
    if labels is None:
        label_mode = None
    paths, label_ids, class_names = dataset_utils.index_directory(
        directory, labels, (".txt",), class_names, shuffle, seed, follow_links, verbose)
    dataset_utils.check_binary(label_mode, class_names)
    out = []
    for part_paths, part_labels in dataset_utils.split(paths, label_ids, validation_split,
                                                       subset, verbose):
        encoded = (None if label_mode is None else
                   dataset_utils.encode_labels(part_labels, label_mode, len(class_names)))

        def load(idx, part_paths=part_paths, encoded=encoded):
            x = np.empty(len(idx), dtype=object)
            x[:] = [_read(part_paths[i], max_length) for i in idx]
            return x if encoded is None else (x, encoded[idx])

        ds = BatchDataset(len(part_paths), load, batch_size, shuffle=shuffle, seed=seed)
        ds.class_names, ds.file_paths = class_names, list(part_paths)
        out.append(ds)
    return tuple(out) if subset == "both" else out[0]


def _read(path: str, max_length: int | None) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    return text if max_length is None else text[:max_length]
