"""EinsumDense: a dense layer written as an einsum (the projections of MultiHeadAttention)."""

from __future__ import annotations

import re

import jax.numpy as jnp

from nbkeras import activations, constraints, initializers, regularizers
from nbkeras.layers._args import _ser
from nbkeras.layers.base import Layer


def analyze_equation(equation: str, bias_axes, input_shape, output_shape):
    """Kernel shape, bias shape and full output shape for ``equation`` (Keras's rules).

    ``...`` may stand for leading axes (``"...b,bc->...c"``) or trailing ones
    (``"ab...,bc->ac..."``); ``output_shape`` omits the batch axis (``None`` = as input).
    """
    eq = re.sub(r"\.\.\.", "0", equation)
    left = False
    match = re.match(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", eq)
    if not match:
        match = re.match(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", eq)
        left = bool(match)
    if not match:
        match = re.match(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", eq)
    if not match:
        raise ValueError(
            f"EinsumDense received an invalid equation {equation!r}. Expected the form "
            "'ab,bc->ac' (one input, one kernel, one output), optionally with '...'.")
    in_spec, w_spec, out_spec = match.groups()
    input_shape = list(input_shape)
    elided = len(input_shape) - len(in_spec)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left:
        in_map = {d: i + elided - len(input_shape) for i, d in enumerate(in_spec)}
        out_map = {d: i + elided for i, d in enumerate(out_spec)}
    else:
        in_map = {d: i for i, d in enumerate(in_spec)}
        out_map = {d: i for i, d in enumerate(out_spec)}
    for d in in_spec:
        if d in out_map and out[out_map[d]] is not None and out[out_map[d]] != input_shape[in_map[d]]:
            raise ValueError(
                f"EinsumDense: input and output_shape disagree on shared dimension {d!r} "
                f"({input_shape[in_map[d]]} vs {out[out_map[d]]}) in {equation!r}.")
    for d in out_spec:
        if d not in in_spec and d not in w_spec:
            raise ValueError(f"EinsumDense: output dimension {d!r} of {equation!r} is in "
                             "neither the input nor the kernel spec.")
    kernel = []
    for d in w_spec:
        if d in out_map:
            kernel.append(out[out_map[d]])
        elif d in in_map:
            kernel.append(input_shape[in_map[d]])
        else:
            raise ValueError(f"EinsumDense: kernel dimension {d!r} of {equation!r} is in "
                             "neither the input nor the output spec.")
    if any(k is None for k in kernel):
        raise ValueError(
            f"EinsumDense: the kernel shape of {equation!r} is not fully determined "
            f"(got {kernel}); give the missing sizes in output_shape.")
    bias = None
    if bias_axes is not None:
        offset = elided if left else 0
        sizes = {c: out[i + offset] for i, c in enumerate(out_spec)}
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(f"EinsumDense: bias axis {c!r} is not in the output spec "
                                 f"{out_spec!r}.")
        first = min(out_spec.find(c) for c in bias_axes)
        bias = [sizes[c] if c in bias_axes else 1 for c in out_spec[first:]]
        if not left:
            bias += [1] * elided
    return tuple(kernel), None if bias is None else tuple(bias), tuple(out)


class EinsumDense(Layer):
    """A dense layer defined by an einsum equation, with Keras's kernel and bias shapes.

    Args:
        equation: E.g. ``"ab,bc->ac"`` (Dense) or ``"abc,cde->abde"`` (a head projection).
        output_shape: Output shape without the batch axis (``None`` entries = from input).
        activation: Optional activation.
        bias_axes: Output axes (letters) that get a bias, e.g. ``"de"``.

    Example:
        >>> EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")(
        ...     jnp.ones((2, 5, 16))).shape
        (2, 5, 4, 8)
    """

    _supports_masking = True

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(**kwargs)
        self.equation = equation
        self.partial_output_shape = (
            (output_shape,) if isinstance(output_shape, int) else tuple(output_shape))
        self.activation = activations.get(activation)
        self.bias_axes = bias_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        kernel, bias, full = analyze_equation(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        self.full_output_shape = full
        self.kernel = self.add_weight(
            shape=kernel, initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel")
        if bias is not None:
            self.bias = self.add_weight(
                shape=bias, initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias")
        else:
            self.bias = None

    def call(self, inputs, training=None):
        x = jnp.einsum(self.equation, inputs, self.kernel[...])
        if self.bias is not None:
            x = x + self.bias[...]
        return self.activation(x)

    def get_config(self):
        return {
            **super().get_config(),
            "equation": self.equation,
            "output_shape": list(self.partial_output_shape),
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": _ser(initializers, self.kernel_initializer),
            "bias_initializer": _ser(initializers, self.bias_initializer),
            "kernel_regularizer": _ser(regularizers, self.kernel_regularizer),
            "bias_regularizer": _ser(regularizers, self.bias_regularizer),
            "kernel_constraint": _ser(constraints, self.kernel_constraint),
            "bias_constraint": _ser(constraints, self.bias_constraint),
        }
