"""``keras.backend`` equivalents: the Keras 3 backend utilities that exist for JAX.

Example:
    >>> from nbkeras import backend
    >>> backend.backend(), backend.floatx()
    ('jax', 'float32')
"""

from __future__ import annotations

from typing import Any

from nbkeras._settings import (
    epsilon as epsilon,
)
from nbkeras._settings import (
    floatx as floatx,
)
from nbkeras._settings import (
    image_data_format as image_data_format,
)
from nbkeras._settings import (
    set_epsilon as set_epsilon,
)
from nbkeras._settings import (
    set_floatx as set_floatx,
)
from nbkeras._settings import (
    set_image_data_format as set_image_data_format,
)

_UIDS: dict[str, int] = {}
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string",
                  "int": "int32", complex: "complex64"}


def backend() -> str:
    """The backend name: always ``"jax"``."""
    return "jax"


def clear_session(free_memory: bool = True) -> None:
    """Reset the generated layer names and uids; with ``free_memory`` also run the garbage
    collector and drop JAX's compiled-function caches (memory of discarded models).

    Example:
        >>> from nbkeras import layers
        >>> clear_session()
        >>> layers.Dense(2).name
        'dense'
    """
    import gc

    import jax

    from nbkeras.layers.context import reset_names

    reset_names()
    _UIDS.clear()
    if free_memory:
        gc.collect()
        jax.clear_caches()


def get_uid(prefix: str = "") -> int:
    """A per-prefix counter starting at 1 (reset by :func:`clear_session`).

    Example:
        >>> clear_session(free_memory=False)
        >>> get_uid("x"), get_uid("x")
        (1, 2)
    """
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor from ``nbkeras.Input`` or a layer call on one."""
    return getattr(x, "_is_keras_tensor", False) is True


def standardize_dtype(dtype: Any) -> str:
    """Canonical Keras dtype name of ``dtype`` (``None`` -> ``floatx()``).

    Example:
        >>> standardize_dtype(float), standardize_dtype(None)
        ('float32', 'float32')
    """
    import jax.numpy as jnp

    if dtype is None:
        return floatx()
    try:
        dtype = _PYTHON_DTYPES.get(dtype, dtype)
    except TypeError:  # unhashable
        pass
    if hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    if dtype == "string":
        return dtype
    try:
        name = jnp.dtype(dtype).name
    except TypeError:
        name = None
    if name is None or name != dtype:
        raise ValueError(f"Invalid dtype: {dtype!r}. Expected a dtype name like 'float32'.")
    return name


def is_float_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a floating-point type."""
    name = standardize_dtype(dtype)
    return name.startswith("float") or name.startswith("bfloat")


def is_int_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a (signed or unsigned) integer type."""
    name = standardize_dtype(dtype)
    return name.startswith("int") or name.startswith("uint")


def result_type(*dtypes: Any) -> str:
    """The dtype of an op combining ``dtypes`` under Keras's promotion rules (JAX's
    type lattice; Python ``int``/``float`` are weak, and no dtype gives ``floatx()``).

    Example:
        >>> result_type("int32", "float16"), result_type("int8", float)
        ('float16', 'float32')
    """
    import jax.numpy as jnp

    if not dtypes:
        return floatx()
    converted = []
    for d in dtypes:
        if d is None:
            d = floatx()
        elif d in (int, float, bool, complex):
            converted.append(d)
            continue
        converted.append(standardize_dtype(d))
    import warnings

    with warnings.catch_warnings():  # 64-bit names without x64: JAX truncates, as Keras does
        warnings.simplefilter("ignore", UserWarning)
        name = jnp.result_type(*converted).name
    if all(d is float or d is int for d in converted) and name.startswith("float"):
        return floatx()
    return name
