"""``layers.serialize`` / ``layers.deserialize``: a layer as Keras 3's config dict and back.

The format is :func:`nbkeras.saving.serialize_keras_object`'s (``module``,
``class_name``, ``config``, ``registered_name``, ``build_config``), the one Keras 3 writes,
so configs made by either library load in the other.
"""

from __future__ import annotations

from typing import Any

from nbkeras import _serialization


def serialize(layer) -> dict:
    """The configuration of ``layer`` as a JSON-friendly dict (Keras 3's format).

    Args:
        layer: A layer (or model) instance.

    Returns:
        ``{"module", "class_name", "config", "registered_name"}`` plus ``build_config``
        for a built layer.

    Raises:
        TypeError: If ``layer`` is not a layer.

    Example:
        >>> from nbkeras import layers
        >>> config = layers.serialize(layers.Dense(3, name="d"))
        >>> config["class_name"], config["config"]["units"]
        ('Dense', 3)
    """
    from nbkeras.layers.base import Layer
    if not isinstance(layer, Layer):
        raise TypeError(
            f"layers.serialize expects a layer, received {type(layer).__name__}: {layer!r}. "
            "For other Keras objects use nbkeras.saving.serialize_keras_object."
        )
    return _serialization.serialize_keras_object(layer)


def deserialize(config: dict, custom_objects: dict[str, Any] | None = None):
    """The layer described by ``config`` (the output of :func:`serialize`, or Keras's).

    Args:
        config: A layer config dict with ``class_name`` and ``config``.
        custom_objects: Name -> class mapping for custom layers that are not registered
            with ``@nbkeras.saving.register_keras_serializable``.

    Returns:
        A new layer instance (built if the config has a ``build_config``).

    Raises:
        TypeError: If ``config`` is not a dict.
        ValueError: If it does not describe a layer, or names an unknown class.

    Example:
        >>> from nbkeras import layers
        >>> layer = layers.deserialize(layers.serialize(layers.Dense(3, name="d")))
        >>> type(layer).__name__, layer.units, layer.name
        ('Dense', 3, 'd')
    """
    from nbkeras.layers.base import Layer
    if not isinstance(config, dict):
        raise TypeError(
            f"layers.deserialize expects a config dict (from layers.serialize), received "
            f"{type(config).__name__}: {config!r}."
        )
    if "class_name" not in config or "config" not in config:
        raise ValueError(
            "layers.deserialize expects a dict with 'class_name' and 'config' keys (the "
            f"output of layers.serialize), received keys {sorted(config)}."
        )
    obj = _serialization.deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(obj, Layer):
        raise ValueError(
            "layers.deserialize was passed a config that is not a layer's: it describes "
            f"{type(obj).__name__}. Received: {config}. Use "
            "nbkeras.saving.deserialize_keras_object for other objects."
        )
    return obj
