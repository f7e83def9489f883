"""keras.io guide "Writing a training loop from scratch in JAX" (fchollet), its program
run under nbkeras and under Keras 3 with MNIST replaced by the bundled digits data and
fewer steps: stateless_call, optimizer.build/stateless_apply/variables and the metric
stateless_* API inside jax.jit, then assigning the state back to the model."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import keras as real_keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402


def _data():
    (x, y), (xt, yt) = nbkeras.datasets.digits.load_data()
    x = x.reshape(-1, 64).astype("float32") / 16.0
    xt = xt.reshape(-1, 64).astype("float32") / 16.0
    return x, nbkeras.utils.to_categorical(y, 10), xt, yt


def run_guide(keras, as_state=list):
    """The guide's code (model, loss, optimizer, metric, jitted steps), data swapped.

    ``as_state`` turns variable lists into the jit arguments: the guide passes the
    variables themselves (nbkeras accepts that); Keras 3.15 under JAX 0.10 refuses its
    variables as jit arguments, so its run passes ``.value``s.
    """
    x_train, y_train, x_test, y_test = _data()
    keras.utils.set_random_seed(0)

    def get_model():
        inputs = keras.Input(shape=(64,), name="digits")
        x1 = keras.layers.Dense(64, activation="relu")(inputs)
        x1 = keras.layers.Dropout(0.1)(x1)
        x2 = keras.layers.BatchNormalization()(x1)
        outputs = keras.layers.Dense(10, name="predictions")(x2)
        return keras.Model(inputs=inputs, outputs=outputs)

    model = get_model()
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    train_acc_metric = keras.metrics.CategoricalAccuracy()

    def compute_loss_and_updates(trainable_variables, non_trainable_variables,
                                 metric_variables, x, y):
        y_pred, non_trainable_variables = model.stateless_call(
            trainable_variables, non_trainable_variables, x, training=True)
        loss = loss_fn(y, y_pred)
        metric_variables = train_acc_metric.stateless_update_state(metric_variables, y, y_pred)
        return loss, (non_trainable_variables, metric_variables)

    grad_fn = jax.value_and_grad(compute_loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, data):
        trainable_variables, non_trainable_variables, optimizer_variables, metric_variables = state
        x, y = data
        (loss, (non_trainable_variables, metric_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, metric_variables, x, y)
        trainable_variables, optimizer_variables = optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables)
        return loss, (trainable_variables, non_trainable_variables, optimizer_variables,
                      metric_variables)

    optimizer.build(model.trainable_variables)
    before = [np.array(v.value) for v in model.trainable_variables]
    state = (as_state(model.trainable_variables), as_state(model.non_trainable_variables),
             as_state(optimizer.variables), as_state(train_acc_metric.variables))
    losses = []
    for _ in range(3):
        for i in range(0, 1408, 32):
            loss, state = train_step(state, (x_train[i:i + 32], y_train[i:i + 32]))
        losses.append(float(loss))
    # The loop is stateless: the model's own variables did not move.
    unchanged = all(np.array_equal(b, np.asarray(v.value))
                    for b, v in zip(before, model.trainable_variables))
    trainable_variables, non_trainable_variables, _, metric_variables = state
    for variable, value in zip(train_acc_metric.variables, metric_variables):
        variable.assign(value)
    train_acc = float(train_acc_metric.result())
    for variable, value in zip(model.trainable_variables, trainable_variables):
        variable.assign(value)
    for variable, value in zip(model.non_trainable_variables, non_trainable_variables):
        variable.assign(value)
    test_acc = float((np.asarray(model.predict(x_test, verbose=0)).argmax(1) == y_test).mean())
    train_acc_metric.reset_state()
    return {"losses": losses, "unchanged": unchanged, "train_acc": train_acc,
            "test_acc": test_acc, "reset": float(train_acc_metric.result()),
            "n_vars": (len(model.trainable_variables), len(model.non_trainable_variables))}


@pytest.fixture(scope="module")
def results():
    return {"nbkeras": run_guide(nbkeras),
            "keras": run_guide(real_keras, lambda vs: [v.value for v in vs])}


def test_loop_trains_like_keras(results):
    ours, theirs = results["nbkeras"], results["keras"]
    assert ours["unchanged"] and theirs["unchanged"]
    assert ours["losses"][-1] < ours["losses"][0]
    assert ours["test_acc"] > 0.75, ours
    assert abs(ours["test_acc"] - theirs["test_acc"]) < 0.12, (ours, theirs)
    assert abs(ours["train_acc"] - theirs["train_acc"]) < 0.12, (ours, theirs)
    assert ours["reset"] == theirs["reset"] == 0.0
    # Keras counts the dropout seed among the non-trainable variables too.
    assert ours["n_vars"] == theirs["n_vars"], (ours["n_vars"], theirs["n_vars"])
