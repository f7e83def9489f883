"""nbkeras.backend / config / tree / random against Keras 3 (JAX backend)."""

import collections
import os

os.environ["KERAS_BACKEND"] = "jax"

import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import backend, config, tree  # noqa: E402
from nbkeras import random as nbrandom  # noqa: E402

NT = collections.namedtuple("NT", "a b")
STRUCTS = [
    {"b": [1, (2, None)], "a": NT(3, {"z": 4, "y": 5})},
    [1, [2, [3, [4]]]],
    (None,),
    7,
    collections.OrderedDict([("z", 1), ("a", [2, 3])]),
]


@pytest.fixture(autouse=True)
def _restore_settings():
    yield
    config.set_floatx("float32")
    config.set_epsilon(1e-7)
    config.set_image_data_format("channels_last")


@pytest.mark.parametrize("dtype", [
    float, int, bool, "int", "float16", None, "bool", "uint8", np.float32, jnp.bfloat16,
    np.dtype("int8"), "string", complex,
])
def test_standardize_dtype_matches_keras(dtype):
    assert backend.standardize_dtype(dtype) == keras.backend.standardize_dtype(dtype)
    if dtype not in ("string", complex):
        assert backend.is_float_dtype(dtype) == keras.backend.is_float_dtype(dtype)
        assert backend.is_int_dtype(dtype) == keras.backend.is_int_dtype(dtype)


def test_standardize_dtype_rejects_unknown():
    for bad in ("float", "foo"):
        with pytest.raises(ValueError, match="Invalid dtype"):
            backend.standardize_dtype(bad)
        with pytest.raises(ValueError):
            keras.backend.standardize_dtype(bad)


@pytest.mark.parametrize("dtypes", [
    ("int32", "float16"), ("int8", float), ("int32", int), ("uint8", "int8"),
    ("bfloat16", "float16"), (float,), (int,), ("bool", "int8"), (), ("bfloat16", int),
    ("int16", "uint32"), ("float16", "float32", "int64"),
])
def test_result_type_matches_keras(dtypes):
    assert backend.result_type(*dtypes) == keras.backend.result_type(*dtypes)


def test_settings_round_trip_and_take_effect():
    assert (backend.backend(), config.backend()) == ("jax", keras.config.backend())
    assert backend.epsilon() == keras.backend.epsilon() == config.epsilon()
    assert backend.floatx() == keras.backend.floatx()
    assert backend.image_data_format() == keras.backend.image_data_format()
    config.set_epsilon(1e-3)
    # Losses read epsilon at call time (Keras's clipping of probabilities).
    y = np.array([[1.0, 0.0]], np.float32)
    p = np.array([[0.0, 1.0]], np.float32)
    ours = float(nbkeras.losses.categorical_crossentropy(y, p)[0])
    assert ours == pytest.approx(-np.log(1e-3), rel=1e-4)
    config.set_floatx("float16")
    layer = nbkeras.layers.Dense(2)
    layer.build((None, 3))
    assert layer.kernel.value.dtype == jnp.float16
    config.set_image_data_format("channels_first")
    assert nbkeras.layers.Conv2D(2, 3).data_format == "channels_first"


def test_settings_reject_bad_values():
    with pytest.raises(ValueError, match="Unknown floatx type"):
        config.set_floatx("int32")
    with pytest.raises(ValueError, match="jax_enable_x64"):
        config.set_floatx("float64")
    with pytest.raises(ValueError, match="data_format"):
        config.set_image_data_format("nhwc")
    with pytest.raises(TypeError, match="epsilon must be a number"):
        config.set_epsilon("small")
    with pytest.raises(ValueError, match="JAX only"):
        config.set_backend("torch")
    config.set_backend("jax")


def test_clear_session_resets_names_and_uids():
    backend.clear_session()
    assert nbkeras.layers.Dense(1).name == "dense"
    assert nbkeras.layers.Dense(1).name == "dense_1"
    assert (backend.get_uid("x"), backend.get_uid("x")) == (1, 2)
    backend.clear_session(free_memory=False)
    assert nbkeras.layers.Dense(1).name == "dense"
    assert backend.get_uid("x") == 1


def test_is_keras_tensor():
    x = nbkeras.Input((3,))
    assert backend.is_keras_tensor(x) and backend.is_keras_tensor(nbkeras.layers.Dense(2)(x))
    assert not backend.is_keras_tensor(np.ones(3)) and not backend.is_keras_tensor(jnp.ones(3))


def test_unsafe_deserialization_allows_lambdas(tmp_path):
    from nbkeras.saving import serialization_lib

    x = nbkeras.Input((2,))
    model = nbkeras.Model(x, nbkeras.layers.Lambda(lambda t: t * 3.0)(x))
    path = tmp_path / "lam.keras"
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode"):
        nbkeras.models.load_model(path)
    try:
        config.enable_unsafe_deserialization()
        loaded = nbkeras.models.load_model(path)
    finally:
        serialization_lib.set_unsafe_deserialization(False)
    np.testing.assert_allclose(loaded.predict(np.ones((1, 2)), verbose=0), [[3.0, 3.0]])


@pytest.mark.parametrize("i", range(len(STRUCTS)))
def test_tree_matches_keras(i):
    s = STRUCTS[i]
    for fn in ("flatten", "flatten_with_path", "is_nested", "lists_to_tuples"):
        assert getattr(tree, fn)(s) == getattr(keras.tree, fn)(s), fn
    double = lambda v: v * 2 if isinstance(v, int) else v  # noqa: E731
    assert tree.map_structure(double, s) == keras.tree.map_structure(double, s)
    n = len(keras.tree.flatten(s))
    assert tree.pack_sequence_as(s, list(range(n))) == keras.tree.pack_sequence_as(
        s, list(range(n)))
    visit = lambda v: v + 1 if isinstance(v, int) else None  # noqa: E731
    assert tree.traverse(visit, s) == keras.tree.traverse(visit, s)
    to_none = lambda v: keras.tree.MAP_TO_NONE if v == 2 else None  # noqa: E731
    ours = tree.traverse(lambda v: tree.MAP_TO_NONE if v == 2 else None, s, top_down=False)
    assert ours == keras.tree.traverse(to_none, s, top_down=False)


def test_tree_structure_checks_match_keras():
    tree.assert_same_structure([1, (2,)], [3, (4,)])
    for a, b in (([1, 2], (1, 2)), ([1, [2]], [1, 2])):
        with pytest.raises(ValueError):
            keras.tree.assert_same_structure(a, b)
        with pytest.raises(ValueError, match="same nested structure"):
            tree.assert_same_structure(a, b)
    tree.assert_same_paths([1, 2], (3, 4))
    with pytest.raises(ValueError, match="same paths"):
        tree.assert_same_paths({"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="same nested structure"):
        tree.map_structure(lambda a, b: a, [1], [1, 2])
    with pytest.raises(ValueError, match="leaves"):
        tree.pack_sequence_as([1, 2], [1])
    shapes = {"x": (3, 4), "y": [(1,), (2, None)]}
    add = lambda s: (None, *s)  # noqa: E731
    assert tree.map_shape_structure(add, shapes) == keras.tree.map_shape_structure(add, shapes)
    assert tree.map_structure_up_to([0, 0], len, [[1, 2], [3]]) == \
        keras.tree.map_structure_up_to([0, 0], len, [[1, 2], [3]])


@pytest.mark.parametrize("name, args", [
    ("gamma", ((3, 2), 2.0)), ("beta", ((4,), 2.0, 3.0)), ("binomial", ((5,), 6, 0.3)),
])
def test_new_random_functions_match_keras(name, args):
    ours = getattr(nbrandom, name)(*args, seed=11)
    theirs = getattr(keras.random, name)(*args, seed=11)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6)
    assert ours.dtype == theirs.dtype


def test_lazy_namespaces():
    for name in ("backend", "config", "tree", "random"):
        assert getattr(nbkeras, name).__name__ == f"nbkeras.{name}"
