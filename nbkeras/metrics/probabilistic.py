"""Crossentropy, divergence and hinge metrics: the loss functions, averaged."""

from __future__ import annotations

from nbkeras.losses import functions as F
from nbkeras.metrics.reduction import _KerasWrapper


class BinaryCrossentropy(_KerasWrapper):
    """Mean binary crossentropy."""

    _fn_impl = staticmethod(F.binary_crossentropy)
    _options = ("from_logits", "label_smoothing")

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0
    ):
        super().__init__(
            name=name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing
        )


class CategoricalCrossentropy(_KerasWrapper):
    """Mean categorical crossentropy."""

    _fn_impl = staticmethod(F.categorical_crossentropy)
    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        name="categorical_crossentropy",
        dtype=None,
        from_logits=False,
        label_smoothing=0,
        axis=-1,
    ):
        super().__init__(
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(_KerasWrapper):
    """Mean sparse categorical crossentropy; ``ignore_class`` entries are not counted."""

    _fn_impl = staticmethod(F.sparse_categorical_crossentropy)
    _options = ("from_logits", "ignore_class", "axis")

    def __init__(
        self,
        name="sparse_categorical_crossentropy",
        dtype=None,
        from_logits=False,
        ignore_class=None,
        axis=-1,
    ):
        super().__init__(
            name=name, dtype=dtype, from_logits=from_logits, ignore_class=ignore_class, axis=axis
        )

    def values_and_mask(self, y_true, y_pred):
        return F.sparse_categorical_crossentropy_with_mask(y_true, y_pred, **self._fn_kwargs)


class KLDivergence(_KerasWrapper):
    """Mean Kullback-Leibler divergence."""

    _fn_impl = staticmethod(F.kl_divergence)

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name=name, dtype=dtype)


class Poisson(_KerasWrapper):
    """Mean Poisson loss."""

    _fn_impl = staticmethod(F.poisson)

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name=name, dtype=dtype)


class Hinge(_KerasWrapper):
    """Mean hinge loss."""

    _fn_impl = staticmethod(F.hinge)

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(_KerasWrapper):
    """Mean squared hinge loss."""

    _fn_impl = staticmethod(F.squared_hinge)

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(_KerasWrapper):
    """Mean categorical hinge loss."""

    _fn_impl = staticmethod(F.categorical_hinge)

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)
