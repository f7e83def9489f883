"""Save/load round trips: files written, models reloaded, predictions and training compared."""

import json
import zipfile

import h5py
import numpy as np
import pytest

import nbkeras as keras
from nbkeras import layers, ops

RNG = np.random.default_rng(0)
X = RNG.random((40, 3)).astype("float32")
Y = RNG.random((40, 1)).astype("float32")


@pytest.fixture(autouse=True)
def _symbolic_ops():
    # tests/ops leaves ops' symbolic dispatch switched off; graphs with ops need it.
    previous = ops._SYMBOLIC_DISPATCH
    ops.set_symbolic_dispatch(layers.symbolic.symbolic_function)
    yield
    ops.set_symbolic_dispatch(previous)


def _sequential(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((3,)),
            layers.Dense(8, activation="relu"),
            layers.BatchNormalization(),
            layers.Dropout(0.25, seed=1),
            layers.Dense(1),
        ]
    )
    model.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    return model


@pytest.fixture(scope="module")
def trained_sequential():
    model = _sequential()
    model.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    return model


def test_keras_file_contents(trained_sequential, tmp_path):
    path = tmp_path / "model.keras"
    trained_sequential.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(zf.read("config.json"))
        meta = json.loads(zf.read("metadata.json"))
        weights = zf.read("model.weights.h5")
    assert config["class_name"] == "Sequential"
    assert set(config["config"]) >= {"name", "trainable", "dtype", "layers", "build_input_shape"}
    assert [la["class_name"] for la in config["config"]["layers"]] == [
        "InputLayer", "Dense", "BatchNormalization", "Dropout", "Dense",
    ]
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["compile_config"]["loss"] == "mse"
    assert "keras_version" in meta
    import io

    with h5py.File(io.BytesIO(weights)) as h5:
        assert h5["layers/dense/vars"].attrs["name"] == trained_sequential.layers[0].name
        np.testing.assert_array_equal(
            h5["layers/dense/vars/0"][()], trained_sequential.layers[0].kernel.get_value()
        )
        assert len(h5["layers/batch_normalization/vars"]) == 4
        assert int(h5["optimizer/vars/0"][()]) == trained_sequential.optimizer.iterations
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_sequential_round_trip_predicts_identically(trained_sequential, tmp_path):
    path = tmp_path / "seq.keras"
    trained_sequential.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, keras.Sequential)
    assert [la.name for la in loaded.layers] == [la.name for la in trained_sequential.layers]
    np.testing.assert_array_equal(
        loaded.predict(X, verbose=0), trained_sequential.predict(X, verbose=0)
    )
    assert loaded.optimizer.iterations == trained_sequential.optimizer.iterations


def test_weights_file_round_trip(trained_sequential, tmp_path):
    path = tmp_path / "seq.weights.h5"
    trained_sequential.save_weights(path)
    fresh = _sequential(seed=3)
    assert not np.allclose(fresh.get_weights()[0], trained_sequential.get_weights()[0])
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), trained_sequential.get_weights()):
        np.testing.assert_array_equal(a, b)
    # a .keras file also works for load_weights
    trained_sequential.save(tmp_path / "w.keras")
    other = _sequential(seed=4)
    other.load_weights(tmp_path / "w.keras")
    np.testing.assert_array_equal(other.get_weights()[0], trained_sequential.get_weights()[0])


def test_loaded_model_continues_training_exactly(tmp_path):
    uninterrupted = _sequential()
    uninterrupted.fit(X, Y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    first = _sequential()
    first.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    first.save(tmp_path / "ckpt.keras")
    resumed = keras.models.load_model(tmp_path / "ckpt.keras")
    resumed.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    assert resumed.optimizer.iterations == uninterrupted.optimizer.iterations == 9
    for a, b in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_save_and_load_from_callbacks_during_fit(tmp_path):
    class Saver(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.save(tmp_path / f"ep{epoch}.keras")
            self.model.save_weights(tmp_path / f"ep{epoch}.weights.h5")

    class Restorer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.model.load_weights(tmp_path / "ep1.weights.h5")

    reference = _sequential()
    reference.fit(X, Y, epochs=3, batch_size=16, shuffle=False, verbose=0, callbacks=[Saver()])
    resumed = keras.models.load_model(tmp_path / "ep1.keras")
    resumed.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    restored = _sequential(seed=5)
    restored.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0, callbacks=[Restorer()])
    for a, b, c in zip(reference.get_weights(), resumed.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-6)
        np.testing.assert_allclose(c, a, atol=1e-6)
    assert resumed.evaluate(X, Y, verbose=0)[0] == pytest.approx(reference.evaluate(X, Y, verbose=0)[0])


def test_load_without_compile(trained_sequential, tmp_path):
    trained_sequential.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", compile=False)
    assert loaded.optimizer is None
    np.testing.assert_array_equal(
        loaded.predict(X, verbose=0), trained_sequential.predict(X, verbose=0)
    )


def _functional():
    inner_in = keras.Input((6,))
    inner = keras.Model(inner_in, layers.Dense(3, name="inner_dense")(inner_in), name="inner")
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    shared = layers.Dense(6, activation="tanh", name="shared")
    ha, hb = shared(a), shared(b)
    summed = ops.add(ha, hb)
    doubled = ha * 2.0
    z = layers.Concatenate()([summed, doubled])
    out1 = inner(layers.Dense(6)(z))
    return keras.Model(
        [a, b],
        {"out1": out1, "out2": layers.Dense(1, name="o2")(summed), "head": doubled[:, :2]},
    )


def test_functional_multi_output_round_trip(tmp_path):
    model = _functional()
    model.compile("adam", {"out1": "mse", "out2": "mae", "head": "mse"})
    xa, xb = RNG.random((6, 4)).astype("float32"), RNG.random((6, 4)).astype("float32")
    ys = {"out1": np.ones((6, 3)), "out2": np.ones((6, 1)), "head": np.ones((6, 2))}
    model.fit([xa, xb], ys, epochs=1, verbose=0)
    model.save(tmp_path / "f.keras")
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"]["out2"] == ["o2", 0, 0]
    shared = next(la for la in config["layers"] if la["name"] == "shared")
    assert len(shared["inbound_nodes"]) == 2
    arg = shared["inbound_nodes"][1]["args"][0]
    assert arg["class_name"] == "__keras_tensor__" and arg["config"]["keras_history"] == ["b", 0, 0]
    inner = next(la for la in config["layers"] if la["name"] == "inner")
    assert inner["class_name"] == "Functional"

    loaded = keras.models.load_model(tmp_path / "f.keras")
    assert [la.name for la in loaded.layers] == [la.name for la in model.layers]
    p, q = model.predict([xa, xb], verbose=0), loaded.predict([xa, xb], verbose=0)
    assert set(p) == set(q) == {"out1", "out2", "head"}
    for k in p:
        np.testing.assert_array_equal(p[k], q[k])
    loaded.fit([xa, xb], ys, epochs=1, verbose=0)  # continues training


def test_from_config_and_json_give_fresh_models():
    model = _functional()
    rebuilt = keras.Model.from_config(model.get_config())
    assert rebuilt.output_names == model.output_names
    assert [w.shape for w in rebuilt.weights] == [w.shape for w in model.weights]
    again = keras.models.model_from_json(model.to_json())
    assert [la.name for la in again.layers] == [la.name for la in model.layers]


@keras.saving.register_keras_serializable(package="RoundTrip")
class Scale(layers.Layer):
    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="RoundTrip")
class Block(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = layers.Dense(units, activation="relu")
        self.scale = Scale(2.0)

    def call(self, x):
        return self.scale(self.dense(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.utils.register_keras_serializable(package="RoundTrip")
class Net(keras.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.block = Block(units)
        self.head = layers.Dense(1)

    def call(self, x, training=None):
        return self.head(self.block(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_with_custom_layers_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    model = Net(5)
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9), "mse")
    model.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    model.save(tmp_path / "net.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "net.keras").read("config.json"))
    assert config["registered_name"] == "RoundTrip>Net"
    assert config["config"]["units"] == 5
    loaded = keras.models.load_model(tmp_path / "net.keras")
    assert isinstance(loaded, Net) and isinstance(loaded.block.scale, Scale)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    model.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    loaded.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)


class Unregistered(layers.Layer):
    def call(self, x):
        return x + 1.0


def test_custom_objects_and_scope(tmp_path):
    model = keras.Sequential([keras.Input((3,)), Unregistered(name="plus_one"), layers.Dense(2)])
    model.save(tmp_path / "u.keras")
    with pytest.raises(ValueError, match=r"Could not locate class 'Unregistered'.*custom_objects"):
        keras.models.load_model(tmp_path / "u.keras")
    loaded = keras.models.load_model(tmp_path / "u.keras", custom_objects={"Unregistered": Unregistered})
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    with keras.saving.custom_object_scope({"Unregistered": Unregistered}):
        assert isinstance(keras.models.load_model(tmp_path / "u.keras").layers[0], Unregistered)
    assert keras.saving.get_custom_objects()["RoundTrip>Scale"] is Scale
    assert keras.saving.get_registered_name(Scale) == "RoundTrip>Scale"


def test_lambda_refused_in_safe_mode(tmp_path):
    model = keras.Sequential([keras.Input((3,)), layers.Lambda(lambda x: x * 3.0 + 1.0), layers.Dense(2)])
    model.save(tmp_path / "lam.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "lam.keras").read("config.json"))
    fn = config["config"]["layers"][1]["config"]["function"]
    assert fn["class_name"] == "__lambda__" and isinstance(fn["config"]["code"], str)
    with pytest.raises(ValueError, match=r"lam\.keras.*lambda.*safe_mode=False"):
        keras.models.load_model(tmp_path / "lam.keras")
    loaded = keras.models.load_model(tmp_path / "lam.keras", safe_mode=False)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-6)


def test_clone_model():
    model = _functional()
    clone = keras.models.clone_model(model)
    assert [la.name for la in clone.layers] == [la.name for la in model.layers]
    assert all(a is not b for a, b in zip(clone.layers[2:], model.layers[2:]))
    clone.set_weights(model.get_weights())
    xs = [RNG.random((3, 4)).astype("float32") for _ in range(2)]
    p, q = model.predict(xs, verbose=0), clone.predict(xs, verbose=0)
    for k in p:
        np.testing.assert_array_equal(p[k], q[k])
    seq = _sequential()
    seq_clone = keras.models.clone_model(seq)
    assert seq_clone.built and seq_clone.layers[0] is not seq.layers[0]
    # clone_function may share layers, call_function sees every call
    seen = []
    shared = keras.models.clone_model(
        seq,
        clone_function=lambda layer: layer,
    )
    assert shared.layers[0] is seq.layers[0]
    keras.models.clone_model(model, call_function=lambda la, *a, **k: (seen.append(la.name), la(*a, **k))[1])
    assert seen.count("shared") == 2
