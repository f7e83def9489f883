"""Feature preprocessing layers (Discretization, CategoryEncoding, Hashing, IntegerLookup,
StringLookup, TextVectorization) against Keras 3.

Discretization and CategoryEncoding run in Keras without TensorFlow: compared directly.
Keras's Hashing, lookups and TextVectorization need TensorFlow (not installed), so they are
checked against the examples of Keras's own docstrings (outputs computed by Keras/TF).
"""

import doctest
import os
import re

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402

NAMES = ["StringLookup", "IntegerLookup", "TextVectorization", "Hashing", "Discretization",
         "CategoryEncoding"]


def _values(text: str) -> list:
    """Numbers and quoted strings of a doctest's expected output, in order."""
    text = re.sub(r"#.*", "", text)
    text = re.sub(r"dtype=\w+|shape=\([\d, ]*\)", "", text)
    found = re.findall(r"b?'([^']*)'|(-?\d+(?:\.\d*)?(?:e-?\d+)?)", text)
    return [s if num == "" else float(num) for s, num in found]


def _flat(value) -> list:
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value
    arr = np.asarray(value).reshape(-1)
    return [str(v) if arr.dtype.kind in "USO" else float(v) for v in arr]


@pytest.mark.parametrize("name", NAMES)
def test_keras_docstring_examples_give_keras_outputs(name):
    namespace = {"np": np, "keras": nbkeras, **{n: getattr(layers, n) for n in NAMES}}
    checked = 0
    for example in doctest.DocTestParser().get_examples(getattr(keras.layers, name).__doc__):
        try:
            value = eval(compile(example.source, "<keras doc>", "eval"), namespace)
        except SyntaxError:
            exec(compile(example.source, "<keras doc>", "exec"), namespace)
            continue
        want = _values(example.want)
        if not want:
            continue
        got = _flat(value)
        assert len(got) == len(want), (example.source, got, example.want)
        for g, w in zip(got, want):
            assert g == w if isinstance(w, str) else abs(g - w) < 1e-6, (example.source, got)
        checked += 1
    assert checked >= {"TextVectorization": 2, "Discretization": 2}.get(name, 3)


def _data(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _keras_adapt(layer, batches):
    """What Keras's ``adapt`` does after its TensorFlow dataset check."""
    layer.reset_state()
    for b in batches:
        layer.update_state(b)
    layer.finalize_state()


@pytest.mark.parametrize("num_bins,epsilon,output_mode", [
    (4, 0.01, "int"), (7, 0.1, "one_hot"), (5, 0.05, "count")])
def test_discretization_adapt_matches_keras(num_bins, epsilon, output_mode):
    x = _data(300, 2)
    ours = layers.Discretization(num_bins=num_bins, epsilon=epsilon, output_mode=output_mode)
    theirs = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon,
                                         output_mode=output_mode)
    batches = [x[:120], x[120:250], x[250:]]  # an iterable of batches, merged summaries
    ours.adapt(iter(batches))
    _keras_adapt(theirs, batches)  # (Keras's adapt() itself imports TensorFlow)
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, atol=1e-6)
    test = _data(6, 2, seed=1) if output_mode == "int" else _data(6, 1, seed=1)
    np.testing.assert_allclose(np.asarray(ours(test)), np.asarray(theirs(test)))
    one = layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    one.adapt(x)
    ref = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    _keras_adapt(ref, [x])
    np.testing.assert_allclose(one.bin_boundaries, ref.bin_boundaries, atol=1e-6)


@pytest.mark.parametrize("mode,x", [
    ("one_hot", [3, 0, 2]), ("one_hot", [[1], [2]]), ("multi_hot", [[0, 1, 1], [3, 3, 2]]),
    ("count", [[0, 1, 1], [3, 3, 2]]), ("count", [0, 2, 2]),
    ("multi_hot", [[[0, 1], [2, 2]], [[3, 1], [0, 0]]])])
def test_category_encoding_matches_keras(mode, x):
    x = np.asarray(x)
    ours = layers.CategoryEncoding(num_tokens=4, output_mode=mode)
    theirs = keras.layers.CategoryEncoding(num_tokens=4, output_mode=mode)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)))
    w = np.linspace(0.1, 1.0, x.size).reshape(x.shape).astype("float32")
    if mode == "count":
        np.testing.assert_allclose(np.asarray(ours(x, count_weights=w)),
                                   np.asarray(theirs(x, count_weights=w)), rtol=1e-6)


def test_numeric_layers_work_in_jit_and_functional_models():
    disc = layers.Discretization(bin_boundaries=[0.0, 1.0])
    enc = layers.CategoryEncoding(num_tokens=3, output_mode="one_hot")
    inp = nbkeras.Input((4,))
    model = nbkeras.Model(inp, enc(disc(inp)))
    assert model.output_shape == (None, 4, 3)
    x = np.array([[-1.0, 0.5, 2.0, 1.0]], "float32")
    np.testing.assert_array_equal(np.asarray(model(x))[0].argmax(-1), [0, 1, 2, 2])
    np.testing.assert_array_equal(jax.jit(disc)(x), disc(x))
    lookup = layers.IntegerLookup(vocabulary=[5, 7, 9], mask_token=0)
    ints = jnp.array([[5, 9, 3, 0]])
    assert jax.jit(lookup)(ints).tolist() == lookup(ints).tolist() == [[2, 4, 1, 0]]


def test_adapt_on_generators_and_batch_datasets(tmp_path):
    texts = ["The cat sat.", "the dog ran", "A cat ran!", "dogs, cats; birds"]
    whole = layers.TextVectorization()
    whole.adapt(texts)
    batched = layers.TextVectorization()
    batched.adapt(iter([np.array(texts[:2]), np.array(texts[2:])]))
    assert whole.get_vocabulary() == batched.get_vocabulary()
    assert whole.get_vocabulary()[:5] == ["", "[UNK]", "the", "ran", "cat"]
    for label in ("neg", "pos"):
        (tmp_path / label).mkdir()
    for i, t in enumerate(texts):
        (tmp_path / ("neg" if i % 2 else "pos") / f"{i}.txt").write_text(t)
    ds = nbkeras.utils.text_dataset_from_directory(tmp_path, batch_size=2, shuffle=False)
    from_ds = layers.TextVectorization(output_sequence_length=5)
    from_ds.adapt(ds.map(lambda x, y: x))
    assert from_ds.get_vocabulary() == whole.get_vocabulary()
    x, y = next(iter(ds.map(lambda x, y: (from_ds(x), y))))
    assert x.shape == (2, 5) and x.dtype == jnp.int32
    lookup = layers.StringLookup()
    lookup.adapt(b for b in [np.array(["a", "b", "b"]), np.array(["c", "b", "c"])])
    assert lookup.get_vocabulary() == ["[UNK]", "b", "c", "a"]
    ints = layers.IntegerLookup(max_tokens=3)
    ints.adapt(np.array([4, 4, 2, 9, 9, 9]))
    assert ints.get_vocabulary() == [-1, 9, 4]


def test_text_vectorization_modes():
    texts = np.array(["Hello, World! hello", "world peace", "peace and hello"])
    tv = layers.TextVectorization(ngrams=2, output_mode="int")
    tv.adapt(texts)
    vocab = tv.get_vocabulary()
    assert vocab[:3] == ["", "[UNK]", "hello"] and "hello world" in vocab
    out = np.asarray(tv(texts[:1]))
    assert [vocab[i] for i in out[0]] == ["hello", "world", "hello", "hello world",
                                          "world hello"]
    tf_idf = layers.TextVectorization(output_mode="tf_idf", max_tokens=6, pad_to_max_tokens=True)
    tf_idf.adapt(texts)
    # Keras's IDF: log(1 + documents / (1 + documents containing the token)).
    idf_hello = np.log(1 + 3 / (1 + 2))
    v = np.asarray(tf_idf(np.array(["hello hello zebra"])))
    assert v.shape == (1, 6)
    np.testing.assert_allclose(v[0, tf_idf.get_vocabulary().index("hello")], 2 * idf_hello,
                               rtol=1e-6)
    chars = layers.TextVectorization(split="character", standardize=None,
                                     output_mode="multi_hot", vocabulary=["a", "b"])
    np.testing.assert_array_equal(chars(np.array(["abba", "cc"])),
                                  [[0, 1, 1], [1, 0, 0]])  # [UNK], a, b
    custom = layers.TextVectorization(standardize=lambda s: np.char.replace(s, "x", ""),
                                      vocabulary=["ab"], output_sequence_length=2)
    assert custom(np.array(["axb cd"])).tolist() == [[2, 1]]


def test_config_round_trip_keeps_adapted_state():
    texts = np.array(["b a a", "c b a", "d"])
    for layer in (layers.TextVectorization(output_mode="tf_idf"),
                  layers.StringLookup(mask_token="", num_oov_indices=2),
                  layers.Discretization(num_bins=3)):
        data = texts if not isinstance(layer, layers.Discretization) else _data(50, 1)
        probe = texts if not isinstance(layer, layers.Discretization) else _data(5, 1, seed=3)
        layer.adapt(data)
        clone = type(layer).from_config(layer.get_config())
        np.testing.assert_allclose(np.asarray(clone(probe), dtype=float),
                                   np.asarray(layer(probe), dtype=float))


def test_string_layers_explain_that_they_cannot_run_inside_jit():
    hashing = layers.Hashing(num_bins=4, name="hh")
    msg = r"Hashing 'hh' works on concrete values on the host .* cannot run inside jax.jit"
    with pytest.raises(TypeError, match=msg):
        jax.jit(hashing)(jnp.array([1, 2]))
    with pytest.raises(TypeError, match=r"dataset.map\(lambda x, y: \(layer\(x\), y\)\)"):
        layers.StringLookup(vocabulary=["a"], invert=True)(nbkeras.Input((2,), dtype="int32"))
    assert np.asarray(hashing(np.array([1, 2]))).shape == (2,)


def test_feature_preprocessing_errors():
    with pytest.raises(ValueError, match=r"needs exactly one of bin_boundaries or num_bins"):
        layers.Discretization()
    with pytest.raises(ValueError, match=r"has no bin boundaries yet"):
        layers.Discretization(num_bins=2)(np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"expects inputs in \[0, 3\) .* from 0 to 5"):
        layers.CategoryEncoding(num_tokens=3)(np.array([[0, 5]]))
    with pytest.raises(ValueError, match=r"CategoryEncoding '.*' needs num_tokens >= 1"):
        layers.CategoryEncoding()
    with pytest.raises(ValueError, match=r"invalid output_mode='one-hot'. Did you mean"):
        layers.Hashing(3, output_mode="one-hot")
    with pytest.raises(ValueError, match=r"salt=1.5; expected a single integer"):
        layers.Hashing(3, salt=1.5)
    with pytest.raises(ValueError, match=r"num_oov_indices=0, .* found out-of-vocabulary "
                                         r"values \['z'\]"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["a", "z"]))
    with pytest.raises(ValueError, match=r"the vocabulary repeats \['a'\]"):
        layers.StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match=r"Cannot adapt StringLookup .* was given a vocab"):
        layers.StringLookup(vocabulary=["a"]).adapt(["a"])
    with pytest.raises(RuntimeError, match=r"output_mode='multi_hot' needs its vocabulary"):
        layers.StringLookup(output_mode="multi_hot")(np.array(["a"]))
    with pytest.raises(ValueError, match=r"last dimension of 1; received shape \(1, 2\)"):
        layers.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
