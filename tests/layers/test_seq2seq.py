"""A GRU encoder-decoder (sequence to sequence) trains to high accuracy."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

import nbkeras  # noqa: E402
from nbkeras import layers  # noqa: E402


def test_gru_sequence_to_sequence_learns_to_reverse():
    """Encoder-decoder GRU with teacher forcing (keras.io's seq2seq layout): the target
    is the source reversed; the decoder starts from the encoder's final state."""
    rng = np.random.default_rng(0)
    n, t, vocab, start = 384, 4, 7, 1
    src = rng.integers(2, vocab, size=(n, t))
    tgt = src[:, ::-1]
    dec_in = np.concatenate([np.full((n, 1), start), tgt[:, :-1]], axis=1)
    nbkeras.utils.set_random_seed(0)
    enc_inp = nbkeras.Input((t,), dtype="int32")
    dec_inp = nbkeras.Input((t,), dtype="int32")
    _, state = layers.GRU(32, return_state=True)(layers.Embedding(vocab, 16)(enc_inp))
    seq = layers.GRU(32, return_sequences=True)(layers.Embedding(vocab, 16)(dec_inp),
                                                initial_state=[state])
    out = layers.Dense(vocab, activation="softmax")(seq)
    model = nbkeras.Model([enc_inp, dec_inp], out)
    model.compile(nbkeras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit([src, dec_in], tgt, epochs=20, batch_size=64, verbose=0)
    assert hist.history["accuracy"][-1] > 0.95, hist.history["accuracy"][-5:]
    # Greedy decoding on new sequences, one step at a time, with the trained model.
    test = rng.integers(2, vocab, size=(16, t))
    dec = np.zeros((16, t), int)
    dec[:, 0] = start
    for i in range(t):
        probs = np.asarray(model.predict([test, dec], verbose=0))
        if i + 1 < t:
            dec[:, i + 1] = probs[:, i].argmax(-1)
    assert (probs.argmax(-1) == test[:, ::-1]).mean() > 0.9
