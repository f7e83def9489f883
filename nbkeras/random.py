"""``keras.random`` equivalents over ``jax.random``.

Every function takes ``seed``:

* ``None``: a fresh key from the global generator (``nbkeras.utils.set_random_seed``
  makes the sequence reproducible). Eager use only: inside ``jax.jit`` the key would be
  baked into the compiled function as a constant.
* ``int``: deterministic, and the same key Keras 3's JAX backend uses, so
  ``nbkeras.random.normal(s, seed=3)`` equals ``keras.random.normal(s, seed=3)``.
* a :class:`SeedGenerator`: its next sub-key (the generator advances).
* a JAX PRNG key (typed or raw ``uint32[2]``): used as is; this is the form to use
  inside jitted code.

Example:
    >>> from nbkeras import random
    >>> random.uniform((2, 3), seed=0).shape
    (2, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from nbkeras import _rng
from nbkeras._settings import floatx as _floatx

__all__ = [
    "SeedGenerator", "beta", "binomial", "categorical", "gamma", "draw_seed", "dropout", "normal", "randint",
    "shuffle", "truncated_normal", "uniform",
]  # fmt: skip


class SeedGenerator(nnx.Pytree):
    """A stateful source of PRNG keys, as Keras's ``keras.random.SeedGenerator``.

    Its state is ``[seed, counter]`` (``uint32[2]``) in an nnx variable; ``next()`` returns
    the current state as a key and advances the counter, exactly as Keras 3's JAX backend
    does, so seeded draws equal Keras's.  Assigned to a layer
    (``self.seed_generator = SeedGenerator(1337)``) its state is one of the layer's
    ``non_trainable_variables`` and advances inside jitted training steps; it is also
    a pytree that can go into and out of ``jax.jit``.

    Args:
        seed: ``None`` (drawn from the global seed), an int, or an existing key.

    Example:
        >>> gen = SeedGenerator(42)
        >>> k1, k2 = gen.next(), gen.next()
        >>> bool((jax.random.key_data(k1) != jax.random.key_data(k2)).any())
        True
    """

    def __init__(self, seed: int | jax.Array | None = None, name: str | None = None) -> None:
        from nbkeras.variables import SeedState

        self._init_seed = seed if isinstance(seed, (int, np.integer)) else None
        self.name = name or "seed_generator"
        if seed is None:
            value = jax.random.key_data(_rng.next_key())
        elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            value = np.array([int(seed) & 0xFFFFFFFF, 0], dtype=np.uint32)
        elif isinstance(seed, jax.Array) or hasattr(seed, "dtype"):
            typed = jnp.issubdtype(seed.dtype, jax.dtypes.prng_key)
            value = jax.random.key_data(seed) if typed else seed
        else:
            raise TypeError(
                f"SeedGenerator expected an integer seed, a JAX key or None, received "
                f"{seed!r} of type {type(seed).__name__}."
            )
        with jax.ensure_compile_time_eval():
            self.state = SeedState(jnp.asarray(value, jnp.uint32))

    def next(self) -> jax.Array:
        """Return the current state as a key and advance the counter (Keras's order)."""
        value = self.state.get_value()
        self.state.set_value(value + jnp.array([0, 1], jnp.uint32))
        return jax.random.wrap_key_data(value)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments (the int seed, if one was given)."""
        return {"seed": self._init_seed}

    def __repr__(self) -> str:
        return f"SeedGenerator(seed={self._init_seed!r})"


def draw_seed(seed: Any = None) -> jax.Array:
    """Turn any accepted ``seed`` value into a JAX PRNG key.

    Args:
        seed: ``None``, an int, a :class:`SeedGenerator` or a JAX key.

    Returns:
        A PRNG key usable with ``jax.random``.

    Raises:
        TypeError: If ``seed`` is of another type.

    Example:
        >>> draw_seed(3).tolist()
        [3, 0]
    """
    if seed is None:
        return _rng.next_key()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        # Keras's JAX backend uses the raw key [seed, 0]; match it exactly.
        with jax.ensure_compile_time_eval():
            return jnp.array([int(seed) & 0xFFFFFFFF, 0], dtype=jnp.uint32)
    if isinstance(seed, jax.Array):
        return seed
    raise TypeError(
        f"Argument `seed` must be None, an integer, a SeedGenerator or a JAX PRNG key. "
        f"Received: seed={seed!r} of type {type(seed).__name__}."
    )


def normal(
    shape: Sequence[int],
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> jax.Array:
    """Draw from a normal distribution.

    Example:
        >>> normal((2,), seed=1).shape
        (2,)
    """
    sample = jax.random.normal(draw_seed(seed), shape=tuple(shape), dtype=dtype or _floatx())
    return sample * stddev + mean


def uniform(
    shape: Sequence[int],
    minval: float = 0.0,
    maxval: float = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> jax.Array:
    """Draw from a uniform distribution on ``[minval, maxval)``.

    Example:
        >>> bool((uniform((10,), seed=1) < 1.0).all())
        True
    """
    return jax.random.uniform(
        draw_seed(seed), shape=tuple(shape), dtype=dtype or _floatx(), minval=minval, maxval=maxval
    )


def randint(
    shape: Sequence[int], minval: int, maxval: int, dtype: Any = "int32", seed: Any = None
) -> jax.Array:
    """Draw integers uniformly from ``[minval, maxval)``.

    Example:
        >>> int(randint((), 0, 1, seed=0))
        0
    """
    return jax.random.randint(
        draw_seed(seed), shape=tuple(shape), minval=minval, maxval=maxval, dtype=dtype
    )


def truncated_normal(
    shape: Sequence[int],
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> jax.Array:
    """Draw from a normal distribution truncated to two standard deviations.

    Example:
        >>> bool((abs(truncated_normal((100,), seed=0)) <= 2.0).all())
        True
    """
    sample = jax.random.truncated_normal(
        draw_seed(seed), lower=-2.0, upper=2.0, shape=tuple(shape), dtype=dtype or _floatx()
    )
    return sample * stddev + mean


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> jax.Array:
    """Draw class indices from ``logits`` of shape ``(batch, num_classes)``.

    Returns:
        Integer array of shape ``(batch, num_samples)``.

    Example:
        >>> categorical(jnp.zeros((2, 3)), 4, seed=0).shape
        (2, 4)
    """
    logits = jnp.asarray(logits)
    shape = (logits.shape[0], num_samples)
    out = jax.random.categorical(draw_seed(seed), logits[..., None], axis=1, shape=shape)
    return out.astype(dtype)


def _check_traced_seed(x: Any, seed: Any, name: str) -> None:
    if seed is None and isinstance(x, jax.core.Tracer):
        raise ValueError(
            f"random.{name} was called with seed=None inside a traced (jitted) function; "
            "the key would be frozen into the compiled code. Pass a JAX key or a "
            "SeedGenerator threaded through the function, e.g. "
            f"random.{name}(x, ..., seed=key)."
        )


def dropout(
    inputs: Any, rate: float, noise_shape: Sequence[int | None] | None = None, seed: Any = None
) -> jax.Array:
    """Zero entries with probability ``rate`` and scale the rest by ``1 / (1 - rate)``.

    Raises:
        ValueError: If ``seed`` is None while ``inputs`` is being traced.

    Example:
        >>> dropout(jnp.ones(4), 0.0).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    inputs = jnp.asarray(inputs)
    if rate == 1.0:
        return jnp.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    _check_traced_seed(inputs, seed, "dropout")
    if noise_shape is None:
        noise_shape = inputs.shape
    else:
        noise_shape = tuple(
            d if d is not None else inputs.shape[i] for i, d in enumerate(noise_shape)
        )
    keep_prob = 1.0 - rate
    mask = jax.random.bernoulli(draw_seed(seed), p=keep_prob, shape=noise_shape)
    mask = jnp.broadcast_to(mask, inputs.shape)
    return jax.lax.select(mask, inputs / keep_prob, jnp.zeros_like(inputs))


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> jax.Array:
    """Randomly permute ``x`` along ``axis``.

    Example:
        >>> sorted(shuffle(jnp.arange(4), seed=0).tolist())
        [0, 1, 2, 3]
    """
    x = jnp.asarray(x)
    _check_traced_seed(x, seed, "shuffle")
    return jax.random.permutation(draw_seed(seed), x, axis=axis, independent=False)


def gamma(shape: Sequence[int], alpha: Any, dtype: Any = None, seed: Any = None) -> jax.Array:
    """Draw from a Gamma distribution with concentration ``alpha`` (scale 1).

    Example:
        >>> bool((gamma((5,), alpha=2.0, seed=0) > 0).all())
        True
    """
    return jax.random.gamma(
        draw_seed(seed), jnp.asarray(alpha), shape=tuple(shape), dtype=dtype or _floatx()
    )


def binomial(
    shape: Sequence[int], counts: Any, probabilities: Any, dtype: Any = None, seed: Any = None
) -> jax.Array:
    """Draw the number of successes in ``counts`` trials of probability ``probabilities``.

    Example:
        >>> float(binomial((), counts=5, probabilities=1.0, seed=0))
        5.0
    """
    return jax.random.binomial(
        draw_seed(seed), jnp.asarray(counts), jnp.asarray(probabilities),
        shape=tuple(shape), dtype=dtype or _floatx(),
    )


def beta(shape: Sequence[int], alpha: Any, beta: Any, dtype: Any = None, seed: Any = None):
    """Draw from a Beta(``alpha``, ``beta``) distribution on ``[0, 1]``.

    Example:
        >>> bool(((b := beta((4,), 2.0, 3.0, seed=0)) >= 0).all() and (b <= 1).all())
        True
    """
    return jax.random.beta(
        draw_seed(seed), jnp.asarray(alpha), jnp.asarray(beta),
        shape=tuple(shape), dtype=dtype or _floatx(),
    )
