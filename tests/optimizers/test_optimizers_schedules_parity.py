"""Learning-rate schedules vs Keras 3's, at several steps, eagerly and under jit."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nbkeras.optimizers import schedules  # noqa: E402

keras = pytest.importorskip("keras")

STEPS = [0, 1, 2, 5, 9, 10, 11, 15, 30, 99, 100, 101, 250, 1000]

CASES = [
    ("ExponentialDecay", (0.1, 10, 0.5), {}),
    ("ExponentialDecay", (0.1, 10, 0.5), {"staircase": True}),
    ("PiecewiseConstantDecay", ([10, 100], [1.0, 0.5, 0.1]), {}),
    ("PiecewiseConstantDecay", ([5, 10, 30], [0.4, 0.3, 0.2, 0.1]), {}),
    ("PolynomialDecay", (0.1, 100), {}),
    ("PolynomialDecay", (0.1, 30, 0.01), {"power": 0.5, "cycle": True}),
    ("InverseTimeDecay", (0.1, 10, 0.5), {}),
    ("InverseTimeDecay", (0.1, 10, 0.5), {"staircase": True}),
    ("CosineDecay", (0.1, 100), {}),
    ("CosineDecay", (0.1, 100), {"alpha": 0.1}),
    ("CosineDecay", (0.0, 100), {"warmup_target": 0.2, "warmup_steps": 10}),
    ("CosineDecay", (0.05, 50), {"alpha": 0.2, "warmup_target": 0.1, "warmup_steps": 30}),
    ("CosineDecayRestarts", (0.1, 10), {}),
    ("CosineDecayRestarts", (0.1, 10), {"t_mul": 1.0, "m_mul": 0.5, "alpha": 0.1}),
    ("CosineDecayRestarts", (0.1, 7), {"t_mul": 1.5, "m_mul": 0.8}),
]
IDS = [f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=IDS)
def test_schedule_matches_keras(name, args, kwargs):
    ours = getattr(schedules, name)(*args, **kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(*args, **kwargs)
    expected = np.array([float(theirs(jnp.asarray(s, jnp.int32))) for s in STEPS])
    eager = np.array([float(ours(s)) for s in STEPS])
    jitted = np.asarray(jax.jit(jax.vmap(ours))(jnp.asarray(STEPS, jnp.int32)))
    np.testing.assert_allclose(eager, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(jitted, expected, rtol=1e-5, atol=1e-7)
    assert len(set(np.round(expected, 6))) > 1  # the schedule actually varies


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=IDS)
def test_schedule_config_roundtrip(name, args, kwargs):
    ours = getattr(schedules, name)(*args, **kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(*args, **kwargs)
    assert ours.get_config() == theirs.get_config()
    cfg = schedules.serialize(ours)
    assert cfg == keras.optimizers.schedules.serialize(theirs)
    back = schedules.deserialize(cfg)
    assert type(back) is type(ours) and back.get_config() == ours.get_config()


def test_schedule_errors():
    with pytest.raises(ValueError, match=r"`decay_steps` must be > 0. Received: decay_steps=0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match=r"`boundaries` should be 1 less"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"Did you mean 'CosineDecay'"):
        schedules.deserialize({"class_name": "CosinDecay", "config": {}})
    with pytest.raises(TypeError, match=r"expected a dict with 'class_name'"):
        schedules.deserialize("CosineDecay")
    with pytest.raises(NotImplementedError, match=r"must override `__call__"):
        schedules.LearningRateSchedule()(0)
