"""Keras 3 weight constraints: callables projecting a weight after each update.

Example:
    >>> import jax.numpy as jnp
    >>> from nbkeras import constraints
    >>> constraints.NonNeg()(jnp.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from nbkeras import _config_objects
from nbkeras._config_objects import ConfigObject

_EPSILON = 1e-7
Axis = int | Sequence[int]


def _norms(w: jax.Array, axis: Axis) -> jax.Array:
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    return jnp.sqrt(jnp.sum(jnp.square(w), axis=axis, keepdims=True))


class Constraint(ConfigObject):
    """Base class: ``__call__(w)`` returns the projected weight (identity by default)."""

    def __call__(self, w: Any) -> jax.Array:
        return jnp.asarray(w)



class MaxNorm(Constraint):
    """Rescale slices along ``axis`` whose L2 norm exceeds ``max_value``.

    Args:
        max_value: Maximum norm.
        axis: Axis (or axes) along which norms are computed; ``0`` for a Dense
            kernel, ``[0, 1, 2]`` for a Conv2D kernel.

    Example:
        >>> bool(jnp.allclose(MaxNorm(1.0)(jnp.array([[3.0], [4.0]])), jnp.array([[0.6], [0.8]])))
        True
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = jnp.asarray(w)
        norms = _norms(w, self.axis)
        desired = jnp.clip(norms, 0, self.max_value)
        return w * (desired / (_EPSILON + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Clamp weights to be non-negative.

    Example:
        >>> NonNeg()(jnp.array([-1.0])).tolist()
        [0.0]
    """

    def __call__(self, w):
        return jnp.maximum(jnp.asarray(w), 0)


class UnitNorm(Constraint):
    """Rescale slices along ``axis`` to unit L2 norm.

    Example:
        >>> bool(jnp.allclose(UnitNorm()(jnp.array([[3.0], [4.0]])), jnp.array([[0.6], [0.8]])))
        True
    """

    def __init__(self, axis: Axis = 0) -> None:
        self.axis = axis

    def __call__(self, w):
        w = jnp.asarray(w)
        return w / (_EPSILON + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keep slice norms in ``[min_value, max_value]`` (moving by ``rate`` per call).

    Args:
        min_value: Minimum norm.
        max_value: Maximum norm.
        rate: 1.0 enforces strictly; smaller values move part of the way.
        axis: Axis (or axes) along which norms are computed.

    Example:
        >>> w = MinMaxNorm(2.0, 3.0)(jnp.array([[0.6], [0.8]]))
        >>> bool(jnp.allclose(w, jnp.array([[1.2], [1.6]])))
        True
    """

    def __init__(
        self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Axis = 0
    ) -> None:
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = jnp.asarray(w)
        norms = _norms(w, self.axis)
        desired = (
            self.rate * jnp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        )
        return w * (desired / (_EPSILON + norms))

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_ALL = {c.__name__: c for c in (Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm)}
_ALIASES = {
    "max_norm": MaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm,
}


def serialize(constraint: Constraint) -> dict[str, Any]:
    """Return ``{"class_name": ..., "config": ...}``.

    Example:
        >>> serialize(NonNeg())
        {'class_name': 'NonNeg', 'config': {}}
    """
    return _config_objects.serialize(constraint)


def get(identifier: Any) -> Any:
    """Resolve a name, config dict, instance or callable to a constraint.

    Raises:
        ValueError: For an unknown name.
        TypeError: For an unsupported type.

    Example:
        >>> type(get("non_neg")).__name__
        'NonNeg'
    """
    return _config_objects.resolve("constraint", identifier, _ALL, _ALIASES)


def deserialize(config, custom_objects=None):
    """Rebuild a constraint from :func:`serialize`'s output (or a Keras config / name).

    Example:
        >>> deserialize(serialize(get("non_neg"))) is not None
        True
    """
    if custom_objects:
        from nbkeras import _object_registry as object_registration

        with object_registration.CustomObjectScope(custom_objects):
            return get(config)
    return get(config)
