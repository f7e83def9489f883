"""A standalone Keras ``Variable`` (``keras.Variable``): a named, mutable array that is
also a JAX pytree (its value is the only leaf).

Metrics (``add_variable``) and optimizers (``optimizer.variables``) hold their state in
these, so the JAX custom-loop recipes of the Keras guides work: pass
``metric.variables`` into a jitted function, get new values back, ``assign`` them.
Layer weights are ``nnx`` variables instead (:mod:`nbkeras.variables`), with the same API.

Example:
    >>> v = Variable(0.0, name="total")
    >>> _ = v.assign_add(2.5)
    >>> float(v.value)
    2.5
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


@jax.tree_util.register_pytree_node_class
class Variable:
    """A mutable array with Keras's variable API.

    Args:
        initializer: An initial value (array or number) or an initializer (name,
            object or callable ``f(shape, dtype)``) used with ``shape``.
        shape: The shape, needed with a callable/named initializer.
        dtype: The dtype (``config.floatx()`` for floats by default).
        trainable: Whether an optimizer should update it.
        name: The variable's name.
    """

    def __init__(self, initializer: Any = None, shape: Sequence[int] | None = None,
                 dtype: Any = None, trainable: bool = True, autocast: bool = True,
                 aggregation: str = "none", synchronization: str = "auto",
                 name: str | None = None, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"Variable got unexpected arguments {sorted(kwargs)}.")
        self.name = name or "variable"
        self.trainable = bool(trainable)
        self.autocast = autocast
        self.aggregation = aggregation
        if isinstance(initializer, str) or (callable(initializer) and shape is not None):
            from nbkeras import initializers
            from nbkeras._settings import floatx

            if shape is None:
                raise ValueError(f"Variable '{self.name}': a shape is needed with initializer "
                                 f"{initializer!r}, e.g. Variable('zeros', shape=(3,)).")
            init = initializers.get(initializer)
            dtype = dtype or floatx()
            with jax.ensure_compile_time_eval():
                value = jnp.asarray(init(tuple(shape), dtype=dtype), dtype)
        else:
            if initializer is None:
                raise ValueError(f"Variable '{self.name}' needs an initial value or an "
                                 "initializer with a shape.")
            value = jnp.asarray(initializer, dtype)
            if dtype is None and jnp.issubdtype(value.dtype, jnp.floating):
                from nbkeras._settings import floatx

                value = value.astype(floatx())
            if shape is not None and tuple(shape) != value.shape:
                raise ValueError(f"Variable '{self.name}': initial value of shape {value.shape} "
                                 f"does not match shape={tuple(shape)}.")
        self._value = value

    # -- pytree --------------------------------------------------------------------
    def tree_flatten(self):
        return (self._value,), (self.name, self.trainable, self.autocast, self.aggregation)

    @classmethod
    def tree_unflatten(cls, aux, children):
        obj = object.__new__(cls)
        obj.name, obj.trainable, obj.autocast, obj.aggregation = aux
        obj._value = children[0]
        return obj

    # -- Keras API -----------------------------------------------------------------
    @property
    def value(self) -> jax.Array:
        return self._value

    @property
    def path(self) -> str:
        return self.name

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._value.shape)

    @property
    def dtype(self) -> str:
        return str(self._value.dtype)

    @property
    def ndim(self) -> int:
        return self._value.ndim

    def numpy(self) -> np.ndarray:
        return np.asarray(self._value)

    def assign(self, value: Any) -> Variable:
        """Replace the value, keeping shape and dtype.

        Raises:
            ValueError: If the shape differs.
        """
        value = jnp.asarray(_unwrap(value), self._value.dtype)
        if value.shape != self._value.shape:
            raise ValueError(
                f"Variable '{self.name}' has shape {self.shape}; cannot assign a value of "
                f"shape {tuple(value.shape)}."
            )
        self._value = value
        return self

    def assign_add(self, value: Any) -> Variable:
        return self.assign(self._value + _unwrap(value))

    def assign_sub(self, value: Any) -> Variable:
        return self.assign(self._value - _unwrap(value))

    def __jax_array__(self) -> jax.Array:
        return self._value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self._value, dtype=dtype)

    def __float__(self) -> float:
        return float(self._value)

    def __int__(self) -> int:
        return int(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __getitem__(self, key: Any) -> jax.Array:
        return self._value[key]

    def __repr__(self) -> str:
        try:
            return f"<Variable path={self.name}, shape={self.shape}, dtype={self.dtype}, " \
                   f"value={np.asarray(self._value)}>"
        except Exception:  # tracers and deleted buffers: reprs never raise
            return f"<Variable path={self.name}>"


def _unwrap(value: Any) -> Any:
    if isinstance(value, Variable):
        return value._value
    if hasattr(value, "get_value"):  # an nnx variable
        return value.get_value()
    return value


def value_of(value: Any) -> Any:
    """The array behind a Variable / nnx variable, or ``value`` itself."""
    return _unwrap(value)


def _binary(op: Callable[[Any, Any], Any], reflected: bool = False):
    if reflected:
        return lambda self, other: op(_unwrap(other), self._value)
    return lambda self, other: op(self._value, _unwrap(other))


for _name, _op in {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
    "pow": operator.pow, "matmul": operator.matmul,
}.items():
    setattr(Variable, f"__{_name}__", _binary(_op))
    setattr(Variable, f"__r{_name}__", _binary(_op, reflected=True))
for _name, _op in {"lt": operator.lt, "le": operator.le, "gt": operator.gt,
                   "ge": operator.ge}.items():
    setattr(Variable, f"__{_name}__", _binary(_op))
Variable.__neg__ = lambda self: -self._value  # type: ignore[attr-defined]
Variable.__abs__ = lambda self: abs(self._value)  # type: ignore[attr-defined]
