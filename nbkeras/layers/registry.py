"""Built-in layer and model classes by name.

Every ``Layer`` subclass defined inside nbkeras registers itself here when its module is
imported (``Layer.__init_subclass__``), models included.  Deserialization looks classes up
here, so :mod:`nbkeras.saving` never imports :mod:`nbkeras.models` (saving sits above it).

Example:
    >>> from nbkeras.layers import Dense
    >>> get("Dense") is Dense
    True
"""

from __future__ import annotations

_CLASSES: dict[str, type] = {}


def register(cls: type, *names: str) -> None:
    """Register ``cls`` under its class name, or under ``names`` (aliases such as
    ``"Functional"`` for ``Model``)."""
    for name in names or (cls.__name__,):
        old = _CLASSES.get(name)
        if old is None or not _is_module_level(old):  # a docstring's class yields
            _CLASSES[name] = cls


def get(name: str) -> type | None:
    """The built-in class called ``name``, or None.

    Only classes that are attributes of their module count: a class defined in a
    docstring example or a function of an nbkeras module (its ``__module__`` is that
    module's name, so it registered itself) is not a built-in.
    """
    cls = _CLASSES.get(name)
    return cls if cls is not None and _is_module_level(cls) else None


def _is_module_level(cls: type) -> bool:
    import sys

    obj = sys.modules.get(cls.__module__)
    if obj is None:
        return True
    for part in cls.__qualname__.split("."):  # "<locals>" never resolves
        obj = getattr(obj, part, None)
    return obj is cls


def builtin_classes() -> dict[str, type]:
    """A copy of the name -> class table (module-level classes only, as :func:`get`)."""
    return {name: cls for name, cls in _CLASSES.items() if _is_module_level(cls)}
