"""nbkeras.initializers: statistics, fans, determinism, tracing, Keras parity."""

import math
import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbkeras import initializers  # noqa: E402
from nbkeras.utils import set_random_seed  # noqa: E402

SNAKE = [
    "zeros", "ones", "random_normal", "random_uniform", "truncated_normal", "variance_scaling",
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
    "lecun_normal", "orthogonal",
]  # fmt: skip


@pytest.mark.parametrize(
    "shape, fans",
    [((5,), (5, 5)), ((4, 6), (4, 6)), ((3, 3, 8, 16), (72, 144)), ((2, 2, 2, 3, 5), (24, 40))],
)
def test_compute_fans_like_keras(shape, fans):
    assert initializers.compute_fans(shape) == fans


@pytest.mark.parametrize(
    "name, mode, scale, dist",
    [
        ("glorot_uniform", "fan_avg", 1.0, "uniform"),
        ("glorot_normal", "fan_avg", 1.0, "normal"),
        ("he_uniform", "fan_in", 2.0, "uniform"),
        ("he_normal", "fan_in", 2.0, "normal"),
        ("lecun_uniform", "fan_in", 1.0, "uniform"),
        ("lecun_normal", "fan_in", 1.0, "normal"),
    ],
)
@pytest.mark.parametrize("shape", [(200, 300), (3, 3, 32, 64)])
def test_variance_scaling_presets_statistics(name, mode, scale, dist, shape):
    w = np.asarray(initializers.get(name)(shape))
    assert w.shape == shape and w.dtype == np.float32
    fan_in, fan_out = initializers.compute_fans(shape)
    n = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = math.sqrt(scale / n)
    assert abs(w.mean()) < 0.05 * std
    assert w.std() == pytest.approx(std, rel=0.03)
    if dist == "uniform":
        assert np.abs(w).max() <= math.sqrt(3) * std + 1e-6
    else:  # truncated at 2 stddev of the untruncated distribution
        assert np.abs(w).max() <= 2 * std / 0.87962566103423978 + 1e-6


def test_variance_scaling_fan_out_and_untruncated():
    w = np.asarray(initializers.VarianceScaling(3.0, "fan_out", "untruncated_normal")((64, 400)))
    assert w.std() == pytest.approx(math.sqrt(3.0 / 400), rel=0.03)
    assert np.abs(w).max() > 2 * math.sqrt(3.0 / 400)  # not truncated


def test_random_normal_uniform_truncated_statistics():
    w = np.asarray(initializers.RandomNormal(mean=1.0, stddev=0.5)((100_000,)))
    assert w.mean() == pytest.approx(1.0, abs=0.01) and w.std() == pytest.approx(0.5, rel=0.02)
    u = np.asarray(initializers.RandomUniform(-2.0, 3.0)((100_000,)))
    assert u.min() >= -2.0 and u.max() < 3.0 and u.mean() == pytest.approx(0.5, abs=0.03)
    t = np.asarray(initializers.TruncatedNormal(0.0, 1.0)((100_000,)))
    assert np.abs(t).max() <= 2.0


def test_constant_zeros_ones_identity():
    assert np.asarray(initializers.Zeros()((2, 3))).sum() == 0
    assert np.asarray(initializers.Ones()((2, 3), dtype="float16")).dtype == np.float16
    np.testing.assert_array_equal(initializers.Constant(2.5)((2,)), [2.5, 2.5])
    np.testing.assert_array_equal(initializers.Identity(gain=2.0)((2, 3)), 2.0 * np.eye(2, 3))
    with pytest.raises(ValueError, match="can only be used for 2D matrices"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (3, 3, 4, 8)])
def test_orthogonal(shape):
    w = np.asarray(initializers.Orthogonal(gain=1.5)(shape)).reshape(-1, shape[-1])
    rows, cols = w.shape
    gram = w.T @ w if rows >= cols else w @ w.T
    np.testing.assert_allclose(gram, 2.25 * np.eye(min(rows, cols)), atol=1e-5)
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((3,))


@pytest.mark.parametrize("name", SNAKE)
def test_seeded_is_deterministic_and_unseeded_is_fresh(name):
    cls = type(initializers.get(name))
    if name in ("zeros", "ones"):
        return
    a, b = cls(seed=3)((4, 5)), cls(seed=3)((4, 5))
    np.testing.assert_array_equal(a, b)
    init = cls()
    assert not np.array_equal(init((4, 5)), init((4, 5)))


def test_set_random_seed_makes_unseeded_draws_reproducible():
    set_random_seed(123)
    first = [np.asarray(initializers.get("glorot_uniform")((3, 4))) for _ in range(3)]
    set_random_seed(123)
    second = [np.asarray(initializers.get("glorot_uniform")((3, 4))) for _ in range(3)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])


@pytest.mark.parametrize("name", SNAKE)
def test_concrete_inside_jit_trace(name):
    init = initializers.get(name)
    captured = {}

    @jax.jit
    def f(x):
        w = init((3, 4))
        captured["w"] = w
        return x + jnp.sum(w)

    f(jnp.float32(1.0))
    assert not isinstance(captured["w"], jax.core.Tracer)
    assert np.asarray(captured["w"]).shape == (3, 4)


@pytest.mark.parametrize("name", [n for n in SNAKE if n not in ("zeros", "ones")])
@pytest.mark.parametrize("shape", [(4, 5), (3, 3, 2, 4)])
def test_seeded_values_equal_keras(name, shape):
    config = {"class_name": name, "config": {"seed": 7}}
    ours = np.asarray(initializers.get(config)(shape))
    theirs = np.asarray(keras.initializers.get(config)(shape))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "init",
    [
        initializers.GlorotUniform(seed=1),
        initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=2),
        initializers.RandomNormal(0.5, 0.1),
        initializers.Orthogonal(2.0),
        initializers.Constant(3.0),
        initializers.Identity(0.5),
    ],
)
def test_get_config_matches_keras_and_roundtrips(init):
    keras_cls = getattr(keras.initializers, type(init).__name__)
    if not isinstance(init, initializers.Identity):  # Keras's Identity drops `gain` from its config
        assert init.get_config() == keras_cls(**init.get_config()).get_config()
    again = initializers.get(initializers.serialize(init))
    assert type(again) is type(init) and again.get_config() == init.get_config()


def test_get_accepts_strings_classes_instances_callables():
    assert isinstance(initializers.get("HeNormal"), initializers.HeNormal)
    assert isinstance(initializers.get(initializers.Zeros), initializers.Zeros)
    inst = initializers.Ones()
    assert initializers.get(inst) is inst

    def custom(shape, dtype=None):
        return jnp.zeros(shape)

    assert initializers.get(custom) is custom
    assert initializers.get(None) is None


def test_errors():
    with pytest.raises(ValueError, match=r"Unknown initializer identifier: received 'glorot_unform'.*Did you mean 'glorot_uniform'"):
        initializers.get("glorot_unform")
    with pytest.raises(ValueError, match="Unknown initializer identifier: received 'Nope'"):
        initializers.get({"class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match="Could not interpret initializer"):
        initializers.get(3.5)
    with pytest.raises(ValueError, match="Unknown VarianceScaling mode identifier: received 'fan_inn'"):
        initializers.VarianceScaling(mode="fan_inn")
    with pytest.raises(ValueError, match="Argument `scale` must be positive"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="`seed` argument should be"):
        initializers.GlorotUniform(seed="x")
