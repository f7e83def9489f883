"""Looking metrics up by name, including Keras's shape-based 'accuracy' resolution."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Sequence
from typing import Any

from nbkeras._errors import unknown_identifier, wrong_type
from nbkeras.losses.base import Loss
from nbkeras.losses.registry import is_binary_or_sparse_categorical
from nbkeras.metrics.accuracy import __name__ as _accuracy_module
from nbkeras.metrics.auc import AUC
from nbkeras.metrics.base import Metric, snake_case
from nbkeras.metrics.confusion import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from nbkeras.metrics.probabilistic import __name__ as _probabilistic_module
from nbkeras.metrics.reduction import Mean, MeanMetricWrapper, Sum
from nbkeras.metrics.regression import __name__ as _regression_module

# Module objects (``nbkeras.metrics.accuracy`` the attribute is shadowed by the function).
A = sys.modules[_accuracy_module]
P = sys.modules[_probabilistic_module]
R = sys.modules[_regression_module]

METRIC_CLASSES: tuple[type[Metric], ...] = (
    Mean,
    Sum,
    A.Accuracy,
    A.BinaryAccuracy,
    A.CategoricalAccuracy,
    A.SparseCategoricalAccuracy,
    A.TopKCategoricalAccuracy,
    A.SparseTopKCategoricalAccuracy,
    R.MeanSquaredError,
    R.MeanAbsoluteError,
    R.MeanAbsolutePercentageError,
    R.MeanSquaredLogarithmicError,
    R.RootMeanSquaredError,
    R.CosineSimilarity,
    R.LogCoshError,
    R.R2Score,
    P.BinaryCrossentropy,
    P.CategoricalCrossentropy,
    P.SparseCategoricalCrossentropy,
    P.KLDivergence,
    P.Poisson,
    P.Hinge,
    P.SquaredHinge,
    P.CategoricalHinge,
    AUC,
    Precision,
    Recall,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
)
_BY_NAME: dict[str, type[Metric]] = {cls.__name__: cls for cls in METRIC_CLASSES}
_BY_NAME.update({snake_case(cls.__name__): cls for cls in METRIC_CLASSES})
for _alias, _cls in {
    "bce": P.BinaryCrossentropy,
    "mse": R.MeanSquaredError,
    "mae": R.MeanAbsoluteError,
    "mape": R.MeanAbsolutePercentageError,
    "msle": R.MeanSquaredLogarithmicError,
}.items():
    _BY_NAME[_alias] = _BY_NAME[_alias.upper()] = _cls
_BY_NAME["MeanMetricWrapper"] = MeanMetricWrapper

_BINARY_LOSSES = ("binary_crossentropy", "binary_focal_crossentropy", "hinge", "squared_hinge")


def _kind_from_loss(loss) -> str | None:
    """Keras 2's rule: pick the accuracy variant from the loss function."""
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or loss
    fn = getattr(loss, "fn", None)
    names = {str(name).lower(), snake_case(type(loss).__name__), getattr(fn, "__name__", "")}
    if names & {"sparse_categorical_crossentropy", "scce"}:
        return "sparse"
    if names & set(_BINARY_LOSSES) | names & {"bce"}:
        return "binary"
    if names & {"categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge"}:
        return "categorical"
    return None


def _resolve_kind(y_true_shape, y_pred_shape, loss) -> str | None:
    if y_true_shape is not None and y_pred_shape is not None:
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true_shape, y_pred_shape)
        return "binary" if is_binary else "sparse" if is_sparse else "categorical"
    return None if loss is None else _kind_from_loss(loss)


def get(
    identifier: Any,
    loss: Any = None,
    y_true_shape: Sequence[int] | None = None,
    y_pred_shape: Sequence[int] | None = None,
) -> Metric | None:
    """Return a :class:`Metric` for ``identifier``, resolved the way Keras's ``compile`` does.

    ``'accuracy'``/``'acc'`` (any case) become Binary/SparseCategorical/CategoricalAccuracy
    from the shapes (Keras's ``compile_utils.get_metric`` rule), keeping the given name;
    ``'crossentropy'``/``'ce'`` likewise pick the crossentropy metric. Without shapes the
    loss decides; without either, ``'accuracy'`` is :class:`Accuracy` (exact match).

    Args:
        identifier: A name or alias (``'mae'``, ``'auc'``, ``'precision'``...), a config
            dict, a Metric class or instance, a Loss, or a function ``f(y_true, y_pred)``.
        loss: The compiled loss, used when the shapes are unknown.
        y_true_shape: Shape of the targets.
        y_pred_shape: Shape of the model output.

    Raises:
        ValueError: Unknown name. TypeError: unsupported type.

    Example:
        >>> get("acc", y_true_shape=(32,), y_pred_shape=(32, 10)).name
        'acc'
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc", "crossentropy", "ce"):
            kind = _resolve_kind(y_true_shape, y_pred_shape, loss)
            table = (
                {
                    "binary": A.BinaryAccuracy,
                    "sparse": A.SparseCategoricalAccuracy,
                    "categorical": A.CategoricalAccuracy,
                    None: A.Accuracy,
                }
                if key in ("accuracy", "acc")
                else {
                    "binary": P.BinaryCrossentropy,
                    "sparse": P.SparseCategoricalCrossentropy,
                    "categorical": P.CategoricalCrossentropy,
                    None: None,
                }
            )
            cls = table[kind]
            if cls is None:
                raise ValueError(
                    f"The metric {identifier!r} is resolved from the shapes of the targets and "
                    "the model output; pass y_true_shape and y_pred_shape, or name the metric "
                    "explicitly (e.g. 'binary_crossentropy')."
                )
            return cls(name=identifier)
        cls = _BY_NAME.get(identifier)
        if cls is None or cls is MeanMetricWrapper:
            raise unknown_identifier(
                "metric", identifier, [*_BY_NAME, "accuracy", "acc", "crossentropy", "ce"]
            )
        metric = cls()
        metric.name = identifier
        return metric
    if isinstance(identifier, Loss):
        return MeanMetricWrapper(identifier.call, name=identifier.name)
    if callable(identifier):
        name = getattr(identifier, "__name__", None) or snake_case(type(identifier).__name__)
        return MeanMetricWrapper(identifier, name=name)
    raise wrong_type("metric", identifier, "a string, a dict, a Metric or a callable")


def serialize(metric: Metric) -> dict[str, Any]:
    """Return ``{'class_name': ..., 'config': ...}`` for a metric."""
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Metric:
    """Rebuild a metric from :func:`serialize` output."""
    lookup = {**_BY_NAME, **(custom_objects or {})}
    class_name = config.get("class_name")
    if class_name not in lookup:
        raise unknown_identifier("metric", class_name, list(lookup))
    return lookup[class_name].from_config(dict(config.get("config", {})))
