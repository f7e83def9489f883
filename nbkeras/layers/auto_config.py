"""Keras's default ``get_config`` for custom layers: the constructor's arguments.

When a layer is created, :func:`record` binds the arguments given to its class's
``__init__`` (defaults filled in, ``**kwargs`` expanded, ``name`` left out). If every value
is a plain Python value (str, int, float, bool, None, or lists/tuples/dicts of them), the
layer's default ``get_config`` returns them, so a custom layer that never wrote
``get_config`` still saves to ``.keras`` and reloads - exactly Keras 3's rule. A layer
created with other values (a sublayer, an array, a function) has no default config:
``get_config`` then raises :class:`AutoConfigError` naming the class and showing the fix.
"""

from __future__ import annotations

import copy
import inspect
import weakref

_SIMPLE = (str, int, float, bool, type(None))
_SIGNATURES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# Why no default config could be made (the value ``record`` returns instead of a config).
POSITIONAL = "positional"
VALUES = "values"

_EXAMPLE = """
    class CustomLayer(keras.layers.Layer):
        def __init__(self, arg1, arg2, **kwargs):
            super().__init__(**kwargs)
            self.arg1 = arg1
            self.arg2 = arg2

        def get_config(self):
            config = super().get_config()
            config.update({"arg1": self.arg1, "arg2": self.arg2})
            return config
"""


class AutoConfigError(TypeError, NotImplementedError):
    """A custom layer has no ``get_config`` and its arguments cannot make one.

    A ``TypeError`` (bad input) that is also the ``NotImplementedError`` Keras raises.
    """


class AutoConfig:
    """The recorded constructor arguments of one layer.

    Hashable and compared by value: nnx keeps it among a module's static attributes.

    Attributes:
        config: The arguments by name (plain Python values only).
    """

    __slots__ = ("config", "_key")

    def __init__(self, config: dict):
        self.config = config
        self._key = repr(config)

    def __eq__(self, other) -> bool:
        return isinstance(other, AutoConfig) and other._key == self._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"AutoConfig({self._key})"


def _signature(cls):
    entry = _SIGNATURES.get(cls)
    if entry is None:
        entry = inspect.signature(cls.__init__)
        _SIGNATURES[cls] = entry
    return entry


def _simple(value) -> bool:
    if isinstance(value, _SIMPLE):
        return True
    if isinstance(value, list | tuple):
        return all(_simple(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _simple(v) for k, v in value.items())
    return False


def record(cls, args: tuple, kwargs: dict):
    """The :class:`AutoConfig` of ``cls(*args, **kwargs)``, or why there is none.

    Returns:
        An :class:`AutoConfig`, or :data:`POSITIONAL` (the class takes positional-only or
        ``*args`` arguments) or :data:`VALUES` (an argument is not a plain value), or None
        when the arguments do not fit the signature (``__init__`` will raise).

    Example:
        >>> from nbkeras.layers import Layer
        >>> class Scale(Layer):
        ...     def __init__(self, factor=2.0, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.factor = factor
        >>> record(Scale, (), {"factor": 3.0}).config
        {'factor': 3.0}
    """
    try:
        signature = _signature(cls)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())
    if any(p.kind is inspect.Parameter.POSITIONAL_ONLY for p in params[1:]):
        return POSITIONAL
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop(params[0].name, None)
    for p in params[1:]:
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(p.name, {}))
        elif p.kind is inspect.Parameter.VAR_POSITIONAL:
            if arguments.pop(p.name, ()):
                return POSITIONAL
    arguments.pop("name", None)
    if not _simple(arguments):
        return VALUES
    return AutoConfig(copy.deepcopy(arguments))


def config_of(layer) -> dict:
    """The default config of ``layer``: its name and recorded constructor arguments.

    ``name`` is left out when ``__init__`` takes neither ``name`` nor ``**kwargs``.

    Raises:
        AutoConfigError: If the layer was created with arguments that are not plain
            values (or positionally-only): it must define ``get_config``.
    """
    auto = getattr(layer, "_auto_config", None)
    cls = type(layer)
    if isinstance(auto, AutoConfig):
        config = {"name": layer.name, **copy.deepcopy(auto.config)}
        params = _signature(cls).parameters
        takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        if "name" not in params and not takes_kwargs:
            config.pop("name")
        return config
    if auto == POSITIONAL:
        why = ("was created with positional-only or variadic positional (*args) arguments, "
               "which a config cannot pass back to __init__()")
    else:
        why = ("was created with argument values that are not plain Python values (str, "
               "int, float, bool, None, or lists/dicts of them), e.g. a layer or an array")
    raise AutoConfigError(
        f"{cls.__name__} '{getattr(layer, 'name', '?')}' has no get_config(): it {why}, so "
        "its config cannot be made from its constructor arguments. Override get_config() "
        "(and from_config() for non-plain values) to make it serializable, for example:\n"
        f"{_EXAMPLE}"
    )


def split_base_keys(cls, config: dict) -> tuple[dict, dict]:
    """``(arguments for cls(**...), base keys to set afterwards)``: the base keys
    (``name``, ``trainable``, ``dtype``) a default config holds that ``cls.__init__``
    does not take (it has neither these parameters nor ``**kwargs``)."""
    params = _signature(cls).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return config, {}
    config = dict(config)
    later = {k: config.pop(k) for k in ("name", "trainable", "dtype")
             if k in config and k not in params}
    return config, later
