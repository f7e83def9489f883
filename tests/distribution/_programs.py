"""Training programs shared by the 8-device script and the 2-process workers.

Run by ``_eight_devices.py`` and ``_process_worker.py`` (subprocesses), never
collected by pytest.
"""

import numpy as np


def data(n=100, d=6, classes=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (np.argmax(x[:, :classes], axis=1) + (x[:, 3] > 1)).astype("int32") % classes
    return x, y


def bn_dropout_mlp(keras):
    """Dense + BatchNormalization + Dropout: the data-parallel reference program."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.Dropout(0.3, name="drop"),
            keras.layers.Dense(3, activation="softmax", name="out"),
        ],
        name="mlp",
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def dp_fit(keras, distribution=None, epochs=2, batch_size=32, callbacks=None):
    """Fit the reference program (100 samples: the last batch of 32 is partial)."""
    from nbkeras import distribution as D

    x, y = data()
    model = bn_dropout_mlp(keras)
    D.set_distribution(distribution)
    try:
        np.random.seed(5)  # the fit's shuffle seed
        history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
                            validation_data=(x[:20], y[:20]), callbacks=callbacks)
        evaluation = model.evaluate(x, y, batch_size=batch_size, verbose=0)
        pred = model.predict(x[:10], verbose=0)
    finally:
        D.set_distribution(None)
    return model, history.history, evaluation, pred
