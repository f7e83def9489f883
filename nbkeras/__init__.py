"""nbkeras: the Keras 3 API over JAX, Flax NNX and optax, made for notebooks.

Use it as ``import nbkeras as keras``::

    import nbkeras as keras
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, "softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
"""

from nbkeras import (
    _hooks,
    _progress_views,
    activations,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    regularizers,
)
from nbkeras.dtype_policies import DTypePolicy, FloatDTypePolicy
from nbkeras.initializers import Initializer
from nbkeras.layers import Input, Layer
from nbkeras.layers.symbolic import KerasTensor
from nbkeras.losses import Loss
from nbkeras.metrics import Metric
from nbkeras.models import Model, Sequential
from nbkeras.optimizers import Optimizer
from nbkeras.regularizers import Regularizer
from nbkeras.variable import Variable

# Installed at import, before any functional model can be built.
ops.set_symbolic_dispatch(layers.symbolic.symbolic_function)
# The progress view train/ shows (notebook or text): train/ imports neither package.
_hooks.progress_view = _progress_views.default_progress_view


def _register_namespaces() -> None:
    # Where deserialization finds built-in classes and functions by name; it imports none
    # of these packages (they use it). A config's module picks its space first.
    from nbkeras._serialization import namespaces
    from nbkeras.layers import registry
    from nbkeras.optimizers import schedules

    for key, space in (
        ("models", registry.get), ("layers", layers),
        ("schedules", schedules), ("optimizers", optimizers), ("losses", losses),
        ("metrics", metrics), ("initializers", initializers),
        ("regularizers", regularizers), ("constraints", constraints),
    ):
        namespaces.register_classes(key, space)
    for key, space in (("ops", ops), ("activations", activations), ("losses", losses),
                       ("metrics", metrics)):
        namespaces.register_functions(key, space)


_register_namespaces()

__version__ = "0.1.0"


def version() -> str:
    """The nbkeras version (``keras.version()``)."""
    return __version__

# Submodules not needed to build and train a model load on first use (PEP 562), so
# ``import nbkeras`` stays quick; ``nbkeras.datasets`` etc. work as usual.
_LAZY = (
    "backend", "callbacks", "config", "datasets", "distribution", "dtype_policies",
    "mixed_precision", "random", "saving", "tree", "utils",
)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"nbkeras.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'nbkeras' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def _enable_cache_from_env() -> None:
    # The persistent XLA cache is on by default (NBKERAS_COMPILATION_CACHE=0 turns it off).
    __getattr__("config")._from_env()


_enable_cache_from_env()
