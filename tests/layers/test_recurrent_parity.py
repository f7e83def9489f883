"""Recurrent layers, cells and sequence wrappers against Keras 3 (same weights, same outputs)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 6, 5)).astype("float32")
MASK = np.ones((3, 6), bool)
MASK[0, 4:] = False
MASK[1, :2] = False


def _listify(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def pair(make, *args, **call_kwargs):
    """Build ``make(keras.layers)`` and ``make(nbkeras.layers)``, copy weights, compare."""
    theirs, ours = make(keras.layers), make(layers)
    theirs(*args)
    ours(*args)
    rng = np.random.default_rng(1)
    for w in theirs.weights:
        w.assign(0.5 * rng.normal(size=w.shape).astype("float32"))
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    a, b = _listify(ours(*args, **call_kwargs)), _listify(theirs(*args, **call_kwargs))
    assert len(a) == len(b)
    for p, q in zip(a, b):
        np.testing.assert_allclose(np.asarray(p), np.asarray(q), atol=1e-5, rtol=1e-5)
    return ours, theirs


RNN_CASES = [
    ("SimpleRNN", {}),
    ("SimpleRNN", dict(return_sequences=True, go_backwards=True, activation="relu")),
    ("LSTM", {}),
    ("LSTM", dict(return_sequences=True, return_state=True)),
    ("LSTM", dict(go_backwards=True, return_state=True, use_bias=False)),
    ("LSTM", dict(unroll=True, return_sequences=True)),
    ("GRU", {}),
    ("GRU", dict(return_sequences=True, return_state=True)),
    ("GRU", dict(reset_after=False, go_backwards=True, return_sequences=True)),
]


@pytest.mark.parametrize("masked", [False, True], ids=["dense", "masked"])
@pytest.mark.parametrize("name,kwargs", RNN_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(RNN_CASES)])
def test_rnn_layers_match_keras(name, kwargs, masked):
    call = {"mask": MASK} if masked else {}
    ours, theirs = pair(lambda ns: getattr(ns, name)(4, **kwargs), X, **call)
    assert set(theirs.get_config()) - set(ours.get_config()) <= {"activity_regularizer",
                                                                 "use_cudnn"}


def test_initial_state_and_stateful_match_keras():
    h, c = (RNG.normal(size=(3, 4)).astype("float32") for _ in range(2))
    pair(lambda ns: ns.LSTM(4), X, initial_state=[h, c])
    theirs, ours = keras.layers.GRU(4, stateful=True), layers.GRU(4, stateful=True)
    theirs(X)
    ours(X)
    ours.set_weights(theirs.get_weights())
    ours.reset_states()
    theirs.reset_states()
    for _ in range(2):  # the carried state keeps matching
        np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(theirs(X)), atol=1e-5)
    ours.reset_states()
    theirs.reset_states()
    np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(theirs(X)), atol=1e-5)
    assert len(ours.weights) == 3  # the carried state is not a weight


def test_bidirectional_merge_modes_match_keras():
    ours, theirs = pair(lambda ns: ns.Bidirectional(ns.LSTM(4, return_sequences=True)),
                        X, mask=MASK)
    for mode in ["sum", "mul", "ave", None]:
        ours.merge_mode = theirs.merge_mode = mode
        for p, q in zip(_listify(ours(X, mask=MASK)), _listify(theirs(X, mask=MASK))):
            np.testing.assert_allclose(np.asarray(p), np.asarray(q), atol=1e-5)


def test_bidirectional_states_and_backward_layer_match_keras():
    pair(lambda ns: ns.Bidirectional(ns.GRU(4, return_state=True)), X, mask=MASK)
    pair(lambda ns: ns.Bidirectional(ns.GRU(4),
                                     backward_layer=ns.SimpleRNN(3, go_backwards=True)), X)


def test_rnn_of_cells_and_stacked_cells_match_keras():
    pair(lambda ns: ns.RNN([ns.LSTMCell(4), ns.GRUCell(3)], return_sequences=True,
                           return_state=True), X, mask=MASK)
    pair(lambda ns: ns.RNN(ns.SimpleRNNCell(4), go_backwards=True), X)
    pair(lambda ns: ns.TimeDistributed(ns.Dense(3)), X)


def test_custom_keras_style_cell_runs_in_scan():
    class MinimalCell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            h = inputs @ self.kernel + states[0] @ self.recurrent_kernel
            return h, [h]

    layer = layers.RNN(MinimalCell(3), return_sequences=True)
    out = layer(X)
    k, r = (np.asarray(w) for w in layer.get_weights())
    h = np.zeros((3, 3), "float32")
    for t in range(6):
        h = X[:, t] @ k + h @ r
    np.testing.assert_allclose(np.asarray(out[:, -1]), h, atol=1e-4)


def test_symbolic_shapes_and_masked_steps_keep_state():
    inp = nbkeras.Input((6, 5))
    outs = layers.Bidirectional(layers.LSTM(4, return_state=True))(inp)
    assert [t.shape for t in outs] == [(None, 8)] + [(None, 4)] * 4
    # a fully masked tail leaves the final output equal to the last unmasked step
    lstm = layers.LSTM(4, return_sequences=True)
    seq = np.asarray(lstm(X[:1, :4]))
    last = np.asarray(layers.RNN(lstm.cell)(X[:1], mask=MASK[:1]))
    np.testing.assert_allclose(last, seq[:, -1], atol=1e-6)


def test_dropout_only_in_training_and_jit_safe():
    layer = layers.LSTM(4, dropout=0.5, recurrent_dropout=0.5, seed=3)
    infer = np.asarray(layer(X))
    np.testing.assert_allclose(np.asarray(layer(X, training=False)), infer)
    a = np.asarray(layer(X, training=True))
    b = np.asarray(layer(X, training=True))
    assert not np.allclose(a, infer) and not np.allclose(a, b)
    from flax import nnx

    @nnx.jit
    def run(m, x):
        return m(x, training=True)

    assert run(layer, X).shape == (3, 4)


def test_save_load_round_trip(tmp_path):
    model = nbkeras.Sequential([
        nbkeras.Input((6, 5)),
        layers.Bidirectional(layers.GRU(3, return_sequences=True)),
        layers.RNN([layers.LSTMCell(2), layers.SimpleRNNCell(2)]),
    ])
    model.save(tmp_path / "m.keras")
    again = nbkeras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(again(X)), np.asarray(model(X)), atol=1e-6)


@pytest.mark.parametrize("make,match", [
    (lambda: layers.LSTM(-2), "LSTM 'units' must be a positive integer"),
    (lambda: layers.GRU(4, dropout=1.5), "'dropout' must be a float in \\[0, 1\\]"),
    (lambda: layers.Bidirectional(layers.LSTM(2), merge_mode="cat"), "Did you mean 'concat'"),
])
def test_bad_configurations(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_input_rank_and_stateful_without_batch():
    with pytest.raises(ValueError, match="LSTM 'lstm.*' expects inputs of shape \\(batch, time"):
        layers.LSTM(3)(np.ones((2, 5), "float32"))
    with pytest.raises(ValueError, match="stateful=True, which needs a static batch size"):
        layers.GRU(3, stateful=True)(nbkeras.Input((4, 2)))


def test_scan_not_python_loop():
    """The time loop is one scan: the jaxpr size does not grow with the sequence length."""
    layer = layers.GRU(4)
    layer(X)

    def size(t):
        x = np.zeros((2, t, 5), "float32")
        return len(str(jax.make_jaxpr(lambda a: layer(a))(x)))

    assert abs(size(50) - size(5)) < 50
