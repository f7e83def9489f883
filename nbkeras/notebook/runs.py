"""The explorer's data and drawings: run records, the runs table, the overlaid curves.

Pure functions of the records (no widgets, no training), so tests can call them on
hand-made runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from nbkeras.notebook import svg
from nbkeras.notebook.html import MUTED, esc, table


def lower_is_better(metric: str) -> bool:
    """``loss``/``error``-like metrics are minimised, others (accuracy, auc...) maximised."""
    return any(w in metric for w in ("loss", "error", "mse", "mae", "crossentropy"))


@dataclass
class Run:
    """One training run of the explorer.

    Attributes:
        index: 1-based run number (the order of queuing).
        hparams: ``{name: value}`` given to ``build_fn``.
        status: ``queued``, ``running``, ``done``, ``stopped``, ``cancelled`` or
            ``failed: <error type>``.
        history: The run's :class:`~nbkeras.callbacks.History` (partial while running).
        model: The trained model (None until built).
        seconds: Wall time of ``fit``.
        error: The exception of a failed run.
    """

    index: int
    hparams: dict
    status: str = "queued"
    history: object = None
    model: object = None
    seconds: float = 0.0
    error: BaseException | None = None
    points: dict = field(default_factory=dict)  # {metric: [(epoch, value), ...]} live

    @property
    def epochs(self) -> int:
        """Epochs completed."""
        return max((len(v) for v in self.points.values()), default=0)

    def best(self, metric: str) -> float:
        """The best value of ``metric`` over the epochs (nan if never logged)."""
        vals = [v for _, v in self.points.get(metric, []) if math.isfinite(v)]
        if not vals:
            return float("nan")
        return min(vals) if lower_is_better(metric) else max(vals)

    def label(self) -> str:
        return f"run {self.index}"


def _fmt(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if not math.isfinite(v):
        return "-"
    return f"{v:.4g}"


COLUMNS_AFTER = ("epochs", "time", "status")


def columns(names, metric: str) -> list[str]:
    """Table columns: ``run``, the hyperparameters, ``best <metric>``, epochs, time, status."""
    return ["run", *names, f"best {metric}", *COLUMNS_AFTER]


def sort_key(run: Run, column: str, metric: str):
    """The value a column sorts by (missing/nan values last)."""
    if column == "run":
        v = run.index
    elif column == f"best {metric}":
        v = run.best(metric)
    elif column == "epochs":
        v = run.epochs
    elif column == "time":
        v = run.seconds
    elif column == "status":
        v = run.status
    else:
        v = run.hparams.get(column)
    if isinstance(v, float) and math.isnan(v):
        return (1, 0, "")
    if isinstance(v, (int, float)):
        return (0, float(v), "")
    return (0, 0, str(v))


def sorted_runs(runs, column: str, metric: str, descending: bool = False) -> list[Run]:
    """``runs`` ordered by ``column``; runs without a value stay last either way."""
    have = [r for r in runs if sort_key(r, column, metric)[0] == 0]
    missing = [r for r in runs if sort_key(r, column, metric)[0] == 1]
    have.sort(key=lambda r: sort_key(r, column, metric), reverse=descending)
    return have + missing


def table_html(runs, names, metric: str, sort_by: str = "run", descending: bool = False) -> str:
    """The runs table (best run's row in bold)."""
    if not runs:
        return f'<div class="nbk-runs" style="{MUTED}">No runs yet: press Train.</div>'
    best = best_run(runs, metric)
    rows = []
    for r in sorted_runs(runs, sort_by, metric, descending):
        cells = [str(r.index), *(_fmt(r.hparams.get(n)) for n in names), _fmt(r.best(metric)),
                 str(r.epochs), f"{r.seconds:.1f} s", r.status]
        cells = [esc(c) for c in cells]
        if best is r:
            cells = [f"<b>{c}</b>" for c in cells]
        rows.append(cells)
    cols = columns(names, metric)
    right = [0, *(i + 1 for i, n in enumerate(names)), len(names) + 1, len(names) + 2,
             len(names) + 3]
    return table(cols, rows, right=right, raw=True, css_class="nbk-runs")


def best_run(runs, metric: str) -> Run | None:
    """The run with the best ``metric`` (None if no run logged it)."""
    scored = [r for r in runs if math.isfinite(r.best(metric))]
    if not scored:
        return None
    pick = min if lower_is_better(metric) else max
    return pick(scored, key=lambda r: r.best(metric))


def overlay_svg(runs, metric: str, width: int = 520, height: int = 260) -> str:
    """One chart of ``metric`` per epoch, one coloured line per run (legend: ``run i``)."""
    series = []
    for r in runs:
        pts = sorted(r.points.get(metric, []))
        if not pts:
            continue
        color = svg.PALETTE[(r.index - 1) % len(svg.PALETTE)]
        series.append(svg.Series(r.label(), [p[0] for p in pts], [p[1] for p in pts], color,
                                 markers=len(pts) <= 30))
    return svg.line_chart(series, width=width, height=height, title=metric,
                          css_class="nbk-explorer-plot")
