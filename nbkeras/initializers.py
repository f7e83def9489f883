"""Keras 3 weight initializers.

Each initializer is a small class called as ``init(shape, dtype="float32")``. Results
are always concrete arrays, even when called while JAX is tracing (layers may build
lazily inside ``jax.jit``). Without ``seed`` every call draws a fresh key from the global
generator (reproducible after ``nbkeras.utils.set_random_seed``); with ``seed=int`` the
result is deterministic and equal to Keras 3's (JAX backend) for the same seed.

Example:
    >>> from nbkeras import initializers
    >>> initializers.get("glorot_uniform")((3, 4)).shape
    (3, 4)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from nbkeras import _config_objects, _init_draw
from nbkeras import random as _random
from nbkeras._config_objects import ConfigObject
from nbkeras._errors import unknown_identifier

Shape = Sequence[int]


def compute_fans(
    shape: Shape, input_axes: Sequence[int] | None = None, output_axes: Sequence[int] | None = None
) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` for a weight shape, as Keras computes them.

    For rank > 2 the kernel is assumed to be a convolution kernel
    ``(*spatial, in_channels, out_channels)``: the receptive field is
    ``prod(shape[:-2])``.

    Example:
        >>> compute_fans((3, 3, 8, 16))
        (72, 144)
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (
            int(math.prod(shape[a] for a in input_axes)),
            int(math.prod(shape[a] for a in output_axes)),
        )
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive = math.prod(shape[:-2])
    return int(shape[-2] * receptive), int(shape[-1] * receptive)


class Initializer(ConfigObject):
    """Base class: subclasses implement ``_generate(shape, dtype)``.

    ``__call__`` runs ``_generate`` under ``jax.ensure_compile_time_eval`` so the
    result is concrete even inside a trace.
    """

    def __call__(self, shape: Shape, dtype: Any = "float32") -> jax.Array:
        shape = tuple(int(d) for d in shape)
        with jax.ensure_compile_time_eval():
            return self._generate(shape, dtype or "float32")

    def _generate(self, shape: tuple[int, ...], dtype: Any) -> jax.Array:
        raise NotImplementedError


def _host_array(a: np.ndarray) -> jax.Array:
    # A transfer, not an eager jnp op: no XLA compile per weight shape.
    return jax.device_put(a)


class Zeros(Initializer):
    """All zeros.

    Example:
        >>> Zeros()((2,)).tolist()
        [0.0, 0.0]
    """

    def _generate(self, shape, dtype):
        return _host_array(np.zeros(shape, jnp.dtype(dtype)))


class Ones(Initializer):
    """All ones.

    Example:
        >>> Ones()((2,)).tolist()
        [1.0, 1.0]
    """

    def _generate(self, shape, dtype):
        return _host_array(np.ones(shape, jnp.dtype(dtype)))


class Constant(Initializer):
    """A constant (scalar or broadcastable array).

    Args:
        value: The fill value.

    Example:
        >>> Constant(3.0)((2,)).tolist()
        [3.0, 3.0]
    """

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value

    def _generate(self, shape, dtype):
        value = np.asarray(self.value, dtype=jnp.dtype(dtype))
        return _host_array(np.array(np.broadcast_to(value, shape)))

    def get_config(self):
        value = self.value
        if hasattr(value, "tolist"):
            value = value.tolist()
        return {"value": value}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only).

    Args:
        gain: Multiplicative factor.

    Example:
        >>> Identity()((2, 2)).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def _generate(self, shape, dtype):
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        return self.gain * jnp.eye(*shape, dtype=dtype)

    def get_config(self):
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Base for random initializers: holds the ``seed``.

    Args:
        seed: ``None`` (fresh key each call), an int (deterministic), or a
            :class:`nbkeras.random.SeedGenerator`.
    """

    def __init__(self, seed: int | _random.SeedGenerator | None = None) -> None:
        if seed is not None and not isinstance(seed, (int, _random.SeedGenerator)):
            raise ValueError(
                "`seed` argument should be an instance of `nbkeras.random.SeedGenerator()` "
                f"or an integer. Received: seed={seed!r}"
            )
        self.seed = seed

    def get_config(self):
        return {"seed": self.seed if isinstance(self.seed, int) else None}


class RandomNormal(RandomInitializer):
    """Normal distribution.

    Args:
        mean: Mean of the values.
        stddev: Standard deviation.
        seed: See :class:`RandomInitializer`.

    Example:
        >>> RandomNormal(stddev=0.1, seed=0)((2, 2)).shape
        (2, 2)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None) -> None:
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def _generate(self, shape, dtype):
        return _init_draw.normal(_random.draw_seed(self.seed), shape, self.mean, self.stddev, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(RandomNormal):
    """Normal distribution truncated at two standard deviations from the mean.

    Example:
        >>> bool((abs(TruncatedNormal(seed=0)((100,))) <= 0.1).all())
        True
    """

    def _generate(self, shape, dtype):
        key = _random.draw_seed(self.seed)
        return _init_draw.truncated_normal(key, shape, self.mean, self.stddev, dtype)


class RandomUniform(RandomInitializer):
    """Uniform distribution on ``[minval, maxval)``.

    Args:
        minval: Lower bound.
        maxval: Upper bound.
        seed: See :class:`RandomInitializer`.

    Example:
        >>> bool((RandomUniform(seed=0)((10,)) < 0.05).all())
        True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Any = None) -> None:
        self.minval, self.maxval = minval, maxval
        super().__init__(seed)

    def _generate(self, shape, dtype):
        key = _random.draw_seed(self.seed)
        return _init_draw.uniform(key, shape, self.minval, self.maxval, dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class VarianceScaling(RandomInitializer):
    """Scale-aware initializer (the basis of Glorot/He/LeCun).

    With ``n`` the fan selected by ``mode``, samples have variance ``scale / n``
    (``truncated_normal`` rescales by 0.8796 to compensate for truncation; ``uniform``
    uses limit ``sqrt(3 * scale / n)``).

    Args:
        scale: Positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"`` (``"normal"`` is an alias),
            ``"untruncated_normal"`` or ``"uniform"``.
        seed: See :class:`RandomInitializer`.
        input_axes: Optional axes whose product is ``fan_in``.
        output_axes: Optional axes whose product is ``fan_out``.

    Example:
        >>> VarianceScaling(2.0, "fan_in", "uniform", seed=0)((3, 3, 4, 8)).shape
        (3, 3, 4, 8)
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: Any = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in modes:
            raise unknown_identifier("VarianceScaling mode", mode, modes)
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        dists = ("uniform", "truncated_normal", "untruncated_normal")
        if distribution not in dists:
            raise unknown_identifier("VarianceScaling distribution", distribution, dists)
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes
        super().__init__(seed)

    def _generate(self, shape, dtype):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        scale = self.scale / max(1.0, fan[self.mode])
        key = _random.draw_seed(self.seed)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / 0.87962566103423978
            return _init_draw.truncated_normal(key, shape, 0.0, stddev, dtype)
        if self.distribution == "untruncated_normal":
            return _init_draw.normal(key, shape, 0.0, math.sqrt(scale), dtype)
        limit = math.sqrt(3.0 * scale)
        return _init_draw.uniform(key, shape, -limit, limit, dtype)

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            **super().get_config(),
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


def _preset(name: str, scale: float, mode: str, distribution: str, doc: str) -> type:
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self):
        return {
            "seed": self.seed if isinstance(self.seed, int) else None,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }

    example = f"\n\n    Example:\n        >>> {name}(seed=0)((4, 2)).shape\n        (4, 2)\n"
    ns = {"__init__": __init__, "get_config": get_config, "__doc__": doc + example}
    return type(name, (VarianceScaling,), {**ns, "__module__": __name__})


GlorotUniform = _preset(
    "GlorotUniform", 1.0, "fan_avg", "uniform",
    "Glorot (Xavier) uniform: limit ``sqrt(6 / (fan_in + fan_out))``.",
)  # fmt: skip
GlorotNormal = _preset(
    "GlorotNormal", 1.0, "fan_avg", "truncated_normal",
    "Glorot (Xavier) truncated normal: stddev ``sqrt(2 / (fan_in + fan_out))``.",
)  # fmt: skip
HeUniform = _preset(
    "HeUniform", 2.0, "fan_in", "uniform", "He uniform: limit ``sqrt(6 / fan_in)``."
)
HeNormal = _preset(
    "HeNormal", 2.0, "fan_in", "truncated_normal",
    "He truncated normal: stddev ``sqrt(2 / fan_in)``.",
)  # fmt: skip
LecunUniform = _preset(
    "LecunUniform", 1.0, "fan_in", "uniform", "LeCun uniform: limit ``sqrt(3 / fan_in)``."
)
LecunNormal = _preset(
    "LecunNormal", 1.0, "fan_in", "truncated_normal",
    "LeCun truncated normal: stddev ``sqrt(1 / fan_in)``.",
)  # fmt: skip


class Orthogonal(RandomInitializer):
    """Random orthogonal matrix (rows or columns orthonormal), times ``gain``.

    Shapes of rank > 2 are flattened to ``(prod(shape[:-1]), shape[-1])``.

    Args:
        gain: Multiplicative factor.
        seed: See :class:`RandomInitializer`.

    Example:
        >>> q = Orthogonal(seed=0)((3, 3))
        >>> bool(jnp.allclose(q @ q.T, jnp.eye(3), atol=1e-5))
        True
    """

    def __init__(self, gain: float = 1.0, seed: Any = None) -> None:
        self.gain = gain
        super().__init__(seed)

    def _generate(self, shape, dtype):
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        num_rows = math.prod(shape[:-1])
        num_cols = shape[-1]
        flat = (max(num_cols, num_rows), min(num_cols, num_rows))
        a = _random.normal(flat, dtype=dtype, seed=self.seed)
        q, r = jnp.linalg.qr(a)
        q = q * jnp.sign(jnp.diag(r))
        if num_rows < num_cols:
            q = q.T
        return self.gain * jnp.reshape(q, shape)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


_ALL: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal,
        VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
        LecunNormal, Orthogonal,
    )
}  # fmt: skip
_ALIASES: dict[str, type] = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "identity": Identity,
    "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "uniform": RandomUniform, "normal": RandomNormal,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal, "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
    "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
}  # fmt: skip


def serialize(initializer: Initializer) -> dict[str, Any]:
    """Return a Keras-style config dict ``{"class_name", "config"}``.

    Example:
        >>> serialize(Zeros())
        {'class_name': 'Zeros', 'config': {}}
    """
    return _config_objects.serialize(initializer)


def get(identifier: Any) -> Callable[..., jax.Array] | None:
    """Resolve ``identifier`` to an initializer.

    Args:
        identifier: ``None``, a snake-case or class name (``"he_normal"``, ``"HeNormal"``),
            a config dict ``{"class_name": ..., "config": {...}}``, an
            :class:`Initializer` instance, a class, or any callable ``(shape, dtype)``.

    Returns:
        An initializer (or ``None`` for ``None``).

    Raises:
        ValueError: For an unknown name (the message lists valid names).
        TypeError: For an unsupported type.

    Example:
        >>> type(get("he_normal")).__name__
        'HeNormal'
    """
    return _config_objects.resolve(
        "initializer",
        identifier,
        _ALL,
        _ALIASES,
        base=Initializer,
        names=[k for k in _ALIASES if k.islower()],
    )


# Keras also exports the snake-case names as aliases of the classes.
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, he_uniform, he_normal = (
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
)
lecun_uniform, lecun_normal = LecunUniform, LecunNormal


def deserialize(config, custom_objects=None):
    """Rebuild a initializer from :func:`serialize`'s output (or a Keras config / name).

    Example:
        >>> deserialize(serialize(get("zeros"))) is not None
        True
    """
    if custom_objects:
        from nbkeras import _object_registry as object_registration

        with object_registration.CustomObjectScope(custom_objects):
            return get(config)
    return get(config)


IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal
