"""Symbolic tensors and graph nodes for the Functional API.

Calling a layer on a :class:`KerasTensor` builds the layer from the symbolic shape,
finds the output shape by tracing ``call`` with ``jax.eval_shape`` (no compute), and
records a :class:`Node` linking input tensors to output tensors.  ``Functional`` models
walk these nodes back from their outputs.
"""

from __future__ import annotations

import weakref

import jax
import jax.numpy as jnp
import numpy as np
from flax import errors as flax_errors
from flax import nnx

from nbkeras._keras_mask import get_keras_mask, set_keras_mask
from nbkeras.layers.base import Layer, _freeze
from nbkeras.layers.context import symbolic_scope

# Two different stand-ins for unknown (None) dimensions: an output dimension that
# differs between the two traces depends on an unknown input dimension.
_SENTINELS = (32, 33)
_NODES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_tensor_count = [0]


def _tensor_name() -> str:
    n = _tensor_count[0]
    _tensor_count[0] += 1
    return "keras_tensor" if n == 0 else f"keras_tensor_{n}"


class KerasTensor:
    """A symbolic tensor: a shape (``None`` for unknown sizes) and a dtype.

    Example:
        >>> from nbkeras import Input
        >>> x = Input(shape=(784,))
        >>> x.shape
        (None, 784)
    """

    _is_keras_tensor = True

    def __init__(self, shape, dtype="float32", name: str | None = None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = str(jnp.dtype(dtype))
        self.name = name or _tensor_name()
        self._keras_history = None  # (layer, node_index, tensor_index)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"{self!r} is symbolic: it has no values yet. It cannot be converted to a NumPy "
            "or JAX array. Use it only as input to nbkeras layers or nbkeras.ops, inside a "
            "Functional model definition, or wrap custom JAX code in a layers.Lambda."
        )

    __jax_array__ = __array__

    def __bool__(self):
        raise TypeError(f"{self!r} is symbolic and has no truth value.")

    __hash__ = object.__hash__

    # Arithmetic builds graph nodes through nbkeras.ops.
    def _op(self, name, *args):
        from nbkeras import ops

        return getattr(ops, name)(*args)

    def __add__(self, o):
        return self._op("add", self, o)

    def __radd__(self, o):
        return self._op("add", o, self)

    def __sub__(self, o):
        return self._op("subtract", self, o)

    def __rsub__(self, o):
        return self._op("subtract", o, self)

    def __mul__(self, o):
        return self._op("multiply", self, o)

    def __rmul__(self, o):
        return self._op("multiply", o, self)

    def __truediv__(self, o):
        return self._op("divide", self, o)

    def __rtruediv__(self, o):
        return self._op("divide", o, self)

    def __matmul__(self, o):
        return self._op("matmul", self, o)

    def __rmatmul__(self, o):
        return self._op("matmul", o, self)

    def __pow__(self, o):
        return self._op("power", self, o)

    def __neg__(self):
        return self._op("negative", self)

    def __abs__(self):
        return self._op("abs", self)

    def __getitem__(self, index):
        return symbolic_function(lambda x: x[index], (self,), {}, name="getitem")


def is_symbolic(x) -> bool:
    return getattr(x, "_is_keras_tensor", False) is True


def any_symbolic(tree) -> bool:
    return any(is_symbolic(x) for x in jax.tree.leaves(tree, is_leaf=is_symbolic))


class Node:
    """One call of a layer in a graph: input tensors, constants and output tensors."""

    def __init__(self, layer, args, kwargs, outputs, is_input: bool = False):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.is_input = is_input
        nodes = _NODES.setdefault(layer, [])
        self.index = len(nodes)
        nodes.append(self)
        for i, t in enumerate(jax.tree.leaves(outputs, is_leaf=is_symbolic)):
            t._keras_history = (layer, self.index, i)

    @property
    def input_tensors(self) -> list[KerasTensor]:
        return [
            x
            for x in jax.tree.leaves((self.args, self.kwargs), is_leaf=is_symbolic)
            if is_symbolic(x)
        ]

    @property
    def output_tensors(self) -> list[KerasTensor]:
        return jax.tree.leaves(self.outputs, is_leaf=is_symbolic)

    @property
    def parent_nodes(self) -> list[Node]:
        out = []
        for t in self.input_tensors:
            if t._keras_history is not None:
                layer, idx, _ = t._keras_history
                out.append(_NODES[layer][idx])
        return out


def inbound_nodes(layer) -> list[Node]:
    return _NODES.get(layer, [])


def _only_node(layer, what: str) -> Node:
    nodes = inbound_nodes(layer)
    if not nodes:
        raise AttributeError(
            f"Layer '{layer.name}' has no defined {what}: it was never called on a symbolic "
            f"tensor. Call it on nbkeras.Input(...) (or use it in a functional model) first."
        )
    if len(nodes) > 1:
        raise AttributeError(
            f"Layer '{layer.name}' has been called {len(nodes)} times, so its {what} is "
            f"ambiguous (it has multiple inbound nodes). Keep the tensor returned by the call "
            f"you need instead of reading layer.{what}."
        )
    return nodes[0]


def layer_output(layer):
    """``layer.output``: the symbolic output of the layer's only call."""
    return _only_node(layer, "output").outputs


def layer_input(layer):
    """``layer.input``: the symbolic input of the layer's only call."""
    node = _only_node(layer, "input")
    if node.is_input:
        return node.outputs
    return node.args[0] if len(node.args) == 1 else list(node.args)


def node_of(tensor: KerasTensor) -> Node | None:
    if tensor._keras_history is None:
        return None
    layer, idx, _ = tensor._keras_history
    return _NODES[layer][idx]


def _concrete(shape, sentinel):
    return tuple(sentinel if d is None else d for d in shape)


def _trace_output(layer, args, kwargs, sentinel):
    leaves, treedef = jax.tree.flatten((args, kwargs), is_leaf=is_symbolic)
    sym = [i for i, leaf in enumerate(leaves) if is_symbolic(leaf)]
    structs = [
        jax.ShapeDtypeStruct(_concrete(leaves[i].shape, sentinel), leaves[i].dtype) for i in sym
    ]
    # Keras masks of the symbolic inputs travel into the trace and out of it.
    in_masks = [get_keras_mask(leaves[i]) for i in sym]
    mask_structs = [
        None if m is None else jax.ShapeDtypeStruct(_concrete(m.shape, sentinel), m.dtype)
        for m in in_masks
    ]

    # Run a copy merged inside the trace, so stateful layers (batch norm or dropout with
    # training=True) may update their variables without touching the live layer.
    graphdef, state = nnx.split(layer)

    def run(arrays, masks):
        filled = list(leaves)
        for i, a, m in zip(sym, arrays, masks):
            filled[i] = a
            set_keras_mask(a, m)
        a, k = jax.tree.unflatten(treedef, filled)
        copy = nnx.merge(graphdef, jax.tree.map(lambda v: v, state))
        out = copy(*a, **k)
        return out, jax.tree.map(get_keras_mask, out)

    return jax.eval_shape(run, structs, mask_structs)


def _dry_run(layer, args, kwargs):
    """Call the layer eagerly on zeros so lazily built sublayers create their weights."""

    def zeros(x):
        if is_symbolic(x):
            out = jnp.zeros(_concrete(x.shape, _SENTINELS[0]), x.dtype)
            m = get_keras_mask(x)
            if m is not None:
                set_keras_mask(out, jnp.ones(_concrete(m.shape, _SENTINELS[0]), m.dtype))
            return out
        return x

    a, k = jax.tree.map(zeros, (args, kwargs), is_leaf=is_symbolic)
    layer(*a, **k)


def output_spec(layer, args, kwargs, with_masks=False):
    """Shapes/dtypes of ``layer(*args, **kwargs)`` with ``None`` for unknown sizes
    (and of the outputs' Keras masks, ``None`` where unmasked, if ``with_masks``)."""
    with symbolic_scope():
        return _output_spec(layer, args, kwargs, with_masks)


def _output_spec(layer, args, kwargs, with_masks):
    if _declares_output_shape(layer):
        spec = _declared_spec(layer, args, kwargs)
        if with_masks:
            return spec, jax.tree.map(lambda _: None, spec, is_leaf=_is_spec)
        return spec
    try:
        first = _trace_output(layer, args, kwargs, _SENTINELS[0])
    except flax_errors.TraceContextError:
        _dry_run(layer, args, kwargs)
        first = _trace_output(layer, args, kwargs, _SENTINELS[0])
    second = _trace_output(layer, args, kwargs, _SENTINELS[1])
    spec = jax.tree.map(
        lambda a, b: (tuple(None if x != y else x for x, y in zip(a.shape, b.shape)), a.dtype),
        first,
        second,
    )
    return spec if with_masks else spec[0]


def _declares_output_shape(layer) -> bool:
    """Keras's rule: a user's layer class that overrides ``compute_output_shape`` gets its
    symbolic outputs from it, and ``call`` is not traced (it may use Python control flow
    on values or NumPy).  nbkeras's own layers are traced (exact shapes and dtypes)."""
    for cls in type(layer).__mro__:
        if "compute_output_shape" in vars(cls):
            return cls is not Layer and not cls.__module__.startswith("nbkeras.")
    return False


def _declared_spec(layer, args, kwargs):
    first = args[0] if args else next(iter(kwargs.values()))
    shapes = jax.tree.map(lambda t: tuple(t.shape), first, is_leaf=is_symbolic)
    if isinstance(first, list):
        shapes = list(shapes)
    out = layer.compute_output_shape(shapes)
    dtype = getattr(layer, "compute_dtype", None) or "float32"

    def is_shape(x):
        return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)

    def spec(shape):
        if not is_shape(shape):
            raise ValueError(
                f"{type(layer).__name__}.compute_output_shape returned {out!r}; expected a "
                "shape (a tuple of ints and None), or a list/dict of shapes."
            )
        return (tuple(shape), jnp.dtype(dtype))

    return jax.tree.map(spec, out, is_leaf=is_shape)


def _is_spec(x) -> bool:
    return (
        isinstance(x, tuple)
        and len(x) == 2
        and isinstance(x[0], tuple)
        and isinstance(x[1], (np.dtype, type(jnp.float32), str))
    )


def symbolic_call(layer, args, kwargs):
    """Build ``layer`` if needed, infer its outputs and record the graph node."""
    first = args[0] if args else next(iter(kwargs.values()))
    if not layer.built:
        shapes = jax.tree.map(lambda t: t.shape, first, is_leaf=is_symbolic)
        if isinstance(first, list):
            shapes = list(shapes)
        if type(layer).build is not Layer.build:
            layer._build_from_shapes(shapes)
        else:
            with symbolic_scope():
                _dry_run(layer, args, kwargs)
    try:
        spec, mask_spec = output_spec(layer, args, kwargs, with_masks=True)
    except Exception as e:
        e.add_note(
            f"Layer '{layer.name}' ({type(layer).__name__}) was called on symbolic inputs "
            f"{_describe(first)}."
        )
        raise
    outputs = jax.tree.map(lambda s: KerasTensor(s[0], s[1]), spec, is_leaf=lambda x: _is_spec(x))
    _attach_symbolic_masks(outputs, mask_spec)
    Node(layer, args, kwargs, outputs)
    if layer._build_shapes is None:
        layer._build_shapes = _freeze(jax.tree.map(lambda t: t.shape, first, is_leaf=is_symbolic))
    out_shapes = jax.tree.map(lambda t: t.shape, outputs, is_leaf=is_symbolic)
    if layer._output_shape is None:
        layer._output_shape = _freeze(
            out_shapes if not isinstance(outputs, list) else list(out_shapes)
        )
    return outputs


def _attach_symbolic_masks(outputs, mask_spec) -> None:
    """Give output KerasTensors a symbolic ``_keras_mask`` where the layer set one."""
    outs = jax.tree.leaves(outputs, is_leaf=is_symbolic)
    masks = jax.tree.leaves(mask_spec, is_leaf=lambda x: x is None or _is_spec(x))
    if len(outs) != len(masks):
        return
    for out, m in zip(outs, masks):
        if m is not None:
            out._keras_mask = KerasTensor(m[0], m[1], name=f"{out.name}_mask")


def _describe(x) -> str:
    return str(jax.tree.map(lambda t: t.shape, x, is_leaf=is_symbolic))


def output_shape_of(layer, input_shape):
    """``compute_output_shape`` by tracing: shapes in, shapes out (``None`` kept)."""
    if isinstance(input_shape, list):
        args = ([KerasTensor(s) for s in input_shape],)
    else:
        args = (KerasTensor(input_shape),)
    spec = output_spec(layer, args, {})
    return jax.tree.map(lambda s: s[0], spec, is_leaf=_is_spec)


class OpLayer(Layer):
    """A graph node for an ``nbkeras.ops`` call (or ``x + y``) on symbolic tensors."""

    def __init__(self, fn, name: str | None = None):
        super().__init__(name=name)
        self.fn = fn
        self.built = True

    def call(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def _convert_input(self, x):
        # Ops convert their own inputs; static arguments (sizes, axes) must stay Python
        # values, or ops that need them concrete (``image.resize(x, (h, w))``) fail.
        return x


def symbolic_function(fn, args, kwargs, name: str | None = None):
    """Record an ops call (or any function) on KerasTensors as a graph node."""
    name = name or getattr(fn, "__name__", "op")
    from nbkeras.layers.base import to_snake_case, unique_name

    return symbolic_call(OpLayer(fn, name=unique_name(to_snake_case(name))), args, kwargs)
