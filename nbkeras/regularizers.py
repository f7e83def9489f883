"""Keras 3 weight regularizers: callables mapping a weight to a scalar penalty.

Example:
    >>> import jax.numpy as jnp
    >>> from nbkeras import regularizers
    >>> float(regularizers.L2(0.5)(jnp.ones((2, 2))))
    2.0
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from nbkeras import _config_objects
from nbkeras._config_objects import ConfigObject


def _validate_float(value: Any, name: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ValueError(
            f"Argument `{name}` must be a non-negative float. Received: {name}={value!r}"
        )
    return float(value)


class Regularizer(ConfigObject):
    """Base class: ``__call__(x)`` returns a scalar penalty (0 by default)."""

    def __call__(self, x: Any) -> jax.Array:
        return jnp.asarray(0.0)



class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``.

    Args:
        l1: L1 factor.
        l2: L2 factor.

    Example:
        >>> float(L1L2(l1=1.0, l2=1.0)(jnp.array([-2.0])))
        6.0
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _validate_float(l1, "l1")
        self.l2 = _validate_float(l2, "l2")

    def __call__(self, x):
        x = jnp.asarray(x)
        out = jnp.asarray(0.0, x.dtype)
        if self.l1:
            out = out + jnp.asarray(self.l1, x.dtype) * jnp.sum(jnp.abs(x))
        if self.l2:
            out = out + jnp.asarray(self.l2, x.dtype) * jnp.sum(jnp.square(x))
        return out

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)``.

    Example:
        >>> float(L1(0.5)(jnp.array([-2.0, 2.0])))
        2.0
    """

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _validate_float(l1, "l1")

    def __call__(self, x):
        x = jnp.asarray(x)
        return jnp.asarray(self.l1, x.dtype) * jnp.sum(jnp.abs(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)``.

    Example:
        >>> float(L2(0.5)(jnp.array([2.0])))
        2.0
    """

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _validate_float(l2, "l2")

    def __call__(self, x):
        x = jnp.asarray(x)
        return jnp.asarray(self.l2, x.dtype) * jnp.sum(jnp.square(x))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalises non-orthogonal rows (or columns) of a 2-D weight.

    ``factor * 0.5 * sum(|offdiag(W_n W_n^T)|) / num_pairs`` with ``W_n`` row- (or
    column-) normalised.

    Args:
        factor: Penalty factor.
        mode: ``"rows"`` or ``"columns"``.

    Example:
        >>> float(OrthogonalRegularizer(1.0)(jnp.eye(3)))
        0.0
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _validate_float(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                f"Invalid value for argument `mode`. Expected one of {{'rows', 'columns'}}. Received: mode={mode!r}"
            )
        self.mode = mode

    def __call__(self, x):
        x = jnp.asarray(x)
        if x.ndim != 2:
            raise ValueError(
                f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={x.shape}"
            )
        axis = 1 if self.mode == "rows" else 0
        inv = jnp.minimum(jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True)), 1e7)
        x = x * inv
        product = x @ x.T if self.mode == "rows" else x.T @ x
        size = product.shape[0]
        off = product * (1.0 - jnp.eye(size, dtype=x.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * jnp.sum(jnp.abs(off)) / num_pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer
_ALL = {c.__name__: c for c in (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)}
_ALIASES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer}


def serialize(regularizer: Regularizer) -> dict[str, Any]:
    """Return ``{"class_name": ..., "config": ...}``.

    Example:
        >>> serialize(L2(0.1))
        {'class_name': 'L2', 'config': {'l2': 0.1}}
    """
    return _config_objects.serialize(regularizer)


def get(identifier: Any) -> Any:
    """Resolve a name, config dict, instance or callable to a regularizer.

    Raises:
        ValueError: For an unknown name.
        TypeError: For an unsupported type.

    Example:
        >>> get("l2").l2
        0.01
    """
    return _config_objects.resolve("regularizer", identifier, _ALL, _ALIASES)


def deserialize(config, custom_objects=None):
    """Rebuild a regularizer from :func:`serialize`'s output (or a Keras config / name).

    Example:
        >>> deserialize(serialize(get("l2"))) is not None
        True
    """
    if custom_objects:
        from nbkeras import _object_registry as object_registration

        with object_registration.CustomObjectScope(custom_objects):
            return get(config)
    return get(config)
