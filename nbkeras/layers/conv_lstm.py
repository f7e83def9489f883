"""ConvLSTM1D / ConvLSTM2D / ConvLSTM3D: LSTMs whose gates are convolutions, over
``(batch, time, *spatial, channels)`` inputs, with ``jax.lax.scan`` over time.

Weights (Keras's names, shapes and order): ``kernel`` ``(*kernel_size, in, 4 * filters)``,
``recurrent_kernel`` ``(*kernel_size, filters, 4 * filters)``, ``bias`` ``(4 * filters,)``;
gates ``i, f, c, o``. The input convolution runs once over all steps; the recurrent one
(stride 1, ``"same"`` padding) inside the scan.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras import activations, constraints, initializers, regularizers
from nbkeras.layers import _seeded
from nbkeras.layers._args import _ser, choice, data_format_arg, int_tuple, named_error
from nbkeras.layers._conv_base import dimension_numbers
from nbkeras.layers.base import Layer


class _ConvLSTM(Layer):
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(f"{cls} '{self.name}': filters must be a positive int, received "
                             f"filters={filters!r}.")
        if stateful:
            raise ValueError(f"{cls} '{self.name}': stateful=True is not supported for "
                             "ConvLSTM layers; pass the states with initial_state instead.")
        for arg, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{cls} '{self.name}': {arg} must be in [0, 1], received "
                                 f"{rate!r}.")
        self.filters = filters
        self.kernel_size = int_tuple(cls, "kernel_size", kernel_size, self.rank)
        self.strides = int_tuple(cls, "strides", strides, self.rank)
        self.dilation_rate = int_tuple(cls, "dilation_rate", dilation_rate, self.rank)
        self.padding = choice(cls, "padding", padding, ("valid", "same"))
        self.data_format = data_format_arg(cls, data_format)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.unit_forget_bias = unit_forget_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.seed = seed
        if self.dropout or self.recurrent_dropout:
            self.seed_state = _seeded.make_seed_state(seed)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.supports_masking = True

    def _channel_axis(self, ndim: int) -> int:
        return ndim - 1 if self.data_format == "channels_last" else 1

    def build(self, input_shape, initial_state_shape=None):
        if len(input_shape) != self.rank + 3:
            raise named_error(ValueError, (
                f"{type(self).__name__} '{self.name}' expects inputs of rank {self.rank + 3} "
                f"(batch, time, {self.rank} spatial axes, channels), received shape "
                f"{tuple(input_shape)}."))
        channels = input_shape[-1 if self.data_format == "channels_last" else 2]
        n = 4 * self.filters
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, n), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, n), initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
            name="recurrent_kernel")
        if not self.use_bias:
            self.bias = None
        else:
            init, f = self.bias_initializer, self.filters
            if self.unit_forget_bias:
                def init(shape, dtype=None, base=self.bias_initializer):
                    return jnp.concatenate([base((f,), dtype=dtype), jnp.ones((f,), dtype),
                                            base((2 * f,), dtype=dtype)])
            self.bias = self.add_weight(
                shape=(n,), initializer=init, regularizer=self.bias_regularizer,
                constraint=self.bias_constraint, name="bias")

    def _conv(self, x, kernel, strides, padding, dilation):
        return jax.lax.conv_general_dilated(
            x, kernel, window_strides=strides, padding=padding.upper(),
            rhs_dilation=dilation, dimension_numbers=dimension_numbers(self.rank,
                                                                       self.data_format))

    def _gates(self, z):
        return jnp.split(z, 4, axis=self._channel_axis(z.ndim))

    def call(self, inputs, initial_state=None, mask=None, training=False):
        x = inputs.astype(self.compute_dtype)
        batch, steps = x.shape[0], x.shape[1]
        flat = x.reshape((batch * steps, *x.shape[2:]))
        kernel, rkernel = self.kernel[...], self.recurrent_kernel[...]

        def conv_in(a, k):
            return self._conv(a, k, self.strides, self.padding, self.dilation_rate)

        dp = rec = None
        if training and 0 < self.dropout < 1:
            dp = _seeded.dropout_mask(self.seed_state, self.dropout, (4, batch, *x.shape[2:]),
                                      x.dtype)
        if dp is None:
            z = conv_in(flat, kernel)
        else:  # one dropout mask per gate, as Keras
            seq_masks = jnp.repeat(dp, steps, axis=1)
            z = jnp.concatenate(
                [conv_in(flat * seq_masks[g], k) for g, k in enumerate(jnp.split(kernel, 4, axis=-1))],
                axis=self._channel_axis(flat.ndim))
        if self.bias is not None:
            shape = [1] * z.ndim
            shape[self._channel_axis(z.ndim)] = -1
            z = z + self.bias[...].reshape(shape)
        z = z.reshape((batch, steps, *z.shape[1:]))
        state_shape = list(z.shape[2:])
        state_shape[-1 if self.data_format == "channels_last" else 0] = self.filters
        if initial_state is None:
            zeros = jnp.zeros((batch, *state_shape), x.dtype)
            states = (zeros, zeros)
        else:
            if len(initial_state) != 2:
                raise ValueError(f"{type(self).__name__} '{self.name}' expects 2 initial "
                                 f"states (h, c), received {len(initial_state)}.")
            states = tuple(jnp.asarray(s, x.dtype) for s in initial_state)
        if training and 0 < self.recurrent_dropout < 1:
            rec = _seeded.dropout_mask(self.seed_state, self.recurrent_dropout,
                                       (4, batch, *state_shape), x.dtype)
        ones = (1,) * self.rank
        rgates = jnp.split(rkernel, 4, axis=-1)

        def recurrent(h):
            if rec is None:
                return self._conv(h, rkernel, ones, "same", ones)
            return jnp.concatenate([self._conv(h * rec[g], k, ones, "same", ones)
                                    for g, k in enumerate(rgates)],
                                   axis=self._channel_axis(h.ndim))

        act, ract = self.activation, self.recurrent_activation

        def body(carry, inp):
            h, c = carry
            z_t, m_t = inp
            zi, zf, zc, zo = self._gates(z_t + recurrent(h))
            c_new = ract(zf) * c + ract(zi) * act(zc)
            h_new = ract(zo) * act(c_new)
            if m_t is not None:
                keep = m_t.reshape((batch,) + (1,) * (h.ndim - 1))
                h_new, c_new = jnp.where(keep, h_new, h), jnp.where(keep, c_new, c)
            return (h_new, c_new), (h_new if self.return_sequences else None)

        zs = jnp.swapaxes(z, 0, 1)
        m = None if mask is None else jnp.swapaxes(jnp.asarray(mask, bool), 0, 1)
        if self.go_backwards:
            zs = jnp.flip(zs, 0)
            m = None if m is None else jnp.flip(m, 0)
        (h, c), outs = jax.lax.scan(body, states, (zs, m),
                                    unroll=steps if self.unroll and steps else 1)
        output = jnp.swapaxes(outs, 0, 1) if self.return_sequences else h
        return (output, h, c) if self.return_state else output

    def compute_mask(self, inputs, mask):
        out = mask if self.return_sequences else None
        return [out, None, None] if self.return_state else out

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias, "unit_forget_bias": self.unit_forget_bias,
                "kernel_initializer": _ser(initializers, self.kernel_initializer),
                "recurrent_initializer": _ser(initializers, self.recurrent_initializer),
                "bias_initializer": _ser(initializers, self.bias_initializer),
                "kernel_regularizer": _ser(regularizers, self.kernel_regularizer),
                "recurrent_regularizer": _ser(regularizers, self.recurrent_regularizer),
                "bias_regularizer": _ser(regularizers, self.bias_regularizer),
                "kernel_constraint": _ser(constraints, self.kernel_constraint),
                "recurrent_constraint": _ser(constraints, self.recurrent_constraint),
                "bias_constraint": _ser(constraints, self.bias_constraint),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": False, "unroll": self.unroll}


_DOC = """{rank}D convolutional LSTM (Keras ``ConvLSTM{rank}D``): inputs
    ``(batch, time, {spatial}, channels)`` (or channels first).

    Args:
        filters: Output channels.
        kernel_size, strides, dilation_rate: Int or {rank} ints, of the input convolution.
        padding: ``"valid"`` or ``"same"`` (input convolution; the recurrent one is
            ``"same"``).
        activation, recurrent_activation, use_bias, unit_forget_bias, initializers,
        regularizers, constraints, dropout, recurrent_dropout, seed, return_sequences,
        return_state, go_backwards, unroll: as in :class:`LSTM`.

    Call arguments:
        inputs, mask (``(batch, time)``), training, initial_state (``[h, c]``).

    Example:
        >>> ConvLSTM{rank}D(4, 3)(jnp.ones({example})).shape
        {result}
"""


class ConvLSTM1D(_ConvLSTM):
    __doc__ = _DOC.format(rank=1, spatial="steps", example="(2, 5, 8, 3)", result="(2, 6, 4)")
    rank = 1


class ConvLSTM2D(_ConvLSTM):
    __doc__ = _DOC.format(rank=2, spatial="rows, cols", example="(2, 5, 6, 6, 3)",
                          result="(2, 4, 4, 4)")
    rank = 2


class ConvLSTM3D(_ConvLSTM):
    __doc__ = _DOC.format(rank=3, spatial="d1, d2, d3", example="(1, 2, 4, 4, 4, 2)",
                          result="(1, 2, 2, 2, 4)")
    rank = 3
