"""What initializers, regularizers and constraints share: the Keras config contract.

``get_config()`` / ``from_config()`` / a readable ``repr``, ``serialize`` to
``{"class_name", "config"}``, and ``get(identifier)`` resolving names, config dicts,
instances and callables with errors that list the valid names.
"""

from __future__ import annotations

from typing import Any

from nbkeras._errors import unknown_identifier, wrong_type


class ConfigObject:
    """Base of the small Keras objects rebuilt from their constructor arguments."""

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        """Rebuild the object from ``get_config()`` output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def serialize(obj) -> dict[str, Any]:
    """``{"class_name": ..., "config": ...}`` (Keras's format)."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def resolve(kind: str, identifier: Any, classes: dict, aliases: dict, *, base=None, names=None):
    """Keras's ``get``: None, a name, a config dict, an instance or a callable.

    Args:
        kind: What is resolved, for messages (``"regularizer"``).
        identifier: The user's value.
        classes: Class name -> class.
        aliases: Snake-case name -> class.
        base: If given, a subclass of ``base`` passed as a class is instantiated.
        names: Names listed when a string is unknown (``aliases`` by default).
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        cls = classes.get(name) or aliases.get(name)
        if cls is None:
            raise unknown_identifier(kind, name, [*classes, *aliases])
        return cls(**(identifier.get("config") or {}))
    if isinstance(identifier, str):
        cls = aliases.get(identifier) or classes.get(identifier)
        if cls is None:
            raise unknown_identifier(kind, identifier, aliases if names is None else names)
        return cls()
    if base is not None and isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if callable(identifier):
        return identifier
    raise wrong_type(kind, identifier, "a string name, a config dict or a callable")
