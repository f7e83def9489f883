"""Keras-style object configs: ``{"module", "class_name", "config", "registered_name"}``.

:func:`serialize_keras_object` turns layers, models, optimizers, losses, metrics and
plain values into JSON-friendly dicts in Keras 3's format; :func:`deserialize_keras_object`
rebuilds them, finding classes among nbkeras's built-ins, registered objects and
``custom_objects`` - never by importing modules or unpickling.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from flax import nnx

from nbkeras.saving import object_registration as _reg

_state = threading.local()

_KERAS_MODULES = {
    "nbkeras.layers": "keras.layers",
    "nbkeras.optimizers": "keras.optimizers",
    "nbkeras.losses": "keras.losses",
    "nbkeras.metrics": "keras.metrics",
    "nbkeras.initializers": "keras.initializers",
    "nbkeras.regularizers": "keras.regularizers",
    "nbkeras.constraints": "keras.constraints",
}


class SafeModeScope:
    """Within this scope, deserialization refuses (True) or allows (False) lambdas."""

    def __init__(self, safe_mode: bool | None = True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self.previous = getattr(_state, "safe_mode", None)
        _state.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc):
        _state.safe_mode = self.previous


safe_mode_scope = SafeModeScope


_UNSAFE_GLOBAL = [False]


def set_unsafe_deserialization(flag: bool) -> None:
    """Process-wide switch behind ``nbkeras.config.enable_unsafe_deserialization``: when
    set, lambdas load even where ``safe_mode=True`` was passed (as in Keras)."""
    _UNSAFE_GLOBAL[0] = bool(flag)


def in_safe_mode() -> bool:
    """Whether lambdas are refused now (True unless a scope said otherwise)."""
    if _UNSAFE_GLOBAL[0]:
        return False
    mode = getattr(_state, "safe_mode", None)
    return True if mode is None else bool(mode)


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
        from nbkeras.saving.lambda_serialization import serialize_function

        return serialize_function(obj)
    return _serialize_with_config(obj)


def _serialize_with_config(obj) -> dict:
    from nbkeras.layers.base import Layer

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
    if isinstance(obj, Layer):
        build = build_config_of(obj)
        if build is not None:
            out["build_config"] = build
    return out


def build_config_of(layer) -> dict | None:
    """Keras's ``{"input_shape": ...}`` for a built layer (batch size as None)."""
    from nbkeras.layers.base import _thaw, _with_batch_none

    if not getattr(layer, "built", False) or layer._build_shapes is None:
        return None
    from nbkeras.layers.input_layer import InputLayer

    if isinstance(layer, InputLayer):
        return None
    shapes = _with_batch_none(_thaw(layer._build_shapes))
    return {"input_shape": _listify(shapes)}


def _listify(shapes):
    if isinstance(shapes, dict):
        return {k: _listify(v) for k, v in shapes.items()}
    if isinstance(shapes, list) or (
        isinstance(shapes, tuple) and shapes and isinstance(shapes[0], tuple | list)
    ):
        return [_listify(s) for s in shapes]
    return None if shapes is None else list(shapes)


# ---------------------------------------------------------------------- deserialize
def _namespaces(module: str | None):
    # Models are found through the class registry: saving does not import models.
    from nbkeras import constraints, initializers, layers, losses, metrics, optimizers, regularizers
    from nbkeras.layers import registry
    from nbkeras.optimizers import schedules

    all_spaces = [
        registry.builtin_classes(),
        layers,
        optimizers,
        schedules,
        losses,
        metrics,
        initializers,
        regularizers,
        constraints,
    ]
    module = module or ""
    order = {
        "layers": layers,
        "optimizers.schedules": schedules,
        "schedules": schedules,
        "optimizers": optimizers,
        "losses": losses,
        "metrics": metrics,
        "initializers": initializers,
        "regularizers": regularizers,
        "constraints": constraints,
    }
    first = [space for key, space in order.items() if f".{key}" in module or module == key]
    return first[:1] + all_spaces


def _lookup(space, name):
    if isinstance(space, dict):
        return space.get(name)
    obj = getattr(space, name, None)
    return obj if isinstance(obj, type) else None


def retrieve_class(config: dict, custom_objects: dict | None = None):
    """The class a config names; raises a ValueError saying how to register it."""
    class_name = config.get("class_name")
    registered = config.get("registered_name")
    for key in (registered, class_name):
        if key and key not in ("Functional",):
            obj = _reg.get_registered_object(key, custom_objects)
            if obj is not None:
                return obj
    for space in _namespaces(config.get("module")):
        cls = _lookup(space, class_name)
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
        with SafeModeScope(safe_mode and not _UNSAFE_GLOBAL[0]):
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
        from nbkeras.saving.lambda_serialization import deserialize_function

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
        if build is not None:
            build_from_config(obj, build)
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

    from nbkeras.layers.base import Layer

    if not hasattr(cls, "from_config"):
        return cls(**inner) if isinstance(inner, dict) else cls(inner)
    if isinstance(inner, dict) and issubclass(cls, Layer):
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


def build_from_config(layer, build_config: dict) -> None:
    """Create a layer's weights from Keras's ``build_config`` (``{"input_shape": ...}``)."""
    from nbkeras.layers.base import Layer

    if not isinstance(layer, Layer) or layer.built or not build_config:
        return
    shape = build_config.get("input_shape")
    if shape is None:
        return
    shape = _tuplify(shape)
    if getattr(layer, "_functional", False):
        return
    if hasattr(layer, "_stack") or type(layer).build is not Layer.build:
        layer.build(shape)
        return
    import jax
    import jax.numpy as jnp

    from nbkeras import _weight_budget

    for leaf in jax.tree.leaves(shape, is_leaf=lambda s: isinstance(s, tuple)):
        if not all(d is None or (isinstance(d, int) and d >= 0) for d in leaf):
            raise ValueError(
                f"Invalid build_config for layer '{layer.name}': input_shape {shape!r} must "
                "hold non-negative integers or None."
            )
        _weight_budget.charge([1 if d is None else d for d in leaf], "float32", layer.name,
                              "a build input")
    zeros = _zeros(shape, jnp)
    layer(zeros)


def _tuplify(shape):
    if isinstance(shape, dict):
        return {k: _tuplify(v) for k, v in shape.items()}
    if isinstance(shape, list) and shape and isinstance(shape[0], list | dict):
        return [_tuplify(s) for s in shape]
    return tuple(shape)


def _zeros(shape, jnp):
    if isinstance(shape, dict):
        return {k: _zeros(v, jnp) for k, v in shape.items()}
    if isinstance(shape, list):
        return [_zeros(s, jnp) for s in shape]
    return jnp.zeros(tuple(1 if d is None else d for d in shape), "float32")
