"""Metric subclasses the Keras way (add_variable/add_weight, update_state, result,
reset_state), in compile and standalone, and the metric stateless API vs Keras."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402


def make_metric_class(k):
    """The CategoricalTruePositives metric of the keras.io guide "Training & evaluation
    with the built-in methods", written against module ``k``."""
    ops = k.ops

    class CategoricalTruePositives(k.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, ops.reshape(sample_weight, (-1, 1)))
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives.value

        def reset_state(self):
            self.true_positives.assign(0.0)

    return CategoricalTruePositives


Y = np.array([[1], [2], [0], [2]])
P = np.eye(3, dtype="float32")[[1, 0, 0, 2]]


def test_custom_metric_standalone_matches_keras():
    ours, theirs = make_metric_class(nbkeras)(), make_metric_class(keras)()
    for m in (ours, theirs):
        m.update_state(Y, P)
        m.update_state(Y, P, sample_weight=np.array([1.0, 0.0, 0.5, 1.0]))
    assert float(ours.result()) == float(theirs.result()) == 5.5
    assert [v.name for v in ours.variables] == ["ctp"]
    vals = ours.stateless_update_state(ours.stateless_reset_state(), Y, P)
    assert float(ours.stateless_result(vals)) == float(
        theirs.stateless_result(theirs.stateless_update_state(
            theirs.stateless_reset_state(), Y, P)))
    ours.reset_state()
    assert float(ours.result()) == 0.0


def test_custom_metric_in_compile_counts_every_row_once():
    x = np.random.default_rng(0).normal(size=(50, 4)).astype("float32")
    y = np.random.default_rng(1).integers(0, 3, size=(50, 1))
    inp = nbkeras.Input((4,))
    model = nbkeras.Model(inp, nbkeras.layers.Dense(3)(inp))
    model.compile("adam", nbkeras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[make_metric_class(nbkeras)()])
    result = model.evaluate(x, y, batch_size=16, return_dict=True, verbose=0)
    # 50 rows in batches of 16: the padded rows of the last batch must not count.
    expected = (np.asarray(model.predict(x, verbose=0)).argmax(1) == y[:, 0]).sum()
    assert result["categorical_true_positives"] == pytest.approx(expected)
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert "categorical_true_positives" in history.history


def test_add_weight_alias_and_base_metric_errors():
    class Total(nbkeras.metrics.Metric):
        def __init__(self):
            super().__init__(name="total")
            self.total = self.add_weight(name="t")

        def update_state(self, values, sample_weight=None):
            self.total.assign_add(nbkeras.ops.sum(values))

        def result(self):
            return self.total.value

    t = Total()
    t([1.0, 2.0])
    assert float(t.result()) == 3.0
    with pytest.raises(NotImplementedError, match="add_variable"):
        nbkeras.metrics.Metric().init()


@pytest.mark.parametrize("name, args", [
    ("CategoricalAccuracy", (np.eye(3)[[0, 1]], np.eye(3)[[0, 2]])),
    ("Mean", (np.array([1.0, 2.0, 6.0]),)),
    ("AUC", (np.array([0, 1, 1, 0]), np.array([0.1, 0.8, 0.4, 0.5]))),
])
def test_builtin_metric_stateless_api_matches_keras(name, args):
    ours, theirs = getattr(nbkeras.metrics, name)(), getattr(keras.metrics, name)()
    o = jax.jit(lambda v: ours.stateless_update_state(v, *args))(ours.variables)
    t = theirs.stateless_update_state([v.value for v in theirs.variables], *args)
    np.testing.assert_allclose(ours.stateless_result(o), theirs.stateless_result(t), rtol=1e-5)
    # Assigning the returned values to metric.variables makes result() agree (the guide's
    # pattern for reading a metric out of a custom loop).
    for variable, value in zip(ours.variables, o):
        variable.assign(value)
    np.testing.assert_allclose(ours.result(), theirs.stateless_result(t), rtol=1e-5)
    with pytest.raises(ValueError, match="variables"):
        ours.stateless_result(o[:-1])


def test_result_returning_its_variable_reports_the_epoch_value_in_fit():
    # keras.io "training with built-in methods": CategoricalTruePositives.result() returns
    # the variable itself; fit must log the value it held, not the reset value.
    import nbkeras as nbk

    class Total(nbk.metrics.Metric):
        def __init__(self, name="total", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_variable(shape=(), name="total", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(nbk.ops.sum(nbk.ops.ones_like(y_true)))

        def result(self):
            return self.total

        def reset_state(self):
            self.total.assign(0)

    model = nbk.Sequential([nbk.Input((2,)), nbk.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=[Total()])
    x = np.ones((10, 2), "float32")
    history = model.fit(x, np.ones((10, 1), "float32"), batch_size=5, epochs=2, verbose=0)
    assert history.history["total"] == [10.0, 10.0]
    assert model.evaluate(x, np.ones((10, 1), "float32"), batch_size=5, verbose=0)[1] == 10.0
