"""A PRNG key carried as layer state, for layers that draw randomness in ``call``.

The key lives in an ``nnx`` variable (:class:`~nbkeras.variables.SeedState`), so a model
stays a pure function of its state under ``nnx.split`` / ``jax.jit``: each draw splits the
key and writes the new one back.  ``seed=None`` takes a key from the global seed
(``nbkeras.utils.set_random_seed``).
"""

from __future__ import annotations

import jax

from nbkeras import _rng
from nbkeras import variables as _vars


def make_seed_state(seed) -> _vars.SeedState:
    """A ``SeedState`` holding a key from ``seed`` (or from the global seed if None)."""
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise TypeError(f"'seed' must be an int or None, received {seed!r}.")
    key = jax.random.key(seed) if seed is not None else _rng.next_key()
    with jax.ensure_compile_time_eval():
        return _vars.SeedState(jax.random.key_data(key))


def next_key(seed_state: _vars.SeedState) -> jax.Array:
    """Split the key in ``seed_state``: store one half, return the other."""
    key = jax.random.wrap_key_data(seed_state[...])
    key, sub = jax.random.split(key)
    seed_state[...] = jax.random.key_data(key)
    return sub


def dropout_mask(seed_state, rate: float, shape, dtype="float32"):
    """A Keras dropout mask of ``shape``: kept entries ``1 / (1 - rate)``, dropped ``0``."""
    keep = jax.random.bernoulli(next_key(seed_state), 1.0 - rate, shape)
    return keep.astype(dtype) / (1.0 - rate)
