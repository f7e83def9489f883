"""Differential tests: nbkeras losses against Keras 3 (JAX backend) on fixed random data."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbkeras import losses  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6
N = 8


def _data(kind, seed=0):
    rng = np.random.default_rng(seed)
    f = np.float32
    if kind == "regression":
        return rng.normal(size=(N, 4)).astype(f), rng.normal(size=(N, 4)).astype(f)
    if kind == "regression3d":
        return rng.normal(size=(N, 3, 4)).astype(f), rng.normal(size=(N, 3, 4)).astype(f)
    if kind == "positive":
        return rng.uniform(0, 2, size=(N, 4)).astype(f), rng.uniform(0.01, 2, size=(N, 4)).astype(f)
    if kind == "distribution":
        t = rng.uniform(size=(N, 5)).astype(f)
        p = rng.uniform(size=(N, 5)).astype(f)
        return t / t.sum(-1, keepdims=True), p / p.sum(-1, keepdims=True)
    if kind == "binary":
        return (rng.uniform(size=(N, 3)) > 0.5).astype(f), rng.uniform(size=(N, 3)).astype(f)
    if kind == "binary_col":  # (n, 1) sigmoid output, (n,) labels
        return (rng.uniform(size=(N,)) > 0.5).astype(f), rng.uniform(size=(N, 1)).astype(f)
    if kind == "binary_extreme":  # probabilities at 0 and 1 hit the 1e-7 clipping
        t = (rng.uniform(size=(N, 3)) > 0.5).astype(f)
        return t, np.where(rng.uniform(size=(N, 3)) > 0.5, 1.0, 0.0).astype(f)
    if kind == "logits":
        return (rng.uniform(size=(N, 3)) > 0.5).astype(f), rng.normal(size=(N, 3)).astype(f) * 3
    if kind == "pm1":
        return np.sign(rng.normal(size=(N, 3))).astype(f), rng.normal(size=(N, 3)).astype(f)
    if kind == "onehot":
        labels = rng.integers(0, 5, size=N)
        p = rng.uniform(size=(N, 5)).astype(f)
        return np.eye(5, dtype=f)[labels], p / p.sum(-1, keepdims=True)
    if kind == "onehot_logits":
        labels = rng.integers(0, 5, size=N)
        return np.eye(5, dtype=f)[labels], rng.normal(size=(N, 5)).astype(f) * 2
    if kind == "sparse":
        p = rng.uniform(size=(N, 5)).astype(f)
        return rng.integers(0, 5, size=N).astype(np.int32), p / p.sum(-1, keepdims=True)
    if kind == "sparse_logits":
        return rng.integers(0, 5, size=N).astype(np.int32), rng.normal(size=(N, 5)).astype(f)
    if kind == "sparse_seq":
        return rng.integers(0, 5, size=(N, 6)).astype(np.int32), rng.normal(size=(N, 6, 5)).astype(
            f
        )
    raise KeyError(kind)


CASES = [
    ("MeanSquaredError", {}, "regression"),
    ("MeanSquaredError", {}, "regression3d"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("Huber", {}, "regression"),
    ("Huber", {"delta": 0.3}, "regression"),
    ("LogCosh", {}, "regression"),
    ("CosineSimilarity", {}, "regression"),
    ("CosineSimilarity", {"axis": 0}, "regression"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("Hinge", {}, "binary"),
    ("Hinge", {}, "pm1"),
    ("SquaredHinge", {}, "binary"),
    ("SquaredHinge", {}, "pm1"),
    ("CategoricalHinge", {}, "onehot"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {}, "binary_col"),
    ("BinaryCrossentropy", {}, "binary_extreme"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True}, "logits"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "logits"),
    ("BinaryFocalCrossentropy", {}, "binary"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4}, "binary"),
    (
        "BinaryFocalCrossentropy",
        {"from_logits": True, "gamma": 1.5, "label_smoothing": 0.1},
        "logits",
    ),
    ("CategoricalCrossentropy", {}, "onehot"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot"),
    ("CategoricalCrossentropy", {"from_logits": True}, "onehot_logits"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "onehot_logits"),
    ("CategoricalFocalCrossentropy", {}, "onehot"),
    (
        "CategoricalFocalCrossentropy",
        {"from_logits": True, "alpha": 0.5, "gamma": 1.0},
        "onehot_logits",
    ),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_seq"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 2}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 0}, "sparse_seq"),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "none", None, "mean_with_sample_weight"]


def _ids(case):
    name, kwargs, kind = case
    return f"{name}-{kind}-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def _weights(y_true, kind):
    rng = np.random.default_rng(7)
    shape = y_true.shape[:2] if kind in ("regression3d", "sparse_seq") else (N,)
    return rng.uniform(0, 2, size=shape).astype(np.float32)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_matches_keras(case, reduction, weighted):
    name, kwargs, kind = case
    if weighted and kwargs.get("axis") == 0:
        pytest.skip("axis=0 reduces the batch axis: there are no per-sample values to weight")
    y_true, y_pred = _data(kind)
    sw = _weights(y_true, kind) if weighted else None
    ours = getattr(losses, name)(reduction=reduction, **kwargs)
    ref = getattr(keras.losses, name)(reduction=reduction, **kwargs)
    got = np.asarray(ours(y_true, y_pred, sample_weight=sw))
    want = np.asarray(ref(y_true, y_pred, sample_weight=sw))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_call_is_keras_per_sample_values(case):
    name, kwargs, kind = case
    y_true, y_pred = _data(kind, seed=3)
    ours = getattr(losses, name)(**kwargs)
    ref = getattr(keras.losses, name)(reduction=None, **kwargs)
    got = np.asarray(jax.jit(ours.call)(y_true, y_pred))
    np.testing.assert_allclose(got, np.asarray(ref(y_true, y_pred)), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_get_config_matches_keras_and_round_trips(case):
    name, kwargs, _ = case
    ours = getattr(losses, name)(**kwargs)
    want = getattr(keras.losses, name)(**kwargs).get_config()
    want.pop("dtype", None)
    got = ours.get_config()
    # Keras's config is a subset (Keras drops Huber's delta and CosineSimilarity's axis).
    assert want.items() <= got.items()
    assert set(got) - set(want) <= {"delta", "axis"}
    clone = losses.deserialize(losses.serialize(ours))
    assert type(clone) is type(ours) and clone.get_config() == got


FUNCTIONS = [
    ("mean_squared_error", "regression"),
    ("mse", "regression"),
    ("mean_absolute_error", "regression"),
    ("mae", "regression"),
    ("mean_absolute_percentage_error", "regression"),
    ("mean_squared_logarithmic_error", "positive"),
    ("huber", "regression"),
    ("log_cosh", "regression"),
    ("kl_divergence", "distribution"),
    ("poisson", "positive"),
    ("hinge", "binary"),
    ("squared_hinge", "pm1"),
    ("categorical_hinge", "onehot"),
    ("binary_crossentropy", "binary"),
    ("binary_focal_crossentropy", "binary"),
    ("categorical_crossentropy", "onehot"),
    ("categorical_focal_crossentropy", "onehot"),
    ("sparse_categorical_crossentropy", "sparse"),
    ("cosine_similarity", "regression"),
]


@pytest.mark.parametrize("fn_name,kind", FUNCTIONS)
def test_function_forms_match_keras(fn_name, kind):
    y_true, y_pred = _data(kind, seed=5)
    keras_name = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}.get(fn_name, fn_name)
    want = getattr(keras.losses, keras_name)(y_true, y_pred)
    got = getattr(losses, fn_name)(y_true, y_pred)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=RTOL, atol=ATOL)


# --- get -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier,fn",
    [
        ("mse", "mean_squared_error"),
        ("MSE", "mean_squared_error"),
        ("mae", "mean_absolute_error"),
        ("bce", "binary_crossentropy"),
        ("kld", "kl_divergence"),
        ("msle", "mean_squared_logarithmic_error"),
        ("mape", "mean_absolute_percentage_error"),
        ("categorical_crossentropy", "categorical_crossentropy"),
        ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
    ],
)
def test_get_string_functions_are_wrapped_with_the_given_name(identifier, fn):
    loss = losses.get(identifier)
    assert isinstance(loss, losses.LossFunctionWrapper)
    assert loss.name == identifier and loss.fn.__name__ == fn
    assert keras.losses.get(identifier).__name__ == fn  # same lookup table as Keras


def test_get_class_names_dicts_instances_and_callables():
    assert type(losses.get("MeanSquaredError")) is losses.MeanSquaredError
    assert losses.get("Huber").name == "huber_loss"
    cfg = {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    assert losses.get(cfg).from_logits is True
    inst = losses.Huber(delta=2.0)
    assert losses.get(inst) is inst
    assert type(losses.get(losses.Poisson)) is losses.Poisson
    assert losses.get(None) is None

    def my_loss(y_true, y_pred):
        return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)

    wrapped = losses.get(my_loss)
    assert wrapped.fn is my_loss and wrapped.name == "my_loss"
    y_true, y_pred = _data("regression")
    np.testing.assert_allclose(
        wrapped(y_true, y_pred), keras.losses.MeanAbsoluteError()(y_true, y_pred), rtol=RTOL
    )


@pytest.mark.parametrize(
    "y_true_shape,y_pred_shape,fn",
    [
        ((8,), (8, 10), "sparse_categorical_crossentropy"),
        ((8, 1), (8, 10), "sparse_categorical_crossentropy"),
        ((8, 10), (8, 10), "categorical_crossentropy"),
        ((8, 1), (8, 1), "binary_crossentropy"),
    ],
)
def test_crossentropy_alias_resolves_like_keras_compile(y_true_shape, y_pred_shape, fn):
    from keras.src.trainers.compile_utils import get_loss

    want = get_loss("ce", np.zeros(y_true_shape), np.zeros(y_pred_shape))
    got = losses.get("ce", y_true_shape=y_true_shape, y_pred_shape=y_pred_shape)
    assert got.fn.__name__ == want.fn.__name__ == fn
    assert got.name == want.name == "ce"


# --- errors ----------------------------------------------------------------------------


def test_unknown_identifier_lists_valid_names_and_closest_match():
    with pytest.raises(
        ValueError,
        match=r"Unknown loss identifier: received 'mean_squared_eror'.*Did you mean 'mean_squared_error'",
    ):
        losses.get("mean_squared_eror")
    with pytest.raises(TypeError, match="Could not interpret loss"):
        losses.get(3)
    with pytest.raises(ValueError, match="pass y_true_shape and y_pred_shape"):
        losses.get("crossentropy")


def test_invalid_reduction():
    with pytest.raises(ValueError, match=r"reduction.*received 'avg'"):
        losses.MeanSquaredError(reduction="avg")


def test_check_sparse_labels():
    losses.check_sparse_labels(np.array([0, 9, 3]), 10)
    with pytest.raises(
        ValueError,
        match=r"received label 12 but the model outputs 10 classes \(valid labels are 0\.\.9\)",
    ):
        losses.check_sparse_labels(np.array([1, 12, 3]), 10, "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="received label -1"):
        losses.check_sparse_labels(np.array([[1], [-1]]), 10)
    with pytest.raises(ValueError, match="expects integer class labels.*0.5"):
        losses.check_sparse_labels(np.array([0.5, 1.0]), 10)
    losses.check_sparse_labels(np.array([0, 255, 3]), 10, ignore_class=255)


def test_shape_mismatch_messages():
    y_true, y_pred = _data("sparse")
    with pytest.raises(
        ValueError,
        match=r"categorical_crossentropy.*same shape.*use 'sparse_categorical_crossentropy'",
    ):
        losses.CategoricalCrossentropy()(y_true, y_pred)
    onehot, probs = _data("onehot")
    with pytest.raises(
        ValueError,
        match=r"sparse_categorical_crossentropy.*received y_true.shape=\(8, 5\).*use 'categorical_crossentropy'",
    ):
        losses.SparseCategoricalCrossentropy()(onehot, probs)
    with pytest.raises(
        ValueError, match=r"'mean_squared_error' received incompatible shapes.*\(8, 3\).*\(8, 4\)"
    ):
        losses.MeanSquaredError()(np.zeros((8, 3)), np.zeros((8, 4)))
    with pytest.raises(ValueError, match=r"binary_crossentropy.*same shape"):
        losses.BinaryCrossentropy()(np.zeros((8, 3)), np.zeros((8, 4)))


# --- reduce_weighted and padding -------------------------------------------------------


def _pad(x, extra, seed=11):
    garbage = np.random.default_rng(seed).normal(size=(extra,) + x.shape[1:]) * 100
    return np.concatenate([x, garbage.astype(x.dtype)])


@pytest.mark.parametrize(
    "reduction", ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight"]
)
@pytest.mark.parametrize("shape", [(N,), (N, 3)])
@pytest.mark.parametrize("weighted", [False, True])
def test_reduce_weighted_padded_equals_unpadded_and_keras(reduction, shape, weighted):
    rng = np.random.default_rng(1)
    values = rng.uniform(size=shape).astype(np.float32)
    sw = rng.uniform(size=shape).astype(np.float32) if weighted else None
    want = losses.reduce_weighted(values, sw, reduction=reduction)
    from keras.src.losses.loss import reduce_weighted_values

    np.testing.assert_allclose(
        want, reduce_weighted_values(values, sw, reduction=reduction), rtol=RTOL
    )
    mask = np.array([1.0] * N + [0.0] * 4, np.float32)
    got = losses.reduce_weighted(
        _pad(values, 4), None if sw is None else _pad(sw, 4), mask, reduction
    )
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "name,kwargs,kind",
    [
        ("MeanSquaredError", {}, "regression3d"),
        ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 0}, "sparse_seq"),
        ("CategoricalCrossentropy", {}, "onehot"),
    ],
)
def test_padded_batch_gives_same_loss_and_gradient(name, kwargs, kind):
    y_true, y_pred = _data(kind)
    loss = getattr(losses, name)(**kwargs)
    sw = _weights(y_true, kind)
    y_pad, p_pad, sw_pad = _pad(y_true, 3), np.abs(_pad(y_pred, 3)), _pad(sw, 3)
    y_pred = p_pad[:N]
    if kind == "sparse_seq":
        y_pad = np.abs(y_pad).astype(np.int32) % 5
    mask = np.array([1.0] * N + [0.0] * 3, np.float32)

    def f(scale, yt, yp, w, m):
        return loss.compute(yt, yp * scale, sample_weight=w, mask=m)

    grad = jax.jit(jax.value_and_grad(f))
    v1, g1 = grad(1.3, y_true, y_pred, sw, None)
    v2, g2 = grad(1.3, y_pad, p_pad, sw_pad, mask)
    np.testing.assert_allclose(v2, v1, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g2, g1, rtol=1e-4, atol=ATOL)
    np.testing.assert_allclose(
        v1, getattr(keras.losses, name)(**kwargs)(y_true, y_pred * 1.3, sample_weight=sw), rtol=RTOL
    )
