"""Differential tests: nbkeras metrics against Keras 3 (JAX backend), plus the pure core."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbkeras import metrics  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6
N = 10


def _batch(kind, seed):
    rng = np.random.default_rng(seed)
    f = np.float32
    if kind == "regression":
        return rng.normal(size=(N, 3)).astype(f), rng.normal(size=(N, 3)).astype(f)
    if kind == "positive":
        return rng.uniform(0, 2, size=(N, 3)).astype(f), rng.uniform(0.01, 2, size=(N, 3)).astype(f)
    if kind == "binary":  # (n, 1) sigmoid output
        return (rng.uniform(size=(N, 1)) > 0.5).astype(f), rng.uniform(size=(N, 1)).astype(f)
    if kind == "binary_flat":
        return (rng.uniform(size=(N,)) > 0.5).astype(f), rng.uniform(size=(N,)).astype(f)
    if kind == "multilabel":
        return (rng.uniform(size=(N, 3)) > 0.5).astype(f), rng.uniform(size=(N, 3)).astype(f)
    if kind == "logits":
        return (rng.uniform(size=(N, 1)) > 0.5).astype(f), rng.normal(size=(N, 1)).astype(f) * 3
    if kind == "onehot":
        p = rng.uniform(size=(N, 5)).astype(f)
        return np.eye(5, dtype=f)[rng.integers(0, 5, N)], p / p.sum(-1, keepdims=True)
    if kind == "sparse":
        p = rng.uniform(size=(N, 5)).astype(f)
        return rng.integers(0, 5, N).astype(np.int32), p / p.sum(-1, keepdims=True)
    if kind == "sparse_col":
        p = rng.uniform(size=(N, 5)).astype(f)
        return rng.integers(0, 5, (N, 1)).astype(np.int32), p / p.sum(-1, keepdims=True)
    if kind == "sparse_seq":
        return rng.integers(0, 5, (N, 4)).astype(np.int32), rng.normal(size=(N, 4, 5)).astype(f)
    if kind == "exact":
        return rng.integers(0, 3, (N, 2)).astype(f), rng.integers(0, 3, (N, 2)).astype(f)
    if kind == "pm1":
        return np.sign(rng.normal(size=(N, 3))).astype(f), rng.normal(size=(N, 3)).astype(f)
    raise KeyError(kind)


CASES = [
    ("Accuracy", {}, "exact"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.3}, "multilabel"),
    ("CategoricalAccuracy", {}, "onehot"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_col"),
    ("SparseCategoricalAccuracy", {}, "sparse_seq"),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot"),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("RootMeanSquaredError", {}, "regression"),
    ("CosineSimilarity", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("R2Score", {}, "regression"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression"),
    ("BinaryCrossentropy", {}, "multilabel"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "logits"),
    ("CategoricalCrossentropy", {}, "onehot"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, "onehot"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 1}, "sparse_seq"),
    ("KLDivergence", {}, "positive"),
    ("Poisson", {}, "positive"),
    ("Hinge", {}, "pm1"),
    ("SquaredHinge", {}, "multilabel"),
    ("CategoricalHinge", {}, "onehot"),
    ("AUC", {}, "binary"),
    ("AUC", {}, "binary_flat"),
    ("AUC", {"num_thresholds": 37, "curve": "PR"}, "binary"),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, "binary"),
    ("AUC", {"summation_method": "majoring"}, "multilabel"),
    ("AUC", {"curve": "PRGAIN"}, "binary"),
    ("AUC", {"thresholds": [0.2, 0.5, 0.7]}, "binary"),
    ("AUC", {"from_logits": True}, "logits"),
    ("AUC", {"multi_label": True, "num_labels": 3}, "multilabel"),
    ("AUC", {"multi_label": True, "label_weights": [1.0, 2.0, 0.5]}, "multilabel"),
    ("AUC", {"label_weights": [1.0, 2.0, 0.5]}, "multilabel"),
    ("Precision", {}, "binary"),
    ("Precision", {"thresholds": [0.3, 0.5, 0.9]}, "multilabel"),
    ("Precision", {"top_k": 2}, "onehot"),
    ("Precision", {"class_id": 1}, "multilabel"),
    ("Recall", {}, "binary_flat"),
    ("Recall", {"thresholds": [0.0, 0.5, 1.0]}, "multilabel"),
    ("Recall", {"top_k": 1, "class_id": 2}, "onehot"),
    ("TruePositives", {}, "binary"),
    ("FalsePositives", {"thresholds": [0.15, 0.5, 0.85]}, "multilabel"),
    ("TrueNegatives", {}, "binary_flat"),
    ("FalseNegatives", {"thresholds": [0.0, 0.5, 1.0]}, "binary"),
]


def _ids(case):
    name, kwargs, kind = case
    return f"{name}-{kind}-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def _weights(y_true, seed):
    return (
        np.random.default_rng(100 + seed).uniform(0, 2, size=(y_true.shape[0],)).astype(np.float32)
    )


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
@pytest.mark.parametrize("weighted", [False, True])
def test_metric_matches_keras_over_three_batches(case, weighted):
    name, kwargs, kind = case
    if kwargs.get("ignore_class") is not None:
        pytest.skip("Keras counts ignored entries as 0 (and fails with sample weights): see below")
    ours = getattr(metrics, name)(**kwargs)
    ref = getattr(keras.metrics, name)(**kwargs)
    for seed in range(3):
        y_true, y_pred = _batch(kind, seed)
        sw = _weights(y_true, seed) if weighted else None
        ours.update_state(y_true, y_pred, sample_weight=sw)
        ref.update_state(y_true, y_pred, sample_weight=sw)
    got, want = np.asarray(ours.result()), np.asarray(ref.result())
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    ours.reset_state()
    ref.reset_state()
    y_true, y_pred = _batch(kind, 9)
    ours.update_state(y_true, y_pred)
    ref.update_state(y_true, y_pred)
    np.testing.assert_allclose(ours.result(), ref.result(), rtol=RTOL, atol=ATOL)


def _pad(x, extra, seed):
    rng = np.random.default_rng(seed)
    if np.issubdtype(x.dtype, np.integer):
        garbage = rng.integers(0, 5, size=(extra,) + x.shape[1:])
    else:
        garbage = rng.uniform(size=(extra,) + x.shape[1:]) * 3
    return np.concatenate([x, garbage.astype(x.dtype)])


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
@pytest.mark.parametrize("weighted", [False, True])
def test_padded_rows_do_not_change_the_result_and_jit_matches_eager(case, weighted):
    name, kwargs, kind = case
    m = getattr(metrics, name)(**kwargs)
    y0, p0 = _batch(kind, 0)
    m.build(y0.shape, p0.shape)
    update = jax.jit(m.update)
    plain, padded, eager = m.init(), m.init(), m.init()
    for seed in range(3):
        y_true, y_pred = _batch(kind, seed)
        sw = _weights(y_true, seed) if weighted else None
        plain = update(plain, y_true, y_pred, sw)
        eager = m.update(eager, y_true, y_pred, sw)
        mask = np.array([1.0] * N + [0.0] * 3, np.float32)
        sw_pad = None if sw is None else _pad(sw, 3, seed)
        padded = update(padded, _pad(y_true, 3, seed), _pad(y_pred, 3, seed), sw_pad, mask)
    want = m.result_from(plain)
    np.testing.assert_allclose(m.result_from(padded), want, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(m.result_from(eager), want, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(jax.jit(m.result_from)(plain), want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("cls", ["Mean", "Sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_mean_and_sum_match_keras(cls, weighted):
    ours, ref = getattr(metrics, cls)(), getattr(keras.metrics, cls)()
    rng = np.random.default_rng(0)
    for shape in [(N,), (N, 3), (N, 3)]:
        values = rng.normal(size=shape).astype(np.float32)
        sw = rng.uniform(size=shape).astype(np.float32) if weighted else None
        ours.update_state(values, sample_weight=sw)
        ref.update_state(values, sample_weight=sw)
    np.testing.assert_allclose(ours.result(), ref.result(), rtol=RTOL, atol=ATOL)
    values = rng.normal(size=(N, 3)).astype(np.float32)
    state = ours.update(ours.init(), values)
    padded = jax.jit(ours.update)(
        ours.init(), _pad(values, 2, 0), None, np.r_[np.ones(N), np.zeros(2)]
    )
    np.testing.assert_allclose(ours.result_from(padded), ours.result_from(state), rtol=RTOL)


def test_mean_metric_wrapper_and_plain_functions():
    def abs_err(y_true, y_pred):
        return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)

    m = metrics.get(abs_err)
    assert isinstance(m, metrics.MeanMetricWrapper) and m.name == "abs_err"
    ref = keras.metrics.MeanMetricWrapper(abs_err)
    for seed in range(3):
        y_true, y_pred = _batch("regression", seed)
        m.update_state(y_true, y_pred)
        ref.update_state(y_true, y_pred)
    np.testing.assert_allclose(m.result(), ref.result(), rtol=RTOL)


@pytest.mark.parametrize(
    "y_true_shape,y_pred_shape,expected",
    [
        ((N,), (N, 5), "SparseCategoricalAccuracy"),
        ((N, 1), (N, 5), "SparseCategoricalAccuracy"),
        ((N, 5), (N, 5), "CategoricalAccuracy"),
        ((N, 1), (N, 1), "BinaryAccuracy"),
        ((N,), (N, 1), "BinaryAccuracy"),
    ],
)
@pytest.mark.parametrize("identifier", ["accuracy", "acc", "Accuracy"])
def test_accuracy_resolution_matches_keras_compile(
    y_true_shape, y_pred_shape, expected, identifier
):
    from keras.src.trainers.compile_utils import get_metric

    ref = get_metric(identifier, np.zeros(y_true_shape), np.zeros(y_pred_shape))
    got = metrics.get(identifier, y_true_shape=y_true_shape, y_pred_shape=y_pred_shape)
    assert type(got).__name__ == type(ref).__name__ == expected
    assert got.name == ref.name == identifier


def test_accuracy_resolution_from_loss_and_crossentropy_alias():
    from nbkeras import losses

    assert type(metrics.get("accuracy", loss="binary_crossentropy")) is metrics.BinaryAccuracy
    assert (
        type(metrics.get("acc", loss=losses.SparseCategoricalCrossentropy()))
        is metrics.SparseCategoricalAccuracy
    )
    assert (
        type(metrics.get("accuracy", loss="categorical_crossentropy"))
        is metrics.CategoricalAccuracy
    )
    assert type(metrics.get("accuracy")) is metrics.Accuracy
    ce = metrics.get("ce", y_true_shape=(N,), y_pred_shape=(N, 5))
    assert type(ce) is metrics.SparseCategoricalCrossentropy and ce.name == "ce"
    assert (
        type(metrics.get("crossentropy", y_true_shape=(N, 1), y_pred_shape=(N, 1)))
        is metrics.BinaryCrossentropy
    )


@pytest.mark.parametrize(
    "identifier,cls",
    [
        ("mae", "MeanAbsoluteError"),
        ("MSE", "MeanSquaredError"),
        ("auc", "AUC"),
        ("precision", "Precision"),
        ("recall", "Recall"),
        ("bce", "BinaryCrossentropy"),
        ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
        ("categorical_crossentropy", "CategoricalCrossentropy"),
        ("root_mean_squared_error", "RootMeanSquaredError"),
        ("kl_divergence", "KLDivergence"),
        ("true_positives", "TruePositives"),
        ("LogCoshError", "LogCoshError"),
    ],
)
def test_get_names_like_keras(identifier, cls):
    from keras.src.trainers.compile_utils import get_metric

    got = metrics.get(identifier)
    ref = get_metric(identifier, np.zeros((N, 1)), np.zeros((N, 1)))
    assert type(got).__name__ == type(ref).__name__ == cls
    assert got.name == ref.name == identifier


def test_get_errors_and_passthrough():
    with pytest.raises(
        ValueError, match=r"Unknown metric identifier: received 'acuracy'.*Did you mean 'accuracy'"
    ):
        metrics.get("acuracy")
    with pytest.raises(TypeError, match="Could not interpret metric"):
        metrics.get(42)
    with pytest.raises(ValueError, match="pass y_true_shape and y_pred_shape"):
        metrics.get("ce")
    m = metrics.AUC(name="roc")
    assert metrics.get(m) is m
    cfg = metrics.serialize(metrics.Precision(thresholds=[0.2, 0.7]))
    clone = metrics.deserialize(cfg)
    assert type(clone) is metrics.Precision and clone.thresholds == [0.2, 0.7]
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        metrics.Precision(thresholds=1.5)
    with pytest.raises(ValueError, match="Invalid AUC curve value"):
        metrics.AUC(curve="roc_curve")
    with pytest.raises(ValueError, match="multi_label=True.*num_labels"):
        metrics.AUC(multi_label=True).init()


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_get_config_matches_keras(case):
    name, kwargs, _ = case
    got = getattr(metrics, name)(**kwargs).get_config()
    want = getattr(keras.metrics, name)(**kwargs).get_config()
    for key in ("name", "dtype"):  # Keras auto-numbers AUC/Precision names (auc_1, ...)
        got.pop(key), want.pop(key)
    if "label_weights" in want and want["label_weights"] is not None:
        want["label_weights"] = [float(w) for w in np.asarray(want["label_weights"])]
    assert got == want
    clone = metrics.deserialize(metrics.serialize(getattr(metrics, name)(**kwargs)))
    assert type(clone).__name__ == name


@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_crossentropy_metric_ignore_class_excludes_ignored_entries(weighted):
    # Deliberate difference from Keras 3: its metric averages ignored entries in as zeros
    # (and raises with per-sample weights); ours averages over the non-ignored entries only,
    # which is what the SparseCategoricalCrossentropy(ignore_class=...) loss reports.
    m = metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)
    per_entry = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    total = count = 0.0
    for seed in range(3):
        y_true, y_pred = _batch("sparse_seq", seed)
        sw = _weights(y_true, seed) if weighted else np.ones(N, np.float32)
        m.update_state(y_true, y_pred, sample_weight=sw if weighted else None)
        w = sw[:, None] * (y_true != 1)
        total += float(np.sum(np.asarray(per_entry(y_true, y_pred)) * w))
        count += float(np.sum(w))
    np.testing.assert_allclose(m.result(), total / count, rtol=RTOL)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)
    y_true, y_pred = _batch("sparse_seq", 0)
    m.reset_state()
    m.update_state(y_true, y_pred)
    np.testing.assert_allclose(m.result(), loss(y_true, y_pred), rtol=RTOL)
