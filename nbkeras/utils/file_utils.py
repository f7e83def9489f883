"""Download-and-cache files (``keras.utils.get_file``) with the standard library only.

Files go to ``$NBKERAS_HOME/<cache_subdir>`` (default ``~/.nbkeras/datasets``). Downloads
stream into a temporary file in the same directory, are hash-checked, then moved into
place with ``os.replace``, so an interrupted download never leaves a broken cache entry.
Archives are extracted only if every member stays inside the target directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from typing import Any

__all__ = [
    "cache_paths",
    "extract_archive",
    "extract_atomically",
    "get_file",
    "hash_file",
    "nbkeras_home",
    "validate_file",
]

_CHUNK = 1 << 16


def nbkeras_home() -> str:
    """Return the cache root: ``$NBKERAS_HOME`` or ``~/.nbkeras``.

    Example:
        >>> isinstance(nbkeras_home(), str)
        True
    """
    return os.path.expanduser(os.environ.get("NBKERAS_HOME") or os.path.join("~", ".nbkeras"))


def _hasher(algorithm: str, file_hash: str | None) -> Any:
    if algorithm == "sha256" or (
        algorithm == "auto" and file_hash is not None and len(file_hash) == 64
    ):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(f"Unknown hash_algorithm {algorithm!r}: expected 'auto', 'sha256' or 'md5'.")


def hash_file(fpath: str, algorithm: str = "sha256", chunk_size: int = _CHUNK) -> str:
    """Return the hex digest of a file.

    Args:
        fpath: Path to the file.
        algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (sha256).
        chunk_size: Bytes read at a time.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "f"); _ = open(p, "wb").write(b"")
        >>> hash_file(p)[:8]
        'e3b0c442'
    """
    hasher = hashlib.sha256() if algorithm in ("sha256", "auto") else _hasher(algorithm, None)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(
    fpath: str, file_hash: str, algorithm: str = "auto", chunk_size: int = _CHUNK
) -> bool:
    """Whether the file's hash equals ``file_hash`` (sha256 if 64 hex chars, else md5).

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "f"); _ = open(p, "wb").write(b"")
        >>> validate_file(p, "d41d8cd98f00b204e9800998ecf8427e")
        True
    """
    hasher = _hasher(algorithm, file_hash)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest() == str(file_hash).lower()


def _inside(root: str, name: str) -> bool:
    root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(root, name))
    return os.path.commonpath([root, target]) == root


def _safe_extract_tar(archive: tarfile.TarFile, dest: str) -> None:
    for member in archive.getmembers():
        ok = _inside(dest, member.name)
        if member.issym() or member.islnk():
            link_base = os.path.dirname(member.name) if member.issym() else ""
            ok = ok and _inside(dest, os.path.join(link_base, member.linkname))
        if not ok or member.isdev():
            raise ValueError(
                f"Refusing to extract archive member {member.name!r}: it would write "
                f"outside the target directory {dest!r}."
            )
    archive.extractall(dest, filter="data")


def _safe_extract_zip(archive: zipfile.ZipFile, dest: str) -> None:
    for name in archive.namelist():
        if os.path.isabs(name) or not _inside(dest, name):
            raise ValueError(
                f"Refusing to extract archive member {name!r}: it would write "
                f"outside the target directory {dest!r}."
            )
    archive.extractall(dest)


def extract_archive(
    file_path: str, path: str = ".", archive_format: str | list[str] | None = "auto"
) -> bool:
    """Extract a tar or zip archive into ``path``, rejecting path traversal.

    Args:
        file_path: The archive.
        path: Destination directory.
        archive_format: ``"auto"`` (``["tar", "zip"]``), ``"tar"``, ``"zip"``, a list,
            or ``None`` (do nothing).

    Returns:
        True if the archive was recognised and extracted, else False.

    Raises:
        ValueError: If a member would be written outside ``path``.

    Example:
        >>> extract_archive("not-an-archive.txt", archive_format=None)
        False
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else list(formats)
    for fmt in formats:
        if fmt == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                _safe_extract_tar(archive, path)
            return True
        if fmt == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                _safe_extract_zip(archive, path)
            return True
    return False


def _download(origin: str, target: str, file_hash: str | None, algorithm: str) -> None:
    directory = os.path.dirname(target)
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".part"
    )
    hasher = _hasher(algorithm, file_hash) if file_hash is not None else None
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(origin, timeout=60) as response:
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        out.write(chunk)
                        if hasher is not None:
                            hasher.update(chunk)
            except urllib.error.HTTPError as e:
                raise OSError(
                    f"URL fetch failure on {origin}: HTTP {e.code} {e.reason}. "
                    "Check that the URL is correct."
                ) from e
            except (urllib.error.URLError, TimeoutError) as e:
                reason = getattr(e, "reason", e)
                raise OSError(
                    f"URL fetch failure on {origin}: {reason}. Check your network connection, "
                    f"or download the file yourself and place it at {target!r}."
                ) from e
        if hasher is not None and hasher.hexdigest() != str(file_hash).lower():
            raise ValueError(
                f"Incomplete or corrupted file downloaded from {origin}: its "
                f"{hasher.name} hash is {hasher.hexdigest()}, expected {file_hash}. "
                "Retry, or check the `file_hash` argument."
            )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def get_file(
    fname: str | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str = "auto",
    cache_dir: str | None = None,
    force_download: bool = False,
) -> str:
    """Download a file from ``origin`` unless it is already cached, and return its path.

    Args:
        fname: File name in the cache (defaults to the last part of ``origin``'s path).
            Must not contain a path separator.
        origin: URL to download from.
        untar: Deprecated alias for ``extract=True, archive_format="tar"``.
        md5_hash: Deprecated; use ``file_hash`` (md5 is then assumed).
        file_hash: Expected sha256 (64 hex chars) or md5 hex digest.
        cache_subdir: Subdirectory of the cache root.
        hash_algorithm: ``"auto"``, ``"sha256"`` or ``"md5"``.
        extract: Extract the archive and return the extraction directory.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"`` or ``None``.
        cache_dir: Cache root (default ``$NBKERAS_HOME`` or ``~/.nbkeras``).
        force_download: Download even if a valid cached file exists.

    Returns:
        Path to the downloaded file, or to the extraction directory when extracting.

    Raises:
        ValueError: If ``origin`` is missing, ``fname`` is a path, or the hash mismatches.
        OSError: If the download fails.

    Example:
        >>> get_file("mnist.npz", origin=None)
        Traceback (most recent call last):
        ...
        ValueError: get_file() needs the `origin` argument (the URL of the file to download).
    """
    if origin is None:
        raise ValueError(
            "get_file() needs the `origin` argument (the URL of the file to download)."
        )
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(cache_dir) if cache_dir is not None else nbkeras_home()
    if not _creatable(base) or not os.access(base, os.W_OK):
        base = os.path.join(tempfile.gettempdir(), ".nbkeras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    provided = fname
    fname = os.fspath(fname) if fname is not None else ""
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(
                f"Can't parse the file name from the origin provided: {origin!r}. "
                "Please specify the `fname` argument."
            )
    elif os.sep in fname or (os.altsep and os.altsep in fname) or fname in (".", ".."):
        raise ValueError(
            "Paths are not accepted as the `fname` argument; use `cache_dir` / "
            f"`cache_subdir` for the parent directory. Received: fname={fname!r}"
        )

    extracting = extract or untar
    target, extraction_dir = cache_paths(datadir, fname, extracting, bool(provided))

    download = force_download or not os.path.exists(target)
    if (
        not download
        and file_hash is not None
        and not validate_file(target, file_hash, hash_algorithm)
    ):
        print(f"The cached file {target} does not match the expected hash; downloading it again.")
        download = True
    if download:
        print(f"Downloading data from {origin}")
        _download(origin, target, file_hash, hash_algorithm)

    if not extracting:
        return target
    if os.path.isdir(extraction_dir) and not download:
        return extraction_dir
    extract_atomically(target, extraction_dir, "tar" if untar else archive_format)
    return extraction_dir


def cache_paths(
    datadir: str, fname: str, extract: bool, provided: bool = True
) -> tuple[str, str | None]:
    """Where ``get_file`` keeps a file and, when extracting, its extraction folder.

    Keras's naming rule, so that both caches have the same layout: an archive named
    ``name.tar.gz`` is extracted into ``name_extracted``; a name without a dot is the
    extraction folder and the archive is kept as ``name_archive``.

    Example:
        >>> cache_paths("/c", "cifar-10-batches-py-target", True)
        ('/c/cifar-10-batches-py-target_archive', '/c/cifar-10-batches-py-target')
    """
    if not extract:
        return os.path.join(datadir, fname), None
    if provided and "." in fname:
        return (os.path.join(datadir, fname),
                os.path.join(datadir, f"{fname[: fname.find('.')]}_extracted"))
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


def extract_atomically(archive: str, extraction_dir: str, archive_format="auto") -> str:
    """Extract ``archive`` into ``extraction_dir``, replacing it only once complete.

    Raises:
        ValueError: If ``archive`` is not an archive of ``archive_format``, or a member
            would be written outside the folder.
    """
    parent = os.path.dirname(extraction_dir)
    os.makedirs(parent, exist_ok=True)
    tmp_dir = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(extraction_dir)}.")
    try:
        if not extract_archive(archive, tmp_dir, archive_format):
            raise ValueError(
                f"Could not extract {archive!r}: it is not a {archive_format!r} archive. "
                "Pass extract=False to keep the file as is."
            )
        if os.path.isdir(extraction_dir):
            shutil.rmtree(extraction_dir)
        os.replace(tmp_dir, extraction_dir)
    finally:
        if os.path.isdir(tmp_dir):
            shutil.rmtree(tmp_dir)
    return extraction_dir


def _creatable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        return True
    except OSError:
        return False
