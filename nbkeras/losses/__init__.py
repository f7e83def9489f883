"""Losses with Keras 3's names, signatures and per-sample math, written in ``jax.numpy``.

The training engine uses :meth:`Loss.call_with_mask` (or :meth:`Loss.compute`) and
:func:`reduce_weighted`; users use the Keras API (``loss(y_true, y_pred, sample_weight)``).
"""

from nbkeras.losses.base import (
    Loss,
    LossFunctionWrapper,
    reduce_weighted,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
)
from nbkeras.losses.classes import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from nbkeras.losses.functions import (
    BCE,
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    bce,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    kld,
    kullback_leibler_divergence,
    log_cosh,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from nbkeras.losses.registry import (
    check_sparse_labels,
    deserialize,
    get,
    is_binary_or_sparse_categorical,
    serialize,
)
