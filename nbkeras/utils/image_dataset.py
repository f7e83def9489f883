"""``image_dataset_from_directory`` with Pillow and NumPy (no TensorFlow).

Images are read and resized batch by batch when the batch is asked for.  Resizing uses
Pillow's filters, so pixel values can differ slightly from TensorFlow's ``tf.image.resize``
(the file order, labels, shapes and dtypes are Keras's).
"""

from __future__ import annotations

import numpy as np

from nbkeras.utils import dataset_utils
from nbkeras.utils.batch_dataset import BatchDataset

ALLOWED_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_MODES = {"rgb": ("RGB", 3), "rgba": ("RGBA", 4), "grayscale": ("L", 1)}
_FILTERS = {"bilinear": "BILINEAR", "nearest": "NEAREST", "bicubic": "BICUBIC",
            "area": "BOX", "lanczos3": "LANCZOS", "lanczos5": "LANCZOS", "hamming": "HAMMING"}


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    verbose=True,
):
    """Batches of images (and labels) from a folder with one subfolder per class.

    Keras's ``keras.utils.image_dataset_from_directory``; returns a
    :class:`~nbkeras.utils.batch_dataset.BatchDataset` that ``model.fit`` accepts.

    Args:
        directory: Folder with one subfolder per class (``labels="inferred"``).
        labels: ``"inferred"``, None (images only) or a list of int labels, one per
            file in alphanumeric order of the paths.
        label_mode: ``"int"``, ``"categorical"`` (one-hot), ``"binary"`` (float ``(n, 1)``)
            or None.
        class_names: Subfolders to use, in this order (``labels="inferred"`` only).
        color_mode: ``"rgb"``, ``"rgba"`` or ``"grayscale"``.
        batch_size: Images per batch; None yields single images.
        image_size: ``(height, width)`` to resize to.
        shuffle: Shuffle the files (and reshuffle every epoch).
        seed: Seed of the shuffles; required with ``validation_split`` and shuffling.
        validation_split: Fraction held out for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a pair of datasets).
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"area"``,
            ``"lanczos3"``, ``"lanczos5"`` or ``"hamming"``.
        follow_links: Follow symbolic links to subfolders.
        crop_to_aspect_ratio: Centre-crop to the target aspect ratio before resizing.
        pad_to_aspect_ratio: Pad with zeros to the target aspect ratio before resizing.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        verbose: Print how many files were found and used.

    Returns:
        A dataset of ``(images, labels)`` batches: images float32 ``(b, h, w, c)`` in
        0..255; or two datasets with ``subset="both"``.  ``class_names`` and
        ``file_paths`` are attributes.

    Raises:
        ValueError: On invalid arguments (each message names the argument).

    Example:
        >>> train_ds = image_dataset_from_directory(  # doctest: +SKIP
        ...     "photos/", validation_split=0.2, subset="training", seed=1337,
        ...     image_size=(64, 64), batch_size=16)
    """
    if color_mode not in _MODES:
        raise ValueError(f"color_mode must be 'rgb', 'rgba' or 'grayscale', received "
                         f"{color_mode!r}.")
    if interpolation not in _FILTERS:
        raise ValueError(f"interpolation must be one of {sorted(_FILTERS)}, received "
                         f"{interpolation!r}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True.")
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', received "
                         f"{data_format!r}.")
    size = tuple(int(v) for v in image_size)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"image_size must be (height, width), received {image_size!r}.")
    dataset_utils.check_arguments(labels, label_mode, class_names, validation_split, subset,
                                  shuffle, seed)
    if labels is None:
        label_mode = None
    paths, label_ids, class_names = dataset_utils.index_directory(
        directory, labels, ALLOWED_FORMATS, class_names, shuffle, seed, follow_links, verbose)
    dataset_utils.check_binary(label_mode, class_names)
    opts = dict(mode=color_mode, size=size, resample=interpolation, crop=crop_to_aspect_ratio,
                pad=pad_to_aspect_ratio, channels_first=data_format == "channels_first")
    out = []
    for part_paths, part_labels in dataset_utils.split(paths, label_ids, validation_split,
                                                       subset, verbose):
        if not part_paths:
            raise ValueError(f"No images found in {directory!r} (allowed formats: "
                             f"{ALLOWED_FORMATS}).")
        out.append(_make(part_paths, part_labels, label_mode, class_names, batch_size,
                         shuffle, seed, opts))
    return tuple(out) if subset == "both" else out[0]


def _make(paths, labels, label_mode, class_names, batch_size, shuffle, seed, opts):
    encoded = (None if label_mode is None else
               dataset_utils.encode_labels(labels, label_mode, len(class_names)))

    def load(idx):
        x = np.stack([load_image(paths[i], **opts) for i in idx])
        return x if encoded is None else (x, encoded[idx])

    ds = BatchDataset(len(paths), load, batch_size, shuffle=shuffle, seed=seed)
    ds.class_names, ds.file_paths = class_names, list(paths)
    return ds


def load_image(path, mode="rgb", size=(256, 256), resample="bilinear", crop=False, pad=False,
               channels_first=False) -> np.ndarray:
    """One image file as float32 ``(h, w, c)`` in 0..255, resized to ``size``."""
    from PIL import Image

    pil_mode, _ = _MODES[mode]
    with Image.open(path) as img:
        img = img.convert(pil_mode)
        height, width = size
        if crop or pad:
            w, h = img.size
            target = width / height
            if crop:
                cw, ch = (round(h * target), h) if w / h > target else (w, round(w / target))
                left, top = (w - cw) // 2, (h - ch) // 2
                img = img.crop((left, top, left + cw, top + ch))
            else:
                pw, ph = (w, round(w / target)) if w / h > target else (round(h * target), h)
                canvas = Image.new(pil_mode, (pw, ph))
                canvas.paste(img, ((pw - w) // 2, (ph - h) // 2))
                img = canvas
        img = img.resize((width, height), getattr(Image.Resampling, _FILTERS[resample]))
        x = np.asarray(img, dtype="float32")
    if x.ndim == 2:
        x = x[..., None]
    return np.moveaxis(x, -1, 0) if channels_first else x
