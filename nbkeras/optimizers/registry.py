"""Look optimizers up by name, config dict, instance or optax transformation."""

from __future__ import annotations

from typing import Any

import optax

from .. import _errors
from .adagrad import Adadelta, Adagrad, Ftrl
from .adam import Adam, Adamax, AdamW, Nadam
from .base import Optimizer
from .optax_wrapper import OptaxOptimizer
from .sgd import SGD, Lion, RMSprop

ALL_OPTIMIZERS = (SGD, RMSprop, Adam, AdamW, Adamax, Nadam, Adagrad, Adadelta, Lion, Ftrl)
_BY_NAME = {cls.__name__.lower(): cls for cls in ALL_OPTIMIZERS}


def serialize(optimizer: Optimizer) -> dict:
    """Return ``{"module", "class_name", "config", "registered_name"}`` like Keras.

    Example:
        >>> serialize(Adam())["class_name"]
        'Adam'
    """
    if not isinstance(optimizer, Optimizer):
        raise _errors.wrong_type("optimizer", optimizer, "an nbkeras Optimizer instance")
    return {
        "module": "keras.optimizers",
        "class_name": type(optimizer).__name__,
        "config": optimizer.get_config(),
        "registered_name": None,
    }


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """Rebuild an optimizer from ``serialize``'s output (Keras's format too).

    Example:
        >>> deserialize({"class_name": "SGD", "config": {"learning_rate": 0.1}}).learning_rate
        0.1
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise _errors.wrong_type(
            "optimizer config", config, "a dict like {'class_name': 'Adam', 'config': {...}}"
        )
    custom = {k.lower(): v for k, v in (custom_objects or {}).items()}
    name = str(config["class_name"]).lower()
    cls = custom.get(name) or _BY_NAME.get(name)
    if cls is None:
        raise _errors.unknown_identifier(
            "optimizer", config["class_name"], [c.__name__ for c in ALL_OPTIMIZERS]
        )
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects)


def get(identifier: Any) -> Optimizer:
    """Turn a string, config dict, Optimizer or optax transformation into an Optimizer.

    Args:
        identifier: ``"adam"`` (case-insensitive), ``{"class_name": ..., "config": ...}``,
            an ``Optimizer`` (returned as is) or an ``optax.GradientTransformation``.

    Returns:
        An ``Optimizer``.

    Raises:
        ValueError: For an unknown name.
        TypeError: For any other type.

    Example:
        >>> type(get("RMSprop")).__name__
        'RMSprop'
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, optax.GradientTransformation):
        return OptaxOptimizer(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise _errors.unknown_identifier("optimizer", identifier, _BY_NAME)
        return cls()
    raise _errors.wrong_type(
        "optimizer",
        identifier,
        "a string such as 'adam', a config dict, an Optimizer "
        "instance or an optax.GradientTransformation",
    )
