"""Fuzz every public layer: drawn configs and inputs work or raise a clear error.

Each layer class in ``nbkeras.layers`` (picked up generically, so new layers are fuzzed
too) is built from drawn constructor arguments (plausible ones, and wrong types and signs)
and called on inputs of drawn rank and dtype (floats, ints, bools, strings, ragged lists).
It must either work or raise ValueError/TypeError whose message or notes name the layer
class; never AttributeError, IndexError, ZeroDivisionError, an XLA error or a hang.
Fixed seed (derandomized), a few examples per class.
"""

import inspect

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbkeras import layers

SKIP = {"Layer", "InputLayer", "ModuleLayer", "Lambda"}  # need code/graphs, tested elsewhere
NOT_ARGS = {"self", "name", "dtype", "trainable", "kwargs", "args", "seed"}


def _classes():
    seen, out = set(), []
    for name in sorted(dir(layers)):
        cls = getattr(layers, name)
        if (inspect.isclass(cls) and issubclass(cls, layers.Layer) and name not in SKIP
                and not name.startswith("_") and cls not in seen):
            seen.add(cls)
            out.append(cls)
    return out


small_int = st.integers(-1, 4)
any_value = st.one_of(
    small_int, st.floats(-1.0, 2.0), st.none(), st.booleans(),
    st.sampled_from(["same", "valid", "relu", "channels_first", "x", "", "mean", "nearest"]),
    st.tuples(small_int), st.tuples(small_int, small_int),
    st.tuples(small_int, small_int, small_int), st.lists(small_int, max_size=3),
)


def _strategy(param):
    default = param.default
    if param.default is inspect.Parameter.empty:
        return st.one_of(st.integers(1, 4), st.integers(1, 4), any_value)
    if isinstance(default, bool):
        return st.one_of(st.just(default), st.booleans(), any_value)
    if isinstance(default, int):
        return st.one_of(st.just(default), st.integers(-2, 5), any_value)
    if isinstance(default, float):
        return st.one_of(st.just(default), st.floats(-1.0, 2.0), any_value)
    return st.one_of(st.just(default), st.just(default), any_value)


def _draw_kwargs(data, cls):
    params = inspect.signature(cls.__init__).parameters
    kwargs = {}
    for pname, param in params.items():
        if pname in NOT_ARGS or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        required = param.default is inspect.Parameter.empty
        if required or data.draw(st.integers(0, 3), label=f"change {pname}") == 0:
            kwargs[pname] = data.draw(_strategy(param), label=pname)
    return kwargs


MERGING = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot")


def _draw_inputs(data, cls):
    rank = data.draw(st.integers(0, 5), label="rank")
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank),
                            label="shape"))
    kind = data.draw(st.sampled_from(["float32"] * 6 + ["int32", "bool", "str", "ragged"]),
                     label="dtype")
    size = int(np.prod(shape))
    if kind == "str":
        x = np.array([f"w{i}" for i in range(size)]).reshape(shape)
    elif kind == "ragged":
        x = [[1.0, 2.0], [3.0]]
    else:
        x = np.linspace(-1.0, 1.0, size, dtype="float32").reshape(shape).astype(kind)
        x = jnp.asarray(x)
    return [x, x] if cls.__name__ in MERGING else x


def _message(e: BaseException) -> str:
    return "\n".join([str(e), *getattr(e, "__notes__", [])])


def _check(e: BaseException, cls, stage: str, kwargs, x=None) -> None:
    where = f"{cls.__name__}({kwargs}) {stage}" + (
        "" if x is None else f" on {getattr(x, 'dtype', 'list')} {np.shape(x) if not isinstance(x, list) else ''}")
    assert isinstance(e, (ValueError, TypeError)), f"{where}: {type(e).__name__}: {e}"
    message = _message(e)
    assert cls.__name__ in message, f"{where}: the message does not name the layer: {message}"
    assert "XlaRuntimeError" not in message and "jaxlib" not in message, f"{where}: {message}"


CLASSES = _classes()
FUZZ = {"derandomize": True, "deadline": None, "database": None,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much]}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=6, **FUZZ)
@given(data=st.data())
def test_constructor_fuzz(cls, data):
    """Wrong argument types and signs: cheap (no JAX), so many examples."""
    kwargs = _draw_kwargs(data, cls)
    try:
        cls(**kwargs)
    except Exception as e:  # every failure must be a clear ValueError/TypeError
        _check(e, cls, "constructor", kwargs)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=2, **FUZZ)
@given(data=st.data())
def test_call_fuzz(cls, data):
    """Drawn arguments, then inputs of drawn rank and dtype (strings, ragged lists)."""
    kwargs = _draw_kwargs(data, cls)
    try:
        layer = cls(**kwargs)
    except Exception as e:
        _check(e, cls, "constructor", kwargs)
        return
    x = _draw_inputs(data, cls)
    try:
        layer(x)
    except Exception as e:
        _check(e, cls, "call", kwargs, x)
