"""Use a raw ``optax.GradientTransformation`` wherever an nbkeras optimizer is expected."""

from __future__ import annotations

from typing import Any

import optax
from optax import tree_utils

from . import _validate as V
from ._transform import scalar_like
from .base import Optimizer

_NO_LR = (
    "cannot read the learning rate of a raw optax transformation. Wrap it with "
    "`optax.inject_hyperparams`, e.g. `optax.inject_hyperparams(optax.adam)"
    "(learning_rate=1e-3)`, or use an nbkeras optimizer such as `Adam(1e-3)`."
)


def _find(state: Any, key: str) -> Any:
    """First value stored under ``key`` anywhere in ``state`` (or None)."""
    if state is None:
        return None
    found = tree_utils.tree_get_all_with_path(state, key)
    return found[0][1] if found else None


class OptaxOptimizer(Optimizer):
    """Wrap an ``optax.GradientTransformation`` so the training engine can use it.

    ``transform()`` returns the transformation unchanged. ``learning_rate`` is
    readable and settable only if the state holds a ``learning_rate`` hyperparameter
    (``optax.inject_hyperparams``).

    Args:
        tx: The optax transformation.
        name: Name of the optimizer.

    Example:
        >>> import optax
        >>> from nbkeras.optimizers import get
        >>> opt = get(optax.inject_hyperparams(optax.sgd)(learning_rate=0.1))
        >>> type(opt).__name__
        'OptaxOptimizer'
    """

    def __init__(self, tx: optax.GradientTransformation, name: str | None = None) -> None:
        super().__init__(learning_rate=0.0, name=name or "optax")
        self._tx = tx
        self._learning_rate = None
        self._state = None

    def transform(self) -> optax.GradientTransformation:
        return self._tx

    def init_state(self, params: Any) -> Any:
        self._state = self._tx.init(params)
        if self._lr_dirty:
            self._state = self.pending_updates(self._state)
        return self._state

    def sync_from_state(self, opt_state: Any) -> None:
        self._state = opt_state
        count = _find(opt_state, "count")
        if count is not None:
            self._iterations = int(count)

    @property
    def learning_rate(self) -> float:
        if self._lr_dirty:
            return self._learning_rate
        value = _find(self._state, "learning_rate")
        if value is None:
            raise AttributeError(f"OptaxOptimizer {self.name!r}: {_NO_LR}")
        return float(value)

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        if self._state is not None and _find(self._state, "learning_rate") is None:
            raise AttributeError(
                f"OptaxOptimizer {self.name!r}: cannot set learning_rate; {_NO_LR}"
            )
        if not V.is_number(value):
            raise TypeError(
                f"OptaxOptimizer {self.name!r}: learning_rate can only be set to a "
                f"float. Received: {value!r}."
            )
        self._learning_rate = V.check_learning_rate(f"OptaxOptimizer {self.name!r}", value)
        self._lr_dirty = True

    def pending_updates(self, opt_state: Any) -> Any:
        if not self._lr_dirty:
            return opt_state
        found = tree_utils.tree_get_all_with_path(opt_state, "learning_rate")
        if not found:
            raise AttributeError(
                f"OptaxOptimizer {self.name!r}: cannot set learning_rate; {_NO_LR}"
            )
        new = scalar_like(found[0][1], self._learning_rate)
        self._lr_dirty = False
        self._state = tree_utils.tree_set(opt_state, learning_rate=new)
        return self._state

    def finalize_params(self, params: Any, opt_state: Any) -> Any:
        return params

    def get_config(self) -> dict:
        raise ValueError(
            f"OptaxOptimizer {self.name!r} wraps a raw optax transformation, "
            "which cannot be serialized. Use an nbkeras optimizer (e.g. Adam) "
            "if you need to save and reload the optimizer configuration."
        )

    def __repr__(self) -> str:
        return f"OptaxOptimizer(name={self.name!r}, tx={self._tx!r})"
