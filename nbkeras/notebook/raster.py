"""Fast PNG charts with Pillow (a dependency of matplotlib), from the SVG chart primitives.

Rendering at 2x and downsampling gives anti-aliased lines; a chart takes a few
milliseconds, against ~0.5 s (plus ~1 s of import) with matplotlib.  The live view uses
it for the final static picture.
"""

from __future__ import annotations

import io
import math

from nbkeras.notebook import svg

_FONTS: dict = {}


def _font(size: int, bold: bool):
    from PIL import ImageFont

    key = (size, bold)
    if key not in _FONTS:
        font = None
        for name in (("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"),
                     ("Arial Bold.ttf" if bold else "Arial.ttf")):
            try:
                font = ImageFont.truetype(name, size)
                break
            except OSError:
                continue
        if font is None:
            try:
                import matplotlib

                path = f"{matplotlib.get_data_path()}/fonts/ttf/DejaVuSans{'-Bold' * bold}.ttf"
                font = ImageFont.truetype(path, size)
            except Exception:
                font = ImageFont.load_default()
        _FONTS[key] = font
    return _FONTS[key]


def _dashes(xy, on: float, off: float):
    """Split a polyline into dash segments."""
    out, draw, left = [], True, on
    cur = [xy[0]]
    for (x0, y0), (x1, y1) in zip(xy, xy[1:]):
        seg = math.hypot(x1 - x0, y1 - y0)
        pos = 0.0
        while seg - pos > left:
            pos += left
            t = pos / seg
            p = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            if draw:
                cur.append(p)
                out.append(cur)
            cur = [p]
            draw = not draw
            left = on if draw else off
        left -= seg - pos
        if draw:
            cur.append((x1, y1))
    if draw and len(cur) > 1:
        out.append(cur)
    return out


def draw(prims, width: int, height: int, scale: int = 2):
    """Rasterize chart primitives to a Pillow RGB image of ``width`` x ``height``."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width * scale, height * scale), "white")
    d = ImageDraw.Draw(img)

    def sc(*v):
        return [c * scale for c in v]

    for p in prims:
        kind = p[0]
        if kind == "rect":
            _, x, y, w, h, fill, stroke = p
            d.rectangle(sc(x, y, x + w, y + h), fill=fill, outline=stroke, width=scale)
        elif kind in ("line", "poly"):
            if kind == "line":
                _, x1, y1, x2, y2, color, w, dashed = p
                xy = [(x1, y1), (x2, y2)]
            else:
                _, xy, color, w, dashed, _label = p
            xy = [(x * scale, y * scale) for x, y in xy]
            parts = _dashes(xy, 5 * scale, 3 * scale) if dashed else [xy]
            for part in parts:
                d.line(part, fill=color, width=max(1, round(w * scale)), joint="curve")
        elif kind == "circle":
            _, cx, cy, r, color = p
            d.ellipse(sc(cx - r, cy - r, cx + r, cy + r), fill=color)
        elif kind == "text":
            _, x, y, text, anchor, color, bold = p
            a = {"start": "l", "middle": "m", "end": "r"}[anchor] + "s"
            try:
                d.text((x * scale, y * scale), text, fill=color, font=_font(11 * scale, bold),
                       anchor=a)
            except (ValueError, TypeError):  # bitmap fallback font: no anchors
                d.text((x * scale, y * scale - 10), text, fill=color)
    return img.resize((width, height), Image.LANCZOS)


def curves_png(points: dict, max_charts: int = 4, per_row: int = 2, width: int = 340,
               height: int = 210, marker: tuple[float, str] | None = None) -> bytes:
    """Learning curves as PNG bytes, laid out like :func:`nbkeras.notebook.svg.compose`."""
    from PIL import Image

    charts = svg.curve_series(points, max_charts)
    n = max(len(charts), 1)
    cols = min(n, per_row)
    rows = (n + cols - 1) // cols
    canvas = Image.new("RGB", (cols * width, rows * height), "white")
    for i, (title, series) in enumerate(charts):
        prims = svg.chart_primitives(series, width, height, title=title, marker=marker)
        canvas.paste(draw(prims, width, height), ((i % cols) * width, (i // cols) * height))
    buf = io.BytesIO()
    canvas.quantize(colors=96).save(buf, format="PNG", optimize=True)
    return buf.getvalue()
