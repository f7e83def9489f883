"""Errors at the layer boundary: what a user passed in, named in what comes back out.

Three rules, applied by :class:`~nbkeras.layers.base.Layer` to every layer class:

- A constructor that raises gets a note naming the layer and the arguments it received.
- Inputs that cannot be numbers (strings, bytes, objects) are refused with a TypeError
  before anything reaches JAX.
- Inside nbkeras's own layers, an ``IndexError``, ``AttributeError``, ``KeyError``,
  ``ZeroDivisionError`` or ``OverflowError`` raised from wrong arguments or a wrong input
  is re-raised as a ``ValueError``/``TypeError`` naming the layer (the original is chained
  as ``__cause__``).  Errors from user code (custom layers, ``Lambda`` functions) keep
  their type and only gain the note.
"""

from __future__ import annotations

import functools
import reprlib

import jax
import numpy as np

INIT_NOTE = "Exception encountered when creating "
#: Exception types that mean "this argument or input does not fit" in a built-in layer.
_CONVERTED = (IndexError, AttributeError, KeyError, ZeroDivisionError, OverflowError)
_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxtuple = 40, 40, 6, 6


def is_builtin(cls) -> bool:
    """True for nbkeras's own layer classes whose code runs no user callable."""
    return cls.__module__.startswith("nbkeras.") and cls.__name__ not in _RUNS_USER_CODE


#: Built-in layers whose ``call`` runs a function or module the user supplied.
_RUNS_USER_CODE = frozenset({"Lambda", "ModuleLayer"})


def _describe_args(args, kwargs) -> str:
    parts = [_repr.repr(a) for a in args]
    parts += [f"{k}={_repr.repr(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _converted(e: BaseException, what: str) -> BaseException:
    """A ValueError/TypeError that says ``what`` failed and shows the original error."""
    kind = TypeError if isinstance(e, AttributeError) else ValueError
    return kind(
        f"{what}: {type(e).__name__}: {e}. Check the arguments and the input against the "
        "layer's documentation (types, signs, ranks)."
    )


def wrap_init(init):
    """Wrap a layer class's ``__init__`` so that its errors name the layer."""

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        try:
            init(self, *args, **kwargs)
        except Exception as e:
            cls = type(self)
            mine = f"{INIT_NOTE}{cls.__name__}("
            if any(n.startswith(mine) for n in getattr(e, "__notes__", ())):
                raise  # an inner __init__ (super().__init__) already named this layer
            what = f"{cls.__name__}({_describe_args(args, kwargs)})"
            if is_builtin(cls) and isinstance(e, _CONVERTED):
                new = _converted(e, f"{cls.__name__} could not be created from {what}")
                new.add_note(f"{INIT_NOTE}{what}.")
                raise new from e
            e.add_note(f"{INIT_NOTE}{what}.")
            raise

    __init__._nbk_wrapped = True
    return __init__


def convert_call_error(e: BaseException, layer, shape_text: str) -> BaseException | None:
    """The ValueError/TypeError to raise instead of ``e`` from ``layer.call``, if any."""
    if not (is_builtin(type(layer)) and isinstance(e, _CONVERTED)):
        return None
    return _converted(
        e, f"{type(layer).__name__} '{layer.name}' could not process its input {shape_text}"
    )


def list_to_array(layer, a) -> np.ndarray:
    """``np.asarray`` of a (nested) list, with a ValueError naming the layer if ragged."""
    try:
        return np.asarray(a)
    except ValueError as e:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}' received a ragged nested list (rows of "
            f"different lengths) that is not an array ({e}). Pad the rows to one length "
            "first, e.g. keras.utils.pad_sequences(rows)."
        ) from None


def check_numeric(layer, a) -> None:
    """Refuse arrays of strings, bytes or Python objects before they reach JAX."""
    dtype = getattr(a, "dtype", None)
    if dtype is None or not isinstance(dtype, np.dtype) or dtype.kind not in "USOV":
        return
    if dtype.kind == "V" and jax.dtypes.issubdtype(dtype, np.number):
        return  # bfloat16 and the other ml_dtypes floats are numpy kind 'V'
    if getattr(layer, "_accepts_strings", False):
        return
    kind = {"U": "strings", "S": "bytes", "O": "Python objects", "V": "raw records"}[dtype.kind]
    raise TypeError(
        f"{type(layer).__name__} '{layer.name}' received an input of dtype {dtype} "
        f"({kind}) with shape {tuple(a.shape)}; layers take numeric arrays (floats, ints, "
        "bools). Turn text into integers first (e.g. a word index and "
        "keras.utils.pad_sequences), and ragged lists into padded arrays."
    )
