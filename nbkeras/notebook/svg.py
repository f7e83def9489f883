"""Small, dependency-free SVG charts: learning curves for reprs and the live view.

Everything is inline attributes (no ``<style>``), so the SVG renders the same in
JupyterLab, VS Code, nbviewer and as a standalone file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
)
MARKER_COLOR = "#6a3d9a"
FONT = "font-family=\"-apple-system,Segoe UI,Helvetica,Arial,sans-serif\""


@dataclass
class Series:
    """One line of a chart: ``xs``/``ys`` of equal length (non-finite points leave gaps)."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    color: str = PALETTE[0]
    dashed: bool = False
    markers: bool = False
    width: float = 1.8
    extra: dict = field(default_factory=dict)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values (1, 2, 5 x 10^k steps) covering ``[lo, hi]``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-9 and len(ticks) < 50:
        ticks.append(0.0 if abs(t) < step * 1e-9 else t)
        t += step
    return ticks


def fmt_num(v: float) -> str:
    """Compact tick label: ``0.25``, ``1e-05``, ``1.2k``."""
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 10000:
        return f"{v / 1000:.0f}k"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 0.01:
        return f"{v:.3g}"
    return f"{v:.0e}"


def downsample(xs: Sequence[float], ys: Sequence[float], max_points: int):
    """At most ``max_points`` evenly spaced points, always keeping the first and last."""
    n = len(xs)
    if n <= max_points or max_points < 2:
        return list(xs), list(ys)
    idx = sorted({round(i * (n - 1) / (max_points - 1)) for i in range(max_points)})
    return [xs[i] for i in idx], [ys[i] for i in idx]


def _finite(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def chart_primitives(
    series: Sequence[Series],
    width: int = 340,
    height: int = 210,
    title: str = "",
    xlabel: str = "epoch",
    max_points: int = 240,
    marker: tuple[float, str] | None = None,
) -> list[tuple]:
    """The drawing of a line chart as primitives, for the SVG and the PNG writers.

    Each primitive is one of ``("rect", x, y, w, h, fill, stroke)``,
    ``("line", x1, y1, x2, y2, color, width, dashed)``,
    ``("poly", points, color, width, dashed, label)``, ``("circle", cx, cy, r, color)``,
    ``("text", x, y, text, anchor, color, bold)`` (``anchor``: start, middle or end).
    ``marker`` ``(x, label)`` draws a dashed vertical line at ``x`` (e.g. the best epoch).
    """
    left, right, top, bottom = 46, 10, 24, 34
    pw, ph = width - left - right, height - top - bottom
    pts = []
    for s in series:
        xs, ys = downsample(list(s.xs), list(s.ys), max_points)
        pts.append([(float(x), float(y)) for x, y in zip(xs, ys) if _finite(x) and _finite(y)])
    allx = [p[0] for ps in pts for p in ps]
    ally = [p[1] for ps in pts for p in ps]
    out: list[tuple] = [("rect", 0, 0, width, height, "#ffffff", None)]
    if title:
        out.append(("text", left, 14, title, "start", "#333", True))
    if not allx:
        out.append(("text", left + pw / 2, top + ph / 2, "waiting for data…", "middle", "#888",
                    False))
        return out
    x0, x1 = min(allx), max(allx)
    y0, y1 = min(ally), max(ally)
    if x1 <= x0:
        x0, x1 = x0 - 0.5, x0 + 0.5
    pad = (y1 - y0) * 0.06 or (abs(y0) * 0.1 or 0.5)
    y0, y1 = y0 - pad, y1 + pad

    def sx(x):
        return left + (x - x0) / (x1 - x0) * pw

    def sy(y):
        return top + ph - (y - y0) / (y1 - y0) * ph

    for t in nice_ticks(y0, y1, 5):
        if y0 <= t <= y1:
            y = sy(t)
            out.append(("line", left, y, left + pw, y, "#e6e6e6", 1, False))
            out.append(("text", left - 4, y + 3.5, fmt_num(t), "end", "#555", False))
    for t in nice_ticks(x0, x1, 6):
        if x0 <= t <= x1:
            x = sx(t)
            out.append(("line", x, top + ph, x, top + ph + 4, "#888", 1, False))
            out.append(("text", x, top + ph + 15, fmt_num(t), "middle", "#555", False))
    out.append(("rect", left, top, pw, ph, None, "#999"))
    if marker is not None and x0 <= marker[0] <= x1:
        mx = sx(marker[0])
        out.append(("line", mx, top, mx, top + ph, MARKER_COLOR, 1.2, True))
        anchor = "end" if mx > left + pw / 2 else "start"
        out.append(("text", mx + (-3 if anchor == "end" else 3), top + 11, marker[1], anchor,
                    MARKER_COLOR, False))
    out.append(("text", left + pw / 2, height - 4, xlabel, "middle", "#555", False))
    for s, ps in zip(series, pts):
        xy = [(sx(x), sy(y)) for x, y in ps]
        if len(xy) == 1:
            out.append(("circle", xy[0][0], xy[0][1], 2.5, s.color))
        elif xy:
            out.append(("poly", xy, s.color, s.width, s.dashed, s.label))
        if s.markers and len(xy) <= 60:
            out.extend(("circle", x, y, 2, s.color) for x, y in xy)
    lx = left + pw  # legend, right-aligned in the top margin
    for s in reversed(series):
        label = s.label[:18]
        lx -= 26 + 6.2 * len(label)
        out.append(("line", lx, top - 9, lx + 18, top - 9, s.color, 2, s.dashed))
        out.append(("text", lx + 21, top - 5, label, "start", "#333", False))
    return out


def primitives_svg(prims: Sequence[tuple], width: int, height: int,
                   css_class: str = "nbk-chart") -> str:
    """Write primitives (see :func:`chart_primitives`) as a standalone ``<svg>``."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" {FONT} font-size="11">'
    ]
    dash = ' stroke-dasharray="5,3"'
    for p in prims:
        kind = p[0]
        if kind == "rect":
            _, x, y, w, h, fill, stroke = p
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                f'fill="{fill or "none"}"' + (f' stroke="{stroke}"' if stroke else "") + "/>"
            )
        elif kind == "line":
            _, x1, y1, x2, y2, color, w, dashed = p
            out.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="{color}" stroke-width="{w}"{dash if dashed else ""}/>'
            )
        elif kind == "poly":
            _, xy, color, w, dashed, label = p
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            out.append(
                f'<polyline class="nbk-series" data-label="{escape(label)}" fill="none" '
                f'stroke="{color}" stroke-width="{w}"{dash if dashed else ""} '
                f'stroke-linejoin="round" points="{coords}"/>'
            )
        elif kind == "circle":
            _, cx, cy, r, color = p
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{color}"/>')
        elif kind == "text":
            _, x, y, text, anchor, color, bold = p
            weight = ' font-weight="600"' if bold else ""
            out.append(
                f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{color}"'
                f"{weight}>{escape(text)}</text>"
            )
    out.append("</svg>")
    return "".join(out)


def line_chart(
    series: Sequence[Series],
    *,
    width: int = 340,
    height: int = 210,
    title: str = "",
    xlabel: str = "epoch",
    max_points: int = 240,
    css_class: str = "nbk-chart",
    marker: tuple[float, str] | None = None,
) -> str:
    """An SVG line chart with axes, grid, ticks and a legend.

    Args:
        series: The lines to draw.
        width: Width in pixels.
        height: Height in pixels.
        title: Title above the plot area.
        xlabel: Label of the x axis.
        max_points: Each series is downsampled to at most this many points.
        css_class: ``class`` attribute of the ``<svg>`` element.
        marker: ``(x, label)``: a dashed vertical line with a label (e.g. the best epoch).

    Returns:
        The ``<svg>`` element as a string.
    """
    prims = chart_primitives(series, width, height, title, xlabel, max_points, marker)
    return primitives_svg(prims, width, height, css_class)


def metric_groups(keys: Sequence[str]) -> list[tuple[str, str, str | None]]:
    """Pair train and validation keys: ``[(title, train_key, val_key or None), ...]``.

    ``loss`` comes first; a ``val_x`` without a train ``x`` is kept on its own.
    """
    keys = list(keys)
    train = [k for k in keys if not k.startswith("val_")]
    train.sort(key=lambda k: (k != "loss", keys.index(k)))
    groups = [(k, k, f"val_{k}" if f"val_{k}" in keys else None) for k in train]
    groups += [(k, k, None) for k in keys if k.startswith("val_") and k[4:] not in train]
    return groups


def history_points(history: dict, epochs: Sequence[int] | None = None) -> dict:
    """``{"loss": [(1, 0.9), (2, 0.5)], ...}`` from per-epoch lists (x = epoch number).

    A key recorded on fewer epochs (``validation_freq > 1``) is aligned to the last ones.
    """
    n = max((len(v) for v in history.values()), default=0)
    xs = [e + 1 for e in epochs][-n:] if epochs and len(epochs) >= n else list(range(1, n + 1))
    return {k: list(zip(xs[len(xs) - len(v):], v)) for k, v in history.items()}


def curve_series(points: dict, max_charts: int = 4) -> list[tuple[str, list[Series]]]:
    """``[(title, [train Series, validation Series]), ...]``, one entry per metric."""
    out = []
    for title, tk, vk in metric_groups(list(points))[:max_charts]:
        tp = sorted(points[tk])
        series = [Series("train" if vk else tk, [p[0] for p in tp], [p[1] for p in tp],
                         PALETTE[0], markers=len(tp) <= 30)]
        if vk:
            vp = sorted(points[vk])
            series.append(Series("validation", [p[0] for p in vp], [p[1] for p in vp],
                                 PALETTE[1], dashed=True, markers=len(vp) <= 30))
        out.append((title, series))
    return out


def curves_svg(points: dict, max_charts: int = 4, width: int = 340,
               height: int = 210, marker: tuple[float, str] | None = None) -> list[str]:
    """One SVG chart per metric: train solid, validation dashed.

    Args:
        points: ``{"loss": [(x, y), ...], "val_loss": [...], ...}``.
        max_charts: At most this many charts (loss first).
        width: Width of each chart.
        height: Height of each chart.
        marker: ``(x, label)`` marked on every chart (e.g. the restored best epoch).

    Returns:
        A list of ``<svg>`` strings.
    """
    return [line_chart(series, title=title, width=width, height=height, marker=marker)
            for title, series in curve_series(points, max_charts)]


def compose(charts: Sequence[str], per_row: int = 2, width: int = 340, height: int = 210,
            css_class: str = "nbk-plot") -> str:
    """Put chart ``<svg>`` strings on one standalone SVG canvas, ``per_row`` per row."""
    n = max(len(charts), 1)
    cols = min(n, per_row)
    rows = (n + cols - 1) // cols
    w, h = cols * width, rows * height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" width="{w}" '
        f'height="{h}" viewBox="0 0 {w} {h}">'
    ]
    for i, c in enumerate(charts):
        x, y = (i % cols) * width, (i // cols) * height
        parts.append(c.replace("<svg ", f'<svg x="{x}" y="{y}" ', 1))
    parts.append("</svg>")
    return "".join(parts)
