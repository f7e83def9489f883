"""Files move between real Keras 3 (JAX backend) and nbkeras in both directions."""

import numpy as np
import pytest

import nbkeras

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(1)
IMG = RNG.random((6, 8, 8, 3)).astype("float32")
TOK = RNG.integers(0, 10, (6, 5)).astype("int32")
VEC = RNG.random((32, 4)).astype("float32")
TARGET = RNG.random((32, 1)).astype("float32")


def _keras_functional():
    img = keras.Input((8, 8, 3), name="img")
    tok = keras.Input((5,), dtype="int32", name="tok")
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(img)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    e = keras.layers.Embedding(10, 3)(tok)
    e = keras.layers.GlobalAveragePooling1D()(e)
    z = keras.layers.Concatenate()([x, e])
    z = keras.layers.Dropout(0.3)(z)
    shared = keras.layers.Dense(5, activation="tanh", name="shared")
    a, b = shared(z), shared(keras.layers.Dense(z.shape[-1])(z))
    sub_in = keras.Input((5,))
    sub = keras.Model(sub_in, keras.layers.Dense(2)(sub_in), name="sub")
    head = keras.layers.Dense(2, activation="softmax", name="cls")(keras.ops.add(a, b))
    return keras.Model({"img": img, "tok": tok}, {"cls": head, "reg": sub(a * 0.5), "cut": b[:, :2]})


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("keras_made")
    model = _keras_functional()
    model.compile(keras.optimizers.SGD(0.05), {"cls": "categorical_crossentropy", "reg": "mse"})
    model.save(d / "functional.keras")
    seq = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
    )
    seq.compile(keras.optimizers.Adam(0.01), "mse")
    seq.fit(VEC, TARGET, epochs=2, batch_size=8, shuffle=False, verbose=0)
    seq.save(d / "seq.keras")
    seq.save_weights(d / "seq.weights.h5")
    return d, model, seq


def test_keras_functional_file_loads_and_predicts_identically(keras_files):
    d, kmodel, _ = keras_files
    model = nbkeras.models.load_model(d / "functional.keras")
    inputs = {"img": IMG, "tok": TOK}
    expected = kmodel.predict(inputs, verbose=0)
    got = model.predict(inputs, verbose=0)
    assert set(got) == {"cls", "reg", "cut"}
    for k in expected:
        np.testing.assert_allclose(got[k], expected[k], atol=1e-5)
    assert type(model.optimizer).__name__ == "SGD" and model.optimizer.iterations == 0
    assert model.optimizer.learning_rate == pytest.approx(0.05)
    ours = [la.name for la in model.layers if type(la).__name__ != "OpLayer"]
    assert ours == [la.name for la in kmodel.layers]


def test_keras_optimizer_state_continues_training(keras_files):
    d, _, kseq = keras_files
    model = nbkeras.models.load_model(d / "seq.keras")
    assert model.optimizer.iterations == kseq.optimizer.iterations == 8
    np.testing.assert_allclose(model.predict(VEC, verbose=0), kseq.predict(VEC, verbose=0), atol=1e-5)
    reloaded = keras.models.load_model(d / "seq.keras")
    reloaded.fit(VEC, TARGET, epochs=1, batch_size=8, shuffle=False, verbose=0)
    model.fit(VEC, TARGET, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reloaded.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)


def test_weights_files_both_ways(keras_files, tmp_path):
    d, _, kseq = keras_files
    ours = nbkeras.Sequential(
        [nbkeras.Input((4,)), nbkeras.layers.Dense(8, activation="relu"), nbkeras.layers.Dense(1)]
    )
    ours.load_weights(d / "seq.weights.h5")
    np.testing.assert_allclose(ours.predict(VEC, verbose=0), kseq.predict(VEC, verbose=0), atol=1e-5)
    ours.set_weights([w * 0.5 + 0.1 for w in ours.get_weights()])
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
    )
    theirs.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(theirs.predict(VEC, verbose=0), ours.predict(VEC, verbose=0), atol=1e-5)


def test_nbkeras_keras_file_loads_in_keras(keras_files, tmp_path):
    d, _, _ = keras_files
    model = nbkeras.models.load_model(d / "functional.keras")
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    inputs = {"img": IMG, "tok": TOK}
    got, expected = theirs.predict(inputs, verbose=0), model.predict(inputs, verbose=0)
    for k in expected:
        np.testing.assert_allclose(got[k], expected[k], atol=1e-5)


def test_subclassed_weights_layout_matches_keras(tmp_path):
    def make(lib):
        class Block(lib.layers.Layer):
            def __init__(self, **kw):
                super().__init__(**kw)
                self.proj = lib.layers.Dense(4)
                self.stack = [lib.layers.Dense(4), lib.layers.Dense(4)]

            def call(self, x):
                return self.stack[1](self.stack[0](self.proj(x)))

        class Net(lib.Model):
            def __init__(self):
                super().__init__()
                self.block = Block()
                self.out = lib.layers.Dense(1)
                self._extra = lib.layers.Dense(1)

            def call(self, x):
                return self._extra(self.out(self.block(x)))

        net = Net()
        net(np.ones((1, 4), "float32"))
        return net

    theirs, ours = make(keras), make(nbkeras)
    theirs.save_weights(tmp_path / "k.weights.h5")
    ours.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(ours.predict(VEC, verbose=0), theirs.predict(VEC, verbose=0), atol=1e-5)
    ours.save_weights(tmp_path / "n.weights.h5")
    make(keras).load_weights(tmp_path / "n.weights.h5")
