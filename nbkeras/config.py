"""Global settings (``keras.config``): float type, epsilon, image layout, dtype policy,
unsafe deserialization, traceback filtering, and the persistent XLA compilation cache.

Example:
    >>> import nbkeras
    >>> nbkeras.config.backend(), nbkeras.config.floatx()
    ('jax', 'float32')

The persistent XLA compilation cache:

Compiling a train step takes seconds; with a persistent cache, re-running a cell
(a new model of the same architecture), a kernel restart or a second script run loads
the compiled executables from disk instead.  It is on by default, in
:func:`default_cache_dir` (``~/.cache/nbkeras/xla``), trimmed to 1 GiB once a day (least
recently used entries go first).  The environment variable ``NBKERAS_COMPILATION_CACHE``, read
at ``import nbkeras``, overrides that: ``0`` (or ``off``/``false``/``no``) turns it off,
a directory moves it.  In a running process use :func:`disable_compilation_cache` /
:func:`enable_compilation_cache`.
"""

from __future__ import annotations

import os

from nbkeras import _serialization
from nbkeras._settings import (  # noqa: F401  (re-exported, Keras names)
    disable_flash_attention,
    enable_flash_attention,
    epsilon,
    floatx,
    image_data_format,
    is_flash_attention_enabled,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from nbkeras._traceback import (  # noqa: F401  (public: keras.config.*)
    disable_traceback_filtering,
    enable_traceback_filtering,
    is_traceback_filtering_enabled,
)
from nbkeras.backend import backend  # noqa: F401

ENV_VAR = "NBKERAS_COMPILATION_CACHE"


def set_backend(backend: str) -> None:  # noqa: F811  (Keras signature)
    """Keras's backend switch: nbkeras runs on JAX only, so only ``"jax"`` is accepted.

    Raises:
        ValueError: For any other backend name.
    """
    if backend != "jax":
        raise ValueError(
            f"nbkeras runs on JAX only; set_backend({backend!r}) is not possible. "
            "Use real Keras for the TensorFlow or PyTorch backends."
        )


def dtype_policy():
    """The global dtype policy (``mixed_precision.global_policy``)."""
    from nbkeras.mixed_precision import global_policy

    return global_policy()


def set_dtype_policy(policy) -> None:
    """Set the global dtype policy, e.g. ``"mixed_bfloat16"``."""
    from nbkeras.mixed_precision import set_global_policy

    set_global_policy(policy)


def is_nnx_enabled() -> bool:
    """Always True: every nbkeras layer is a Flax ``nnx.Module``."""
    return True


def enable_unsafe_deserialization() -> None:
    """Allow loading Python lambdas (bytecode) from ``.keras`` files in this process.

    Only for files you trust: a lambda in a file can run any code when loaded.
    """
    _serialization.set_unsafe_deserialization(True)
_cache_dir: str | None = None


def default_cache_dir() -> str:
    """``$XDG_CACHE_HOME/nbkeras/xla`` (``~/.cache/nbkeras/xla`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nbkeras", "xla")


DEFAULT_MIN_COMPILE_SECS = 0.1  # the default cache skips trivial (eager op) compiles
DEFAULT_MAX_SIZE_BYTES = 1 << 30
EVICT_INTERVAL_S = 24 * 3600  # a bounded directory is trimmed at most this often
_ENTRY, _ATIME = "-cache", "-atime"  # jax/_src/lru_cache.py's file suffixes
_MARKER = ".nbkeras-trimmed"  # its modification time: the last trim of the directory
_cache_max_size: int | None = None


def enable_compilation_cache(
    path: str | os.PathLike | None = None,
    min_compile_time_secs=0.0,
    max_size_bytes: int | None = None,
):
    """Store compiled XLA executables in ``path`` and reuse them across processes.

    JAX reads and writes the entries with no size bookkeeping (its own LRU mode locks
    the directory for every read and scans every entry on every write: seconds per
    compile once a cache holds thousands of entries). The size limit is kept by
    nbkeras instead: at most once a day, enabling the cache trims the directory to
    90 % of ``max_size_bytes``, least recently used entries first.

    Args:
        path: Cache directory (created if missing); :func:`default_cache_dir` if None.
        min_compile_time_secs: Only cache computations that took at least this long
            to compile (0 caches everything, including small eval/predict steps).
        max_size_bytes: Trim the directory to this size (a soft limit: a day's new
            entries may exceed it until the next trim); None keeps everything.

    Returns:
        The cache directory as a string.

    Example:
        >>> import nbkeras
        >>> nbkeras.config.enable_compilation_cache("/tmp/nbkeras-xla")  # doctest: +SKIP
        '/tmp/nbkeras-xla'
    """
    import jax

    global _cache_dir, _cache_max_size
    if isinstance(min_compile_time_secs, bool) or not isinstance(
        min_compile_time_secs, (int, float)
    ):
        raise TypeError(
            "min_compile_time_secs must be a number of seconds, received "
            f"{min_compile_time_secs!r}."
        )
    if max_size_bytes is not None and (
        isinstance(max_size_bytes, bool) or not isinstance(max_size_bytes, int)
        or max_size_bytes <= 0
    ):
        raise ValueError(
            f"max_size_bytes must be a positive int or None, received {max_size_bytes!r}."
        )
    path = os.fspath(path) if path is not None else default_cache_dir()
    if not isinstance(path, str) or not path:
        raise ValueError(f"path must be a non-empty directory path, received {path!r}.")
    os.makedirs(path, exist_ok=True)
    if max_size_bytes is not None:
        trim_compilation_cache(path, max_size_bytes, min_interval_s=EVICT_INTERVAL_S)
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_compile_time_secs))
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    jax.config.update("jax_compilation_cache_max_size", -1)  # no per-write scan or lock
    _reset_jax_cache()
    _cache_dir, _cache_max_size = path, max_size_bytes
    return path


def trim_compilation_cache(path, max_size_bytes: int, min_interval_s: float = 0.0) -> int:
    """Delete least recently used cache entries until ``path`` holds at most 90 % of
    ``max_size_bytes``; returns the number of entries deleted.

    Last use is the entry file's access time (or modification time, if later). With
    ``min_interval_s``, nothing is done if the directory was trimmed that recently.
    Entries another process deletes meanwhile are skipped; an unwritable directory is
    left alone.

    Example:
        >>> import tempfile
        >>> trim_compilation_cache(tempfile.mkdtemp(), 1 << 20)
        0
    """
    import time

    marker = os.path.join(path, _MARKER)
    try:
        if min_interval_s and time.time() - os.stat(marker).st_mtime < min_interval_s:
            return 0
    except FileNotFoundError:
        pass
    entries, total = [], 0
    try:
        with open(marker, "w"):  # claim this trim first: concurrent processes skip it
            pass
        with os.scandir(path) as it:
            for entry in it:
                if entry.name.endswith(_ENTRY):
                    try:
                        st = entry.stat()
                    except FileNotFoundError:
                        continue
                    entries.append((max(st.st_atime_ns, st.st_mtime_ns), entry.name,
                                    st.st_size))
                    total += st.st_size
    except OSError:  # read-only or vanished directory: nothing to trim
        return 0
    target = 0.9 * max_size_bytes
    deleted = 0
    for _, name, size in sorted(entries):
        if total <= target:
            break
        for victim in (name, name[: -len(_ENTRY)] + _ATIME):  # (older versions' atime)
            try:
                os.remove(os.path.join(path, victim))
            except OSError:
                pass
        total -= size
        deleted += 1
    return deleted


def disable_compilation_cache() -> None:
    """Stop reading and writing the persistent compilation cache."""
    import jax

    global _cache_dir, _cache_max_size
    jax.config.update("jax_compilation_cache_dir", None)
    _reset_jax_cache()
    _cache_dir, _cache_max_size = None, None


def compilation_cache_dir() -> str | None:
    """The enabled cache directory, or None."""
    return _cache_dir


def _reset_jax_cache() -> None:
    # jax initialises its cache object once, on first use; let it pick the new path up.
    try:
        from jax._src import compilation_cache as cc

        cc.reset_cache()
    except Exception:  # pragma: no cover - private API moved: the setting still applies
        pass


def _from_env() -> None:
    """At ``import nbkeras``: the default cache, or what ``NBKERAS_COMPILATION_CACHE`` says."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value.lower() in ("0", "false", "no", "off"):
        return
    explicit = value and value.lower() not in ("1", "true", "yes", "on")
    try:
        enable_compilation_cache(
            value if explicit else None,
            min_compile_time_secs=0.0 if explicit else DEFAULT_MIN_COMPILE_SECS,
            max_size_bytes=None if explicit else DEFAULT_MAX_SIZE_BYTES,
        )
    except OSError:
        if explicit:
            raise
        # No writable cache directory (read-only home): run without the cache.
