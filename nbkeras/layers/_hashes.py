"""The string hashes of Keras's ``Hashing`` and lookup layers, in NumPy on the host.

Keras (through TensorFlow) hashes each value's text: FarmHash ``Fingerprint64`` without a
salt (``to_hash_bucket_fast``), keyed SipHash-2-4 with a salt (``to_hash_bucket_strong``).
Integers are hashed as their decimal text, floats after truncation to int64.
"""

from __future__ import annotations

import jax
import numpy as np

_MASK = (1 << 64) - 1


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK


def siphash24(key: tuple[int, int], data: bytes) -> int:
    """SipHash-2-4 of ``data`` under the 128-bit key ``(k0, k1)``."""
    k0, k1 = key[0] & _MASK, key[1] & _MASK
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D,
         k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def rounds(n):
        for _ in range(n):
            v[0] = (v[0] + v[1]) & _MASK
            v[1] = _rotl(v[1], 13) ^ v[0]
            v[0] = _rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & _MASK
            v[3] = _rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & _MASK
            v[3] = _rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & _MASK
            v[1] = _rotl(v[1], 17) ^ v[2]
            v[2] = _rotl(v[2], 32)

    tail = len(data) % 8
    for i in range(0, len(data) - tail, 8):
        m = int.from_bytes(data[i:i + 8], "little")
        v[3] ^= m
        rounds(2)
        v[0] ^= m
    last = ((len(data) & 0xFF) << 56) | int.from_bytes(data[len(data) - tail:], "little")
    v[3] ^= last
    rounds(2)
    v[0] ^= last
    v[2] ^= 0xFF
    rounds(4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def _fingerprint64():
    try:
        import farmhash
    except ImportError as e:  # pragma: no cover - pyfarmhash is a dependency
        e.add_note("Hashing needs the 'pyfarmhash' package: pip install pyfarmhash")
        raise
    return farmhash.fingerprint64


def as_texts(values: np.ndarray) -> np.ndarray:
    """Values as the byte strings Keras hashes (``tf.as_string`` of ints)."""
    if values.dtype.kind in "US":
        return np.char.encode(values, "utf-8") if values.dtype.kind == "U" else values
    if values.dtype.kind == "O":
        return np.array([v.encode("utf-8") if isinstance(v, str) else bytes(v)
                         for v in values.reshape(-1)], dtype=object).reshape(values.shape)
    if values.dtype.kind == "f":
        values = values.astype(np.int64)
    return np.char.encode(values.astype(str), "ascii")


def hash_buckets(values, num_buckets: int, salt=None) -> np.ndarray:
    """Bucket of each value: ``hash(text) % num_buckets`` (int64, same shape)."""
    values = np.asarray(values)
    unique, inverse = np.unique(as_texts(values).reshape(-1), return_inverse=True)
    if salt is None:
        fp = _fingerprint64()
        hashed = [fp(bytes(u)) % num_buckets for u in unique]
    else:
        key = (int(salt[0]), int(salt[1]))
        hashed = [siphash24(key, bytes(u)) % num_buckets for u in unique]
    return np.asarray(hashed, np.int64)[inverse].reshape(values.shape)


def host_values(layer, inputs) -> np.ndarray:
    """``inputs`` as a NumPy array, or a clear error inside ``jax.jit`` / a symbolic call."""
    if isinstance(inputs, jax.core.Tracer):
        raise TypeError(
            f"{type(layer).__name__} '{layer.name}' works on concrete values on the host "
            "(strings and hashes are computed in NumPy, as Keras does without TensorFlow), "
            "so it cannot run inside jax.jit or a Functional/Sequential model that is "
            "compiled. Apply it to the data before fit/predict (`x = layer(raw_x)`, or "
            "`dataset.map(lambda x, y: (layer(x), y))`) and give the model its outputs."
        )
    return np.asarray(inputs)
