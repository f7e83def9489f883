"""The demo run: train a small MLP on the bundled digits data.

Run it with ``python -m nbkeras.demo``.  It builds a Keras-style model with
``import nbkeras as keras``, trains it with a progress display, evaluates it on the
held-out split, prints the test accuracy, saves the model and its graph into
``--output-dir`` (default ``nbkeras-demo/``) and says what to do next.
"""

from __future__ import annotations

import argparse
import os

import numpy as np


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Train an MLP on the bundled digits data.")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--verbose", default="auto")
    parser.add_argument("--output-dir", default="nbkeras-demo",
                        help="where to write the trained model and its graph")
    args = parser.parse_args(argv)

    import nbkeras as keras
    from nbkeras import layers
    from nbkeras.datasets import digits

    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(len(x_train), -1).astype("float32") / 16.0
    x_test = x_test.reshape(len(x_test), -1).astype("float32") / 16.0

    model = keras.Sequential(
        [
            keras.Input(shape=(64,)),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.1),
            layers.Dense(10, activation="softmax"),
        ],
        name="digits_mlp",
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    verbose = int(args.verbose) if str(args.verbose).isdigit() else args.verbose
    history = model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_split=0.1,
        verbose=verbose,
    )
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = np.argmax(model.predict(x_test[:10], verbose=0), axis=-1)
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")
    print(f"first test digits: true {y_test[:10].tolist()} predicted {predicted.tolist()}")

    os.makedirs(args.output_dir, exist_ok=True)
    model_path = os.path.join(args.output_dir, "digits_mlp.keras")
    graph_path = os.path.join(args.output_dir, "model.png")
    model.save(model_path)
    keras.utils.plot_model(model, to_file=graph_path, show_shapes=True)
    print(
        f"\nWrote {model_path} (the trained model) and {graph_path} (its layer graph).\n"
        "What next:\n"
        f"  - load the model again: nbkeras.models.load_model({model_path!r})\n"
        "  - open the tutorials:   pip install -e \".[notebook]\" && jupyter lab notebooks/\n"
        "  - run the tests:        bash .ci/run"
    )
    return {"history": history.history, "test_accuracy": accuracy, "model_path": model_path,
            "graph_path": graph_path}


if __name__ == "__main__":
    main()
