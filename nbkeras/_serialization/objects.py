"""Keras-style object configs: ``{"module", "class_name", "config", "registered_name"}``.

:func:`serialize_keras_object` turns layers, models, optimizers, losses, metrics and
plain values into JSON-friendly dicts in Keras 3's format; :func:`deserialize_keras_object`
rebuilds them, finding classes among nbkeras's built-ins (:mod:`.namespaces`),
registered objects and ``custom_objects`` - never by importing modules or unpickling.

This module knows no layer, loss or optimizer: objects take part through Keras's
protocol (``get_config``/``from_config``, and for layers ``get_build_config``/
``build_from_config``), so layers can serialize the layers they hold without a cycle.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flax import nnx

from nbkeras import _object_registry as _reg
from nbkeras._serialization import namespaces
from nbkeras._serialization.functions import deserialize_function, serialize_function
from nbkeras._serialization.safe_mode import SafeModeScope, unsafe_globally

_KERAS_MODULES = {
    "nbkeras.layers": "keras.layers",
    "nbkeras.optimizers": "keras.optimizers",
    "nbkeras.losses": "keras.losses",
    "nbkeras.metrics": "keras.metrics",
    "nbkeras.initializers": "keras.initializers",
    "nbkeras.regularizers": "keras.regularizers",
    "nbkeras.constraints": "keras.constraints",
}


# ---------------------------------------------------------------------- serialize
def _keras_module(obj) -> str:
    module = type(obj).__module__
    if type(obj) in _reg._GLOBAL_CUSTOM_NAMES:
        return module
    for prefix, keras_name in _KERAS_MODULES.items():
        if module.startswith(prefix):
            return keras_name
    return module


def serialize_keras_object(obj) -> Any:
    """A JSON-friendly config of ``obj`` in Keras 3's format.

    Example:
        >>> import nbkeras
        >>> serialize_keras_object(nbkeras.layers.Dense(2))["class_name"]
        'Dense'
    """
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray) or type(obj).__module__.startswith("jax"):
        arr = np.asarray(obj)
        return {
            "class_name": "__numpy__",
            "config": {"value": arr.tolist(), "dtype": str(arr.dtype)},
        }
    if isinstance(obj, list | tuple | nnx.List):
        return [serialize_keras_object(v) for v in obj]
    if isinstance(obj, nnx.Dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, slice):
        return {
            "class_name": "__slice__",
            "config": {"start": obj.start, "stop": obj.stop, "step": obj.step},
        }
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, type):
        return {
            "module": obj.__module__,
            "class_name": "__class__",
            "config": obj.__name__,
            "registered_name": _reg.get_registered_name(obj),
        }
    if not hasattr(obj, "get_config") and callable(obj):
        return serialize_function(obj)
    return _serialize_with_config(obj)


def _serialize_with_config(obj) -> dict:
    registered = _reg._GLOBAL_CUSTOM_NAMES.get(type(obj))
    class_name = type(obj).__name__
    module = _keras_module(obj)
    if not type(obj).__module__.startswith("nbkeras."):
        # A custom class: Keras writes its registered name (or class name) and its
        # module, None for __main__.
        registered = _reg.get_registered_name(type(obj))
        module = None if module == "__main__" else module
    if getattr(obj, "_functional", False) and type(obj).__name__ == "Model":
        class_name, module, registered = "Functional", "keras.src.models.functional", "Functional"
    elif class_name == "Sequential" and module.startswith("nbkeras.models"):
        module = "keras"
    config = serialize_keras_object(obj.get_config())
    out = {
        "module": module,
        "class_name": class_name,
        "config": config,
        "registered_name": registered,
    }
    if hasattr(obj, "get_build_config"):
        build = obj.get_build_config()
        if build is not None:
            out["build_config"] = build
    return out


# ---------------------------------------------------------------------- deserialize
def retrieve_class(config: dict, custom_objects: dict | None = None):
    """The class a config names; raises a ValueError saying how to register it."""
    class_name = config.get("class_name")
    registered = config.get("registered_name")
    for key in (registered, class_name):
        if key and key not in ("Functional",):
            obj = _reg.get_registered_object(key, custom_objects)
            if obj is not None:
                return obj
    cls = namespaces.find_class(class_name, config.get("module"))
    if cls is not None:
        return cls
    raise ValueError(
        f"Could not locate class {class_name!r} (module {config.get('module')!r}, "
        f"registered name {registered!r}). Make sure custom classes are decorated with "
        "@nbkeras.saving.register_keras_serializable(), or pass them to the loader as "
        f"custom_objects={{{class_name!r}: {class_name}}}."
    )


def deserialize_keras_object(config, custom_objects: dict | None = None, safe_mode=None, **kwargs):
    """Rebuild an object from :func:`serialize_keras_object`'s output (or Keras's).

    Args:
        config: A config dict, list, or plain value.
        custom_objects: Name -> class/function mapping for custom objects.
        safe_mode: If True (default), Python lambdas in the config are refused.

    Raises:
        ValueError: If a class cannot be found or a lambda is refused.
    """
    if safe_mode is not None:
        with SafeModeScope(safe_mode and not unsafe_globally()):
            return deserialize_keras_object(config, custom_objects)
    if config is None or isinstance(config, bool | int | float | str):
        return config
    if isinstance(config, list | tuple):
        return [deserialize_keras_object(c, custom_objects) for c in config]
    if not isinstance(config, dict):
        raise TypeError(f"Cannot deserialize {config!r} of type {type(config).__name__}.")
    if "class_name" not in config or "config" not in config:
        return {k: deserialize_keras_object(v, custom_objects) for k, v in config.items()}
    class_name = config["class_name"]
    inner = config["config"]
    if class_name == "__numpy__":
        return np.asarray(inner["value"], dtype=inner.get("dtype"))
    if class_name == "__slice__":
        return slice(inner.get("start"), inner.get("stop"), inner.get("step"))
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__tuple__":
        return tuple(deserialize_keras_object(v, custom_objects) for v in inner["value"])
    if class_name in ("__lambda__", "function"):
        return deserialize_function(config, custom_objects)
    if class_name == "__class__":
        return retrieve_class(
            {"class_name": inner, "registered_name": config.get("registered_name"),
             "module": config.get("module")},
            custom_objects,
        )
    cls = retrieve_class(config, custom_objects)
    try:
        with _reg.CustomObjectScope(custom_objects or {}):
            obj = _instantiate(cls, inner, custom_objects)
        build = config.get("build_config")
        if build is not None and hasattr(obj, "build_from_config"):
            obj.build_from_config(build)
    except Exception as e:
        if not hasattr(e, "_nbk_config_of"):  # the innermost object being created
            name = inner.get("name") if isinstance(inner, dict) else None
            e._nbk_config_of = f"{cls.__name__} '{name}'" if name else cls.__name__
        raise
    return obj


def config_error_origin(error: BaseException) -> str:
    """``" while creating Dense 'dense'"`` for an error raised by deserialization, else ``""``."""
    where = getattr(error, "_nbk_config_of", None)
    return f" while creating {where}" if where else ""


def _instantiate(cls, inner, custom_objects):
    import inspect

    if not hasattr(cls, "from_config"):
        return cls(**inner) if isinstance(inner, dict) else cls(inner)
    if isinstance(inner, dict) and hasattr(cls, "build_from_config"):  # a layer
        inner = strip_keras_only_keys(cls, inner)
    params = inspect.signature(cls.from_config).parameters
    try:
        if "custom_objects" in params:
            return cls.from_config(inner, custom_objects=custom_objects)
        return cls.from_config(inner)
    except TypeError as e:
        if getattr(e, "_nbk_wrapped", False):
            raise
        err = TypeError(
            f"Could not create {cls.__name__} from its config: {e}. If it is a custom class, "
            "make sure get_config() returns all constructor arguments and that from_config() "
            "accepts them."
        )
        err._nbk_wrapped = True
        raise err from e


# Keys Keras 3 writes that nbkeras layers take no argument for, with their no-op values.
_KERAS_ONLY = {
    "quantization_config": (None,),
    "synchronized": (False,),
    "renorm": (False,),
    "renorm_clipping": (None,),
    "renorm_momentum": (0.99,),
    "lora_enabled": (False,),
}


def strip_keras_only_keys(cls, config: dict) -> dict:
    """Drop keys of Keras configs that nbkeras's ``cls`` does not take and that do nothing."""
    import inspect

    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return config
    config = dict(config)
    for key, neutral in _KERAS_ONLY.items():
        if key in config and key not in params and config[key] in neutral:
            config.pop(key)
    return config
