"""Engine contract: learning-rate changes without recompiling, get/serialize, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import nbkeras.optimizers as nbo

PARAMS = {"w": jnp.ones((3, 2)), "b": jnp.zeros((2,))}
GRADS = {"w": jnp.full((3, 2), 0.5), "b": jnp.ones((2,))}


def _jitted_step(tx, counter):
    def step(params, state, grads):
        counter.append(1)  # runs once per trace
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    return jax.jit(step)


@pytest.mark.parametrize("opt", [nbo.SGD(learning_rate=0.1), nbo.Adam(learning_rate=0.1),
                                 nbo.RMSprop(learning_rate=0.1, momentum=0.5)],
                         ids=["sgd", "adam", "rmsprop"])
def test_set_learning_rate_midway_without_recompile(opt):
    traces = []
    step = _jitted_step(opt.transform(), traces)
    state = opt.init_state(PARAMS)
    structure = jax.tree.structure(state)
    p1, state = step(PARAMS, opt.pending_updates(state), GRADS)
    assert opt.pending_updates(state) is state  # nothing pending: unchanged, no work
    opt.learning_rate = 0.01
    assert opt.learning_rate == pytest.approx(0.01)
    new_state = opt.pending_updates(state)
    assert jax.tree.structure(new_state) == structure
    for a, b in zip(jax.tree.leaves(new_state), jax.tree.leaves(state)):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.sharding == b.sharding
    assert float(new_state.learning_rate) == pytest.approx(0.01)
    state1 = state
    p2, state = step(p1, new_state, GRADS)
    assert len(traces) == 1
    # The same second step at the old learning rate moves the weights 10x further.
    p2_old, _ = step(p1, state1, GRADS)
    small = np.abs(np.asarray(p2["w"] - p1["w"])).max()
    if isinstance(opt, nbo.RMSprop):  # momentum carries the old step along
        assert small < np.abs(np.asarray(p2_old["w"] - p1["w"])).max()
    else:
        np.testing.assert_allclose(small * 10, np.abs(np.asarray(p2_old["w"] - p1["w"])).max(),
                                   rtol=1e-4)
    opt.sync_from_state(state)
    assert opt.iterations == 2 and opt.learning_rate == pytest.approx(0.01)


def test_schedule_learning_rate_follows_iterations():
    sched = nbo.schedules.ExponentialDecay(0.1, 1, 0.5)
    opt = nbo.SGD(learning_rate=sched)
    tx, state = opt.transform(), opt.init_state(PARAMS)
    params = PARAMS
    for _ in range(3):
        updates, state = tx.update(GRADS, state, params)
        params = optax.apply_updates(params, updates)
    opt.sync_from_state(state)
    assert opt.iterations == 3
    assert opt.learning_rate == pytest.approx(0.1 * 0.5**3)
    assert float(state.learning_rate) == pytest.approx(0.1 * 0.5**2)  # used by the last step
    np.testing.assert_allclose(params["b"], -(0.1 + 0.05 + 0.025), rtol=1e-6)
    with pytest.raises(TypeError, match="created with a schedule"):
        opt.learning_rate = 0.5


def test_optax_callable_schedule_accepted():
    opt = nbo.Adam(learning_rate=optax.linear_schedule(0.1, 0.0, 10))
    state = opt.init_state(PARAMS)
    _, state = opt.transform().update(GRADS, state, PARAMS)
    assert int(state.iterations) == 1


def test_get_identifiers():
    assert isinstance(nbo.get("adam"), nbo.Adam)
    assert isinstance(nbo.get("RMSprop"), nbo.RMSprop)
    assert isinstance(nbo.get("AdamW"), nbo.AdamW)
    assert isinstance(nbo.get("sgd"), nbo.SGD) and nbo.get("sgd").learning_rate == 0.01
    opt = nbo.Nadam()
    assert nbo.get(opt) is opt
    rebuilt = nbo.get({"class_name": "SGD", "config": {"learning_rate": 0.5, "momentum": 0.9}})
    assert rebuilt.learning_rate == 0.5 and rebuilt.momentum == 0.9
    cfg = nbo.serialize(nbo.Adam(learning_rate=nbo.schedules.CosineDecay(0.1, 10)))
    assert isinstance(nbo.deserialize(cfg)._learning_rate, nbo.schedules.CosineDecay)


def test_get_errors():
    with pytest.raises(ValueError, match=r"Unknown optimizer identifier: received 'adamm'\. "
                                         r"Did you mean 'adam'\?"):
        nbo.get("adamm")
    with pytest.raises(TypeError, match=r"Could not interpret optimizer: received 3 of type int"):
        nbo.get(3)
    with pytest.raises(ValueError, match=r"Unknown optimizer identifier: received 'Adamz'"):
        nbo.deserialize({"class_name": "Adamz", "config": {}})


def test_raw_optax_transform():
    tx = optax.adam(1e-2)
    opt = nbo.get(tx)
    assert opt.transform() is tx
    state = opt.init_state(PARAMS)
    with pytest.raises(AttributeError, match=r"inject_hyperparams"):
        _ = opt.learning_rate
    with pytest.raises(AttributeError, match=r"cannot set learning_rate"):
        opt.learning_rate = 0.1
    with pytest.raises(ValueError, match=r"cannot be serialized"):
        opt.get_config()

    tx = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
    opt = nbo.get(tx)
    state = opt.init_state(PARAMS)
    assert opt.learning_rate == pytest.approx(0.1)
    opt.learning_rate = 0.2
    new_state = opt.pending_updates(state)
    assert jax.tree.structure(new_state) == jax.tree.structure(state)
    updates, new_state = tx.update(GRADS, new_state, PARAMS)
    np.testing.assert_allclose(updates["b"], -0.2)
    opt.sync_from_state(new_state)
    assert opt.iterations == 1 and opt.learning_rate == pytest.approx(0.2)


@pytest.mark.parametrize("make,match,exc", [
    (lambda: nbo.Adam(learning_rate=-0.1), r"non-negative finite float\. Received: "
                                           r"learning_rate=-0\.1", ValueError),
    (lambda: nbo.Adam(learning_rate="fast"), r"Received: 'fast' of type str", TypeError),
    (lambda: nbo.Adam(learning_rate=lambda: 0.1), r"must take the step count", TypeError),
    (lambda: nbo.SGD(clipnorm=1.0, global_clipnorm=1.0),
     r"only one of `clipnorm`, `clipvalue` and `global_clipnorm`.*clipnorm=1\.0", ValueError),
    (lambda: nbo.Adam(lr=0.1), r"Adam: argument\(s\) not recognized: 'lr'", ValueError),
    (lambda: nbo.Adam(beta1=0.9), r"'beta1' \(did you mean 'beta_1'\?\)", ValueError),
    (lambda: nbo.Adam(decay=0.1), r"`decay` is no longer supported", ValueError),
    (lambda: nbo.AdamW(weight_decay=None), r"weight_decay=None", ValueError),
    (lambda: nbo.SGD(momentum=1.5), r"`momentum` must be a float in \[0\.0, 1\.0\]", ValueError),
    (lambda: nbo.Lion(beta_1=0.0), r"degenerates to SignSGD", ValueError),
    (lambda: nbo.Ftrl(learning_rate_power=0.5), r"learning_rate_power=0\.5", ValueError),
    (lambda: nbo.Adam(gradient_accumulation_steps=1), r"integer >= 2", ValueError),
    (lambda: nbo.Adam(weight_decay=-1.0), r"`weight_decay` must be None or a non-negative",
     ValueError),
    (lambda: nbo.Adam(use_ema=True, ema_momentum=2.0), r"`ema_momentum` must be", ValueError),
])
def test_bad_arguments(make, match, exc):
    with pytest.raises(exc, match=match):
        make()


def test_setter_validates():
    opt = nbo.SGD()
    with pytest.raises(ValueError, match=r"non-negative"):
        opt.learning_rate = -1.0
    assert opt.pending_updates("untouched") == "untouched"


def test_update_without_params_errors():
    opt = nbo.SGD()
    state = opt.init_state(PARAMS)
    with pytest.raises(ValueError, match=r"needs `params`"):
        opt.transform().update(GRADS, state)
