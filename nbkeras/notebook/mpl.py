"""Static PNG pictures with matplotlib's Agg canvas (no pyplot: nothing is auto-displayed)."""

from __future__ import annotations

import io

from nbkeras.notebook.svg import PALETTE, metric_groups


def curves_png(points: dict, max_charts: int = 4, dpi: int = 80) -> bytes:
    """Learning curves as PNG bytes: one subplot per metric, train solid, validation dashed.

    Args:
        points: ``{"loss": [(x, y), ...], "val_loss": [...], ...}``.
        max_charts: At most this many subplots.
        dpi: Resolution.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups = metric_groups(list(points))[:max_charts] or [("loss", "loss", None)]
    cols = min(len(groups), 2)
    rows = (len(groups) + cols - 1) // cols
    fig = Figure(figsize=(4.25 * cols, 2.6 * rows), dpi=dpi)
    FigureCanvasAgg(fig)
    for i, (title, tk, vk) in enumerate(groups):
        ax = fig.add_subplot(rows, cols, i + 1)
        for key, color, style, label in ((tk, PALETTE[0], "-", "train"),
                                         (vk, PALETTE[1], "--", "validation")):
            pts = sorted(points.get(key) or []) if key else []
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=color,
                        label=label if vk else key, lw=1.6, marker="o" if len(pts) <= 30 else None,
                        ms=3)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
