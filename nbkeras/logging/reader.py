"""Read TensorBoard logs back without a server: ``scalars(log_dir)`` and ``plot_scalars``."""

from __future__ import annotations

import os


def _runs(log_dir: str) -> dict[str, str]:
    runs = {}
    for root, _dirs, files in os.walk(log_dir):
        if any("tfevents" in f for f in files):
            rel = os.path.relpath(root, log_dir)
            runs[rel.replace(os.sep, "/")] = root
    return dict(sorted(runs.items()))


def scalars(log_dir: str | os.PathLike) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """All scalar series under ``log_dir``, by run and tag.

    Reads both TF-free v2 scalars (stored as tensors) and legacy ``simple_value``
    scalars, so logs written by Keras/TensorFlow or tensorboardX work too.

    Args:
        log_dir: A directory as passed to ``tensorboard --logdir``; every
            subdirectory holding event files is a run (``"."`` for the directory itself).

    Returns:
        ``{run: {tag: [(step, value), ...]}}`` sorted by step, e.g.
        ``{"train": {"epoch_loss": [(0, 0.9), (1, 0.5)]}, "validation": {...}}``.

    Raises:
        FileNotFoundError: If ``log_dir`` does not exist.

    Example:
        >>> from nbkeras.logging import SummaryWriter
        >>> with SummaryWriter("logs/fit/validation") as w:
        ...     w.scalar("epoch_loss", 0.75, step=0)
        ...     w.scalar("epoch_loss", 0.5, step=1)
        >>> scalars("logs/fit")["validation"]["epoch_loss"]
        [(0, 0.75), (1, 0.5)]
    """
    from tensorboard.backend.event_processing import event_accumulator as ea_mod
    from tensorboard.util import tensor_util

    log_dir = os.fspath(log_dir)
    if not os.path.isdir(log_dir):
        raise FileNotFoundError(
            f"No log directory at '{log_dir}'. Pass the `log_dir` given to the TensorBoard "
            "callback (or a parent of it)."
        )
    out: dict[str, dict[str, list[tuple[int, float]]]] = {}
    guidance = {ea_mod.TENSORS: 0, ea_mod.SCALARS: 0}
    for run, path in _runs(log_dir).items():
        acc = ea_mod.EventAccumulator(path, size_guidance=guidance)
        acc.Reload()
        series: dict[str, dict[int, float]] = {}
        tags = acc.Tags()
        for tag in tags.get("tensors", []):
            meta = acc.SummaryMetadata(tag)
            if meta.plugin_data.plugin_name != "scalars":
                continue
            for ev in acc.Tensors(tag):
                value = tensor_util.make_ndarray(ev.tensor_proto)
                series.setdefault(tag, {})[ev.step] = float(value)
        for tag in tags.get("scalars", []):
            for ev in acc.Scalars(tag):
                series.setdefault(tag, {})[ev.step] = float(ev.value)
        if series:
            out[run] = {t: sorted(v.items()) for t, v in sorted(series.items())}
    return out


def plot_scalars(
    log_dir: str | os.PathLike,
    tags: list[str] | None = None,
    runs: list[str] | None = None,
    ncols: int = 3,
):
    """Plot scalar series from ``log_dir`` with matplotlib (one panel per tag).

    Works in a notebook without starting TensorBoard, and leaves a static PNG in the
    saved notebook. Runs such as ``train``/``validation`` become lines in each panel.

    Args:
        log_dir: The TensorBoard log directory.
        tags: Tags to plot (default: every scalar tag, e.g. ``epoch_loss``).
        runs: Runs to include (default: all).
        ncols: Panels per row.

    Returns:
        The ``matplotlib.figure.Figure`` (already closed, so it shows once when it is
        the cell's result).

    Raises:
        ValueError: If no scalars match.

    Example:
        >>> from nbkeras.logging import SummaryWriter
        >>> with SummaryWriter("logs/fit/train") as w:
        ...     w.scalar("epoch_loss", 0.75, step=0)
        >>> fig = plot_scalars("logs/fit", tags=["epoch_loss"])
    """
    import matplotlib.pyplot as plt

    data = scalars(log_dir)
    if runs is not None:
        data = {r: v for r, v in data.items() if r in runs}
    all_tags = sorted({t for series in data.values() for t in series})
    chosen = all_tags if tags is None else [t for t in tags if t in all_tags]
    if not chosen:
        raise ValueError(
            f"No scalars to plot under '{os.fspath(log_dir)}' for tags={tags!r}, runs={runs!r}. "
            f"Available tags: {all_tags}; runs: {sorted(data)}."
        )
    ncols = max(1, min(ncols, len(chosen)))
    nrows = -(-len(chosen) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 3 * nrows), squeeze=False)
    for ax, tag in zip(axes.flat, chosen):
        for run, series in data.items():
            if tag in series:
                steps, values = zip(*series[tag])
                ax.plot(steps, values, marker="o" if len(steps) < 30 else None, label=run)
        ax.set_title(tag)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    for ax in list(axes.flat)[len(chosen):]:
        ax.set_visible(False)
    fig.tight_layout()
    plt.close(fig)
    return fig
