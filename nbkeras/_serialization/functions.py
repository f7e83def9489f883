"""Python functions in configs: Keras's ``__lambda__`` format (marshal'ed bytecode, base64).

Loading a lambda runs code stored in the file, so :func:`deserialize_function` refuses
it unless safe mode is off (``load_model(..., safe_mode=False)``).  Named functions are
stored by name and looked up among registered objects, ``custom_objects`` and nbkeras's
own functions (``nbkeras.ops``, activations, losses, metrics).  Only with safe mode off
may a name also resolve to a function of another module that is already imported (e.g.
``os.system``): a crafted file could otherwise call it with arguments of its choosing.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import marshal
import sys
import types
from typing import Any

from nbkeras import _object_registry as object_registration
from nbkeras._serialization import namespaces
from nbkeras._serialization.safe_mode import in_safe_mode

_FOREIGN_FUNCTION_MESSAGE = (
    "The config names the function {name!r} from the module {module!r}{where}. In safe mode "
    "(the default) a file may only refer to nbkeras/Keras functions, functions registered "
    "with @nbkeras.saving.register_keras_serializable() and those passed in custom_objects, "
    "because calling an arbitrary function named by a file can run any code (e.g. "
    "os.system). If the function is yours, pass custom_objects={{{name!r}: {name}}}; if you "
    "trust the source of the file, pass safe_mode=False, e.g. "
    "nbkeras.models.load_model(path, safe_mode=False)."
)

_SAFE_MODE_MESSAGE = (
    "The config contains a Python lambda{where}, stored as bytecode. Loading it would run "
    "code from the file, so it is refused in safe mode. If you trust the source of the "
    "file, pass safe_mode=False, e.g. nbkeras.models.load_model(path, safe_mode=False), "
    "or use nbkeras.saving.safe_mode_scope(False)."
)


def serialize_function(fn) -> Any:
    """Config for a function: ``__lambda__`` bytecode for lambdas, a named reference otherwise.

    Example:
        >>> serialize_function(lambda x: x * 2)["class_name"]
        '__lambda__'
    """
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
        closure = None
        if fn.__closure__:
            closure = [_jsonable(c.cell_contents) for c in fn.__closure__]
        defaults = None if fn.__defaults__ is None else [_jsonable(d) for d in fn.__defaults__]
        return {
            "class_name": "__lambda__",
            "config": {"code": code, "defaults": defaults, "closure": closure},
        }
    if callable(fn) and hasattr(fn, "__name__"):
        registered = object_registration.get_registered_name(fn)
        return {
            "module": getattr(fn, "__module__", None),
            "class_name": "function",
            "config": fn.__name__,
            "registered_name": registered if registered != fn.__name__ else "function",
        }
    from nbkeras._serialization.objects import serialize_keras_object

    return serialize_keras_object(fn)


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def deserialize_function(config, custom_objects: dict | None = None, safe_mode=None, where=""):
    """Rebuild a function from :func:`serialize_function`'s output.

    Args:
        config: The stored config (or already a callable, returned as is).
        custom_objects: Extra name -> object mapping.
        safe_mode: Refuse lambdas (bytecode) if true; the active scope's mode if None.
        where: Text naming the owner (``" in layer 'lambda'"``) for error messages.

    Raises:
        ValueError: For a lambda in safe mode, or a function that cannot be found.
    """
    if callable(config) or config is None:
        return config
    if isinstance(config, str):
        config = {"class_name": "function", "config": config, "module": None}
    if not isinstance(config, dict):
        raise ValueError(f"Cannot interpret {config!r} as a serialized function{where}.")
    if safe_mode is None:
        safe_mode = in_safe_mode()
    if config.get("class_name") == "__lambda__":
        if safe_mode:
            raise ValueError(_SAFE_MODE_MESSAGE.format(where=where))
        inner = config["config"]
        return _func_load(inner["code"], inner.get("defaults"), inner.get("closure"))
    if config.get("class_name") == "function":
        name = config["config"]
        registered = config.get("registered_name")
        if not isinstance(name, str) or not isinstance(registered, str | None):
            raise ValueError(
                f"Invalid function config{where}: expected the function's name as a string, "
                f"received {name!r}."
            )
        for key in (registered, name):
            if key and key != "function":
                obj = object_registration.get_registered_object(key, custom_objects)
                if obj is not None:
                    return obj
        module = config.get("module")
        if not isinstance(module, str | None):
            raise ValueError(f"Invalid function config{where}: module {module!r} is not a string.")
        if safe_mode and not _is_trusted_module(module):
            raise ValueError(_FOREIGN_FUNCTION_MESSAGE.format(name=name, module=module,
                                                              where=where))
        fn = _builtin_function(name, module, allow_imported=not safe_mode)
        if fn is not None:
            return fn
        raise ValueError(
            f"Could not find the function {name!r}{where} (module {config.get('module')!r}). "
            "Register it with @nbkeras.saving.register_keras_serializable() or pass it in "
            f"custom_objects={{{name!r}: {name}}}."
        )
    from nbkeras._serialization.objects import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects)


#: Modules whose functions a file may name in safe mode. They are looked up by name among
#: nbkeras's own functions (never in the module itself): ``jax.numpy.tanh`` -> ``ops.tanh``.
_TRUSTED_PACKAGES = ("keras", "nbkeras", "builtins", "jax", "numpy", "math")


def _is_trusted_module(module: str | None) -> bool:
    return not module or module.split(".", 1)[0] in _TRUSTED_PACKAGES


def _builtin_function(name: str, module: str | None, allow_imported: bool = False):
    if allow_imported and module and not module.startswith(("keras", "nbkeras")):
        mod = sys.modules.get(module)  # only modules already imported: runs no code
        fn = getattr(mod, name, None) if mod is not None else None
        if callable(fn):
            return fn
    return namespaces.find_function(name, module)


def _lambda_globals() -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    nbkeras = sys.modules["nbkeras"]  # the public package, initialised before any submodule
    return {
        "__builtins__": builtins,
        "ops": nbkeras.ops,
        "keras": nbkeras,
        "nbkeras": nbkeras,
        "jnp": jnp,
        "jax": jax,
        "np": np,
    }


def _func_load(code: str, defaults=None, closure=None):
    try:
        raw = base64.decodebytes(code.encode("ascii"))
        code_obj = marshal.loads(raw)
    except (binascii.Error, ValueError, EOFError, TypeError, UnicodeEncodeError) as e:
        raise ValueError(
            "The stored lambda's bytecode could not be read; it was probably written by a "
            f"different Python version (this is Python {sys.version.split()[0]}): {e}"
        ) from None
    if not isinstance(code_obj, types.CodeType):
        raise ValueError("The stored lambda is not Python bytecode.")
    cells = None
    if closure is not None:
        cells = tuple(types.CellType(v) for v in closure)
    return types.FunctionType(
        code_obj,
        _lambda_globals(),
        name=code_obj.co_name,
        argdefs=None if defaults is None else tuple(defaults),
        closure=cells,
    )
