"""Recurrent layers: RNN(cell), SimpleRNN, LSTM and GRU, run with ``jax.lax.scan``.

Semantics follow Keras 3 (``keras.src.backend.jax.rnn``): a masked step keeps the previous
states and outputs the previous ``states[0]`` (or zeros with ``zero_output_for_mask``);
``go_backwards`` processes the sequence from the end and returns outputs in processing
order; ``stateful`` layers keep their last states in non-weight variables between calls.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from nbkeras import _serialization
from nbkeras.layers._args import named_error
from nbkeras.layers.base import Layer
from nbkeras.layers.rnn_cells import (
    GRUCell,
    LSTMCell,
    SimpleRNNCell,
    StackedRNNCells,
    as_list,
    cell_output_size,
    generic_sequence_fns,
)


class RNNState(nnx.Variable):
    """The carried state of a ``stateful=True`` recurrent layer (not a weight)."""


class RNN(Layer):
    """Runs a recurrent cell over the time axis of ``(batch, time, features)`` inputs.

    Args:
        cell: An RNN cell (``call(inputs, states) -> (output, new_states)`` and
            ``state_size``), or a list of cells (stacked).
        return_sequences: Return the output of every step, not only the last.
        return_state: Also return the final states.
        go_backwards: Process the sequence in reverse (outputs in processing order).
        stateful: Keep the final states as the next call's initial states
            (``reset_states()`` zeroes them); needs a fixed batch size.
        unroll: Unroll the time loop (``lax.scan(unroll=True)``).
        zero_output_for_mask: Output zeros (not the previous output) at masked steps.

    Call arguments:
        sequences: ``(batch, time, ...)``.
        initial_state: List of initial state arrays.
        mask: ``(batch, time)`` booleans; ``False`` steps are skipped.
        training: Enables the cells' dropout.

    Example:
        >>> RNN(LSTMCell(4), return_sequences=True)(jnp.ones((2, 5, 3))).shape
        (2, 5, 4)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)) or not hasattr(cell, "state_size"):
            raise ValueError(
                f"{type(self).__name__} expects a cell with a `call` method and a "
                f"`state_size` attribute, received {cell!r}.")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.states = nnx.data(None)
        size = cell.state_size
        self.state_size = list(size) if isinstance(size, (list, tuple)) else [size]

    # ------------------------------------------------------------------ build and state
    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) < 3:
            raise named_error(ValueError, (
                f"{type(self).__name__} '{self.name}' expects inputs of shape (batch, time, "
                f"features), received shape {tuple(sequences_shape)}. Add a time axis, e.g. "
                "with layers.Reshape or layers.RepeatVector."))
        step_shape = (sequences_shape[0], *sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._build_from_shapes(step_shape)
        if self.stateful:
            if sequences_shape[0] is None:
                raise named_error(ValueError, (
                    f"{type(self).__name__} '{self.name}' has stateful=True, which needs a "
                    f"static batch size; received input shape {tuple(sequences_shape)}. Pass "
                    "batch_size to Input(...) or batch_input_shape to the first layer."))
            init = self.get_initial_state(sequences_shape[0])
            with jax.ensure_compile_time_eval():
                self.states = nnx.data([RNNState(jnp.asarray(a)) for a in jax.tree.leaves(init)])
            self._state_treedef = jax.tree.structure(init)

    def get_initial_state(self, batch_size):
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            return as_list(fn(batch_size=batch_size))
        return [jnp.zeros((batch_size, d), self.compute_dtype) for d in self.state_size]

    def reset_states(self):
        """Zero the carried states of a stateful layer."""
        self.reset_state()

    def reset_state(self):
        if self.states is not None:
            for v in self.states:
                v[...] = jnp.zeros_like(v[...])

    # ------------------------------------------------------------------ call
    def _initial_states(self, sequences, initial_state):
        if initial_state is None:
            if self.stateful and self.states is not None:
                leaves = [v[...] for v in self.states]
                return jax.tree.unflatten(self._state_treedef, leaves)
            return self.get_initial_state(sequences.shape[0])
        states = as_list(initial_state)
        if isinstance(self.cell, StackedRNNCells):
            if len(states) != len(self.cell.cells):
                raise ValueError(
                    f"initial_state of {type(self).__name__} '{self.name}' needs one entry per "
                    f"stacked cell ({len(self.cell.cells)}), received {len(states)}.")
            return [as_list(s) for s in states]
        if len(states) != len(self.state_size):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects {len(self.state_size)} initial "
                f"state(s) of sizes {self.state_size}, received {len(states)}.")
        return [jnp.asarray(s) for s in states]

    def _prev_output(self, states):
        first = states[-1] if isinstance(self.cell, StackedRNNCells) else states
        return jax.tree.leaves(first)[0]

    def call(self, sequences, initial_state=None, mask=None, training=False):
        states = self._initial_states(sequences, initial_state)
        step_shape = (sequences.shape[0], *sequences.shape[2:])
        pre, step = generic_sequence_fns(self.cell, step_shape, training)
        # The input projection runs per step inside the scan, not once on the whole
        # sequence: on XLA:CPU the hoisted (B, T, 4U) intermediate and its transpose cost
        # more than they save (LSTM(64) forward 2.5x, gradient 1.6x faster per step).
        xs = jax.tree.map(lambda a: jnp.swapaxes(a, 0, 1), sequences)
        m = None
        if mask is not None:
            m = jnp.swapaxes(jnp.asarray(mask).astype(bool).reshape(mask.shape[:2]), 0, 1)[..., None]
        if self.go_backwards:
            xs = jax.tree.map(lambda a: jnp.flip(a, 0), xs)
            m = None if m is None else jnp.flip(m, 0)
        treedef = jax.tree.structure(states)
        keep_all = self.return_sequences

        def body(carry, inp):
            states, _ = carry
            x_t, m_t = inp
            out, new = step(pre(x_t), states)
            new = jax.tree.unflatten(treedef, jax.tree.leaves(new))
            if m_t is not None:
                prev = (jnp.zeros_like(out) if self.zero_output_for_mask
                        else self._prev_output(states))
                out = jnp.where(m_t, out, prev)
                new = jax.tree.map(lambda s, n: jnp.where(m_t, n, s), states, new)
            return (new, out), (out if keep_all else None)

        out0 = jnp.zeros((sequences.shape[0], cell_output_size(self.cell)), sequences.dtype)
        n_steps = sequences.shape[1]
        (states, last), outputs = jax.lax.scan(
            body, (states, out0), (xs, m),
            unroll=n_steps if self.unroll and n_steps else 1)
        if self.stateful and self.states is not None:
            for v, s in zip(self.states, jax.tree.leaves(states)):
                v[...] = s
        output = jnp.swapaxes(outputs, 0, 1) if keep_all else last
        if self.return_state:
            return (output, *states)
        return output

    def compute_mask(self, inputs, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * len(self.state_size)
        return out

    def get_config(self):
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": _serialization.serialize_keras_object(self.cell),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = _serialization.deserialize_keras_object(config.pop("cell"), custom_objects)
        return cls(cell, **config)


class _KerasRNN(RNN):
    """SimpleRNN / LSTM / GRU: an RNN over a cell built from the layer's own arguments."""

    _cell_cls = SimpleRNNCell
    _cell_name = "simple_rnn_cell"
    _cell_args: tuple[str, ...] = ()

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, **kwargs):
        name = type(self).__name__
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{name} 'units' must be a positive integer, received "
                             f"units={units!r}.")
        kwargs.pop("use_cudnn", None)
        kwargs.pop("implementation", None)
        extra = {k: kwargs.pop(k) for k in self._cell_args if k in kwargs}
        cell = self._cell_cls(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            seed=seed, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name=self._cell_name, **extra)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


_CELL_ATTRS = {
    "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
    "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
    "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
    "dropout", "recurrent_dropout", "seed",
}


def _cell_property(attr):
    return property(lambda self: getattr(self.cell, attr), doc=f"The cell's ``{attr}``.")


for _attr in sorted(_CELL_ATTRS):
    setattr(_KerasRNN, _attr, _cell_property(_attr))


class SimpleRNN(_KerasRNN):
    """Fully connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + b)``.

    Same arguments and weights as ``keras.layers.SimpleRNN``.

    Example:
        >>> SimpleRNN(4)(jnp.ones((2, 5, 3))).shape
        (2, 4)
    """


class LSTM(_KerasRNN):
    """Long short-term memory layer (Hochreiter 1997), Keras 3's weights and defaults.

    Extra arguments over :class:`SimpleRNN`: ``recurrent_activation="sigmoid"``,
    ``unit_forget_bias=True``. With ``return_state=True`` it returns ``[output, h, c]``.

    Example:
        >>> out, h, c = LSTM(4, return_state=True)(jnp.ones((2, 5, 3)))
        >>> c.shape
        (2, 4)
    """

    _cell_cls = LSTMCell
    _cell_name = "lstm_cell"
    _cell_args = ("recurrent_activation", "unit_forget_bias")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer,
                         recurrent_activation=recurrent_activation,
                         unit_forget_bias=unit_forget_bias, **kwargs)


class GRU(_KerasRNN):
    """Gated recurrent unit (Cho 2014), Keras 3's weights and defaults (``reset_after=True``).

    Example:
        >>> GRU(4, return_sequences=True)(jnp.ones((2, 5, 3))).shape
        (2, 5, 4)
    """

    _cell_cls = GRUCell
    _cell_name = "gru_cell"
    _cell_args = ("recurrent_activation", "reset_after")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 reset_after=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer,
                         recurrent_activation=recurrent_activation,
                         reset_after=reset_after, **kwargs)


for _cls, _attrs in ((LSTM, ("recurrent_activation", "unit_forget_bias")),
                     (GRU, ("recurrent_activation", "reset_after"))):
    for _attr in _attrs:
        setattr(_cls, _attr, _cell_property(_attr))


