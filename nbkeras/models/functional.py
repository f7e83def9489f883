"""The Functional API graph: from symbolic nodes to a static, replayable plan.

``Model(inputs, outputs)`` walks the recorded :class:`~nbkeras.layers.symbolic.Node`\\ s
back from the outputs (Keras's ``map_graph``: same layer order, hence the same weight
order), and stores the graph as plain tuples of integers.  The plan is a static
attribute of the model, so a copy made by ``nnx.merge`` inside ``jax.jit`` replays the
graph on its own layers.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import jax

from nbkeras.layers.symbolic import KerasTensor, is_symbolic, node_of


@dataclass(frozen=True)
class _Ref:
    """Placeholder for the tensor with this id inside a node's arguments."""

    tensor_id: int


@dataclass(frozen=True)
class Step:
    """One layer call of the plan: which layer, its argument template, its outputs."""

    layer_index: int
    args: tuple
    kwargs: tuple
    out_treedef: object
    out_ids: tuple


def _build_map(outputs):
    """Keras's DFS: nodes in decreasing depth and first-visit index of each layer."""
    finished, in_progress = set(), set()
    ordered, layer_indices = [], {}

    def visit(tensor):
        node = node_of(tensor)
        if node is None:
            raise ValueError(
                f"Tensor {tensor!r} was not produced by an nbkeras layer; Functional "
                "models must be built from Input() tensors through layers."
            )
        if id(node) in finished:
            return
        if id(node) in in_progress:
            raise ValueError(f"The graph has a cycle at layer '{node.layer.name}'.")
        layer_indices.setdefault(node.layer, len(layer_indices))
        in_progress.add(id(node))
        if not node.is_input:
            for t in node.input_tensors:
                visit(t)
        finished.add(id(node))
        in_progress.discard(id(node))
        ordered.append(node)

    for t in outputs:
        visit(t)
    return ordered, layer_indices


def map_graph(inputs: list[KerasTensor], outputs: list[KerasTensor]):
    """Return (nodes in execution order, layers in Keras order)."""
    nodes, layer_indices = _build_map(outputs)
    node_depth: dict[int, int] = {}
    layer_depth: dict = {}
    by_id = {id(n): n for n in nodes}
    for node in reversed(nodes):
        depth = node_depth.setdefault(id(node), 0)
        depth = max(depth, layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = depth
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in by_id:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in inputs:
        layer = t._keras_history[0]
        if layer not in layer_depth:
            layer_depth[layer] = 0
            layer_indices[layer] = -1
    layers_by_depth = collections.defaultdict(list)
    for layer, depth in layer_depth.items():
        layers_by_depth[depth].append(layer)
    layers = []
    for depth in sorted(layers_by_depth, reverse=True):
        layers.extend(sorted(layers_by_depth[depth], key=lambda la: layer_indices[la]))
    exec_nodes = sorted(nodes, key=lambda n: -node_depth[id(n)])
    return exec_nodes, layers


def _template(tree, ids):
    def sub(x):
        if is_symbolic(x):
            return _Ref(ids[id(x)])
        return x

    leaves, treedef = jax.tree.flatten(tree, is_leaf=is_symbolic)
    return tuple(sub(x) for x in leaves), treedef


def build_plan(inputs: list[KerasTensor], outputs: list[KerasTensor]):
    """Compile the graph between ``inputs`` and ``outputs`` into a replayable plan.

    Returns:
        ``(layers, plan, input_ids, output_ids)`` where ``layers`` is the Keras-ordered
        layer list (input layers included) and ``plan`` a tuple of :class:`Step`.
    """
    for t in inputs:
        if not is_symbolic(t):
            raise TypeError(
                f"Model inputs must be Input() tensors, received {t!r} of type {type(t).__name__}."
            )
        node = node_of(t)
        if node is None or not node.is_input:
            raise ValueError(
                f"Model inputs must come from nbkeras.Input(); {t!r} is the output of "
                f"layer '{node.layer.name if node else '?'}'."
            )
    exec_nodes, layers = map_graph(inputs, outputs)
    input_set = {id(t) for t in inputs}
    known = set(input_set)
    for node in exec_nodes:
        if node.is_input:
            for t in node.output_tensors:
                if id(t) not in input_set:
                    raise ValueError(
                        f"The graph needs input '{t.name}', which is not among the model's "
                        f"inputs {[x.name for x in inputs]}. Add it to Model(inputs=...)."
                    )
    ids: dict[int, int] = {}

    def tid(t):
        return ids.setdefault(id(t), len(ids))

    for t in inputs:
        tid(t)
    layer_pos = {id(la): i for i, la in enumerate(layers)}
    plan = []
    for node in exec_nodes:
        if node.is_input:
            continue
        for t in node.input_tensors:
            if id(t) not in known:
                raise ValueError(f"Graph disconnected: cannot reach tensor {t!r}.")
        for t in node.output_tensors:
            tid(t)
            known.add(id(t))
        args, args_def = _template((node.args, node.kwargs), ids)
        out_leaves, out_def = jax.tree.flatten(node.outputs, is_leaf=is_symbolic)
        plan.append(
            Step(
                layer_index=layer_pos[id(node.layer)],
                args=args,
                kwargs=(args_def,),
                out_treedef=out_def,
                out_ids=tuple(ids[id(t)] for t in out_leaves),
            )
        )
    for t in outputs:
        if id(t) not in known:
            raise ValueError(f"Output {t!r} is not reachable from the model inputs.")
    return (
        layers,
        tuple(plan),
        tuple(ids[id(t)] for t in inputs),
        tuple(ids[id(t)] for t in outputs),
    )


def run_plan(layers, plan, input_ids, output_ids, input_values, training=None):
    """Execute a plan on concrete (or traced) input values; returns flat outputs."""
    values = dict(zip(input_ids, input_values))
    for step in plan:
        leaves = [values[x.tensor_id] if isinstance(x, _Ref) else x for x in step.args]
        args, kwargs = jax.tree.unflatten(step.kwargs[0], leaves)
        if training is not None and "training" not in kwargs:
            kwargs = {**kwargs, "training": training}
        out = layers[step.layer_index](*args, **kwargs)
        for i, v in zip(step.out_ids, jax.tree.leaves(out)):
            values[i] = v
    return [values[i] for i in output_ids]
