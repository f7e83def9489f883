"""The model as a ``GraphDef`` proto for TensorBoard's graphs dashboard.

One node per layer call (op = layer class), edges from the functional graph's nodes
(:func:`nbkeras.layers.symbolic.inbound_nodes`); a ``Sequential`` is a chain; a
subclassed model shows its sublayers without edges (its call graph is Python code).
"""

from __future__ import annotations

import jax


def _shape_proto(shape):
    from tensorboard.compat.proto import tensor_shape_pb2

    proto = tensor_shape_pb2.TensorShapeProto()
    for d in shape or ():
        proto.dim.add(size=-1 if d is None else int(d))
    return proto


def _node(graph, name, op, inputs, layer=None, shapes=()):
    from tensorboard.compat.proto import attr_value_pb2

    node = graph.node.add(name=name, op=op)
    node.input.extend(inputs)
    shape_list = [s for s in shapes if isinstance(s, tuple)]
    if shape_list:
        attr = attr_value_pb2.AttrValue()
        attr.list.shape.extend(_shape_proto(s) for s in shape_list)
        node.attr["_output_shapes"].CopyFrom(attr)
    if layer is not None:
        try:
            n_params = sum(int(w.size) for w in getattr(layer, "weights", []))
        except Exception:
            n_params = 0
        node.attr["params"].CopyFrom(attr_value_pb2.AttrValue(i=n_params))
        for w in getattr(layer, "weights", []):
            path = str(w.get_metadata().get("path", "")).rsplit("/", 1)[-1] or "weight"
            node.attr[f"weight:{path}"].CopyFrom(
                attr_value_pb2.AttrValue(shape=_shape_proto(tuple(w.shape)))
            )
    return node


def _out_shape(layer):
    try:
        shape = layer.output_shape
    except Exception:
        return ()
    if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
        return (shape,)
    return tuple(s for s in jax.tree.leaves(shape, is_leaf=lambda s: isinstance(s, tuple)))


def model_graph(model):
    """Return a ``GraphDef`` describing ``model``'s layers and how they connect.

    Args:
        model: A built ``nbkeras`` model (Sequential, Functional or subclassed).

    Returns:
        A ``tensorboard.compat.proto.graph_pb2.GraphDef``; log it with
        :meth:`SummaryWriter.graph`.
    """
    from tensorboard.compat.proto import graph_pb2

    from nbkeras.layers import symbolic

    graph = graph_pb2.GraphDef()
    scope = getattr(model, "name", None) or type(model).__name__
    layers = list(getattr(model, "layers", []))
    if getattr(model, "_functional", False):
        for layer in layers:
            nodes = [n for n in symbolic.inbound_nodes(layer) if _in_model(n, layers)]
            for n in nodes:
                suffix = "" if len(nodes) == 1 else f"_{n.index}"
                inputs = [
                    f"{scope}/{p.layer.name}" + ("" if _n_calls(p.layer, layers) == 1 else f"_{p.index}")
                    for p in n.parent_nodes
                ]
                shapes = tuple(tuple(t.shape) for t in n.output_tensors)
                op = "Placeholder" if n.is_input else type(layer).__name__
                _node(graph, f"{scope}/{layer.name}{suffix}", op, inputs, layer, shapes)
        return graph
    if type(model).__name__ == "Sequential" or hasattr(model, "_stack"):
        prev = []
        in_shape = getattr(model, "_input_batch_shape", None)
        if in_shape is not None:
            _node(graph, f"{scope}/input", "Placeholder", [], None, (tuple(in_shape),))
            prev = [f"{scope}/input"]
        for layer in layers:
            name = f"{scope}/{layer.name}"
            _node(graph, name, type(layer).__name__, prev, layer, _out_shape(layer))
            prev = [name]
        return graph
    for layer in layers:
        _node(graph, f"{scope}/{layer.name}", type(layer).__name__, [], layer, _out_shape(layer))
    if not layers:
        _node(graph, scope, type(model).__name__, [], model, _out_shape(model))
    return graph


def _in_model(node, layers) -> bool:
    return all(p.layer in layers for p in node.parent_nodes) and (
        node.is_input or node.parent_nodes
    )


def _n_calls(layer, layers) -> int:
    from nbkeras.layers import symbolic

    return max(1, len([n for n in symbolic.inbound_nodes(layer) if _in_model(n, layers)]))
