"""Small ``keras.utils`` helpers: registration and serialization re-exports, data
tuples, and the input tensors a symbolic tensor was built from.

Example:
    >>> from nbkeras import utils
    >>> utils.unpack_x_y_sample_weight((1, 2))
    (1, 2, None)
"""

from __future__ import annotations

from typing import Any

from nbkeras._object_registry import CustomObjectScope as CustomObjectScope
from nbkeras._object_registry import custom_object_scope as custom_object_scope
from nbkeras._object_registry import get_custom_objects as get_custom_objects
from nbkeras._object_registry import get_registered_name as get_registered_name
from nbkeras._object_registry import get_registered_object as get_registered_object
from nbkeras._serialization import (
    deserialize_keras_object as deserialize_keras_object,
)
from nbkeras._serialization import serialize_keras_object as serialize_keras_object
from nbkeras.backend import clear_session as clear_session
from nbkeras.backend import is_keras_tensor as is_keras_tensor
from nbkeras.backend import standardize_dtype as standardize_dtype


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> tuple:
    """Pack data into the tuple ``fit`` and ``train_step`` expect.

    Example:
        >>> pack_x_y_sample_weight(1, 2)
        (1, 2)
    """
    if y is None:
        # A lone x needs no tuple; a tuple/list x must not be mistaken for (x, y).
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Split ``data`` (``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``).

    Raises:
        ValueError: For a tuple of more than 3 elements.

    Example:
        >>> unpack_x_y_sample_weight((1, 2, 3))
        (1, 2, 3)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return (data[0], data[1], data[2])
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found a tuple of {len(data)} elements."
    )


def get_source_inputs(tensor: Any) -> list:
    """The ``Input`` tensors a symbolic tensor was computed from.

    Example:
        >>> import nbkeras
        >>> x = nbkeras.Input((3,))
        >>> get_source_inputs(nbkeras.layers.Dense(2)(x))[0] is x
        True
    """
    from nbkeras.layers.input_layer import InputLayer
    from nbkeras.layers.symbolic import node_of

    if not is_keras_tensor(tensor):
        raise TypeError(f"get_source_inputs expects a symbolic tensor, received {tensor!r}.")
    found: list = []
    stack = [tensor]
    seen: set[int] = set()
    while stack:
        t = stack.pop()
        node = node_of(t)
        if node is None or isinstance(node.layer, InputLayer):
            if id(t) not in seen:
                seen.add(id(t))
                found.append(t)
            continue
        stack.extend(reversed(node.input_tensors))
    return found
