"""``plot_model``: draw a Sequential or Functional model as SVG (no graphviz needed).

The graph comes from ``model.layers`` and the layers' graph nodes; the layout is the
pure-Python layered layout of :mod:`nbkeras.utils.graph_layout`.  PNG/PDF files are
rendered from the same geometry with matplotlib (already a dependency of nbkeras).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from html import escape

FONT_SIZE = 12.0
CHAR_W = 6.9  # average glyph width at FONT_SIZE (sans-serif), for box sizing
LINE_H = 16.0
PAD = 8.0
HEADER_FILL = "#dbe8f6"
INPUT_FILL = "#e3f1e0"
NESTED_FILL = "#f6ecd9"


@dataclass
class _Node:
    key: str
    title: str
    lines: list[str]
    fill: str
    group: str | None = None


class ModelPlot:
    """An SVG picture of a model: shows inline in notebooks, can be saved.

    Attributes:
        svg: The SVG document (a string).
    """

    def __init__(self, svg: str, geometry: dict):
        self.svg = svg
        self._geometry = geometry

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_mimebundle_(self, include=None, exclude=None):
        import base64

        bundle = {"image/svg+xml": self.svg, "text/plain": repr(self)}
        try:  # for front ends that do not render SVG from untrusted notebooks
            bundle["image/png"] = base64.b64encode(self.to_png(dpi=72)).decode("ascii")
        except Exception:
            pass
        return bundle

    def __repr__(self) -> str:
        g = self._geometry
        return f"<ModelPlot {len(g['nodes'])} layers, {len(g['routes'])} edges>"

    def save(self, path: str, dpi: int = 200, format: str | None = None) -> None:
        """Write ``.svg`` directly, or ``.png``/``.pdf``/``.jpg`` through matplotlib.

        The file is written atomically (a temporary file renamed into place).
        """
        ext = format or os.path.splitext(str(path))[1].lower().lstrip(".")
        if ext == "svg":
            _write_atomic(path, self.svg.encode("utf-8"))
            return
        if ext not in ("png", "pdf", "jpg", "jpeg"):
            raise ValueError(
                f"plot_model cannot write {path!r}: use a file name ending in .svg, .png, "
                ".pdf or .jpg."
            )
        _write_atomic(path, self._render(ext, dpi))

    def to_png(self, dpi: int = 200) -> bytes:
        """The picture as PNG bytes (matplotlib)."""
        return self._render("png", dpi)

    def _render(self, fmt: str, dpi: int) -> bytes:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyBboxPatch, Polygon, Rectangle

        g = self._geometry
        w, h = g["width"], g["height"]
        fig = Figure(figsize=(w / 72, h / 72), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, w)
        ax.set_ylim(h, 0)
        ax.axis("off")
        for x, y, cw, ch, label in g["clusters"]:
            ax.add_patch(Rectangle((x, y), cw, ch, fill=False, ls="--", ec="#b08a4a"))
            ax.text(x + 6, y + 12, label, fontsize=FONT_SIZE * 0.8, color="#8a6a2a")
        for pts, head in g["routes"]:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], color="#555", lw=1.1)
            ax.add_patch(Polygon(head, closed=True, color="#555"))
        for n in g["nodes"]:
            x, y, bw, bh = n["box"]
            ax.add_patch(FancyBboxPatch((x, y), bw, bh, boxstyle="round,pad=0,rounding_size=5",
                                        fc="#ffffff", ec="#445", lw=1.0))
            ax.add_patch(FancyBboxPatch((x, y), bw, LINE_H + 6, fc=n["fill"], ec="#445",
                                        lw=1.0, boxstyle="round,pad=0,rounding_size=5"))
            ax.text(x + bw / 2, y + LINE_H / 2 + 3, n["title"], ha="center", va="center",
                    fontsize=FONT_SIZE * 0.88, fontweight="bold", color="#123")
            for i, line in enumerate(n["lines"]):
                ax.text(x + bw / 2, y + LINE_H * (i + 1.5) + 6, line, ha="center",
                        va="center", fontsize=FONT_SIZE * 0.8, color="#333")
        if fmt == "png":
            from nbkeras.utils.figure_png import figure_png

            return figure_png(fig, dpi)
        buf = io.BytesIO()
        fig.savefig(buf, format="jpeg" if fmt == "jpg" else fmt, dpi=dpi, facecolor="white")
        return buf.getvalue()


def _write_atomic(path: str, data: bytes) -> None:
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".plot_model.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# ---------------------------------------------------------------------------- graph
def _shape(layer, attr: str) -> str:
    try:
        return str(getattr(layer, attr)).replace("'", "")
    except Exception:
        return "?"


def _activation(layer) -> str | None:
    act = getattr(layer, "activation", None)
    if act is None:
        return None
    name = getattr(act, "__name__", None) or str(act)
    return None if name == "linear" else name


def _describe(layer, opts, prefix: str = "") -> _Node:
    from nbkeras.layers.input_layer import InputLayer

    kind = type(layer).__name__
    name = getattr(layer, "name", kind)
    title = f"{name} ({kind})" if opts["show_layer_names"] else kind
    lines = []
    is_input = isinstance(layer, InputLayer)
    if opts["show_shapes"]:
        if is_input:
            lines.append(f"shape: {_shape(layer, 'output_shape')}")
        else:
            lines.append(f"in: {_shape(layer, 'input_shape')}")
            lines.append(f"out: {_shape(layer, 'output_shape')}")
    if opts["show_dtype"]:
        lines.append(f"dtype: {getattr(layer, 'dtype', '?')}")
    if opts["show_layer_activations"] and _activation(layer):
        lines.append(f"activation: {_activation(layer)}")
    if opts["show_trainable"] and not is_input:
        lines.append(f"trainable: {'yes' if getattr(layer, 'trainable', True) else 'no'}")
    fill = INPUT_FILL if is_input else NESTED_FILL if _is_model(layer) else HEADER_FILL
    return _Node(prefix + name, title, lines, fill)


def _is_model(layer) -> bool:
    return hasattr(layer, "layers") and hasattr(layer, "fit")


def _graph(model, opts, prefix: str = "", group: str | None = None):
    """Nodes, edges, and the keys of the entry and exit nodes of ``model``."""
    from nbkeras.layers.input_layer import InputLayer
    from nbkeras.layers.symbolic import inbound_nodes

    layers = list(model.layers)
    nodes: list[_Node] = []
    edges: list[tuple[str, str]] = []
    entries: dict[int, list[str]] = {}  # id(layer) -> keys that receive its inputs
    exits: dict[int, list[str]] = {}  # id(layer) -> keys that produce its outputs
    for layer in layers:
        key = prefix + layer.name
        graph_model = getattr(layer, "_functional", False) or hasattr(layer, "_stack")
        if opts["expand_nested"] and graph_model and layer.built and layer.layers:
            sub_n, sub_e, sub_in, sub_out = _graph(layer, opts, prefix=key + "/", group=key)
            nodes += sub_n
            edges += sub_e
            entries[id(layer)], exits[id(layer)] = sub_in, sub_out
        else:
            node = _describe(layer, opts, prefix)
            node.group = group
            nodes.append(node)
            entries[id(layer)] = exits[id(layer)] = [key]
    if getattr(model, "_functional", False):
        ids = {id(la) for la in layers}
        for layer in layers:
            for node in inbound_nodes(layer):
                for t in node.input_tensors:
                    hist = t._keras_history
                    if hist is not None and id(hist[0]) in ids:
                        edges += [(a, b) for a in exits[id(hist[0])] for b in entries[id(layer)]]
        sources = [la for la in layers if isinstance(la, InputLayer)] or layers[:1]
        used = {a for a, _ in edges}
        sinks = [la for la in layers if not set(exits[id(la)]) & used] or layers[-1:]
    else:
        shape = getattr(model, "_input_batch_shape", None)
        if shape is not None and layers:
            inp = _Node(prefix + "input_layer", "input_layer (InputLayer)"
                        if opts["show_layer_names"] else "InputLayer",
                        [f"shape: {tuple(shape)}".replace("'", "")] if opts["show_shapes"]
                        else [], INPUT_FILL, group)
            nodes.insert(0, inp)
            entries[0] = exits[0] = [inp.key]
            layers = [None, *layers]
        chain = [id(la) if la is not None else 0 for la in layers]
        for a, b in zip(chain, chain[1:]):
            edges += [(x, y) for x in exits[a] for y in entries[b]]
        sources, sinks = layers[:1], layers[-1:]
    first = [k for la in sources for k in entries[id(la) if la is not None else 0]]
    last = [k for la in sinks for k in exits[id(la) if la is not None else 0]]
    return nodes, edges, first, last


# ---------------------------------------------------------------------------- drawing
def _orthogonal(pts: list, lr: bool) -> list:
    """Right-angled path through ``pts``: each step goes along, across at mid-rank, along."""
    out = [pts[0]]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if lr and y0 != y1:
            xm = (x0 + x1) / 2
            out += [(xm, y0), (xm, y1)]
        elif not lr and x0 != x1:
            ym = (y0 + y1) / 2
            out += [(x0, ym), (x1, ym)]
        out.append((x1, y1))
    return out


def _draw(nodes: list[_Node], edges, rankdir: str, splines: str = "ortho") -> tuple[str, dict]:
    from nbkeras.utils.graph_layout import Box, layout

    lr = rankdir.upper() == "LR"
    sizes = {}
    for n in nodes:
        w = max(len(s) for s in [n.title, *n.lines]) * CHAR_W + 2 * PAD
        h = LINE_H * (1 + len(n.lines)) + PAD + (4 if n.lines else 0)
        sizes[n.key] = (w, h)
    boxes = [
        Box(n.key, span=sizes[n.key][1] if lr else sizes[n.key][0],
            depth=sizes[n.key][0] if lr else sizes[n.key][1])
        for n in nodes
    ]
    lay = layout(boxes, edges, gap=24.0, rank_gap=56.0 if lr else 36.0)
    margin = 12.0

    def xy(pos, level):
        return (level + margin, pos + margin) if lr else (pos + margin, level + margin)

    width = (lay.depth if lr else lay.span) + 2 * margin
    height = (lay.span if lr else lay.depth) + 2 * margin
    geo_nodes = []
    centre = {}
    for n in nodes:
        b = lay.boxes[n.key]
        cx, cy = xy(b.pos, b.level)
        w, h = sizes[n.key]
        centre[n.key] = (cx, cy, w, h)
        geo_nodes.append({"key": n.key, "title": n.title, "lines": n.lines, "fill": n.fill,
                          "box": (cx - w / 2, cy - h / 2, w, h)})
    routes = []
    for a, b, pts in lay.routes:
        pts = [xy(p, lv) for p, lv in pts]
        (ax_, ay, aw, ah), (bx, by, bw, bh) = centre[a], centre[b]
        if lr:
            pts[0], pts[-1] = (ax_ + aw / 2, ay), (bx - bw / 2 - 1, by)
        else:
            pts[0], pts[-1] = (ax_, ay + ah / 2), (bx, by - bh / 2 - 1)
        if splines == "line":
            pts = [pts[0], pts[-1]]
        elif splines == "ortho":
            pts = _orthogonal(pts, lr)
        (x0, y0), (x1, y1) = pts[-2], pts[-1]
        d = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1e-6)
        ux, uy = (x1 - x0) / d, (y1 - y0) / d
        head = [(x1, y1), (x1 - 8 * ux + 4 * uy, y1 - 8 * uy - 4 * ux),
                (x1 - 8 * ux - 4 * uy, y1 - 8 * uy + 4 * ux)]
        pts[-1] = (x1 - 6 * ux, y1 - 6 * uy)
        routes.append((pts, head))
    clusters = []
    groups = {}
    for n, g in zip(nodes, geo_nodes):
        if n.group:
            groups.setdefault(n.group, []).append(g["box"])
    for name, bxs in groups.items():
        x0 = min(b[0] for b in bxs) - 8
        y0 = min(b[1] for b in bxs) - 18
        x1 = max(b[0] + b[2] for b in bxs) + 8
        y1 = max(b[1] + b[3] for b in bxs) + 8
        clusters.append((x0, y0, x1 - x0, y1 - y0, name))
        width, height = max(width, x1 + margin), max(height, y1 + margin)
    if clusters:  # room for cluster labels above the top row
        shift = max(0.0, margin - min(c[1] for c in clusters))
        if shift:
            clusters = [(x, y + shift, w, h, n) for x, y, w, h, n in clusters]
            for g in geo_nodes:
                x, y, w, h = g["box"]
                g["box"] = (x, y + shift, w, h)
            routes = [([(x, y + shift) for x, y in p], [(x, y + shift) for x, y in hd])
                      for p, hd in routes]
            height += shift
    geo = {"width": width, "height": height, "nodes": geo_nodes, "routes": routes,
           "clusters": clusters}
    return _svg(geo), geo


def _svg(g) -> str:
    w, h = g["width"], g["height"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="nbk-model-graph" width="{w:.0f}" '
        f'height="{h:.0f}" viewBox="0 0 {w:.1f} {h:.1f}" font-family="Helvetica,Arial,'
        f'sans-serif" font-size="{FONT_SIZE:g}">',
        f'<rect width="{w:.1f}" height="{h:.1f}" fill="#ffffff"/>',
    ]
    for x, y, cw, ch, label in g["clusters"]:
        out.append(
            f'<g class="nbk-cluster"><rect x="{x:.1f}" y="{y:.1f}" width="{cw:.1f}" '
            f'height="{ch:.1f}" rx="6" fill="none" stroke="#b08a4a" stroke-dasharray="5,3"/>'
            f'<text x="{x + 6:.1f}" y="{y + 12:.1f}" font-size="{FONT_SIZE * 0.8:g}" '
            f'fill="#8a6a2a">{escape(label)}</text></g>'
        )
    for pts, head in g["routes"]:
        d = f"M{pts[0][0]:.1f},{pts[0][1]:.1f}" + "".join(
            f" L{x:.1f},{y:.1f}" for x, y in pts[1:]
        )
        tri = " ".join(f"{x:.1f},{y:.1f}" for x, y in head)
        out.append(
            f'<g class="nbk-edge"><path d="{d}" fill="none" stroke="#555" stroke-width="1.2"/>'
            f'<polygon points="{tri}" fill="#555"/></g>'
        )
    for n in g["nodes"]:
        x, y, bw, bh = n["box"]
        cx = x + bw / 2
        parts = [
            f'<g class="nbk-node" data-layer="{escape(n["key"])}">'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{bh:.1f}" rx="5" '
            f'fill="#ffffff" stroke="#445"/>',
            f'<path d="M{x:.1f},{y + LINE_H + 6:.1f} V{y + 5:.1f} Q{x:.1f},{y:.1f} '
            f"{x + 5:.1f},{y:.1f} H{x + bw - 5:.1f} Q{x + bw:.1f},{y:.1f} {x + bw:.1f},"
            f'{y + 5:.1f} V{y + LINE_H + 6:.1f} Z" fill="{n["fill"]}" stroke="#445"/>',
            f'<text x="{cx:.1f}" y="{y + LINE_H / 2 + 7:.1f}" text-anchor="middle" '
            f'font-weight="bold" fill="#123">{escape(n["title"])}</text>',
        ]
        for i, line in enumerate(n["lines"]):
            parts.append(
                f'<text x="{cx:.1f}" y="{y + LINE_H * (i + 1.5) + 10:.1f}" text-anchor="middle" '
                f'font-size="{FONT_SIZE * 0.9:g}" fill="#333">{escape(line)}</text>'
            )
        parts.append("</g>")
        out.append("".join(parts))
    out.append("</svg>")
    return "".join(out)


_SPLINES = ("ortho", "polyline", "line")


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=False,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
) -> ModelPlot:
    """Draw a model's layer graph (Keras's ``keras.utils.plot_model``, without graphviz).

    Like Keras, it writes ``to_file`` (``model.png`` by default) and returns a picture
    that shows inline in a notebook.

    Args:
        model: A built Sequential or Functional model (a subclassed model is one box).
        to_file: File to write: ``.png`` (also without extension), ``.svg``, ``.pdf``,
            ``.jpg``; None writes nothing.
        show_shapes: Show input and output shapes.
        show_dtype: Show layer dtypes.
        show_layer_names: Show ``name (Type)`` instead of the type alone.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).
        expand_nested: Draw the layers of nested models inside a dashed frame.
        dpi: Resolution of raster files.
        show_layer_activations: Show the activation of layers that have one.
        show_trainable: Show whether each layer is trainable.
        splines: Edge style: ``"ortho"`` (right angles), ``"polyline"`` or ``"line"``.
        **kwargs: Rejected, as in Keras (a misspelt argument is an error, not ignored).

    Returns:
        A :class:`ModelPlot`, displayed inline in notebooks (SVG, with a PNG fallback).

    Raises:
        ValueError: If the model is not built, an argument is unknown, or
            ``rankdir``/``splines``/``to_file`` is invalid.

    Example:
        >>> plot_model(model, show_shapes=True)  # doctest: +SKIP
    """
    if kwargs:
        _reject(kwargs)
    if str(rankdir).upper() not in ("TB", "LR"):
        raise ValueError(f"rankdir must be 'TB' or 'LR', received {rankdir!r}.")
    if splines not in _SPLINES:
        raise ValueError(f"splines must be one of {list(_SPLINES)}, received {splines!r}.")
    if not getattr(model, "built", False):
        raise ValueError(
            f"Model '{getattr(model, 'name', model)}' is not built yet, so it has no graph to "
            "plot. Call it on data, fit it, or start it with keras.Input(shape=...)."
        )
    opts = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "expand_nested": expand_nested,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    functional = getattr(model, "_functional", False)
    if not functional and not hasattr(model, "_stack"):
        nodes, edges = [_describe(model, opts)], []
    else:
        nodes, edges, _, _ = _graph(model, opts)
    svg, geo = _draw(nodes, edges, str(rankdir), splines)
    plot = ModelPlot(svg, geo)
    if to_file:
        to_file = os.fspath(to_file)
        if not os.path.splitext(to_file)[1]:
            plot.save(to_file, dpi=dpi, format="png")
        else:
            plot.save(to_file, dpi=dpi)
    return plot


def _reject(kwargs: dict) -> None:
    import difflib
    import inspect

    if "layer_range" in kwargs:
        raise ValueError("plot_model: the argument `layer_range` is no longer supported "
                         "(Keras 3 removed it too).")
    known = [p for p in inspect.signature(plot_model).parameters if p not in ("kwargs",)]
    hints = []
    for name in kwargs:
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            hints.append(f"{name!r} -> {close[0]!r}")
    hint = f" Did you mean {', '.join(hints)}?" if hints else ""
    raise ValueError(
        f"plot_model received unknown keyword arguments {kwargs}. Known arguments: "
        f"{', '.join(known[1:])}.{hint}"
    )
