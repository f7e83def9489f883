"""Keras 3 activation functions, as pure ``jax.numpy`` functions.

Every function matches ``keras.activations.<name>`` numerically (JAX backend)
and is traceable under ``jax.jit``/``jax.grad``.

Example:
    >>> import jax.numpy as jnp
    >>> from nbkeras import activations
    >>> activations.get("relu")(jnp.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from nbkeras._errors import unknown_identifier, wrong_type

__all__ = [
    "celu", "deserialize", "elu", "exponential", "gelu", "get", "glu", "hard_shrink",
    "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "leaky_relu", "linear",
    "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu", "serialize", "sigmoid",
    "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid",
    "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink", "threshold",
]  # fmt: skip


def relu(
    x: Any, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> jax.Array:
    """Rectified linear unit, with Keras's optional slope, cap and threshold.

    Args:
        x: Input array.
        negative_slope: Slope for values below ``threshold``.
        max_value: Saturation value (``None`` for no cap).
        threshold: Values below this are zeroed (or scaled by ``negative_slope``).

    Returns:
        An array shaped like ``x``.

    Example:
        >>> relu(jnp.array([-2.0, 1.0, 8.0]), max_value=6.0).tolist()
        [0.0, 1.0, 6.0]
    """
    x = jnp.asarray(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return jax.nn.leaky_relu(x, negative_slope=negative_slope)
        negative_part = jax.nn.relu(-x + threshold) if threshold != 0 else jax.nn.relu(-x)
    else:
        negative_part = 1
    clip_max = max_value is not None
    if threshold != 0:
        x = jnp.where(x > jnp.asarray(threshold, x.dtype), x, 0)
    elif max_value == 6:
        x = jax.nn.relu6(x)
        clip_max = False
    else:
        x = jax.nn.relu(x)
    if clip_max:
        x = jnp.clip(x, jnp.asarray(0.0, x.dtype), jnp.asarray(max_value, x.dtype))
    if negative_slope != 0.0:
        x = x - negative_slope * negative_part
    return x


def leaky_relu(x: Any, negative_slope: float = 0.2) -> jax.Array:
    """Leaky ReLU: ``x`` if ``x > 0`` else ``negative_slope * x``.

    Example:
        >>> leaky_relu(jnp.array([-2.0, 1.0]), negative_slope=0.5).tolist()
        [-1.0, 1.0]
    """
    return jax.nn.leaky_relu(jnp.asarray(x), negative_slope=negative_slope)


def relu6(x: Any) -> jax.Array:
    """ReLU capped at 6: ``min(max(x, 0), 6)``.

    Example:
        >>> relu6(jnp.array([7.0])).tolist()
        [6.0]
    """
    return jax.nn.relu6(jnp.asarray(x))


def sigmoid(x: Any) -> jax.Array:
    """Logistic sigmoid ``1 / (1 + exp(-x))``.

    Example:
        >>> float(sigmoid(0.0))
        0.5
    """
    return jax.nn.sigmoid(jnp.asarray(x))


def softmax(x: Any, axis: int = -1) -> jax.Array:
    """Softmax along ``axis``.

    Example:
        >>> softmax(jnp.zeros(2)).tolist()
        [0.5, 0.5]
    """
    return jax.nn.softmax(jnp.asarray(x), axis=axis)


def log_softmax(x: Any, axis: int = -1) -> jax.Array:
    """Log of the softmax along ``axis``, computed stably.

    Example:
        >>> round(float(log_softmax(jnp.zeros(2))[0]), 4)
        -0.6931
    """
    return jax.nn.log_softmax(jnp.asarray(x), axis=axis)


def tanh(x: Any) -> jax.Array:
    """Hyperbolic tangent.

    Example:
        >>> float(tanh(0.0))
        0.0
    """
    return jnp.tanh(jnp.asarray(x))


def elu(x: Any, alpha: float = 1.0) -> jax.Array:
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Example:
        >>> float(elu(1.0))
        1.0
    """
    return jax.nn.elu(jnp.asarray(x), alpha=alpha)


def selu(x: Any) -> jax.Array:
    """Scaled ELU with the self-normalising constants.

    Example:
        >>> float(selu(0.0))
        0.0
    """
    return jax.nn.selu(jnp.asarray(x))


def celu(x: Any, alpha: float = 1.0) -> jax.Array:
    """Continuously differentiable ELU.

    Example:
        >>> float(celu(1.0))
        1.0
    """
    return jax.nn.celu(jnp.asarray(x), alpha=alpha)


def gelu(x: Any, approximate: bool = False) -> jax.Array:
    """Gaussian error linear unit (exact erf form unless ``approximate``).

    Example:
        >>> float(gelu(0.0))
        0.0
    """
    return jax.nn.gelu(jnp.asarray(x), approximate=approximate)


def glu(x: Any, axis: int = -1) -> jax.Array:
    """Gated linear unit: splits ``x`` in two along ``axis``, returns ``a * sigmoid(b)``.

    Example:
        >>> glu(jnp.zeros((1, 4))).shape
        (1, 2)
    """
    return jax.nn.glu(jnp.asarray(x), axis=axis)


def silu(x: Any) -> jax.Array:
    """Sigmoid linear unit (swish): ``x * sigmoid(x)``.

    Example:
        >>> float(silu(0.0))
        0.0
    """
    return jax.nn.silu(jnp.asarray(x))


swish = silu


def softplus(x: Any) -> jax.Array:
    """Softplus ``log(1 + exp(x))``.

    Example:
        >>> round(float(softplus(0.0)), 4)
        0.6931
    """
    return jax.nn.softplus(jnp.asarray(x))


def softsign(x: Any) -> jax.Array:
    """Softsign ``x / (1 + |x|)``.

    Example:
        >>> float(softsign(1.0))
        0.5
    """
    return jax.nn.soft_sign(jnp.asarray(x))


def exponential(x: Any) -> jax.Array:
    """Elementwise ``exp(x)``.

    Example:
        >>> float(exponential(0.0))
        1.0
    """
    return jnp.exp(jnp.asarray(x))


def hard_sigmoid(x: Any) -> jax.Array:
    """Piecewise-linear sigmoid ``relu6(x + 3) / 6`` (Keras 3 definition).

    Example:
        >>> float(hard_sigmoid(0.0))
        0.5
    """
    return jax.nn.hard_sigmoid(jnp.asarray(x))


def hard_silu(x: Any) -> jax.Array:
    """Hard SiLU (hard swish): ``x * hard_sigmoid(x)``.

    Example:
        >>> float(hard_silu(3.0))
        3.0
    """
    return jax.nn.hard_silu(jnp.asarray(x))


hard_swish = hard_silu


def hard_tanh(x: Any) -> jax.Array:
    """Hard tanh: ``clip(x, -1, 1)``.

    Example:
        >>> float(hard_tanh(2.0))
        1.0
    """
    return jax.nn.hard_tanh(jnp.asarray(x))


def log_sigmoid(x: Any) -> jax.Array:
    """Log of the sigmoid, computed stably.

    Example:
        >>> round(float(log_sigmoid(0.0)), 4)
        -0.6931
    """
    return jax.nn.log_sigmoid(jnp.asarray(x))


def mish(x: Any) -> jax.Array:
    """Mish: ``x * tanh(softplus(x))``.

    Example:
        >>> float(mish(0.0))
        0.0
    """
    x = jnp.asarray(x)
    return x * jnp.tanh(jax.nn.softplus(x))


def linear(x: Any) -> Any:
    """Identity activation (returns ``x`` unchanged).

    Example:
        >>> linear(3.0)
        3.0
    """
    return x


def hard_shrink(x: Any, threshold: float = 0.5) -> jax.Array:
    """``x`` where ``|x| > threshold``, else 0.

    Example:
        >>> hard_shrink(jnp.array([-1.0, 0.2])).tolist()
        [-1.0, 0.0]
    """
    x = jnp.asarray(x)
    return jnp.where(jnp.abs(x) > threshold, x, 0.0)


def soft_shrink(x: Any, threshold: float = 0.5) -> jax.Array:
    """Shrink ``x`` towards 0 by ``threshold`` (0 inside ``[-threshold, threshold]``)."""
    x = jnp.asarray(x)
    return jnp.where(x > threshold, x - threshold,
                     jnp.where(x < -threshold, x + threshold, 0.0))


def tanh_shrink(x: Any) -> jax.Array:
    """``x - tanh(x)``."""
    x = jnp.asarray(x)
    return x - jnp.tanh(x)


def threshold(x: Any, threshold: float, default_value: float) -> jax.Array:
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = jnp.asarray(x)
    return jnp.where(x > threshold, x, default_value)


def sparse_plus(x: Any) -> jax.Array:
    """0 below -1, ``(x + 1)**2 / 4`` on [-1, 1], ``x`` above 1."""
    x = jnp.asarray(x)
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, (x + 1) ** 2 / 4))


def sparse_sigmoid(x: Any) -> jax.Array:
    """0 below -1, ``(x + 1) / 2`` on [-1, 1], 1 above."""
    x = jnp.asarray(x)
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, 1.0, (x + 1) / 2))


def squareplus(x: Any, b: float = 4) -> jax.Array:
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU."""
    x = jnp.asarray(x)
    return (x + jnp.sqrt(jnp.square(x) + b)) / 2


def sparsemax(x: Any, axis: int = -1) -> jax.Array:
    """Euclidean projection of ``x`` onto the simplex along ``axis`` (sparse softmax)."""
    logits = jnp.asarray(x)
    srt = -jnp.sort(-logits, axis=axis)
    csum = jnp.cumsum(srt, axis=axis)
    shape = [1] * logits.ndim
    shape[axis] = -1
    r = jnp.arange(1, logits.shape[axis] + 1).reshape(shape)
    support = srt - (csum - 1) / r > 0
    k = jnp.sum(support, axis=axis, keepdims=True)
    tau = (jnp.sum(jnp.where(support, csum, 0.0), axis=axis, keepdims=True) - 1) / k
    return jnp.maximum(logits - tau, 0.0)


_ACTIVATIONS: dict[str, Callable[..., Any]] = {
    "relu": relu,
    "leaky_relu": leaky_relu,
    "relu6": relu6,
    "sigmoid": sigmoid,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "tanh": tanh,
    "elu": elu,
    "selu": selu,
    "celu": celu,
    "gelu": gelu,
    "glu": glu,
    "silu": silu,
    "swish": silu,
    "softplus": softplus,
    "softsign": softsign,
    "exponential": exponential,
    "hard_sigmoid": hard_sigmoid,
    "hard_silu": hard_silu,
    "hard_swish": hard_silu,
    "hard_tanh": hard_tanh,
    "log_sigmoid": log_sigmoid,
    "mish": mish,
    "linear": linear,
    "hard_shrink": hard_shrink,
    "soft_shrink": soft_shrink,
    "tanh_shrink": tanh_shrink,
    "sparse_plus": sparse_plus,
    "sparse_sigmoid": sparse_sigmoid,
    "sparsemax": sparsemax,
    "squareplus": squareplus,
    "threshold": threshold,
}


def get(identifier: str | Callable[..., Any] | dict[str, Any] | None) -> Callable[..., Any]:
    """Return the activation function for ``identifier``.

    Args:
        identifier: ``None`` (linear), a name such as ``"relu"``, a Keras config
            dict such as ``{"class_name": "function", "config": "relu"}``, or a callable.

    Returns:
        A callable activation.

    Raises:
        ValueError: If the name is unknown (the message lists valid names).
        TypeError: If ``identifier`` is of an unsupported type.

    Example:
        >>> get("gelu") is gelu
        True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        registered = identifier.get("registered_name")
        identifier = identifier.get("config", identifier.get("class_name"))
        if isinstance(identifier, dict):
            identifier = identifier.get("name")
        if isinstance(registered, str) and _custom(registered) is not None:
            return _custom(registered)
    if isinstance(identifier, str):
        fn = _ACTIVATIONS.get(identifier) or _ACTIVATIONS.get(identifier.lower())
        if fn is None:
            fn = _custom(identifier)
        if fn is None:
            raise unknown_identifier("activation", identifier, _ACTIVATIONS)
        return fn
    if callable(identifier):
        return identifier
    raise wrong_type("activation", identifier, "a string name, a callable or None")


def _custom(name: str) -> Callable[..., Any] | None:
    """A function registered with ``register_keras_serializable`` or in a
    ``custom_object_scope`` (by registered name ``"Package>name"`` or plain name)."""
    from nbkeras import _object_registry as object_registration

    fn = object_registration.get_registered_object(name)
    return fn if callable(fn) else None


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Callable[..., Any]:
    """Return the activation a :func:`serialize` output (or Keras config) names.

    Example:
        >>> deserialize("relu") is relu
        True
    """
    if custom_objects:
        from nbkeras import _object_registry as object_registration

        with object_registration.CustomObjectScope(custom_objects):
            return get(config)
    return get(config)


def serialize(activation: Callable[..., Any] | None) -> str:
    """Return the Keras name of an activation function.

    Args:
        activation: An activation callable (or ``None`` for linear).

    Returns:
        The canonical name (``"silu"`` for swish) or, for a custom callable, its ``__name__``.

    Example:
        >>> serialize(relu)
        'relu'
    """
    if activation is None:
        return "linear"
    for name, fn in _ACTIVATIONS.items():
        if fn is activation:
            return name
    from nbkeras import _object_registry as object_registration

    if object_registration.is_registered(activation):
        return object_registration.get_registered_name(activation)
    return getattr(activation, "__name__", type(activation).__name__)
