"""Initial-weight draws without a compile per weight shape.

``jax.random.uniform(key, shape)`` called eagerly compiles one XLA program per shape;
building a model paid one compile (0.3-1 s on CPU) per distinct weight shape before
the first step could run.  The draws here return exactly the values ``jax.random``
gives for the same key and shape (so Keras's seed parity holds), without that cost:

* ``uniform`` (Glorot/He/LeCun uniform, ``RandomUniform``) for float32 runs the
  threefry-2x32 hash in NumPy on the host: integer arithmetic, bit-exact by
  construction, then the same float conversion as ``jax.random.uniform`` (whose final
  multiply-add XLA fuses; see :func:`uniform`).
* ``normal`` and ``truncated_normal`` need XLA's ``erf_inv``, so they run on the device
  through one jitted draw per power-of-two *bucket* of sizes: the draw of ``n`` values
  is the first ``n`` of a ``bucket``-sized draw.  That holds because with
  ``jax_threefry_partitionable`` (JAX's default since 0.5) the bits of element ``i``
  depend only on the key and ``i``.

Anything else (another PRNG implementation, the old non-partitionable threefry, other
dtypes) falls back to plain ``jax.random``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

HOST_MAX = 1 << 20  # larger uniform draws go to the device (NumPy threefry: ~0.1 s here)
MIN_BUCKET = 1 << 10

_ROT = ((13, 15, 26, 6), (17, 29, 16, 24))


def threefry2x32(key: np.ndarray, x0: np.ndarray, x1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The threefry-2x32 hash (20 rounds) of counter pairs ``(x0, x1)`` under ``key``.

    Same function as JAX's ``threefry2x32_p``, in NumPy ``uint32`` arithmetic (in place,
    to keep a 1M-element draw near 0.1 s).
    """
    k0, k1 = np.uint32(key[0]), np.uint32(key[1])
    ks = (k0, k1, k0 ^ k1 ^ np.uint32(0x1BD11BDA))
    a = x0.astype(np.uint32) + ks[0]
    b = x1.astype(np.uint32) + ks[1]
    tmp = np.empty_like(b)
    for i in range(5):
        for r in _ROT[i % 2]:
            a += b
            np.right_shift(b, np.uint32(32 - r), out=tmp)
            b <<= np.uint32(r)
            b |= tmp
            b ^= a
        a += ks[(i + 1) % 3]
        b += ks[(i + 2) % 3] + np.uint32(i + 1)
    return a, b


def _bits32(key: np.ndarray, n: int) -> np.ndarray:
    """``jax.random.bits(key, (n,), uint32)`` under partitionable threefry."""
    i = np.arange(n, dtype=np.uint64)
    hi = (i >> np.uint64(32)).astype(np.uint32)
    lo = (i & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    a, b = threefry2x32(key, hi, lo)
    return a ^ b


def _raw_key(key: Any) -> np.ndarray | None:
    """The ``uint32[2]`` data of a threefry key (typed or raw), or None."""
    if jax.config.jax_default_prng_impl != "threefry2x32":
        return None
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if str(jax.random.key_impl(key)) != "threefry2x32":
            return None
        key = jax.random.key_data(key)
    data = np.asarray(key)
    if data.shape != (2,) or data.dtype != np.uint32:
        return None
    return data


def _fast(key, dtype) -> np.ndarray | None:
    if not jax.config.jax_threefry_partitionable or jnp.dtype(dtype) != np.float32:
        return None
    if isinstance(key, jax.core.Tracer):
        return None
    return _raw_key(key)


def _bucket(n: int) -> int:
    return max(MIN_BUCKET, 1 << max(0, n - 1).bit_length())


@functools.cache
def _device_draw(kind: str, dtype: str, bucket: int):
    """One jitted ``key -> values[bucket]`` per kind, dtype and size bucket.

    Only the unit draw runs on the device; scaling happens on the host, one rounding
    per operation, exactly as eager ``sample * stddev + mean`` does (inside one fused
    XLA computation it could become a fused multiply-add, a different rounding).
    """

    def draw(key):
        shape = (bucket,)
        if kind == "bits":
            return jax.random.bits(key, shape, jnp.uint32)
        if kind == "normal":
            return jax.random.normal(key, shape, dtype)
        return jax.random.truncated_normal(key, -2.0, 2.0, shape, dtype)

    draw.__name__ = f"init_{kind}_{bucket}"
    return jax.jit(draw)


def trace_count() -> int:
    """How many bucketed device draws were compiled in this process (for tests)."""
    return _device_draw.cache_info().currsize


def _on_device(kind, raw, n, dtype) -> np.ndarray:
    fn = _device_draw(kind, jnp.dtype(dtype).name, _bucket(n))
    return np.asarray(fn(raw))[:n]


def _scaled(sample: np.ndarray, shape, mean: float, stddev: float) -> jax.Array:
    out = sample * np.float32(stddev) + np.float32(mean)
    return jax.device_put(out.reshape(shape))


def uniform(key, shape: tuple[int, ...], minval: float, maxval: float, dtype) -> jax.Array:
    """``jax.random.uniform(key, shape, dtype, minval, maxval)``, compiled at most per bucket.

    Example:
        >>> k = jax.random.key(0)
        >>> bool((uniform(k, (3, 2), -1.0, 1.0, "float32")
        ...       == jax.random.uniform(k, (3, 2), "float32", -1.0, 1.0)).all())
        True
    """
    raw = _fast(key, dtype)
    if raw is None:
        return jax.random.uniform(key, shape, dtype, minval=minval, maxval=maxval)
    n = math.prod(shape)
    bits = _bits32(raw, n) if n <= HOST_MAX else _on_device("bits", raw, n, dtype)
    lo, hi = np.float32(minval), np.float32(maxval)
    bits = (bits >> np.uint32(9)) | np.float32(1.0).view(np.uint32)
    floats = bits.view(np.float32) - np.float32(1.0)
    # XLA fuses ``floats * (hi - lo) + lo`` into one multiply-add (a single rounding):
    # the float64 product is exact, so one float64 add and the cast give the same value
    # (barring a double rounding, probability ~2**-29 per value).
    fma = floats.astype(np.float64) * np.float64(hi - lo) + np.float64(lo)
    out = np.maximum(lo, fma.astype(np.float32))
    return jax.device_put(out.reshape(shape))


def normal(key, shape: tuple[int, ...], mean: float, stddev: float, dtype) -> jax.Array:
    """``jax.random.normal(key, shape, dtype) * stddev + mean`` (one compile per bucket)."""
    raw = _fast(key, dtype)
    if raw is None:
        return jax.random.normal(key, shape, dtype) * stddev + mean
    return _scaled(_on_device("normal", raw, math.prod(shape), dtype), shape, mean, stddev)


def truncated_normal(key, shape: tuple[int, ...], mean: float, stddev: float, dtype):
    """A normal truncated at +-2 standard deviations, as ``keras.random.truncated_normal``."""
    raw = _fast(key, dtype)
    if raw is None:
        sample = jax.random.truncated_normal(key, -2.0, 2.0, shape, dtype)
        return sample * stddev + mean
    sample = _on_device("truncated", raw, math.prod(shape), dtype)
    return _scaled(sample, shape, mean, stddev)
