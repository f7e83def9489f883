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
        _CLASSES.setdefault(name, cls)


def get(name: str) -> type | None:
    """The built-in class called ``name``, or None."""
    return _CLASSES.get(name)


def builtin_classes() -> dict[str, type]:
    """A copy of the name -> class table."""
    return dict(_CLASSES)
