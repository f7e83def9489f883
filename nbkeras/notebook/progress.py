"""The live view's data: a plain record of training progress, updated by callbacks.

:class:`Progress` holds everything a progress display shows; it knows nothing about
HTML, text or plots.  :mod:`nbkeras.notebook.render` draws it; the live view
(:mod:`nbkeras.notebook.live`) and the widget UI fill it in.

Example:
    >>> p = Progress(mode="train", phase="training", epoch=1, epochs=3, steps=10, done=4,
    ...              values={"loss": 0.25})
    >>> round(p.fraction, 2)
    0.4
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Progress:
    """A snapshot of a running ``fit``/``evaluate``/``predict``.

    Attributes:
        mode: ``"train"``, ``"test"`` (evaluate) or ``"predict"``.
        phase: ``"compiling"`` (before the first step returned), ``"training"``,
            ``"running"`` (evaluate/predict) or ``"done"``.
        epoch: The current epoch, 0-based.
        epochs: Number of epochs of the fit (1 for evaluate/predict).
        steps: Steps per epoch, None if unknown (a generator).
        done: Steps finished in the current epoch.
        epochs_seen: Epochs finished.
        elapsed: Seconds since the run began.
        compile_s: Seconds the first step took (the compile), once known.
        traced: False if the step was already compiled before this run, None if unknown.
        cached: True if the step's executable came from the persistent compilation
            cache (a re-run of the same architecture) instead of an XLA compile.
        note: Extra text shown after the compile line.
        rate: Steps per second (None until measurable).
        batch_size: Samples per step, to show samples/s (None: show steps/s).
        epoch_eta: Seconds left in this epoch (None if unknown).
        total_eta: Seconds left in the whole run (None if unknown).
        values: The latest scalar logs (``{"loss": 0.3, "val_loss": 0.4}``).
        points: Per log key, ``[(x, value), ...]`` at epoch ends (x = epochs done).
        step_points: Per log key, intermediate points within epochs (x fractional).
        mesh: With a distribution, ``{"devices", "axes", "processes",
            "per_device_batch", ...}`` (``Placement.describe``); None on one device.
        status: How a finished fit ended, when not normally: ``"stopped at epoch 3,
            step 2"``, ``"interrupted at ..."``, ``"failed: ValueError"`` (phase
            ``"stopped"``, ``"interrupted"`` or ``"failed"``).
    """

    mode: str = "train"
    phase: str = "compiling"
    epoch: int = 0
    epochs: int = 1
    steps: int | None = None
    done: int = 0
    epochs_seen: int = 0
    elapsed: float = 0.0
    compile_s: float | None = None
    traced: bool | None = None
    cached: bool = False
    note: str = ""
    rate: float | None = None
    batch_size: int | None = None
    epoch_eta: float | None = None
    total_eta: float | None = None
    values: dict = field(default_factory=dict)
    points: dict = field(default_factory=dict)
    step_points: dict = field(default_factory=dict)
    mesh: dict | None = None
    status: str = ""
    marker: tuple | None = None  # (x, label) marked on the plot, e.g. the restored epoch

    @property
    def fraction(self) -> float | None:
        """Fraction of the current epoch done (1.0 when finished, None if unknown)."""
        if self.phase == "done":
            return 1.0
        return min(self.done / self.steps, 1.0) if self.steps else None

    def curves(self) -> dict:
        """Epoch-end and intermediate points merged, per log key (for plotting)."""
        pts = {k: list(v) for k, v in self.points.items()}
        for k, v in self.step_points.items():
            pts.setdefault(k, []).extend(v)
        return pts
