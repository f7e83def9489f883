"""Custom-object registration: ``register_keras_serializable`` and ``custom_object_scope``.

Registered classes and functions are found by name when a config is deserialized,
so a saved model with custom layers loads without passing ``custom_objects``.
"""

from __future__ import annotations

import threading
from typing import Any

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}
_scope = threading.local()


def get_custom_objects() -> dict[str, Any]:
    """The global dict of registered objects (mutable, as in Keras).

    Example:
        >>> get_custom_objects()["MyLayer"] = MyLayer  # doctest: +SKIP
    """
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Register a class or function under ``"package>name"`` for deserialization.

    Args:
        package: Namespace of the registered name.
        name: Name within the package; the object's ``__name__`` by default.

    Returns:
        A decorator that registers and returns the object unchanged.

    Raises:
        ValueError: If the package contains ``>`` or a class has no ``get_config``.

    Example:
        >>> import nbkeras
        >>> @register_keras_serializable(package="MyLayers")
        ... class Scale(nbkeras.layers.Layer):
        ...     pass
    """
    if ">" in package:
        raise ValueError(f"The package name must not contain '>', received package={package!r}.")

    def decorator(obj):
        serialized = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__}: classes registered for serialization "
                "must implement get_config()."
            )
        _GLOBAL_CUSTOM_OBJECTS[serialized] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = serialized
        return obj

    return decorator


def is_registered(obj) -> bool:
    """Whether ``obj`` was registered with :func:`register_keras_serializable`."""
    try:
        return obj in _GLOBAL_CUSTOM_NAMES
    except TypeError:  # unhashable
        return False


def get_registered_name(obj) -> str:
    """``"package>name"`` for a registered object, else its ``__name__``."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name: str, custom_objects: dict | None = None, module_objects=None):
    """Find ``name`` in the active scopes, ``custom_objects``, the registry, then ``module_objects``."""
    for scope in reversed(getattr(_scope, "stack", [])):
        if name in scope:
            return scope[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def scoped_objects() -> dict[str, Any]:
    """All objects of the active ``custom_object_scope``\\ s merged (innermost wins)."""
    merged: dict[str, Any] = {}
    for scope in getattr(_scope, "stack", []):
        merged.update(scope)
    return merged


class CustomObjectScope:
    """Make custom objects visible to deserialization inside a ``with`` block.

    Example:
        >>> with custom_object_scope({"MyLayer": MyLayer}):  # doctest: +SKIP
        ...     model = nbkeras.models.load_model("m.keras")
    """

    def __init__(self, custom_objects: dict | None = None, *more: dict):
        self.objects: dict[str, Any] = {}
        for d in (custom_objects, *more):
            self.objects.update(d or {})

    def __enter__(self):
        if not hasattr(_scope, "stack"):
            _scope.stack = []
        _scope.stack.append(self.objects)
        return self

    def __exit__(self, *exc):
        _scope.stack.pop()


custom_object_scope = CustomObjectScope
