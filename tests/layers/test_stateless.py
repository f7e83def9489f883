"""Keras's JAX stateless API: Layer.stateless_call, optimizer.build/stateless_apply/
variables/apply, and the variable lists, against Keras 3 where numbers can be compared."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402

X = np.random.default_rng(0).normal(size=(8, 5)).astype("float32")


def _model():
    x = nbkeras.Input((5,))
    h = nbkeras.layers.Dense(4, activation="relu")(x)
    h = nbkeras.layers.BatchNormalization()(h)
    h = nbkeras.layers.Dropout(0.5)(h)
    return nbkeras.Model(x, nbkeras.layers.Dense(2)(h))


def test_stateless_call_matches_call_and_leaves_the_model_alone():
    model = _model()
    tv, ntv = model.trainable_variables, model.non_trainable_variables
    assert len(tv) == 6 and len(ntv) == 3  # BN mean/var + the dropout seed
    out, new_ntv = model.stateless_call(tv, ntv, X)
    np.testing.assert_allclose(out, model(X), rtol=1e-6)
    before = [np.asarray(v.value) for v in ntv]
    doubled = [v.value * 2 for v in tv]
    out2, new_ntv = jax.jit(
        lambda t, n, x: model.stateless_call(t, n, x, training=True))(doubled, ntv, X)
    # Batch statistics moved in the returned values, not in the model.
    assert not np.allclose(new_ntv[0], before[0])
    for v, b in zip(model.non_trainable_variables, before):
        np.testing.assert_array_equal(v.value, b)
    assert not np.allclose(out2, out)


def test_stateless_call_gradients_and_errors():
    model = _model()

    def loss(t):
        y, _ = model.stateless_call(t, model.non_trainable_variables, X)
        return jnp.sum(y ** 2)

    grads = jax.grad(loss)([v.value for v in model.trainable_variables])
    assert [g.shape for g in grads] == [tuple(v.shape) for v in model.trainable_variables]
    with pytest.raises(ValueError, match="6 trainable variables, but stateless_call received 1"):
        model.stateless_call([X], model.non_trainable_variables, X)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_optimizer_stateless_apply_matches_keras(name):
    rng = np.random.default_rng(1)
    params = [rng.normal(size=(3, 2)).astype("f4"), rng.normal(size=(2,)).astype("f4")]
    grads = [rng.normal(size=p.shape).astype("f4") for p in params]
    ours = getattr(nbkeras.optimizers, name)(learning_rate=0.1)
    theirs = getattr(keras.optimizers, name)(learning_rate=0.1)
    ours.build([jnp.asarray(p) for p in params])
    kvars = [keras.Variable(p) for p in params]
    theirs.build(kvars)
    o_state, t_state = ours.variables, [v.value for v in theirs.variables]
    o_params, t_params = list(params), list(params)
    for _ in range(3):
        o_params, o_state = jax.jit(ours.stateless_apply)(o_state, grads, o_params)
        t_params, t_state = theirs.stateless_apply(t_state, grads, t_params)
    for o, t in zip(o_params, t_params):
        np.testing.assert_allclose(o, t, rtol=1e-5, atol=1e-6)


def test_optimizer_apply_updates_variables_in_place():
    layer = nbkeras.layers.Dense(2)
    layer.build((None, 3))
    opt = nbkeras.optimizers.SGD(learning_rate=0.5)
    before = np.asarray(layer.kernel.value)
    grads = [jnp.ones(v.shape) for v in layer.trainable_variables]
    opt.apply_gradients(zip(grads, layer.trainable_variables))
    np.testing.assert_allclose(layer.kernel.value, before - 0.5)
    assert opt.iterations == 1
    with pytest.raises(ValueError, match="not built"):
        _ = nbkeras.optimizers.Adam().variables
    with pytest.raises(ValueError, match="no variables"):
        nbkeras.optimizers.Adam().build([])
