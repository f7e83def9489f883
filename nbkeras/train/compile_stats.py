"""What the first call of a step paid: an XLA compile, or a load from the persistent cache.

JAX reports compiles and persistent-cache hits through ``jax.monitoring`` in the thread
that compiles.  Counters here are per thread, so a fused step compiling in the
background (``steps_per_execution="auto"``) does not count as the foreground step's.

Example:
    >>> with Watch() as w:  # doctest: +SKIP
    ...     step(state, batch)
    >>> w.result  # doctest: +SKIP
    {'seconds': 1.9, 'compiles': 1, 'from_cache': False}
"""

from __future__ import annotations

import threading
import time

_COMPILE = "/jax/core/compile/backend_compile_duration"  # also fired by cache loads
_CACHE_LOAD = "/jax/compilation_cache/cache_retrieval_time_sec"  # only on a cache hit

_local = threading.local()
_lock = threading.Lock()
_installed = False


def _counts() -> list:
    c = getattr(_local, "counts", None)
    if c is None:
        c = _local.counts = [0, 0]  # backend compiles (incl. cache loads), cache hits
    return c


def _on_duration(event: str, duration: float, **kwargs) -> None:
    if event == _COMPILE:
        _counts()[0] += 1
    elif event == _CACHE_LOAD:
        _counts()[1] += 1


def _install() -> None:
    global _installed
    with _lock:
        if not _installed:
            import jax.monitoring

            jax.monitoring.register_event_duration_secs_listener(_on_duration)
            _installed = True


class Watch:
    """Context manager: the compiles and cache loads of this thread inside the block.

    Attributes:
        result: After the block, ``{"seconds", "compiles", "from_cache"}``: wall time of
            the block, XLA compiles actually run, and whether every executable the
            block needed came from the persistent compilation cache.  None when the
            block needed no new executable (already compiled in this process).
    """

    def __init__(self):
        self.result: dict | None = None
        self.seconds: float | None = None  # wall time of the block

    def __enter__(self) -> Watch:
        _install()
        self._before = list(_counts())
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        seconds = self.seconds = time.perf_counter() - self._t0
        compiles, hits = (a - b for a, b in zip(_counts(), self._before))
        if compiles:
            self.result = {
                "seconds": seconds,
                "compiles": compiles - hits,
                "from_cache": hits > 0 and hits == compiles,
            }
