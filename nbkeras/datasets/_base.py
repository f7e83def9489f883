"""Where the downloadable datasets come from and where they are cached.

:func:`fetch` returns a local path for one dataset file, in this order:

1. nbkeras's own cache (``$NBKERAS_HOME/datasets``, default ``~/.nbkeras/datasets``), if
   the file there has the expected hash;
2. Keras's cache (``$KERAS_HOME/datasets``, default ``~/.keras/datasets``), if the same
   file is there with the expected hash: Keras users do not download the same bytes twice
   (archives are extracted into nbkeras's cache, Keras's folder is only read);
3. a download from Keras's origin (``$NBKERAS_DATASETS_BASE_URL`` replaces the folder
   part of every origin: mirrors, tests), checked against the hash before it is kept.

Offline, the error says which URL to fetch on another machine and where to put the file.
"""

from __future__ import annotations

import os

from nbkeras.utils.file_utils import (
    cache_paths,
    extract_atomically,
    get_file,
    nbkeras_home,
    validate_file,
)

#: Where Keras hosts most of its datasets.
BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ENV_BASE_URL = "NBKERAS_DATASETS_BASE_URL"


def base_url() -> str:
    """Return the dataset base URL (with a trailing slash), honouring the env override."""
    url = os.environ.get(ENV_BASE_URL) or BASE_URL
    return url if url.endswith("/") else url + "/"


def origin(url: str) -> str:
    """``url``, or the same file name under ``$NBKERAS_DATASETS_BASE_URL`` when it is set.

    Example:
        >>> origin("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz")  # doctest: +SKIP
        'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'
    """
    override = os.environ.get(ENV_BASE_URL)
    if not override:
        return url
    return override.rstrip("/") + "/" + url.rsplit("/", 1)[-1]


def keras_home() -> str:
    """Keras's base directory: ``$KERAS_HOME``, else ``~/.keras`` (as Keras decides it)."""
    if os.environ.get("KERAS_HOME"):
        return os.path.expanduser(os.environ["KERAS_HOME"])
    home = os.path.expanduser("~")
    return os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")


def fetch(
    fname: str,
    url: str,
    file_hash: str | None,
    *,
    extract: bool = False,
    cache_subdir: str = "datasets",
    keras_aliases: tuple[str, ...] = (),
) -> str:
    """Local path of a dataset file (or extracted folder), downloading it only if needed.

    Args:
        fname: Name in the cache, the same as Keras's (so Keras's copy is found).
        url: Keras's origin URL (see :func:`origin` for the override).
        file_hash: sha256 or md5 of the file (of the archive when extracting); None
            (Keras has none for Fashion-MNIST) trusts a cached file as Keras does.
        extract: Extract the archive; return the extraction folder.
        cache_subdir: Subfolder of both caches (Keras's ``cache_subdir``).
        keras_aliases: Other names under which older Keras versions cached the same bytes.

    Returns:
        A path to read from.

    Raises:
        OSError: If the file is in no cache and cannot be downloaded; the message says
            where to put a copy.
        ValueError: If the download does not have the expected hash.
    """
    ours = os.path.join(nbkeras_home(), cache_subdir)
    target, extraction_dir = cache_paths(ours, fname, extract)
    if extract and _stamp(extraction_dir) == file_hash:
        return extraction_dir
    if not extract and _valid(target, file_hash):
        return target
    found = _in_keras_cache(fname, file_hash, extract, cache_subdir, keras_aliases)
    if found is not None and not extract:
        return found
    source = origin(url)
    try:
        if found is not None:
            extract_atomically(found, extraction_dir, "auto")
        else:
            path = get_file(fname, origin=source, file_hash=file_hash, extract=extract,
                            cache_subdir=cache_subdir)
            if not extract:
                return path
        _stamp(extraction_dir, file_hash)
        return extraction_dir
    except OSError as e:
        keras_target, _ = cache_paths(os.path.join(keras_home(), cache_subdir), fname, extract)
        check = f" (its hash must be {file_hash})" if file_hash else ""
        e.add_note(
            f"To use this dataset offline, download {source} on a connected machine and "
            f"put it at {target} (or where Keras keeps it: {keras_target}){check}."
        )
        raise


def _in_keras_cache(fname, file_hash, extract, cache_subdir, aliases) -> str | None:
    """A hash-checked file of Keras's cache with these bytes, or None."""
    folder = os.path.join(keras_home(), cache_subdir)
    candidates = [cache_paths(folder, fname, extract)[0]]
    candidates += [os.path.join(folder, a) for a in aliases]
    return next((p for p in candidates if _valid(p, file_hash)), None)


def _stamp(folder: str, file_hash: str | None = None) -> str | None:
    """Read (or, given ``file_hash``, write) the hash of the archive a folder came from.

    An extracted folder is reused only with this stamp, so a folder left half-written or
    from another archive is never taken for the dataset.
    """
    path = os.path.join(folder, ".nbkeras-archive-hash")
    if file_hash is not None:
        with open(path, "w", encoding="ascii") as f:
            f.write(file_hash)
        return file_hash
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return None


def _valid(path: str, file_hash: str | None) -> bool:
    """An existing file with the expected hash (any existing file if there is no hash)."""
    return os.path.isfile(path) and (file_hash is None or validate_file(path, file_hash))
