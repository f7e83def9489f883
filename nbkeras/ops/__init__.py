"""The subset of ``keras.ops`` that custom layers use, over ``jax.numpy`` / ``jax.lax``.

Names and signatures follow Keras 3; results match Keras's JAX backend.

Symbolic hook: in functional models ops are applied to symbolic ``KerasTensor``s.
Every public op is wrapped by :func:`symbolic_op`. While ``_SYMBOLIC_DISPATCH`` is
``None`` (the default) the wrapper only costs one global lookup. Once the model code
sets it (``nbkeras.ops._SYMBOLIC_DISPATCH = dispatch`` or
:func:`set_symbolic_dispatch`), a call whose arguments contain an object with
``_is_keras_tensor = True`` (directly or inside a list/tuple/dict) returns
``dispatch(fn, args, kwargs)``, where ``fn`` is the undecorated op.

Example:
    >>> from nbkeras import ops
    >>> ops.sum(ops.ones((2, 3)), axis=1).tolist()
    [3.0, 3.0]
"""

from __future__ import annotations

import functools as _functools
from collections.abc import Callable as _Callable
from typing import Any as _Any

#: Set by the functional-model code: ``dispatch(fn, args, kwargs) -> KerasTensor``.
_SYMBOLIC_DISPATCH: _Callable[[_Callable[..., _Any], tuple, dict], _Any] | None = None


def _has_keras_tensor(value: _Any) -> bool:
    # Plain loops, not ``any``: this module re-exports ``ops.any`` over the builtin.
    if getattr(value, "_is_keras_tensor", False) is True:
        return True
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, (list, tuple)):
        return False
    for item in value:
        if _has_keras_tensor(item):
            return True
    return False


def symbolic_op(fn: _Callable[..., _Any]) -> _Callable[..., _Any]:
    """Wrap an op so symbolic ``KerasTensor`` inputs are routed to ``_SYMBOLIC_DISPATCH``.

    The undecorated function stays reachable as ``wrapper.__wrapped__``.

    Args:
        fn: The eager op implementation.

    Returns:
        The wrapped op.

    Example:
        >>> @symbolic_op
        ... def double(x):
        ...     return x * 2
        >>> double(2)
        4
    """

    @_functools.wraps(fn)
    def wrapper(*args: _Any, **kwargs: _Any) -> _Any:
        dispatch = _SYMBOLIC_DISPATCH
        if dispatch is not None and (_has_keras_tensor(args) or _has_keras_tensor(kwargs)):
            return dispatch(fn, args, kwargs)
        return fn(*args, **kwargs)

    wrapper._nbkeras_op = True  # type: ignore[attr-defined]
    return wrapper


def set_symbolic_dispatch(
    dispatch: _Callable[[_Callable[..., _Any], tuple, dict], _Any] | None,
) -> None:
    """Install (or with ``None`` remove) the symbolic dispatcher used by every op.

    Example:
        >>> installed = _SYMBOLIC_DISPATCH  # what ``import nbkeras`` set
        >>> set_symbolic_dispatch(None)  # ops no longer see KerasTensors
        >>> set_symbolic_dispatch(installed)
    """
    global _SYMBOLIC_DISPATCH
    _SYMBOLIC_DISPATCH = dispatch


from nbkeras.ops import (  # noqa: E402  # noqa: E402
    core,
    core_extra,
    image,
    linalg,
    math,
    nn,
    nn_extra,
    numpy,
    numpy_extra,
    signal,
)
from nbkeras.ops.core import *  # noqa: E402,F403
from nbkeras.ops.core_extra import *  # noqa: E402,F403
from nbkeras.ops.linalg import *  # noqa: E402,F403
from nbkeras.ops.linalg import logdet, slogdet  # noqa: E402
from nbkeras.ops.math import *  # noqa: E402,F403
from nbkeras.ops.nn import *  # noqa: E402,F403
from nbkeras.ops.nn_extra import *  # noqa: E402,F403
from nbkeras.ops.numpy import *  # noqa: E402,F403

# ``keras.ops.tanh`` is the numpy one; ``keras.ops.abs`` etc. also come from numpy.
from nbkeras.ops.numpy import tanh  # noqa: E402
from nbkeras.ops.numpy_extra import *  # noqa: E402,F403
from nbkeras.ops.signal import *  # noqa: E402,F403
