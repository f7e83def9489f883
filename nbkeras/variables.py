"""Keras-style weights that are Flax NNX variables.

A trainable weight is an :class:`nnx.Param`, so ``nnx.split(model, nnx.Param, ...)``
and optax see it as a parameter; a non-trainable weight (batch-norm statistics) is an
:class:`nnx.BatchStat`.  Both carry the Keras variable API: ``name``, ``path``,
``trainable``, ``value``, ``numpy()``, ``assign()``.
"""

from __future__ import annotations

import itertools

import jax.numpy as jnp
import numpy as np
from flax import nnx

_creation_order = itertools.count()


class KerasVariableMixin:
    """The Keras ``Variable`` API on top of an ``nnx.Variable``."""

    @property
    def value(self):
        return self.get_value()

    @value.setter
    def value(self, new):
        self.set_value(new)

    @property
    def trainable(self) -> bool:
        return bool(self.get_metadata().get("trainable", False))

    @trainable.setter
    def trainable(self, flag: bool) -> None:
        self.set_metadata("trainable", bool(flag))

    @property
    def path(self) -> str:
        return self.get_metadata().get("path", self.name)

    def numpy(self) -> np.ndarray:
        return np.asarray(self.get_value())

    def assign(self, new) -> None:
        """Replace the value, keeping shape and dtype (as Keras does)."""
        old = self.get_value()
        new = jnp.asarray(new, dtype=old.dtype)
        if new.shape != old.shape:
            raise ValueError(
                f"Variable '{self.path}' has shape {tuple(old.shape)}; cannot assign a value "
                f"of shape {tuple(new.shape)}. Reshape the value to {tuple(old.shape)}."
            )
        self.set_value(new)

    def assign_add(self, delta) -> None:
        self.assign(self.get_value() + delta)

    def assign_sub(self, delta) -> None:
        self.assign(self.get_value() - delta)

    def __repr__(self) -> str:
        try:
            v = self.get_value()
            return (
                f"<Variable path={self.path}, shape={tuple(v.shape)}, "
                f"dtype={v.dtype}, trainable={self.trainable}>"
            )
        except Exception:  # reprs never raise
            return object.__repr__(self)


class Weight(KerasVariableMixin, nnx.Param):
    """A weight created by ``Layer.add_weight(trainable=True)``."""


class NonTrainableWeight(KerasVariableMixin, nnx.BatchStat):
    """A weight created by ``Layer.add_weight(trainable=False)``."""


class SeedState(nnx.Variable):
    """The PRNG state of a random layer (Dropout); not a weight, but model state."""


def make_weight(value, *, name: str, trainable: bool, path: str) -> nnx.Variable:
    """Create the right variable type with Keras metadata and a creation index."""
    cls = Weight if trainable else NonTrainableWeight
    return cls(
        value,
        name=name,
        path=path,
        trainable=trainable,
        created_trainable=trainable,
        order=next(_creation_order),
    )


def is_trainable(path, variable) -> bool:
    """nnx filter: the variables the optimizer updates.

    A plain ``nnx.Param`` (from a bare Flax module) is trainable unless frozen.
    """
    if not isinstance(variable, nnx.Param):
        return False
    return bool(variable.get_metadata().get("trainable", True))
