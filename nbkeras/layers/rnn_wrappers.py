"""Layer wrappers for sequences: Bidirectional and TimeDistributed (plus the Wrapper base)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras import _serialization
from nbkeras.layers._args import choice, named_error
from nbkeras.layers.base import Layer


def _clone(layer, **overrides):
    config = {**layer.get_config(), **overrides}
    return type(layer).from_config(config)


class Wrapper(Layer):
    """Base class of layers that wrap one other layer (``self.layer``).

    Example:
        >>> class Twice(Wrapper):
        ...     def call(self, x):
        ...         return self.layer(self.layer(x))
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{type(self).__name__} expects a Layer instance, received {layer!r} of type "
                f"{type(layer).__name__}.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._build_from_shapes(input_shape)

    def get_config(self):
        return {**super().get_config(),
                "layer": _serialization.serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = _serialization.deserialize_keras_object(config.pop("layer"), custom_objects)
        return cls(layer, **config)


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and a copy backwards, and merges the outputs.

    Args:
        layer: An ``RNN``/``LSTM``/``GRU``/``SimpleRNN`` layer (the forward direction).
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"`` or ``None``
            (return both outputs as a list).
        backward_layer: Optional layer for the backward direction (``go_backwards=True``).

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import LSTM
        >>> Bidirectional(LSTM(4))(jnp.ones((2, 5, 3))).shape
        (2, 8)
    """

    _MODES = ("sum", "mul", "ave", "concat")

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Bidirectional expects a recurrent Layer instance, received {layer!r}.")
        if merge_mode is not None:
            merge_mode = choice("Bidirectional", "merge_mode", merge_mode, self._MODES)
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                f"Bidirectional 'backward_layer' must be a Layer instance, received "
                f"{backward_layer!r}.")
        Layer.__init__(self, **kwargs)
        base = layer.name.removeprefix("forward_")
        self.forward_layer = _clone(layer, name=f"forward_{base}")
        if backward_layer is None:
            self.backward_layer = _clone(
                layer, name=f"backward_{layer.name.removeprefix('backward_')}",
                go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError(
                "Bidirectional: the forward and backward layers must have different "
                f"go_backwards values, both have go_backwards={self.forward_layer.go_backwards}.")
        for attr in ("stateful", "return_sequences", "return_state"):
            fwd, bwd = getattr(self.forward_layer, attr), getattr(self.backward_layer, attr)
            if fwd != bwd:
                raise ValueError(
                    f"Bidirectional: the forward and backward layers must have the same {attr}; "
                    f"received {fwd} (forward) and {bwd} (backward).")
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = self.forward_layer.stateful
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self.supports_masking = True
        self._initial_weights = weights

    @property
    def layer(self):
        return self.forward_layer

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._build_from_shapes(tuple(sequences_shape))
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, sequences, initial_state=None, mask=None, training=None):
        fwd_state = bwd_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fwd_state, bwd_state = list(initial_state[:half]), list(initial_state[half:])
        kwargs = {"mask": mask, "training": training}
        y = self.forward_layer(sequences, initial_state=fwd_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=bwd_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        mode = self.merge_mode
        if mode == "concat":
            out = jnp.concatenate([y, y_rev], axis=-1)
        elif mode == "sum":
            out = y + y_rev
        elif mode == "ave":
            out = (y + y_rev) / 2
        elif mode == "mul":
            out = y * y_rev
        else:
            out = [y, y_rev]
        if self.return_state:
            return (*out, *states) if mode is None else (out, *states)
        return out

    def reset_states(self):
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    def compute_mask(self, inputs, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        if self.merge_mode is None:
            out = [out, out]
        if self.return_state:
            n = len(getattr(self.forward_layer, "state_size", [None])) * 2
            return (out if isinstance(out, list) else [out]) + [None] * n
        return out

    def get_config(self):
        config = {**Layer.get_config(self),
                  "layer": _serialization.serialize_keras_object(self.forward_layer),
                  "merge_mode": self.merge_mode,
                  "backward_layer": _serialization.serialize_keras_object(self.backward_layer)}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = _serialization.deserialize_keras_object(config.pop("layer"), custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = _serialization.deserialize_keras_object(backward, custom_objects)
        return cls(layer, backward_layer=backward, **config)


class TimeDistributed(Wrapper):
    """Applies a layer to every time step of ``(batch, time, ...)`` inputs.

    The time axis is folded into the batch, so the wrapped layer runs once (one fused
    XLA op, not a loop over steps).

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import Dense
        >>> TimeDistributed(Dense(2))(jnp.ones((4, 5, 3))).shape
        (4, 5, 2)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise named_error(ValueError, (
                f"TimeDistributed '{self.name}' expects inputs of rank >= 3 (batch, time, ...), "
                f"received shape {tuple(input_shape)}."))
        if not self.layer.built:
            self.layer._build_from_shapes((input_shape[0], *input_shape[2:]))

    def call(self, inputs, training=None, mask=None):
        b, t = inputs.shape[0], inputs.shape[1]
        kwargs = {} if training is None else {"training": training}
        flat = jnp.reshape(inputs, (b * t, *inputs.shape[2:]))
        if mask is not None and self.layer._call_accepts("mask"):
            kwargs["mask"] = jnp.reshape(mask, (b * t, *mask.shape[2:]))
        out = self.layer(flat, **kwargs)
        return jax.tree.map(lambda o: jnp.reshape(o, (b, t, *o.shape[1:])), out)

    def compute_mask(self, inputs, mask=None):
        return mask
