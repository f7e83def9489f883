"""Same architecture, same weights -> same outputs as real Keras 3; same history keys."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import nbkeras  # noqa: E402

RNG = np.random.default_rng(0)


def _copy_and_compare(k_model, n_model, inputs, atol=1e-5):
    kw = k_model.get_weights()
    assert [w.shape for w in kw] == [w.shape for w in n_model.get_weights()]
    n_model.set_weights(kw)
    k_out = k_model.predict(inputs, verbose=0)
    n_out = n_model.predict(inputs, verbose=0)
    if isinstance(k_out, dict):
        assert sorted(k_out) == sorted(n_out)
        for key in k_out:
            np.testing.assert_allclose(n_out[key], k_out[key], atol=atol, rtol=1e-5)
    elif isinstance(k_out, list):
        for a, b in zip(n_out, k_out):
            np.testing.assert_allclose(a, b, atol=atol, rtol=1e-5)
    else:
        np.testing.assert_allclose(n_out, k_out, atol=atol, rtol=1e-5)
    direct = n_model(inputs)
    first = direct if not isinstance(direct, (dict, list)) else (
        direct[sorted(direct)[0]] if isinstance(direct, dict) else direct[0])
    assert np.all(np.isfinite(np.asarray(first)))


def _sequential(k):
    return k.Sequential([
        k.Input((12,)),
        k.layers.Dense(16, activation="relu"),
        k.layers.Dropout(0.2),
        k.layers.Dense(8, activation="tanh"),
        k.layers.Dense(3, activation="softmax"),
    ])


def test_sequential_mlp_same_outputs():
    x = RNG.normal(size=(10, 12)).astype("float32")
    _copy_and_compare(_sequential(keras), _sequential(nbkeras), x)


def _functional(k):
    a = k.Input((6,), name="title")
    b = k.Input((4,), name="body")
    shared = k.layers.Dense(5, activation="relu", name="shared")
    ha, hb = shared(k.layers.Dense(5, name="pa")(a)), shared(k.layers.Dense(5, name="pb")(b))
    merged = k.layers.Concatenate(name="merge")([ha, hb])
    priority = k.layers.Dense(1, activation="sigmoid", name="priority")(merged)
    department = k.layers.Dense(3, activation="softmax", name="department")(merged)
    return k.Model(inputs=[a, b], outputs={"priority": priority, "department": department})


def test_functional_multi_io_shared_layer_same_outputs_and_order():
    km, nm = _functional(keras), _functional(nbkeras)
    assert [la.name for la in nm.layers] == [la.name for la in km.layers]
    inputs = {"title": RNG.normal(size=(7, 6)).astype("float32"),
              "body": RNG.normal(size=(7, 4)).astype("float32")}
    _copy_and_compare(km, nm, inputs)
    _copy_and_compare(km, nm, [inputs["title"], inputs["body"]])


def _nested(k):
    inner = k.Sequential([k.Input((4,)), k.layers.Dense(6, activation="relu"),
                          k.layers.Dense(2)], name="inner")
    x = k.Input((4,))
    y = k.layers.Dense(3)(k.layers.Concatenate()([inner(x), x]))
    return k.Model(x, y)


def test_nested_model_same_outputs():
    _copy_and_compare(_nested(keras), _nested(nbkeras),
                      RNG.normal(size=(5, 4)).astype("float32"))


def _convnet(k):
    return k.Sequential([
        k.Input((12, 12, 1)),
        k.layers.Rescaling(1 / 255.0),
        k.layers.Conv2D(4, 3, activation="relu"),
        k.layers.MaxPooling2D(),
        k.layers.Conv2D(6, 3, padding="same"),
        k.layers.BatchNormalization(),
        k.layers.AveragePooling2D(2),
        k.layers.Flatten(),
        k.layers.Dense(5, activation="softmax"),
    ])


def test_convnet_same_outputs():
    x = RNG.uniform(0, 255, size=(4, 12, 12, 1)).astype("float32")
    km, nm = _convnet(keras), _convnet(nbkeras)
    kw = [w + RNG.uniform(0.1, 0.5, size=w.shape).astype("float32") for w in km.get_weights()]
    km.set_weights(kw)  # non-trivial batch-norm statistics
    _copy_and_compare(km, nm, x, atol=1e-4)


def _compile_fit(k, multi):
    x = RNG.normal(size=(40, 6)).astype("float32")
    if multi:
        inp = k.Input((6,), name="feat")
        h = k.layers.Dense(8)(inp)
        o1 = k.layers.Dense(3, activation="softmax", name="priority")(h)
        o2 = k.layers.Dense(1, name="department")(h)
        m = k.Model(inp, [o1, o2])
        m.compile("adam", loss={"priority": "sparse_categorical_crossentropy",
                                "department": "mse"},
                  metrics={"priority": ["accuracy"], "department": ["mae"]},
                  loss_weights={"priority": 1.0, "department": 0.5})
        y = {"priority": RNG.integers(0, 3, 40), "department": RNG.normal(size=(40, 1))}
    else:
        m = k.Sequential([k.Input((6,)), k.layers.Dense(3, activation="softmax")])
        m.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        y = RNG.integers(0, 3, 40)
    h = m.fit(x, y, epochs=2, batch_size=16, verbose=0, validation_split=0.25)
    ev = m.evaluate(x, y, verbose=0)
    evd = m.evaluate(x, y, verbose=0, return_dict=True)
    return list(h.history), len(h.history["loss"]), len(ev), sorted(evd)


@pytest.mark.parametrize("multi", [False, True])
def test_same_history_and_evaluate_keys(multi):
    assert _compile_fit(nbkeras, multi) == _compile_fit(keras, multi)


def test_evaluate_list_order_matches_keras():
    x = RNG.normal(size=(30, 6)).astype("float32")
    y = {"priority": RNG.integers(0, 3, 30), "department": RNG.normal(size=(30, 1))}
    results = []
    for k in (keras, nbkeras):
        inp = k.Input((6,), name="feat")
        o1 = k.layers.Dense(3, activation="softmax", name="priority")(inp)
        o2 = k.layers.Dense(1, name="department")(inp)
        m = k.Model(inp, [o1, o2])
        m.compile("sgd", loss={"priority": "sparse_categorical_crossentropy",
                               "department": "mse"},
                  metrics={"priority": ["accuracy"], "department": ["mae"]})
        if results:
            m.set_weights(results[0][1])
        results.append((m.evaluate(x, y, verbose=0), m.get_weights()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5, atol=1e-6)


def test_training_matches_keras_numerically_for_sgd():
    x = RNG.normal(size=(64, 6)).astype("float32")
    y = RNG.integers(0, 3, 64)
    outs, initial = [], None
    for k in (keras, nbkeras):
        m = k.Sequential([k.Input((6,)), k.layers.Dense(8, activation="relu"),
                          k.layers.Dense(3, activation="softmax")])
        if initial is None:
            initial = m.get_weights()
        m.set_weights(initial)
        m.compile(k.optimizers.SGD(0.1), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
        h = m.fit(x, y, epochs=3, batch_size=24, shuffle=False, verbose=0)
        outs.append((h.history["loss"], m.get_weights()))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-4)
    for a, b in zip(outs[1][1], outs[0][1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
