"""The ``Metric`` base class: a pure state core plus Keras's stateful API on top."""

from __future__ import annotations

import re
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def snake_case(name: str) -> str:
    """``'SparseCategoricalAccuracy'`` -> ``'sparse_categorical_accuracy'``, ``'AUC'`` -> ``'auc'``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def row_mask(mask, ndim: int):
    """Reshape a ``(batch,)`` mask so it broadcasts over an array of rank ``ndim``."""
    mask = jnp.asarray(mask)
    return jnp.reshape(mask, mask.shape + (1,) * max(ndim - mask.ndim, 0))


def merge_mask(sample_weight, mask, batch_size: int, dtype):
    """Fold a ``(batch,)`` 0/1 padding mask into the sample weights."""
    if mask is None:
        return sample_weight
    mask = jnp.asarray(mask).astype(dtype)
    if sample_weight is None:
        return mask
    sample_weight = jnp.asarray(sample_weight, dtype)
    if sample_weight.ndim == 0:
        return jnp.broadcast_to(sample_weight, (batch_size,)) * mask
    return sample_weight * row_mask(mask, sample_weight.ndim)


def zero_masked_rows(x, mask):
    """Replace padded rows of ``x`` by zeros so garbage (NaN, inf) cannot leak."""
    if mask is None:
        return x
    x = jnp.asarray(x)
    return jnp.where(row_mask(jnp.asarray(mask) > 0, x.ndim), x, jnp.zeros((), x.dtype))



def _read(result):
    """``result()``'s value; a variable it returns itself (as keras.io's
    CategoricalTruePositives does) is read while it holds the values being used."""
    from nbkeras.variable import Variable

    return jax.tree.map(lambda v: v.value if isinstance(v, Variable) else v, result,
                        is_leaf=lambda v: isinstance(v, Variable))

class Metric:
    """Base class of metrics.

    A metric is a pure state machine the jitted train step can carry:
    ``state = m.init()``, ``state = m.update(state, y_true, y_pred, sample_weight, mask)``,
    ``m.result_from(state)``. The Keras stateful API (``update_state``, ``result``,
    ``reset_state``) stores that state on the object and runs eagerly.

    Args:
        name: Name shown in logs (defaults to the snake-cased class name).
        dtype: Dtype of the state; defaults to ``'float32'``.

    Example:
        >>> from nbkeras.metrics import Mean
        >>> m = Mean()
        >>> m.update_state([1.0, 3.0])
        >>> float(m.result())
        2.0
    """

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self._dtype = jnp.dtype(dtype or "float32").name
        self._state = None
        self._added: list = []  # variables from add_variable (custom subclasses)
        self._initial: list = []
        self._var_objs: list | None = None  # Variables mirroring a built-in's state
        self._treedef = None

    # -- Keras subclassing API (variables + overridden update_state/result) -------------
    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum",
                     name=None):
        """Create a state variable of a custom metric (Keras's ``Metric.add_variable``).

        Example:
            >>> class Total(Metric):
            ...     def __init__(self):
            ...         super().__init__()
            ...         self.total = self.add_variable((), "zeros", name="total")
            ...     def update_state(self, values, sample_weight=None):
            ...         self.total.assign_add(jnp.sum(jnp.asarray(values)))
            ...     def result(self):
            ...         return self.total.value
            >>> t = Total()
            >>> t.update_state([1.0, 2.0])
            >>> float(t.result())
            3.0
        """
        from nbkeras.variable import Variable

        var = Variable(initializer, shape=tuple(shape), dtype=dtype or self.dtype,
                       trainable=False, aggregation=aggregation,
                       name=name or f"variable_{len(self._added)}")
        self._added.append(var)
        self._initial.append(var.value)
        return var

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of :meth:`add_variable` (zeros by default), as in Keras."""
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, name=name)

    def _uses_variables(self) -> bool:
        return bool(self.__dict__.get("_added"))

    def _run_on(self, values, fn):
        """Run ``fn()`` with the added variables holding ``values``; return their new values."""
        saved = [v._value for v in self._added]
        try:
            for v, val in zip(self._added, values):
                v._value = val
            out = fn()
            return out, [v._value for v in self._added]
        finally:
            for v, val in zip(self._added, saved):
                v._value = val

    @property
    def dtype(self) -> str:
        return self._dtype

    # -- pure core ---------------------------------------------------------------------
    def build(self, y_true_shape=None, y_pred_shape=None) -> None:
        """Fix shape-dependent state sizes. Only a few metrics need it (AUC multi-label)."""

    def init(self) -> dict[str, jax.Array]:
        """Return a fresh state pytree (fixed shapes, zeros)."""
        if self._uses_variables():
            return list(self._initial)
        raise NotImplementedError(
            f"Metric {type(self).__name__} has no state: create it in __init__ with "
            "self.add_variable(...) and override update_state() and result()."
        )

    def update(self, state, y_true, y_pred, sample_weight=None, mask=None):
        """Return the state after one batch. Pure and traceable.

        Args:
            state: The current state.
            y_true: Targets.
            y_pred: Predictions.
            sample_weight: Optional per-sample weights.
            mask: Optional ``(batch,)`` 0/1 padding mask; rows with 0 change nothing.
        """
        if self._uses_variables():
            # A custom metric only knows sample weights: padded rows get weight 0.
            sample_weight = merge_mask(sample_weight, mask, jnp.shape(y_true)[0], self.dtype)
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
            _, new = self._run_on(state, lambda: type(self).update_state(
                self, y_true, y_pred, **kwargs))
            return new
        raise NotImplementedError

    def result_from(self, state):
        """Return the metric value for ``state``. Pure and traceable."""
        if self._uses_variables():
            out, _ = self._run_on(state, lambda: _read(type(self).result(self)))
            return out
        raise NotImplementedError

    # -- Keras stateful API --------------------------------------------------------------
    def _ensure_state(self, *args):
        if self._uses_variables():
            return [v.value for v in self._added]
        if self._state is None:
            shapes = [np.shape(a) for a in args]  # lists too (jnp.shape rejects them)
            if shapes:
                self.build(*shapes[:2])
            self._store(self.init())
        if self._var_objs is not None:  # the user may have assigned the variables
            self._state = jax.tree.unflatten(self._treedef, [v.value for v in self._var_objs])
        return self._state

    def _store(self, state) -> None:
        self._state = state
        if self._var_objs is not None:
            for v, leaf in zip(self._var_objs, jax.tree.leaves(state)):
                v._value = leaf

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Accumulate one batch into the state stored on the metric."""
        state = self._ensure_state(y_true, y_pred)
        self._store(self.update(state, jnp.asarray(y_true), jnp.asarray(y_pred), sample_weight))

    def result(self):
        """Return the current value of the metric."""
        return self.result_from(self._ensure_state())

    def reset_state(self) -> None:
        """Clear the accumulated state (custom metrics: variables back to their initial
        values)."""
        if self._uses_variables():
            for v, init in zip(self._added, self._initial):
                v._value = init
            return
        self._state = None
        if self._var_objs is not None:
            self._store(self.init())

    # -- JAX stateless API (custom training loops) --------------------------------------
    def _values(self, metric_variables) -> list:
        from nbkeras.variable import value_of

        values = [value_of(v) for v in metric_variables]
        expected = len(self.variables)
        if len(values) != expected:
            raise ValueError(
                f"Metric '{self.name}' has {expected} variables, but {len(values)} values "
                "were passed. Pass metric.variables (or the list a stateless_* call returned)."
            )
        return values

    def _state_of(self, values):
        if self._uses_variables():
            return values
        self._ensure_state()
        return jax.tree.unflatten(self._treedef or jax.tree.structure(self._state), values)

    def stateless_update_state(self, metric_variables, *args, **kwargs) -> list:
        """``update_state`` without side effects: new variable values from old ones.

        Example:
            >>> from nbkeras.metrics import Mean
            >>> m = Mean()
            >>> values = m.stateless_update_state(m.variables, jnp.array([2.0, 4.0]))
            >>> float(m.stateless_result(values))
            3.0
        """
        values = self._values(metric_variables)
        if self._uses_variables():
            _, new = self._run_on(values, lambda: type(self).update_state(self, *args, **kwargs))
            return new
        state = self.update(self._state_of(values), *args, **kwargs)
        return jax.tree.leaves(state)

    def stateless_result(self, metric_variables):
        """``result()`` computed from the given variable values."""
        values = self._values(metric_variables)
        if self._uses_variables():
            out, _ = self._run_on(values, lambda: _read(type(self).result(self)))
            return out
        return self.result_from(self._state_of(values))

    def stateless_reset_state(self) -> list:
        """The variable values of a freshly reset metric."""
        if self._uses_variables():
            return list(self._initial)
        self._ensure_state()
        return jax.tree.leaves(self.init())

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    @property
    def variables(self) -> list:
        """The state as a list of :class:`~nbkeras.variable.Variable` (``.value``,
        ``.assign``); assigning them changes what ``result()`` returns."""
        if self._uses_variables():
            return list(self._added)
        state = self._ensure_state()
        if self._var_objs is None:
            from nbkeras.variable import Variable

            leaves, self._treedef = jax.tree.flatten(state)
            self._var_objs = [Variable(leaf, name=f"{self.name}_{i}", trainable=False)
                              for i, leaf in enumerate(leaves)]
        return list(self._var_objs)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
