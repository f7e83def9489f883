"""The benchmark workloads: shapes, sizes, synthetic data and the Keras-style models.

Kept free of framework imports so a worker can time ``import`` before touching any.
"""

from __future__ import annotations

WORKLOADS = {
    # name: (input shape, batch size, samples at --size full, samples at --size tiny)
    "tiny": ((784,), 32, 32 * 1000, 32 * 20),
    "mlp": ((784,), 128, 128 * 120, 128 * 4),
    "convnet": ((28, 28, 1), 128, 128 * 20, 128 * 2),
    # Sequences (steps, features): an LSTM classifier and one transformer encoder block.
    "lstm": ((32, 16), 64, 64 * 60, 64 * 2),
    "transformer": ((32, 32), 64, 64 * 40, 64 * 2),
}
CLASSES = 10
STEADY_EPOCHS = {"full": 3, "tiny": 1}
PREDICT_REPEATS = {"full": 8, "tiny": 1}  # best of these (after one warm-up call)


def sizes(workload: str, size: str) -> tuple[tuple[int, ...], int, int]:
    """``(input_shape, batch_size, n_samples)`` of a workload at a size."""
    shape, batch, full, tiny = WORKLOADS[workload]
    return shape, batch, full if size == "full" else tiny


def synthetic(workload: str, size: str):
    """Deterministic ``(x float32, y int32)`` data, identical for every contender."""
    import numpy as np

    shape, _, n = sizes(workload, size)
    rng = np.random.default_rng(0)
    x = rng.random((n, *shape), dtype=np.float32)
    y = rng.integers(0, CLASSES, size=n).astype(np.int32)
    return x, y


def keras_model(K, workload: str):
    """The same Keras-style model, built with ``K`` = ``nbkeras`` or ``keras``."""
    L = K.layers
    if workload == "tiny":
        return K.Sequential([K.Input((784,)), L.Dense(10, activation="softmax")])
    if workload == "mlp":
        return K.Sequential(
            [
                K.Input((784,)),
                L.Dense(512, activation="relu"),
                L.Dense(512, activation="relu"),
                L.Dense(10, activation="softmax"),
            ]
        )
    if workload == "lstm":
        return K.Sequential(
            [K.Input((32, 16)), L.LSTM(64), L.Dense(10, activation="softmax")]
        )
    if workload == "transformer":
        return transformer_block_model(K)
    return K.Sequential(  # Keras's "simple MNIST convnet" example
        [
            K.Input((28, 28, 1)),
            L.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            L.MaxPooling2D(pool_size=(2, 2)),
            L.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            L.MaxPooling2D(pool_size=(2, 2)),
            L.Flatten(),
            L.Dropout(0.5),
            L.Dense(10, activation="softmax"),
        ]
    )


def transformer_block_model(K):
    """One post-norm encoder block (keras.io's text-classification transformer layout):
    projection, 4-head self-attention and a ReLU feed-forward, each with a residual and
    LayerNormalization, then average pooling and a softmax head."""
    L = K.layers
    inputs = K.Input((32, 32))
    x = L.Dense(64)(inputs)
    attn = L.MultiHeadAttention(num_heads=4, key_dim=16)(x, x)
    x = L.LayerNormalization(epsilon=1e-6)(x + attn)
    ff = L.Dense(64)(L.Dense(128, activation="relu")(x))
    x = L.LayerNormalization(epsilon=1e-6)(x + ff)
    x = L.GlobalAveragePooling1D()(x)
    return K.Model(inputs, L.Dense(10, activation="softmax")(x))
