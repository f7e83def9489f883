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


def line_chart(
    series: Sequence[Series],
    *,
    width: int = 340,
    height: int = 210,
    title: str = "",
    xlabel: str = "epoch",
    max_points: int = 240,
    css_class: str = "nbk-chart",
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

    Returns:
        The ``<svg>`` element as a string.
    """
    left, right, top, bottom = 46, 10, 24, 34
    pw, ph = width - left - right, height - top - bottom
    pts = []
    for s in series:
        xs, ys = downsample(list(s.xs), list(s.ys), max_points)
        pts.append([(float(x), float(y)) for x, y in zip(xs, ys) if _finite(x) and _finite(y)])
    allx = [p[0] for ps in pts for p in ps]
    ally = [p[1] for ps in pts for p in ps]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" {FONT} font-size="11">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if title:
        out.append(
            f'<text x="{left}" y="14" font-weight="600" fill="#333">{escape(title)}</text>'
        )
    if not allx:
        out.append(
            f'<text x="{left + pw / 2:.1f}" y="{top + ph / 2:.1f}" text-anchor="middle" '
            f'fill="#888">waiting for data…</text></svg>'
        )
        return "".join(out)
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
            out.append(
                f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#e6e6e6"/>'
                f'<text x="{left - 4}" y="{y + 3.5:.1f}" text-anchor="end" fill="#555">'
                f"{fmt_num(t)}</text>"
            )
    for t in nice_ticks(x0, x1, 6):
        if x0 <= t <= x1:
            x = sx(t)
            out.append(
                f'<line x1="{x:.1f}" y1="{top + ph}" x2="{x:.1f}" y2="{top + ph + 4}" '
                f'stroke="#888"/><text x="{x:.1f}" y="{top + ph + 15}" text-anchor="middle" '
                f'fill="#555">{fmt_num(t)}</text>'
            )
    out.append(
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>'
        f'<text x="{left + pw / 2:.1f}" y="{height - 4}" text-anchor="middle" fill="#555">'
        f"{escape(xlabel)}</text>"
    )
    for s, ps in zip(series, pts):
        dash = ' stroke-dasharray="5,3"' if s.dashed else ""
        coords = [f"{sx(x):.1f},{sy(y):.1f}" for x, y in ps]
        if len(coords) == 1:
            cx, cy = coords[0].split(",")
            out.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{s.color}"/>')
        elif coords:
            out.append(
                f'<polyline class="nbk-series" data-label="{escape(s.label)}" '
                f'fill="none" stroke="{s.color}" stroke-width="{s.width}"{dash} '
                f'stroke-linejoin="round" points="{" ".join(coords)}"/>'
            )
        if s.markers and len(ps) <= 60:
            out.extend(
                f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2" fill="{s.color}"/>'
                for x, y in ps
            )
    # legend, right-aligned in the top margin
    lx = left + pw
    for s in reversed(series):
        label = s.label[:18]
        lx -= 26 + 6.2 * len(label)
        dash = ' stroke-dasharray="5,3"' if s.dashed else ""
        out.append(
            f'<line x1="{lx:.1f}" y1="{top - 9}" x2="{lx + 18:.1f}" y2="{top - 9}" '
            f'stroke="{s.color}" stroke-width="2"{dash}/><text x="{lx + 21:.1f}" y="{top - 5}" '
            f'fill="#333">{escape(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


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


def curves_svg(
    points: dict,
    max_charts: int = 4,
    width: int = 340,
    height: int = 210,
) -> list[str]:
    """One SVG chart per metric: train solid, validation dashed.

    Args:
        points: ``{"loss": [(x, y), ...], "val_loss": [...], ...}``.
        max_charts: At most this many charts (loss first).
        width: Width of each chart.
        height: Height of each chart.

    Returns:
        A list of ``<svg>`` strings.
    """
    charts = []
    for title, tk, vk in metric_groups(list(points))[:max_charts]:
        tp = sorted(points[tk])
        series = [
            Series("train" if vk else tk, [p[0] for p in tp], [p[1] for p in tp], PALETTE[0],
                   markers=len(tp) <= 30)
        ]
        if vk:
            vp = sorted(points[vk])
            series.append(
                Series("validation", [p[0] for p in vp], [p[1] for p in vp], PALETTE[1],
                       dashed=True, markers=len(vp) <= 30)
            )
        charts.append(line_chart(series, title=title, width=width, height=height))
    return charts


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
