"""Shared pieces of the ``*_dataset_from_directory`` utilities: indexing and splitting.

The rules are Keras's (``keras/src/utils/dataset_utils.py``), so the same folder, seed
and split give the same files in the same order as Keras: one subfolder per class in
alphanumeric order (or ``class_names``), files sorted within each, the whole list
shuffled with ``np.random.RandomState(seed)``, and the validation subset taken from the
end.
"""

from __future__ import annotations

import os

import numpy as np

_LABEL_MODES = ("int", "categorical", "binary", None)


def check_arguments(labels, label_mode, class_names, validation_split, subset, shuffle,
                    seed) -> None:
    """Keras's argument checks, with messages that say how to fix the call."""
    if not (labels in ("inferred", None) or isinstance(labels, (list, tuple))):
        raise ValueError(
            "labels must be 'inferred', None, or a list/tuple of integer labels (one per "
            f"file, in alphanumeric order of the file paths). Received: labels={labels!r}"
        )
    if label_mode not in _LABEL_MODES:
        raise ValueError(f"label_mode must be one of {list(_LABEL_MODES)}, received "
                         f"{label_mode!r}.")
    if class_names is not None and labels != "inferred":
        raise ValueError("class_names is only used with labels='inferred'; received "
                         f"labels={labels!r}.")
    if labels is None and label_mode is not None:
        label_mode = None  # Keras: no labels means no label mode
    if validation_split is not None and not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be between 0 and 1, received "
                         f"{validation_split!r}.")
    if (validation_split is None) != (subset is None):
        raise ValueError(
            "validation_split and subset go together: pass both (e.g. validation_split=0.2, "
            f"subset='training') or neither. Received validation_split={validation_split!r}, "
            f"subset={subset!r}."
        )
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f"subset must be 'training', 'validation' or 'both', received "
                         f"{subset!r}.")
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "When using validation_split with shuffle=True, pass a seed (e.g. seed=1337) so "
            "that the training and validation subsets do not overlap."
        )


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """List the files of ``directory`` with their labels, as Keras does.

    Returns:
        ``(file_paths, labels, class_names)``: labels int32 (None without labels).

    Raises:
        ValueError: If the directory is missing, ``class_names`` does not match the
            subfolders, or the number of ``labels`` differs from the number of files.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"Directory {directory!r} does not exist or is not a directory.")
    if labels == "inferred":
        subdirs = sorted(d for d in os.listdir(directory)
                         if os.path.isdir(os.path.join(directory, d)) and not d.startswith("."))
        if class_names is not None:
            if not set(class_names) <= set(subdirs):
                raise ValueError(
                    f"class_names {list(class_names)} are not subfolders of {directory!r}: "
                    f"expected some of {subdirs}."
                )
            subdirs = list(class_names)  # the given order
        class_names = subdirs
        roots = [os.path.join(directory, d) for d in subdirs]
    else:
        roots = [directory]
    formats = tuple(f.lower() for f in formats)
    paths, ids = [], []
    for i, root in enumerate(roots):
        for base, _, files in sorted(os.walk(root, followlinks=follow_links)):
            for name in sorted(files):
                if name.lower().endswith(formats):
                    paths.append(os.path.join(base, name))
                    ids.append(i)
    if labels == "inferred":
        label_array = np.asarray(ids, dtype="int32")
    elif labels is None:
        label_array, class_names = None, None
    else:
        if len(labels) != len(paths):
            raise ValueError(
                f"Expected as many labels as files: found {len(paths)} files in "
                f"{directory!r} but received {len(labels)} labels."
            )
        label_array = np.asarray(labels, dtype="int32")
        class_names = [str(c) for c in sorted(set(label_array.tolist()))]
    if verbose:
        if label_array is None:
            print(f"Found {len(paths)} files.")
        else:
            print(f"Found {len(paths)} files belonging to {len(class_names)} classes.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return paths, label_array, class_names


def split(paths, labels, validation_split, subset, verbose=True):
    """``[(paths, labels)]`` for ``subset`` ("both" gives training then validation)."""
    if not validation_split:
        return [(paths, labels)]
    n_val = int(validation_split * len(paths))
    cut = len(paths) - n_val
    parts = {"training": (paths[:cut], None if labels is None else labels[:cut]),
             "validation": (paths[cut:], None if labels is None else labels[cut:])}
    names = ["training", "validation"] if subset == "both" else [subset]
    if verbose:
        for name in names:
            print(f"Using {len(parts[name][0])} files for {name}.")
    return [parts[name] for name in names]


def encode_labels(labels: np.ndarray, label_mode, num_classes: int) -> np.ndarray:
    """Labels as Keras delivers them: int32, one-hot float32, or float32 ``(n, 1)``."""
    if label_mode == "int":
        return labels.astype("int32")
    if label_mode == "binary":
        return labels.astype("float32").reshape(-1, 1)
    return np.eye(num_classes, dtype="float32")[labels]


def check_binary(label_mode, class_names) -> None:
    if label_mode == "binary" and class_names is not None and len(class_names) != 2:
        raise ValueError(
            f"label_mode='binary' needs exactly 2 classes, found {len(class_names)}: "
            f"{class_names}. Use label_mode='int' or 'categorical'."
        )
