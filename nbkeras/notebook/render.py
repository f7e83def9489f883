"""Pure renderers of a :class:`~nbkeras.notebook.progress.Progress` record.

``render_html(p)``, ``render_text(p)``, ``plot_svg(p)``, ``plot_png(p)`` and
``plot_bundle(p)`` read only the record: no clock, no callback, no display, so tests
and other front ends (the widget UI) can call them on a hand-made record.

Example:
    >>> from nbkeras.notebook.progress import Progress
    >>> p = Progress(phase="training", epoch=0, epochs=2, steps=10, done=5,
    ...              values={"loss": 0.5})
    >>> render_text(p)
    'Epoch 1/2 [===============>..............]  50% - loss 0.5'
"""

from __future__ import annotations

import base64
import math

from nbkeras.notebook import svg
from nbkeras.notebook.html import MUTED, esc
from nbkeras.notebook.progress import Progress

BAR_WIDTH = 320


def clock(seconds: float | None) -> str:
    """``m:ss`` or ``h:mm:ss`` ("?" if unknown)."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def ordered_keys(keys) -> list[str]:
    """``loss`` first, then other train metrics, then validation ones in the same order."""
    keys = list(keys)
    return sorted(keys, key=lambda k: (k.startswith("val_"), k.removeprefix("val_") != "loss",
                                       keys.index(k)))


def format_metrics(values: dict, sep: str = " · ") -> str:
    """``"loss 0.25 · accuracy 0.9"`` in :func:`ordered_keys` order."""
    return sep.join(f"{k} {values[k]:.4g}" for k in ordered_keys(values))


def header(p: Progress) -> str:
    """``"Epoch 2/5"``, ``"Evaluate"`` or ``"Predict"``."""
    if p.mode == "train":
        return f"Epoch {min(p.epoch + 1, p.epochs)}/{p.epochs}"
    return "Evaluate" if p.mode == "test" else "Predict"


def mesh_text(p: Progress) -> str:
    """``"8 devices (mesh batch 2 x model 4) · 8 samples per device"``; "" on one device."""
    m = p.mesh
    if not m:
        return ""
    axes = " x ".join(f"{k} {v}" for k, v in m.get("axes", {}).items())
    n = m.get("devices", 0)
    text = f"{n} {m.get('platform', '')} device{'s' * (n != 1)} (mesh {axes})".replace("  ", " ")
    if m.get("processes", 1) > 1:
        text += f" on {m['processes']} processes"
    if m.get("per_device_batch"):
        text += f" · {m['per_device_batch']} samples per device"
    return text


def _compile_html(p: Progress) -> str:
    what = {"train": "train step", "test": "eval step", "predict": "predict step"}[p.mode]
    if p.phase == "compiling":
        return (
            f'<span class="nbk-phase" style="color:#b26b00">⏳ compiling the {what} '
            f"(XLA)…</span>"
        )
    if p.compile_s is None:
        return ""
    if p.traced is False:
        text = f"{what} already compiled (first step {p.compile_s:.2f} s)"
    elif p.cached:
        text = f"{what} loaded from the compilation cache in {p.compile_s:.2f} s"
    else:
        text = f"compiled the {what} in {p.compile_s:.2f} s"
    if p.note:
        text += f"; {p.note}"
    return f'<span class="nbk-compile" style="{MUTED}">{esc(text)}</span>'


def render_html(p: Progress) -> str:
    """The progress panel: header, compile line, bar, steps/ETA/speed, metrics."""
    frac = p.fraction
    pct = "" if frac is None else f"{100 * frac:.0f}%"
    fill = {"done": "#2e7d32", "stopped": "#b26b00", "interrupted": "#b26b00",
            "failed": "#c62828"}.get(p.phase, "#1e88e5")
    bar = (
        f'<div class="nbk-bar" role="progressbar" aria-valuenow="{pct[:-1] or 0}" '
        f'aria-valuemin="0" aria-valuemax="100" style="display:inline-block;'
        f"width:{BAR_WIDTH}px;height:12px;background:#e5e5e5;border-radius:3px;"
        f'vertical-align:middle;overflow:hidden"><div style="width:{100 * (frac or 0):.1f}%;'
        f'height:100%;background:{fill}"></div></div>'
    )
    info = []
    if p.steps:
        info.append(f"{p.done if p.phase != 'done' else p.steps}/{p.steps} steps")
    if p.phase in ("done", "stopped", "interrupted", "failed"):
        info.append(f"{clock(p.elapsed)} total")
    else:
        info.append(f"{clock(p.elapsed)} elapsed")
        if p.epoch_eta is not None:
            eta = f"ETA {clock(p.epoch_eta)}"
            if p.mode == "train" and p.epochs > 1:
                eta += f" (epoch), {clock(p.total_eta)} (all)"
            info.append(eta)
    if p.rate:
        info.append(
            f"{p.rate * p.batch_size:,.0f} samples/s" if p.batch_size else f"{p.rate:,.1f} steps/s"
        )
    head = f"<b>{esc(header(p))}</b>"
    if p.phase == "done" and p.mode == "train":
        head = f"<b>Done</b>: {p.epochs_seen} epoch{'s' * (p.epochs_seen != 1)}"
    elif p.status:
        head = (f'<b class="nbk-status">{esc(p.status)}</b> &nbsp; {p.epochs_seen} '
                f"epoch{'s' * (p.epochs_seen != 1)} done")
    return (
        f'<div class="nbk-live" data-phase="{p.phase}" data-mode="{p.mode}" '
        f'data-progress="{frac if frac is not None else ""}" style="font-family:-apple-system,'
        f'Segoe UI,Helvetica,Arial,sans-serif;font-size:13px;line-height:1.5;color:#222">'
        f"<div>{head} &nbsp; {_compile_html(p)}</div>"
        f'<div>{bar} <span class="nbk-pct" style="font-weight:600">{pct}</span> '
        f'<span class="nbk-info" style="{MUTED}">{esc(" · ".join(info))}</span></div>'
        f'<div class="nbk-metrics" style="font-variant-numeric:tabular-nums">'
        f"{esc(format_metrics(p.values))}</div>"
        + (f'<div class="nbk-mesh" style="{MUTED}">{esc(mesh_text(p))}</div>' if p.mesh else "")
        + "</div>"
    )


def render_text(p: Progress) -> str:
    """One line: header, a 30-character bar, percent and metrics."""
    frac = p.fraction
    width = 30
    filled = int(width * (frac or 0))
    bar = "=" * filled + (">" if filled < width else "") + "." * max(width - filled - 1, 0)
    pct = "" if frac is None else f" {100 * frac:3.0f}%"
    status = f" ({p.status})" if p.status else ""
    line = f"{header(p)}{status} [{bar}]{pct} - {format_metrics(p.values, ' - ')}"
    return f"{line} - {mesh_text(p)}" if p.mesh else line


def plot_svg(p: Progress) -> str:
    """The learning curves (loss and metrics, train vs validation) as one SVG."""
    pts = p.curves()
    charts = (svg.curves_svg(pts, marker=p.marker) if pts
              else [svg.line_chart([], title="loss")])
    return svg.compose(charts)


def plot_png(p: Progress) -> bytes:
    """The learning curves as PNG bytes (for front ends that do not show SVG)."""
    from nbkeras.notebook.raster import curves_png

    return curves_png(p.curves(), marker=p.marker)


def plot_bundle(p: Progress, png: bool = False) -> dict:
    """A display bundle of the plot: SVG, text, and with ``png`` also a PNG."""
    pts = p.curves()
    bundle = {
        "image/svg+xml": plot_svg(p),
        "text/plain": f"<nbkeras live plot: {', '.join(pts) or 'waiting for data'}>",
    }
    if png and pts:
        try:  # Pillow is optional: the SVG is enough where it renders
            bundle["image/png"] = base64.b64encode(plot_png(p)).decode("ascii")
        except Exception:
            pass
    return bundle
