"""Keras-style weights that are Flax NNX variables.

A trainable weight is an :class:`nnx.Param`, so ``nnx.split(model, nnx.Param, ...)``
and optax see it as a parameter; a non-trainable weight (batch-norm statistics) is an
:class:`nnx.BatchStat`.  Both carry the Keras variable API: ``name``, ``path``,
``trainable``, ``value``, ``numpy()``, ``assign()``.
"""

from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager

import jax.numpy as jnp
import numpy as np
from flax import nnx

_creation_order = itertools.count()
_autocast = threading.local()


@contextmanager
def autocast_scope(dtype: str | None):
    """Within this scope, float trainable weights read as ``dtype`` (mixed precision).

    ``Layer.__call__`` opens it with the layer's compute dtype when its policy is mixed
    (``"mixed_bfloat16"``), and with None otherwise, so the weights stay float32 while the
    layer computes in 16 bits; gradients flow back to the float32 weights.
    """
    previous = getattr(_autocast, "dtype", None)
    _autocast.dtype = dtype
    try:
        yield
    finally:
        _autocast.dtype = previous


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

    def get_value(self, **kwargs):
        value = super().get_value(**kwargs)
        dtype = getattr(_autocast, "dtype", None)
        if (
            dtype is not None
            and isinstance(self, nnx.Param)
            and self.get_metadata().get("autocast", True)
            and hasattr(value, "dtype")
            and jnp.issubdtype(value.dtype, jnp.floating)
            and value.dtype != dtype
        ):
            return value.astype(dtype)
        return value

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


class SeedState(KerasVariableMixin, nnx.Variable):
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
