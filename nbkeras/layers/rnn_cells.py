"""Recurrent cells: SimpleRNNCell, LSTMCell, GRUCell and StackedRNNCells.

A cell computes one time step, ``call(inputs, states) -> (output, new_states)``, with
Keras's weights (``kernel``, ``recurrent_kernel``, ``bias``, gates in Keras's order).
Inside :class:`~nbkeras.layers.RNN` the input projection ``inputs @ kernel + bias`` of the
whole sequence is one matmul before the ``lax.scan``; only ``h @ recurrent_kernel`` runs
per step (``sequence_fns``).  Dropout masks are drawn once per sequence, as in Keras.
"""

from __future__ import annotations

import jax.numpy as jnp

from nbkeras import _serialization, activations, constraints, initializers, regularizers
from nbkeras.layers import _seeded
from nbkeras.layers._args import _ser
from nbkeras.layers.base import Layer


def _positive_int(cls: str, arg: str, value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{cls} '{arg}' must be a positive integer, received {arg}={value!r}.")
    return value


def _rate(cls: str, arg: str, value) -> float:
    if not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{cls} '{arg}' must be a float in [0, 1], received {arg}={value!r}.")
    return float(value)


def as_list(states) -> list:
    return list(states) if isinstance(states, (list, tuple)) else [states]


class _GatedCell(Layer):
    """Shared constructor, weights and dropout of the three Keras cells."""

    _gates = 1

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.units = _positive_int(cls, "units", units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _rate(cls, "dropout", dropout)
        self.recurrent_dropout = _rate(cls, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        if self.dropout or self.recurrent_dropout:
            self.seed_state = _seeded.make_seed_state(seed)

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    def get_initial_state(self, batch_size=None):
        return [jnp.zeros((batch_size, self.units), self.compute_dtype)]

    def _build_kernels(self, input_dim, bias_shape, bias_initializer):
        n = self._gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, n), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, n), initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
            name="recurrent_kernel")
        if self.use_bias:
            self.bias = self.add_weight(
                shape=bias_shape, initializer=bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias")
        else:
            self.bias = None

    def dropout_masks(self, input_shape, training):
        """``(input_mask, recurrent_mask)`` for one sequence (``None`` when inactive)."""
        dp = rec = None
        if training and 0 < self.dropout < 1:
            dp = _seeded.dropout_mask(self.seed_state, self.dropout, input_shape, self.compute_dtype)
        if training and 0 < self.recurrent_dropout < 1:
            rec = _seeded.dropout_mask(self.seed_state, self.recurrent_dropout,
                                       (input_shape[0], self.units), self.compute_dtype)
        return dp, rec

    def project(self, inputs, dp=None):
        """``inputs @ kernel (+ bias)`` for a step ``(B, F)`` or a sequence ``(B, T, F)``."""
        if dp is not None:
            inputs = inputs * (dp if inputs.ndim == dp.ndim else dp[:, None, :])
        x = jnp.matmul(inputs, self.kernel[...])
        bias = self._input_bias()
        return x if bias is None else x + bias

    def _input_bias(self):
        return None if self.bias is None else self.bias[...]

    def recur(self, x, states, rec=None):  # pragma: no cover - overridden
        raise NotImplementedError

    def sequence_fns(self, input_shape, training):
        """``(pre, step)``: ``pre(x)`` projects a step (or a whole sequence); ``step(x_t, states)``."""
        dp, rec = self.dropout_masks(input_shape, training)
        return (lambda seq: self.project(seq, dp)), (lambda x, s: self.recur(x, s, rec))

    def call(self, inputs, states, training=False):
        dp, rec = self.dropout_masks(inputs.shape, training)
        out, new = self.recur(self.project(inputs, dp), as_list(states), rec)
        return out, (new if isinstance(states, (list, tuple)) else new[0])

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _ser(initializers, self.kernel_initializer),
            "recurrent_initializer": _ser(initializers, self.recurrent_initializer),
            "bias_initializer": _ser(initializers, self.bias_initializer),
            "kernel_regularizer": _ser(regularizers, self.kernel_regularizer),
            "recurrent_regularizer": _ser(regularizers, self.recurrent_regularizer),
            "bias_regularizer": _ser(regularizers, self.bias_regularizer),
            "kernel_constraint": _ser(constraints, self.kernel_constraint),
            "recurrent_constraint": _ser(constraints, self.recurrent_constraint),
            "bias_constraint": _ser(constraints, self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class SimpleRNNCell(_GatedCell):
    """The cell of :class:`SimpleRNN`: ``h = activation(x @ kernel + h @ recurrent_kernel + b)``.

    Example:
        >>> cell = SimpleRNNCell(4)
        >>> out, state = cell(jnp.ones((2, 3)), [jnp.zeros((2, 4))])
        >>> out.shape
        (2, 4)
    """

    def build(self, input_shape):
        self._build_kernels(input_shape[-1], (self.units,), self.bias_initializer)

    def recur(self, x, states, rec=None):
        h = states[0] if rec is None else states[0] * rec
        out = self.activation(x + jnp.matmul(h, self.recurrent_kernel[...]))
        return out, [out]


class LSTMCell(_GatedCell):
    """The cell of :class:`LSTM` (gates ``i, f, c, o``; ``unit_forget_bias`` sets ``b_f = 1``).

    Example:
        >>> cell = LSTMCell(4)
        >>> h, (h2, c) = cell(jnp.ones((2, 3)), [jnp.zeros((2, 4)), jnp.zeros((2, 4))])
        >>> c.shape
        (2, 4)
    """

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias

    @property
    def state_size(self):
        return [self.units, self.units]

    def get_initial_state(self, batch_size=None):
        zeros = jnp.zeros((batch_size, self.units), self.compute_dtype)
        return [zeros, zeros]

    def build(self, input_shape):
        init = self.bias_initializer
        if self.unit_forget_bias:
            base, u = self.bias_initializer, self.units

            def init(shape, dtype=None):
                return jnp.concatenate([base((u,), dtype=dtype), jnp.ones((u,), dtype),
                                        base((2 * u,), dtype=dtype)])

        self._build_kernels(input_shape[-1], (4 * self.units,), init)

    def recur(self, x, states, rec=None):
        h, c = states[0], states[1]
        hr = h if rec is None else h * rec
        z = x + jnp.matmul(hr, self.recurrent_kernel[...])
        zi, zf, zc, zo = jnp.split(z, 4, axis=-1)
        act, ract = self.activation, self.recurrent_activation
        c = ract(zf) * c + ract(zi) * act(zc)
        h = ract(zo) * act(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_GatedCell):
    """The cell of :class:`GRU` (gates ``z, r, h``; Keras 3 default ``reset_after=True``).

    Example:
        >>> out, state = GRUCell(4)(jnp.ones((2, 3)), [jnp.zeros((2, 4))])
        >>> out.shape
        (2, 4)
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 reset_after=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def build(self, input_shape):
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._build_kernels(input_shape[-1], shape, self.bias_initializer)

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias[...]

    def recur(self, x, states, rec=None):
        h = states[0]
        hr = h if rec is None else h * rec
        u, rk = self.units, self.recurrent_kernel[...]
        xz, xr, xh = x[..., :u], x[..., u:2 * u], x[..., 2 * u:]
        if self.reset_after:
            inner = jnp.matmul(hr, rk)
            if self.bias is not None:
                inner = inner + self.bias[1]
        else:
            inner = jnp.matmul(hr, rk[:, :2 * u])
        z = self.recurrent_activation(xz + inner[..., :u])
        r = self.recurrent_activation(xr + inner[..., u:2 * u])
        if self.reset_after:
            hh = self.activation(xh + r * inner[..., 2 * u:])
        else:
            hh = self.activation(xh + jnp.matmul(r * hr, rk[:, 2 * u:]))
        h = z * h + (1 - z) * hh
        return h, [h]

    def get_config(self):
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


def generic_sequence_fns(cell, input_shape, training):
    """``(pre, step)`` for any cell: our cells' fast path, or per-step ``cell(x, states)``."""
    if hasattr(cell, "sequence_fns"):
        return cell.sequence_fns(input_shape, training)
    kwargs = {}
    if isinstance(cell, Layer) and cell._call_accepts("training"):
        kwargs["training"] = training

    def step(x, states):
        out, new = cell(x, list(states), **kwargs)
        return out, as_list(new)

    return (lambda seq: seq), step


def cell_output_size(cell) -> int:
    size = getattr(cell, "output_size", None)
    if size is None:
        size = cell.state_size
        size = size[0] if isinstance(size, (list, tuple)) else size
    return size


class StackedRNNCells(Layer):
    """A stack of cells run as one cell: each cell's output feeds the next.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import RNN
        >>> cells = StackedRNNCells([LSTMCell(4), GRUCell(3)])
        >>> RNN(cells)(jnp.ones((2, 5, 6))).shape
        (2, 3)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if not callable(getattr(cell, "call", None)) or not hasattr(cell, "state_size"):
                raise ValueError(
                    f"StackedRNNCells expects cells with a `call` method and a `state_size`, "
                    f"received {cell!r}.")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return cell_output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        out = []
        for cell in self.cells:
            if hasattr(cell, "get_initial_state"):
                out.append(as_list(cell.get_initial_state(batch_size=batch_size)))
            else:
                sizes = as_list(cell.state_size)
                out.append([jnp.zeros((batch_size, d), self.compute_dtype) for d in sizes])
        return out

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_from_shapes(tuple(input_shape))
            input_shape = (input_shape[0], cell_output_size(cell))

    def sequence_fns(self, input_shape, training):
        fns, shape = [], tuple(input_shape)
        for cell in self.cells:
            fns.append(generic_sequence_fns(cell, shape, training))
            shape = (shape[0], cell_output_size(cell))

        def step(x, states):
            new_states = []
            for i, ((pre, cell_step), s) in enumerate(zip(fns, states)):
                x, new = cell_step(x if i == 0 else pre(x), as_list(s))
                new_states.append(new)
            return x, new_states

        return fns[0][0], step

    def call(self, inputs, states, training=False):
        pre, step = self.sequence_fns(inputs.shape, training)
        return step(pre(inputs), [as_list(s) for s in states])

    def get_config(self):
        return {**super().get_config(),
                "cells": [_serialization.serialize_keras_object(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [_serialization.deserialize_keras_object(c, custom_objects)
                 for c in config.pop("cells")]
        return cls(cells, **config)
