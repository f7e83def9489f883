"""nbkeras: the Keras 3 API over JAX, Flax NNX and optax, made for notebooks.

Use it as ``import nbkeras as keras``::

    import nbkeras as keras
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, "softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
"""

from nbkeras import (
    activations,
    callbacks,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    utils,
)
from nbkeras.layers import Input, Layer
from nbkeras.models import Model, Sequential

ops.set_symbolic_dispatch(layers.symbolic.symbolic_function)

__version__ = "0.1.0"
