"""Where deserialization finds nbkeras's built-in classes and functions by name.

This package sits below ``layers``, ``losses``, ``optimizers``...: it imports none of
them. The package root (``nbkeras/__init__.py``) registers each one here once it is
imported, so a config naming ``"Dense"`` or ``"relu"`` resolves without this code
importing anything - and a name resolves only to what was registered, never to a module
a file asks for.

Example:
    >>> import nbkeras
    >>> find_class("Dense", "keras.layers") is nbkeras.layers.Dense
    True
    >>> find_function("relu", "keras.activations") is nbkeras.activations.relu
    True
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

# key -> a module (its attributes), a dict, or a lookup function ``name -> object | None``.
_CLASS_SPACES: dict[str, Any] = {}
_FUNCTION_SPACES: dict[str, Any] = {}


def register_classes(key: str, space: Any) -> None:
    """Make the classes of ``space`` (module, dict or lookup function) findable.

    ``key`` is the last part of a Keras module path (``"layers"``, ``"losses"``,
    ``"schedules"``...): a config whose ``module`` mentions it is searched there first.
    Spaces are searched in registration order after that.
    """
    _CLASS_SPACES[key] = space


def register_functions(key: str, space: Any) -> None:
    """Make the functions of ``space`` findable by :func:`find_function` (as
    :func:`register_classes`)."""
    _FUNCTION_SPACES[key] = space


def _entries(space) -> Callable[[str], Any]:
    if isinstance(space, dict):
        return space.get
    if isinstance(space, types.ModuleType):
        return lambda name: getattr(space, name, None)
    return space


def _ordered(spaces: dict[str, Any], module: str | None) -> list[Any]:
    """The space ``module`` names first (if any), then every other space, in order."""
    module = module or ""
    named = [key for key in spaces if f".{key}" in module or module == key][:1]
    return [spaces[key] for key in named] + [
        space for key, space in spaces.items() if key not in named]


def find_class(name: str, module: str | None = None) -> type | None:
    """The built-in class called ``name`` (the space named by ``module`` first), or None."""
    for space in _ordered(_CLASS_SPACES, module):
        obj = _entries(space)(name)
        if isinstance(obj, type):
            return obj
    return None


def find_function(name: str, module: str | None = None) -> Callable | None:
    """The built-in function called ``name`` (the space named by ``module`` first), or None."""
    for space in _ordered(_FUNCTION_SPACES, module):
        fn = _entries(space)(name)
        if callable(fn) and not isinstance(fn, type):
            return fn
    return None
