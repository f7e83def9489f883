"""Merging layers, called on a list of tensors: Add, Subtract, Multiply, Average,
Maximum, Minimum, Concatenate, Dot, and their functional forms (``add([a, b])``)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from nbkeras.layers._args import named_error
from nbkeras.layers.base import Layer


def _shapes(inputs) -> list[tuple]:
    return [tuple(getattr(x, "shape", x)) for x in inputs]


class _Merge(Layer):
    """Element-wise merge of a list of tensors (Keras's ``Merge`` base class)."""

    min_inputs, max_inputs = 1, None
    _supports_masking = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def compute_mask(self, inputs, mask=None):
        """Keras: the OR of the input masks (``None`` if any input is unmasked)."""
        if mask is None or not isinstance(mask, (list, tuple)) or any(m is None for m in mask):
            return None
        out = jnp.asarray(mask[0], bool)
        for m in mask[1:]:
            out = out | jnp.asarray(m, bool)
        return out

    def _fail(self, problem: str, shapes) -> ValueError:
        return named_error(
            ValueError,
            f"{type(self).__name__} '{self.name}' {problem}. Received input shapes {shapes}.",
        )

    def _check_list(self, inputs) -> list[tuple]:
        if (
            not isinstance(inputs, (list, tuple))
            or not inputs
            or not all(isinstance(s, (list, tuple)) or hasattr(s, "shape") for s in inputs)
        ):
            raise named_error(
                ValueError,
                f"{type(self).__name__} '{self.name}' should be called on a list of tensors, "
                f"received {type(inputs).__name__}: {inputs!r:.80}.",
            )
        shapes = _shapes(inputs)
        n = len(shapes)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            want = (
                f"exactly {self.max_inputs}"
                if self.min_inputs == self.max_inputs
                else f"at least {self.min_inputs}"
            )
            raise self._fail(f"expects {want} inputs, received {n}", shapes)
        return shapes

    def _validate(self, shapes) -> None:
        batch = {s[0] for s in shapes if s} - {None}
        if len(batch) > 1:
            raise self._fail("cannot merge tensors with different batch sizes", shapes)
        ref = shapes[0][1:]
        for s in shapes[1:]:
            a, b = (ref, s[1:]) if len(ref) >= len(s[1:]) else (s[1:], ref)
            merged = list(a[: len(a) - len(b)])
            for i, j in zip(a[len(a) - len(b) :], b):
                if i is None or j is None:
                    merged.append(None)
                elif i == 1 or j == 1 or i == j:
                    merged.append(j if i == 1 else i)
                else:
                    raise self._fail(
                        "requires inputs of the same shape (or broadcastable: each dimension "
                        "equal or 1); check the layers feeding it",
                        shapes,
                    )
            ref = tuple(merged)

    def build(self, input_shape):
        self._validate(self._check_list(input_shape))

    def call(self, inputs):
        shapes = self._check_list(inputs)
        self._validate(shapes)
        ndim = max(len(s) for s in shapes)
        xs = []
        for x in inputs:
            while x.ndim < ndim:  # Keras inserts missing axes after the batch axis
                x = jnp.expand_dims(x, 1)
            xs.append(x)
        return self._merge(xs)

    def _merge(self, xs):
        raise NotImplementedError


def _reduce_doc(op: str, name: str) -> str:
    return f"""{op} a list of tensors of the same shape, element-wise (Keras ``{name}``).

    Example:
        >>> {name}()([jnp.ones((2, 3)), jnp.ones((2, 3))]).shape
        (2, 3)
    """


class Add(_Merge):
    __doc__ = _reduce_doc("Adds", "Add")

    def _merge(self, xs):
        return functools.reduce(jnp.add, xs)


class Subtract(_Merge):
    __doc__ = _reduce_doc("Subtracts the second of two", "Subtract")
    min_inputs = max_inputs = 2

    def _merge(self, xs):
        return xs[0] - xs[1]


class Multiply(_Merge):
    __doc__ = _reduce_doc("Multiplies", "Multiply")

    def _merge(self, xs):
        return functools.reduce(jnp.multiply, xs)


class Average(_Merge):
    __doc__ = _reduce_doc("Averages", "Average")

    def _merge(self, xs):
        return functools.reduce(jnp.add, xs) / len(xs)


class Maximum(_Merge):
    __doc__ = _reduce_doc("Takes the maximum of", "Maximum")

    def _merge(self, xs):
        return functools.reduce(jnp.maximum, xs)


class Minimum(_Merge):
    __doc__ = _reduce_doc("Takes the minimum of", "Minimum")

    def _merge(self, xs):
        return functools.reduce(jnp.minimum, xs)


class Concatenate(_Merge):
    """Concatenates a list of tensors along ``axis`` (Keras ``Concatenate``).

    Args:
        axis: The concatenation axis; all other dimensions must match.

    Example:
        >>> Concatenate()([jnp.ones((2, 3)), jnp.ones((2, 4))]).shape
        (2, 7)
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def _validate(self, shapes) -> None:
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise self._fail("requires inputs of the same rank", shapes)
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise self._fail(f"received axis={self.axis}, out of range for rank {rank}", shapes)
        axis = self.axis % rank
        for d in range(rank):
            sizes = {s[d] for s in shapes} - {None}
            if d != axis and len(sizes) > 1:
                raise self._fail(
                    f"requires matching shapes except on the concatenation axis {self.axis}; "
                    f"dimension {d} differs",
                    shapes,
                )

    def call(self, inputs):
        self._validate(self._check_list(inputs))
        return jnp.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """Keras: per-input masks broadcast to the inputs, concatenated, any over the last axis."""
        if mask is None or not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                full.append(jnp.ones(x.shape, bool))
            else:
                m = jnp.asarray(m, bool)
                if m.ndim < x.ndim:
                    m = jnp.broadcast_to(m[..., None], x.shape)
                full.append(m)
        return jnp.any(jnp.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Batched dot product between two tensors (Keras ``Dot``).

    Args:
        axes: Int or pair of ints: the axis of each input to contract (not the batch axis).
        normalize: L2-normalize both inputs along ``axes`` first (cosine similarity).

    Example:
        >>> Dot(axes=1)([jnp.ones((2, 3)), jnp.ones((2, 3))]).tolist()
        [[3.0], [3.0]]
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, int):
            pass
        elif (
            not isinstance(axes, (list, tuple))
            or len(axes) != 2
            or not all(isinstance(a, int) for a in axes)
        ):
            raise TypeError(f"Dot 'axes' must be an int or a pair of ints, received axes={axes!r}.")
        self.axes = axes if isinstance(axes, int) else tuple(axes)
        self.normalize = bool(normalize)

    def _axes(self, shapes) -> tuple[int, int]:
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        return tuple(a % len(s) for a, s in zip(pair, shapes))

    def _validate(self, shapes) -> None:
        if any(len(s) < 2 for s in shapes):
            raise self._fail("needs inputs of rank >= 2 (batch first)", shapes)
        a0, a1 = self._axes(shapes)
        if 0 in (a0, a1):
            raise self._fail(f"cannot contract the batch axis 0 (axes={self.axes})", shapes)
        d0, d1 = shapes[0][a0], shapes[1][a1]
        if d0 is not None and d1 is not None and d0 != d1:
            raise self._fail(
                f"needs equal sizes on the contracted axes, got {d0} (axis {a0} of input 0) "
                f"and {d1} (axis {a1} of input 1)",
                shapes,
            )

    def call(self, inputs):
        shapes = self._check_list(inputs)
        self._validate(shapes)
        a0, a1 = self._axes(shapes)
        x, y = inputs
        if self.normalize:
            x, y = _l2_normalize(x, a0), _l2_normalize(y, a1)
        out = jax.lax.dot_general(x, y, (((a0,), (a1,)), ((0,), (0,))))
        return out[:, None] if out.ndim == 1 else out

    def get_config(self):
        axes = self.axes if isinstance(self.axes, int) else list(self.axes)
        return {**super().get_config(), "axes": axes, "normalize": self.normalize}


def _l2_normalize(x, axis: int, epsilon: float = 1e-7):
    """Keras's ``ops.normalize``: ``x * min(rsqrt(sum(x^2)), 1 / epsilon)``."""
    inv = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inv, 1.0 / epsilon)


def add(inputs, **kwargs):
    """Functional form of :class:`Add`: ``add([a, b])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of :class:`Subtract`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of :class:`Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of :class:`Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of :class:`Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of :class:`Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis: int = -1, **kwargs):
    """Functional form of :class:`Concatenate`: ``concatenate([a, b], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize: bool = False, **kwargs):
    """Functional form of :class:`Dot`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
