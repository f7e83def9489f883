"""Differential tests: nbkeras optimizers vs real Keras 3 on the same gradients."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402

import nbkeras.optimizers as nbo  # noqa: E402

keras = pytest.importorskip("keras")

SHAPES = [(3, 4), (5,)]
STEPS = 5


def _data():
    rng = np.random.default_rng(0)
    params = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [[(2.0 * rng.normal(size=s)).astype("float32") for s in SHAPES]
             for _ in range(STEPS)]
    return params, grads


def _run_keras(opt, finalize=False):
    params, grads = _data()
    variables = [keras.Variable(p) for p in params]
    for gs in grads:
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in gs], variables))
    if finalize:
        opt.finalize_variable_values(variables)
    return [np.asarray(v.numpy()) for v in variables]


def _run_nbkeras(opt, finalize=False):
    params, grads = _data()
    params = {"kernel": params[0], "bias": params[1]}
    tx = opt.transform()
    state = opt.init_state(params)
    update = jax.jit(tx.update)
    for gs in grads:
        updates, state = update({"kernel": gs[0], "bias": gs[1]}, state, params)
        params = optax.apply_updates(params, updates)
    if finalize:
        params = opt.finalize_params(params, state)
    opt.sync_from_state(state)
    assert opt.iterations == STEPS
    return [np.asarray(params["kernel"]), np.asarray(params["bias"])]


CASES = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "weight_decay": 0.2}),
    ("SGD", {"learning_rate": 0.1, "clipvalue": 0.5}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.05}),
    ("Adam", {"learning_rate": 0.05, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.05, "clipnorm": 0.5}),
    ("Adam", {"learning_rate": 0.05, "clipvalue": 0.3}),
    ("Adam", {"learning_rate": 0.05, "global_clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.05, "weight_decay": 0.1, "beta_1": 0.8, "epsilon": 1e-3}),
    ("Adam", {"learning_rate": 0.05, "gradient_accumulation_steps": 2}),
    ("Adam", {"learning_rate": 0.05, "loss_scale_factor": 4.0}),
    ("AdamW", {"learning_rate": 0.05}),
    ("AdamW", {"learning_rate": 0.05, "weight_decay": 0.3, "amsgrad": True, "clipnorm": 1.0}),
    ("RMSprop", {"learning_rate": 0.01}),
    ("RMSprop", {"learning_rate": 0.01, "epsilon": 0.5}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5, "rho": 0.8}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adagrad", {"learning_rate": 0.1, "epsilon": 0.5}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "weight_decay": 0.1}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.5, "global_clipnorm": 2.0}),
    ("Adamax", {"learning_rate": 0.05}),
    ("Nadam", {"learning_rate": 0.05}),
    ("Nadam", {"learning_rate": 0.05, "beta_1": 0.8, "clipnorm": 1.0}),
    ("Lion", {"learning_rate": 0.05}),
    ("Lion", {"learning_rate": 0.05, "beta_1": 0.5, "weight_decay": 0.5}),
    ("Ftrl", {"learning_rate": 0.1}),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01,
              "l2_regularization_strength": 0.02, "l2_shrinkage_regularization_strength": 0.03,
              "beta": 0.1, "learning_rate_power": -0.3}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "use_ema": True}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "use_ema": True, "ema_momentum": 0.7,
             "ema_overwrite_frequency": 2}),
    ("Adam", {"learning_rate": 0.05, "use_ema": True, "gradient_accumulation_steps": 2,
              "ema_overwrite_frequency": 1}),
]


@pytest.mark.parametrize("cls_name,kwargs", CASES,
                         ids=[f"{c}-{'-'.join(k) or 'default'}" for c, k in CASES])
def test_matches_keras(cls_name, kwargs):
    expected = _run_keras(getattr(keras.optimizers, cls_name)(**kwargs))
    got = _run_nbkeras(getattr(nbo, cls_name)(**kwargs))
    initial, _ = _data()
    for e, g, p0 in zip(expected, got, initial):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
        if not kwargs.get("use_ema") or kwargs.get("ema_overwrite_frequency"):
            assert not np.allclose(e, p0)  # the comparison is not vacuous


@pytest.mark.parametrize("cls_name,kwargs", [c for c in CASES if c[1].get("use_ema")])
def test_ema_finalize_matches_keras(cls_name, kwargs):
    expected = _run_keras(getattr(keras.optimizers, cls_name)(**kwargs), finalize=True)
    got = _run_nbkeras(getattr(nbo, cls_name)(**kwargs), finalize=True)
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


SCHEDULES = [
    ("ExponentialDecay", (0.1, 2, 0.5), {}),
    ("PiecewiseConstantDecay", ([1, 3], [0.1, 0.05, 0.01]), {}),
    ("CosineDecay", (0.1, 4), {"warmup_target": 0.2, "warmup_steps": 2}),
]


@pytest.mark.parametrize("sched,args,skw", SCHEDULES, ids=[s[0] for s in SCHEDULES])
@pytest.mark.parametrize("cls_name", ["SGD", "Adam", "AdamW"])
def test_schedule_driven_optimizer_matches_keras(cls_name, sched, args, skw):
    kwargs = {"weight_decay": 0.1} if cls_name != "AdamW" else {}
    k_opt = getattr(keras.optimizers, cls_name)(
        learning_rate=getattr(keras.optimizers.schedules, sched)(*args, **skw), **kwargs)
    n_opt = getattr(nbo, cls_name)(
        learning_rate=getattr(nbo.schedules, sched)(*args, **skw), **kwargs)
    for e, g in zip(_run_keras(k_opt), _run_nbkeras(n_opt)):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(n_opt.learning_rate, float(k_opt.learning_rate), rtol=1e-6)
    # the schedule moved the rate away from its step-0 value (a constant would not)
    initial = args[1][0] if sched == "PiecewiseConstantDecay" else args[0]
    assert abs(float(n_opt.learning_rate) - initial) > 1e-3


def test_exclude_from_weight_decay_matches_keras():
    params, grads = _data()
    k_opt = keras.optimizers.AdamW(learning_rate=0.05, weight_decay=0.5)
    k_opt.exclude_from_weight_decay(var_names=["bias"])
    variables = [keras.Variable(params[0], name="kernel"), keras.Variable(params[1], name="bias")]
    for gs in grads:
        k_opt.apply_gradients(zip(gs, variables))
    n_opt = nbo.AdamW(learning_rate=0.05, weight_decay=0.5)
    n_opt.exclude_from_weight_decay(var_names=["bias"])
    got = _run_nbkeras(n_opt)
    for v, g in zip(variables, got):
        np.testing.assert_allclose(g, v.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls_name", [c.__name__ for c in nbo.registry.ALL_OPTIMIZERS])
def test_config_matches_keras(cls_name):
    ours = getattr(nbo, cls_name)(learning_rate=0.25).get_config()
    theirs = getattr(keras.optimizers, cls_name)(learning_rate=0.25).get_config()
    theirs["name"] = ours["name"]  # Keras uniquifies names ("adam_1")
    assert ours == theirs
    # Keras can rebuild from our config and we can rebuild from Keras's.
    assert getattr(keras.optimizers, cls_name).from_config(dict(ours)).get_config() == theirs
    assert getattr(nbo, cls_name).from_config(dict(theirs)).get_config() == ours


def test_schedule_config_roundtrip_through_keras():
    sched = nbo.schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    cfg = nbo.serialize(nbo.Adam(learning_rate=sched))
    k_opt = keras.optimizers.deserialize(cfg)
    k_sched = k_opt._learning_rate  # the schedule itself; .learning_rate is its current value
    assert isinstance(k_sched, keras.optimizers.schedules.ExponentialDecay)
    assert k_sched.get_config() == sched.get_config()
    # a schedule that collapsed to a constant would give 0.1 at step 20 too
    assert float(k_sched(20)) == pytest.approx(0.025)
    back = nbo.deserialize(keras.optimizers.serialize(k_opt))
    assert back.get_config() == nbo.Adam(learning_rate=sched).get_config() | {
        "name": back.name}
