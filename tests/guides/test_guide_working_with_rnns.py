"""keras.io guide "Working with RNNs" (Scott Zhu, fchollet), Keras 3 version: its program
run under nbkeras and under Keras 3.  Data replaced: MNIST rows by the bundled 8x8
digits (input_dim 8, 256 training images).  Compared with Keras: parameter counts and
output shapes of every model, stateful LSTM state reuse, ``RNN(LSTMCell)`` vs ``LSTM`` on the same
weights, history keys.  Not run: the last section (an RNN cell over nested inputs):
nbkeras's ``RNN`` takes one (batch, time, features) input (layers, issue 10)."""

import os

os.environ["KERAS_BACKEND"] = "jax"

import keras as real_keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nbkeras  # noqa: E402


def run_guide(keras):
    layers = keras.layers
    ops = keras.ops
    rng = np.random.default_rng(0)
    out = {}

    model = keras.Sequential()
    model.add(layers.Embedding(input_dim=1000, output_dim=64))
    model.add(layers.LSTM(128))
    model.add(layers.Dense(10))
    model.build((None, 7))
    out["lstm"] = model.count_params()

    model = keras.Sequential()
    model.add(layers.Embedding(input_dim=1000, output_dim=64))
    model.add(layers.GRU(256, return_sequences=True))
    model.add(layers.SimpleRNN(128))
    model.add(layers.Dense(10))
    model.build((None, 7))
    out["gru"] = model.count_params()

    encoder_vocab = 1000
    decoder_vocab = 2000
    encoder_input = layers.Input(shape=(None,))
    encoder_embedded = layers.Embedding(input_dim=encoder_vocab, output_dim=64)(encoder_input)
    output, state_h, state_c = layers.LSTM(64, return_state=True, name="encoder")(
        encoder_embedded)
    encoder_state = [state_h, state_c]
    decoder_input = layers.Input(shape=(None,))
    decoder_embedded = layers.Embedding(input_dim=decoder_vocab, output_dim=64)(decoder_input)
    decoder_output = layers.LSTM(64, name="decoder")(decoder_embedded,
                                                     initial_state=encoder_state)
    output = layers.Dense(10)(decoder_output)
    model = keras.Model([encoder_input, decoder_input], output)
    out["seq2seq"] = (model.count_params(), tuple(model.output_shape),
                      tuple(model([np.ones((2, 5)), np.ones((2, 3))]).shape))

    paragraph1 = rng.random((20, 10, 50)).astype(np.float32)
    paragraph2 = rng.random((20, 10, 50)).astype(np.float32)
    paragraph3 = rng.random((20, 10, 50)).astype(np.float32)
    lstm_layer = layers.LSTM(64, stateful=True)
    output = lstm_layer(paragraph1)
    output = lstm_layer(paragraph2)
    output = lstm_layer(paragraph3)
    lstm_layer.reset_states()
    fresh = layers.LSTM(64)
    fresh(paragraph1)
    fresh.set_weights(lstm_layer.get_weights())
    out["reset"] = bool(np.allclose(lstm_layer(paragraph1), fresh(paragraph1), atol=1e-5))

    lstm_layer = layers.LSTM(64, stateful=True)
    output = lstm_layer(paragraph1)
    output = lstm_layer(paragraph2)
    existing_state = lstm_layer.states
    new_lstm_layer = layers.LSTM(64)
    new_output = new_lstm_layer(paragraph3, initial_state=existing_state)
    out["state_reuse"] = ([tuple(s.shape) for s in existing_state], tuple(new_output.shape))

    model = keras.Sequential()
    model.add(layers.Input((5, 10)))
    model.add(layers.Bidirectional(layers.LSTM(64, return_sequences=True)))
    model.add(layers.Bidirectional(layers.LSTM(32)))
    model.add(layers.Dense(10))
    out["bidirectional"] = (model.count_params(), tuple(model.output_shape))

    batch_size = 64
    input_dim = 8
    units = 64
    output_size = 10

    def build_model(allow_cudnn_kernel=True):
        if allow_cudnn_kernel:
            lstm_layer = keras.layers.LSTM(units)
        else:
            lstm_layer = keras.layers.RNN(keras.layers.LSTMCell(units))
        model = keras.models.Sequential(
            [keras.Input((None, input_dim)), lstm_layer, keras.layers.BatchNormalization(),
             keras.layers.Dense(output_size)])
        return model

    (x_train, y_train), (x_test, y_test) = nbkeras.datasets.digits.load_data()
    x_train, x_test = x_train[:256] / 16.0, x_test[:64] / 16.0
    y_train, y_test = y_train[:256], y_test[:64]
    sample, sample_label = x_train[0], y_train[0]  # noqa: F841 (the guide prints it)
    model = build_model(allow_cudnn_kernel=True)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer="sgd", metrics=["accuracy"])
    history = model.fit(x_train, y_train, validation_data=(x_test, y_test),
                        batch_size=batch_size, epochs=1, verbose=0)
    noncudnn_model = build_model(allow_cudnn_kernel=False)
    noncudnn_model.set_weights(model.get_weights())
    same = np.allclose(noncudnn_model.predict(x_test, verbose=0),
                       model.predict(x_test, verbose=0), atol=1e-4)
    out["cell_vs_layer"] = (model.count_params(), noncudnn_model.count_params(), bool(same),
                            sorted(history.history))
    cpu_model = build_model(allow_cudnn_kernel=True)
    cpu_model.set_weights(model.get_weights())
    result = ops.argmax(cpu_model.predict_on_batch(ops.expand_dims(sample, 0)), axis=1)
    out["predict_on_batch"] = bool(int(np.asarray(result)[0]) ==
                                   int(np.argmax(model.predict(sample[None], verbose=0))))

    return out


@pytest.mark.slow
def test_rnn_guide_matches_keras():
    assert run_guide(nbkeras) == run_guide(real_keras)
