"""``keras.distribution``: data and model parallelism on JAX's SPMD engine.

The same API as Keras 3 (``DeviceMesh``, ``TensorLayout``, ``LayoutMap``,
``DataParallel``, ``ModelParallel``, ``set_distribution``...), built on
``jax.sharding.Mesh``/``NamedSharding`` and ``jax.jit``; several hosts through
``jax.distributed``.

Example:
    >>> import nbkeras as keras
    >>> dist = keras.distribution.DataParallel()
    >>> keras.distribution.set_distribution(dist)   # fit now splits every batch
    >>> keras.distribution.set_distribution(None)
"""

from nbkeras.distribution.layout_map import LayoutMap
from nbkeras.distribution.mesh import (
    DeviceMesh,
    TensorLayout,
    distribute_tensor,
    get_device_count,
    list_devices,
)
from nbkeras.distribution.process import initialize
from nbkeras.distribution.strategies import (
    DataParallel,
    Distribution,
    ModelParallel,
    distribution,
    set_distribution,
)

__all__ = [
    "DataParallel", "DeviceMesh", "Distribution", "LayoutMap", "ModelParallel",
    "TensorLayout", "distribute_tensor", "distribution", "get_device_count", "initialize",
    "list_devices", "set_distribution",
]  # fmt: skip
