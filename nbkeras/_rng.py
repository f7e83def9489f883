"""Global seed state for weight initialisation and eager randomness.

Keras draws every initial weight from one global seed generator that
``keras.utils.set_random_seed`` resets.  nbkeras does the same with a
counter folded into a JAX key, so building the same model twice after
``set_random_seed(s)`` gives the same weights.
"""

from __future__ import annotations

import random as _py_random

import jax
import numpy as np

_state = {"seed": None, "counter": 0}


def set_seed(seed: int) -> None:
    """Reset the global seed (also seeds Python's and NumPy's generators)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(
            f"set_random_seed expected an integer seed, received {seed!r} "
            f"of type {type(seed).__name__}. Pass e.g. set_random_seed(42)."
        )
    _state["seed"] = int(seed)
    _state["counter"] = 0
    _py_random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))


def next_key() -> jax.Array:
    """Return a fresh concrete PRNG key (never a tracer)."""
    if _state["seed"] is None:
        _state["seed"] = int(np.random.SeedSequence().entropy % (2**31))
    _state["counter"] += 1
    if jax.config.jax_default_prng_impl == "threefry2x32":
        # fold_in(key(seed), counter) computed on the host: the same key, without the
        # eager compiles of jax.random.key/fold_in in a fresh process.
        from nbkeras._init_draw import threefry2x32

        seed = np.array([0, _state["seed"]], np.uint32)
        y0, y1 = threefry2x32(seed, np.zeros(1, np.uint32), np.array([_state["counter"]], np.uint32))
        return jax.random.wrap_key_data(np.concatenate([y0, y1]))
    with jax.ensure_compile_time_eval():
        return jax.random.fold_in(jax.random.key(_state["seed"]), _state["counter"])


def next_seed() -> int:
    """Return a fresh Python integer seed derived from the global seed."""
    key = next_key()
    return int(jax.random.randint(key, (), 0, 2**31 - 1))
