"""Keras-named loss classes: thin wrappers over :mod:`nbkeras.losses.functions`."""

from __future__ import annotations

from typing import Any

from nbkeras.losses import functions as F
from nbkeras.losses.base import Loss, LossFunctionWrapper


class _Simple(LossFunctionWrapper):
    """A loss whose config is only ``name`` and ``reduction``."""

    _fn = staticmethod(F.mean_squared_error)
    _default_name = ""

    def __init__(self, reduction="sum_over_batch_size", name: str | None = None, dtype=None):
        super().__init__(
            type(self)._fn, reduction=reduction, name=name or self._default_name, dtype=dtype
        )

    def get_config(self) -> dict[str, Any]:
        return Loss.get_config(self)

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        return cls(**config)


class MeanSquaredError(_Simple):
    """Mean of squares of errors over the last axis: ``mean((y_true - y_pred)**2)``."""

    _fn = staticmethod(F.mean_squared_error)
    _default_name = "mean_squared_error"


class MeanAbsoluteError(_Simple):
    """Mean of absolute errors over the last axis."""

    _fn = staticmethod(F.mean_absolute_error)
    _default_name = "mean_absolute_error"


class MeanAbsolutePercentageError(_Simple):
    """``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7))``."""

    _fn = staticmethod(F.mean_absolute_percentage_error)
    _default_name = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(_Simple):
    """Mean squared difference of ``log(1 + y)``."""

    _fn = staticmethod(F.mean_squared_logarithmic_error)
    _default_name = "mean_squared_logarithmic_error"


class LogCosh(_Simple):
    """Mean of ``log(cosh(y_pred - y_true))``."""

    _fn = staticmethod(F.log_cosh)
    _default_name = "log_cosh"


class Hinge(_Simple):
    """``mean(max(1 - y_true * y_pred, 0))``; 0/1 labels are converted to -1/1."""

    _fn = staticmethod(F.hinge)
    _default_name = "hinge"


class SquaredHinge(_Simple):
    """``mean(max(1 - y_true * y_pred, 0) ** 2)``; 0/1 labels are converted to -1/1."""

    _fn = staticmethod(F.squared_hinge)
    _default_name = "squared_hinge"


class CategoricalHinge(_Simple):
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``."""

    _fn = staticmethod(F.categorical_hinge)
    _default_name = "categorical_hinge"


class KLDivergence(_Simple):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))``."""

    _fn = staticmethod(F.kl_divergence)
    _default_name = "kl_divergence"


class Poisson(_Simple):
    """``mean(y_pred - y_true * log(y_pred + 1e-7))``."""

    _fn = staticmethod(F.poisson)
    _default_name = "poisson"


class _WithOptions(LossFunctionWrapper):
    """A loss whose extra constructor options are stored as attributes and in its config."""

    _fn = staticmethod(F.mean_squared_error)
    _options: tuple[str, ...] = ()

    def _setup(self, name, reduction, dtype, **options):
        super().__init__(type(self)._fn, reduction=reduction, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    def get_config(self) -> dict[str, Any]:
        config = Loss.get_config(self)
        config.update({key: getattr(self, key) for key in self._options})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        return cls(**config)


class CosineSimilarity(_WithOptions):
    """Negative cosine similarity along ``axis`` (-1 means identical directions)."""

    _fn = staticmethod(F.cosine_similarity)
    _options = ("axis",)

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None
    ):
        self._setup(name, reduction, dtype, axis=axis)


class Huber(_WithOptions):
    """Huber loss: quadratic for ``|error| <= delta``, linear beyond."""

    _fn = staticmethod(F.huber)
    _options = ("delta",)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        self._setup(name, reduction, dtype, delta=delta)


class BinaryCrossentropy(_WithOptions):
    """Binary crossentropy; probabilities are clipped to ``[1e-7, 1 - 1e-7]``.

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Squeeze labels towards 0.5 by this amount.
        axis: Axis the mean is taken over.
    """

    _fn = staticmethod(F.binary_crossentropy)
    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        self._setup(
            name,
            reduction,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class BinaryFocalCrossentropy(_WithOptions):
    """Binary focal crossentropy (Lin et al., 2017)."""

    _fn = staticmethod(F.binary_focal_crossentropy)
    _options = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha", "gamma")

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        self._setup(
            name,
            reduction,
            dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalCrossentropy(_WithOptions):
    """Crossentropy between one-hot labels and predicted class probabilities (or logits)."""

    _fn = staticmethod(F.categorical_crossentropy)
    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        self._setup(
            name,
            reduction,
            dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalFocalCrossentropy(_WithOptions):
    """Categorical focal crossentropy."""

    _fn = staticmethod(F.categorical_focal_crossentropy)
    _options = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        self._setup(
            name,
            reduction,
            dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(_WithOptions):
    """Crossentropy between integer labels and predicted class probabilities (or logits).

    Args:
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: A label value whose entries contribute no loss and are not counted
            in the ``'sum_over_batch_size'`` denominator (e.g. a padding token).
        axis: The class axis.
    """

    _fn = staticmethod(F.sparse_categorical_crossentropy)
    _options = ("from_logits", "ignore_class")

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        self._setup(
            name, reduction, dtype, from_logits=from_logits, ignore_class=ignore_class, axis=axis
        )

    def call_with_mask(self, y_true, y_pred):
        return F.sparse_categorical_crossentropy_with_mask(y_true, y_pred, **self._fn_kwargs)


LOSS_CLASSES = (
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    Huber,
    LogCosh,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy,
)
