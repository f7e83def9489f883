"""Rich HTML reprs: Model summary table, Layer card, History learning curves, Optimizer.

Each public function returns HTML and never raises: on any error it returns the
escaped text repr.  The facts come from :mod:`nbkeras.models.summary`.
"""

from __future__ import annotations

import base64
import math

from nbkeras.notebook import svg
from nbkeras.notebook.html import MUTED, box, esc, fallback, kv_table, safe, table


def _type_name(obj) -> str:
    if getattr(obj, "_functional", False) and type(obj).__name__ == "Model":
        return "Functional"
    return type(obj).__name__


# ------------------------------------------------------------------------ model
def _rows_html(rows, functional: bool) -> list[list[str]]:
    out = []
    for r in rows:
        name = f"{esc(r.name)} <span style=\"{MUTED}\">({esc(r.type)})</span>"
        if r.children:
            name = (
                f"<details><summary>{name}</summary>"
                f"{_summary_table(r.children, any(c.connected_to for c in r.children))}"
                "</details>"
            )
        cells = [
            name,
            esc(r.output_shape),
            f"{r.params:,}",
            "✓" if r.trainable else "✗",
            esc(r.dtype),
        ]
        if functional:
            cells.append(esc(", ".join(r.connected_to) or "-"))
        out.append(cells)
    return out


def _summary_table(rows, functional: bool) -> str:
    headers = ["Layer (type)", "Output shape", "Param #", "Trainable", "Dtype"]
    if functional:
        headers.append("Connected to")
    return table(headers, _rows_html(rows, functional), right=[2], raw=True,
                 css_class="nbk-summary")


def model_html(model) -> str:
    """The summary of ``model`` as an HTML table with totals (nested models collapsible)."""
    return safe(_model_html, model)


def _model_html(model) -> str:
    from nbkeras.models import summary

    functional = bool(getattr(model, "_functional", False))
    head = (
        f'<div style="font-weight:600;margin-bottom:2px">Model: "{esc(model.name)}" '
        f'<span style="{MUTED};font-weight:400">({esc(_type_name(model))})</span></div>'
    )
    if not model.built:
        return box(
            head + f'<div style="{MUTED}">Not built yet: call it on data, or start with '
            "<code>keras.Input(shape=...)</code>, to see layer shapes and parameters.</div>",
            "nbk-model",
        )
    rows = summary.summary_rows(model, expand_nested=True)
    t = summary.totals(model)
    rb = summary.readable_bytes
    totals = (
        f'<div class="nbk-totals" style="margin-top:4px"><b>Total params:</b> {t["total"]:,} '
        f"({rb(t['total_bytes'])}) &nbsp; <b>Trainable:</b> {t['trainable']:,} "
        f"({rb(t['trainable_bytes'])}) &nbsp; <b>Non-trainable:</b> {t['non_trainable']:,} "
        f"({rb(t['non_trainable_bytes'])})"
    )
    opt = _optimizer_line(model)
    if opt:
        totals += f" &nbsp; <b>Optimizer:</b> {esc(opt)}"
    totals += "</div>"
    return box(head + _summary_table(rows, functional) + totals, "nbk-model")


def _optimizer_line(model) -> str:
    opt = getattr(model, "optimizer", None)
    if opt is None:
        return ""
    lr = _num(getattr(opt, "learning_rate", None))
    return f"{type(opt).__name__}" + (f" (learning_rate={lr})" if lr else "")


def _num(v) -> str:
    """Floats shortened (float32 noise hidden); anything else as ``str``."""
    if v is None:
        return ""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{f:.6g}"


# ------------------------------------------------------------------------ layer
def layer_html(layer) -> str:
    """A small card: type, shapes, parameter count and weights of ``layer``."""
    return safe(_layer_html, layer)


def _shape(layer, attr: str) -> str:
    try:
        return str(getattr(layer, attr)).replace("'", "")
    except Exception:
        return "?"


def _layer_html(layer) -> str:
    built = bool(getattr(layer, "built", False))
    pairs = [
        ("type", type(layer).__name__),
        ("built", built),
        ("input shape", _shape(layer, "input_shape") if built else "?"),
        ("output shape", _shape(layer, "output_shape") if built else "?"),
        ("params", f"{layer.count_params():,}" if built else "?"),
        ("trainable", getattr(layer, "trainable", True)),
        ("dtype", getattr(layer, "dtype", "?")),
    ]
    inner = (
        f'<div style="font-weight:600">{esc(type(layer).__name__)} '
        f'<span style="{MUTED};font-weight:400">"{esc(layer.name)}"</span></div>'
        + kv_table(pairs)
    )
    weights = list(getattr(layer, "weights", [])) if built else []
    if weights:
        rows = []
        for w in weights:
            meta = w.get_metadata() if hasattr(w, "get_metadata") else {}
            rows.append(
                (
                    meta.get("path", meta.get("name", "?")),
                    str(tuple(w.shape)),
                    str(w.get_value().dtype) if hasattr(w, "get_value") else "?",
                    "✓" if meta.get("trainable", True) else "✗",
                )
            )
        inner += table(["weight", "shape", "dtype", "trainable"], rows, css_class="nbk-weights")
    try:
        cfg = layer.get_config()
    except Exception:
        cfg = None
    if cfg:
        inner += (
            f"<details><summary>config</summary>"
            f"{kv_table((k, v) for k, v in cfg.items())}</details>"
        )
    return box(inner, "nbk-layer")


# ------------------------------------------------------------------------ history
def history_html(history) -> str:
    """Learning curves (inline SVG, train vs validation) and a table of final/best values."""
    return safe(_history_html, history)


def _best(key: str, values: list) -> tuple[float, int]:
    finite = [(v, i) for i, v in enumerate(values) if _isfinite(v)]
    if not finite:
        return float("nan"), -1
    lower = "loss" in key or "error" in key
    return (min if lower else max)(finite)


def _isnumber(v) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def _isfinite(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _ordered(keys) -> list[str]:
    from nbkeras.notebook.panel import ordered_keys

    return ordered_keys(keys)


def _history_html(history) -> str:
    hist = {k: list(v) for k, v in history.history.items() if v and all(map(_isnumber, v))}
    n = len(history.epoch)
    head = f'<div style="font-weight:600">History: {n} epoch{"s" if n != 1 else ""}</div>'
    if not hist:
        return box(head + f'<div style="{MUTED}">No epochs recorded yet.</div>', "nbk-history")
    # Each chart is an <img> with an SVG data URI, not inline <svg>: an untrusted front end
    # (JupyterLab on a notebook it did not run, GitHub) sanitizes the HTML, dropping
    # inline SVG but keeping its <text> as stray words; a dropped <img> leaves its alt.
    charts = [_svg_img(c, "learning curves (trust the notebook to see them)")
              for c in svg.curves_svg(svg.history_points(hist, history.epoch),
                                      marker=_restored(history))]
    rows = []
    for k in _ordered(hist):
        v = hist[k]
        best, at = _best(k, v)
        rows.append((k, f"{float(v[-1]):.4g}", f"{best:.4g}", str(at + 1 if at >= 0 else "-")))
    return box(
        head
        + f'<div style="display:flex;flex-wrap:wrap;gap:6px">{"".join(charts)}</div>'
        + table(["metric", "last", "best", "best epoch"], rows, right=[1, 2, 3]),
        "nbk-history",
    )


def _restored(history):
    epoch = getattr(history, "restored_epoch", None)
    return None if epoch is None else (epoch + 1, f"best epoch {epoch + 1} (restored)")


def _svg_img(svg_text: str, alt: str) -> str:
    data = base64.b64encode(svg_text.encode("utf-8")).decode("ascii")
    return f'<img class="nbk-chart" src="data:image/svg+xml;base64,{data}" alt="{esc(alt)}"/>'


def history_bundle(history) -> dict:
    """The History's display bundle: HTML (curves + table), a PNG of the curves, text.

    The PNG is what renderers without HTML or SVG show, and it stays in the saved
    notebook (``image/png`` output), like the live plot's final picture.  Never raises.
    """
    bundle = {"text/html": history_html(history)}
    try:
        bundle["text/plain"] = repr(history)
        hist = {k: list(v) for k, v in history.history.items() if v and all(map(_isnumber, v))}
        if hist:
            from nbkeras.notebook.raster import curves_png

            png = curves_png(svg.history_points(hist, history.epoch),
                             marker=_restored(history))
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
    except Exception:
        pass
    return bundle


# ------------------------------------------------------------------------ optimizer
def optimizer_html(optimizer) -> str:
    """The optimizer's configuration as a key/value table."""
    return safe(_optimizer_html, optimizer)


def _optimizer_html(opt) -> str:
    cfg = opt.get_config()
    keep = {k: v for k, v in cfg.items() if v is not None and v is not False and k != "name"}
    it = getattr(opt, "iterations", None)
    if it is not None:
        keep["iterations"] = int(it)
    keep = {k: _num(v) if isinstance(v, float) or hasattr(v, "dtype") else v
            for k, v in keep.items()}
    inner = (
        f'<div style="font-weight:600">{esc(type(opt).__name__)} '
        f'<span style="{MUTED};font-weight:400">"{esc(cfg.get("name", ""))}"</span></div>'
        + kv_table(keep.items())
    )
    return box(inner, "nbk-optimizer")


__all__ = ["fallback", "history_bundle", "history_html", "layer_html", "model_html", "optimizer_html"]
