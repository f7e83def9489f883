"""EinsumDense and the attention layers against Keras 3; a small transformer trains."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402

RNG = np.random.default_rng(0)
Q = RNG.normal(size=(2, 5, 8)).astype("float32")
V = RNG.normal(size=(2, 6, 8)).astype("float32")
QM = np.ones((2, 5), bool)
QM[0, 3:] = False
VM = np.ones((2, 6), bool)
VM[1, 4:] = False
AM = RNG.random((2, 5, 6)) > 0.3
X4 = RNG.normal(size=(2, 3, 4, 8)).astype("float32")


def _listify(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def pair(make, args, **kw):
    theirs, ours = make(keras.layers), make(layers)
    theirs(*args, **kw)
    ours(*args, **kw)
    rng = np.random.default_rng(1)
    for w in theirs.weights:
        w.assign(0.5 * rng.normal(size=w.shape).astype("float32"))
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    a, b = _listify(ours(*args, **kw)), _listify(theirs(*args, **kw))
    assert len(a) == len(b)
    for p, q in zip(a, b):
        np.testing.assert_allclose(np.asarray(p), np.asarray(q), atol=1e-5, rtol=1e-5)
    return ours, theirs


CASES = [
    ("einsum", lambda ns: ns.EinsumDense("abc,cde->abde", output_shape=(None, 3, 4),
                                         bias_axes="de"), (Q,), {}),
    ("einsum-ellipsis", lambda ns: ns.EinsumDense("...b,bc->...c", output_shape=4,
                                                  bias_axes="c"), (Q,), {}),
    ("mha", lambda ns: ns.MultiHeadAttention(2, 4), (Q, V), {}),
    ("mha-scores-mask", lambda ns: ns.MultiHeadAttention(2, 4, value_dim=3, output_shape=7),
     (Q, V, V), dict(attention_mask=AM, return_attention_scores=True)),
    ("mha-causal", lambda ns: ns.MultiHeadAttention(2, 4), (Q, Q), dict(use_causal_mask=True)),
    ("mha-causal-scores", lambda ns: ns.MultiHeadAttention(2, 4, use_bias=False), (Q, Q),
     dict(use_causal_mask=True, return_attention_scores=True)),
    ("mha-value-mask", lambda ns: ns.MultiHeadAttention(2, 4), (Q, V), dict(value_mask=VM)),
    ("mha-2d-axes", lambda ns: ns.MultiHeadAttention(2, 4, attention_axes=(1, 2)),
     (X4, X4), {}),
    ("gqa", lambda ns: ns.GroupQueryAttention(4, 4, 2), (Q, V), dict(attention_mask=AM)),
    ("gqa-scores", lambda ns: ns.GroupQueryAttention(4, 4, 2), (Q, V),
     dict(return_attention_scores=True)),
    ("attention", lambda ns: ns.Attention(), ([Q, V],), dict(mask=[QM, VM])),
    ("attention-concat", lambda ns: ns.Attention(use_scale=True, score_mode="concat"),
     ([Q, V, V],), dict(mask=[QM, VM], return_attention_scores=True)),
    ("attention-causal", lambda ns: ns.Attention(), ([Q, Q],), dict(use_causal_mask=True)),
    ("additive", lambda ns: ns.AdditiveAttention(), ([Q, V],), dict(mask=[QM, VM])),
]


@pytest.mark.parametrize("name,make,args,kw", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(name, make, args, kw):
    ours, theirs = pair(make, args, **kw)
    assert set(theirs.get_config()) - set(ours.get_config()) <= {
        "activity_regularizer", "flash_attention", "sliding_window", "use_gate",
        "quantization_config", "lora_rank", "lora_alpha", "gated_attention"}


def test_embedding_mask_reaches_attention_like_keras():
    tokens = RNG.integers(1, 9, size=(2, 6))
    tokens[0, 4:] = 0

    def make(ns, K):
        inp = K.Input((6,), dtype="int32")
        e = ns.Embedding(10, 8, mask_zero=True)(inp)
        a = ns.MultiHeadAttention(2, 4)(e, e)
        return K.Model(inp, ns.GlobalAveragePooling1D()(a))

    theirs, ours = make(keras.layers, keras), make(layers, nbkeras)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(np.asarray(ours(tokens)), np.asarray(theirs(tokens)), atol=1e-5)


@pytest.mark.parametrize("make,match", [
    (lambda: layers.GroupQueryAttention(4, num_query_heads=6, num_key_value_heads=4),
     "num_query_heads \\(6\\) must be a multiple of num_key_value_heads \\(4\\)"),
    (lambda: layers.MultiHeadAttention(num_heads=0, key_dim=4),
     "MultiHeadAttention 'num_heads' must be a positive integer"),
    (lambda: layers.Attention(score_mode="dott"), "Did you mean 'dot'"),
])
def test_bad_configurations(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_attention_needs_a_list():
    with pytest.raises(ValueError, match="Attention 'attention.*' expects a list"):
        layers.Attention()(Q)


def test_small_transformer_classifier_trains():
    """keras.io-style transformer block; the label is whether token 1 occurs."""
    rng = np.random.default_rng(2)
    n, t, vocab, dim = 256, 12, 16, 16
    x = rng.integers(2, vocab, size=(n, t))
    y = rng.integers(0, 2, size=n)
    x[y == 1, rng.integers(0, t, size=int(y.sum()))] = 1
    nbkeras.utils.set_random_seed(0)
    inp = nbkeras.Input((t,), dtype="int32")
    h = layers.Embedding(vocab, dim)(inp)
    attn = layers.MultiHeadAttention(num_heads=2, key_dim=dim // 2)(h, h)
    h = layers.LayerNormalization(epsilon=1e-6)(h + attn)
    ffn = layers.Dense(dim)(layers.Dense(32, activation="relu")(h))
    h = layers.LayerNormalization(epsilon=1e-6)(h + ffn)
    h = layers.GlobalAveragePooling1D()(h)
    out = layers.Dense(2, activation="softmax")(h)
    model = nbkeras.Model(inp, out)
    model.compile(nbkeras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert hist.history["accuracy"][-1] > 0.95
