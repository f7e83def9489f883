"""Model summaries: the facts (rows, totals) and Keras's text table.

:func:`summary_rows` collects what a summary shows; :func:`summary_text` renders it the
way ``keras.Model.summary`` does.  The notebook HTML view renders the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Row:
    """One layer line of a summary."""

    name: str
    type: str
    output_shape: str
    params: int
    trainable: bool
    dtype: str
    connected_to: list[str] = field(default_factory=list)
    depth: int = 0
    children: list[Row] = field(default_factory=list)


def _shape_str(layer) -> str:
    try:
        shape = layer.output_shape
    except Exception:
        return "?"
    return str(shape).replace("'", "")


def _count(weights) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _connected(model, layer) -> list[str]:
    from nbkeras.layers.symbolic import inbound_nodes

    out = []
    for node in inbound_nodes(layer):
        for t in node.input_tensors:
            if t._keras_history is None:
                continue
            src, idx, ti = t._keras_history
            if src in list(model.layers):
                out.append(f"{src.name}[{idx}][{ti}]")
    return out


def summary_rows(model, expand_nested: bool = False, depth: int = 0) -> list[Row]:
    """The rows of ``model.summary()`` (InputLayers shown only for Functional models)."""
    from nbkeras.layers.input_layer import InputLayer

    rows = []
    functional = getattr(model, "_functional", False)
    for layer in model.layers:
        if isinstance(layer, InputLayer) and not functional:
            continue
        name = getattr(layer, "name", type(layer).__name__)
        ws = getattr(layer, "weights", []) if getattr(layer, "built", True) else []
        row = Row(
            name=name,
            type=type(layer).__name__,
            output_shape=_shape_str(layer),
            params=_count(ws),
            trainable=bool(getattr(layer, "trainable", True)),
            dtype=getattr(layer, "dtype", "float32"),
            connected_to=_connected(model, layer) if functional else [],
            depth=depth,
        )
        if expand_nested and hasattr(layer, "layers") and hasattr(layer, "fit"):
            row.children = summary_rows(layer, expand_nested=True, depth=depth + 1)
        rows.append(row)
    return rows


def totals(model) -> dict:
    """Parameter counts and bytes: total, trainable, non-trainable (+ optimizer)."""
    weights = model.weights if model.built else []
    trainable = model.trainable_weights if model.built else []
    tid = {id(w) for w in trainable}
    non = [w for w in weights if id(w) not in tid]

    def nbytes(ws):
        return int(sum(int(np.prod(w.shape)) * np.dtype(w.get_value().dtype).itemsize for w in ws))

    out = {
        "total": _count(weights),
        "total_bytes": nbytes(weights),
        "trainable": _count(trainable),
        "trainable_bytes": nbytes(trainable),
        "non_trainable": _count(non),
        "non_trainable_bytes": nbytes(non),
    }
    return out


def readable_bytes(n: float) -> str:
    """Keras's size format: ``198.79 KB``."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GB"


def summary_text(model, line_length=None, expand_nested=False, show_trainable=False) -> str:
    """Keras's summary table as text."""
    functional = getattr(model, "_functional", False)
    headers = ["Layer (type)", "Output Shape", "Param #"]
    if functional:
        headers.append("Connected to")
    if show_trainable:
        headers.append("Trainable")
    rows = summary_rows(model, expand_nested=expand_nested)

    def flat(rs):
        for r in rs:
            yield r
            yield from flat(r.children)

    body = []
    for r in flat(rows):
        indent = "   " * r.depth
        cells = [f"{indent}{r.name} ({r.type})", r.output_shape, f"{r.params:,}"]
        if functional:
            cells.append(", ".join(r.connected_to) or "-")
        if show_trainable:
            cells.append("Y" if r.trainable else "N")
        body.append(cells)
    widths = [
        max(len(h), *(len(c[i]) for c in body)) if body else len(h) for i, h in enumerate(headers)
    ]
    if line_length:
        extra = line_length - (sum(widths) + 3 * len(widths) + 1)
        if extra > 0:
            widths[0] += extra
    right = {2}

    def line(cells, left, mid, end):
        out = []
        for i, c in enumerate(cells):
            out.append(f" {c.rjust(widths[i]) if i in right else c.ljust(widths[i])} ")
        return left + mid.join(out) + end

    def rule(left, mid, end, ch):
        return left + mid.join(ch * (w + 2) for w in widths) + end

    lines = [
        f'Model: "{model.name}"',
        rule("┏", "┳", "┓", "━"),
        line(headers, "┃", "┃", "┃"),
        rule("┡", "╇", "┩", "━"),
    ]
    for i, cells in enumerate(body):
        lines.append(line(cells, "│", "│", "│"))
        if i < len(body) - 1 and functional:
            lines.append(rule("├", "┼", "┤", "─"))
    lines.append(rule("└", "┴", "┘", "─"))
    t = totals(model)
    lines.append(f" Total params: {t['total']:,} ({readable_bytes(t['total_bytes'])})")
    lines.append(f" Trainable params: {t['trainable']:,} ({readable_bytes(t['trainable_bytes'])})")
    lines.append(
        f" Non-trainable params: {t['non_trainable']:,} "
        f"({readable_bytes(t['non_trainable_bytes'])})"
    )
    return "\n".join(lines)
