"""Hyperparameter spaces in ipywidgets' shorthand: one widget per hyperparameter.

``(lo, hi)`` or ``(lo, hi, step)`` -> slider (int or float, as ``ipywidgets.interact``),
``(lo, hi, "log")`` -> log-scale slider, a list -> dropdown, a bool -> checkbox.
Everything except the log slider is built by ipywidgets' own
``interactive.widget_from_abbrev``, so the shorthand means exactly what it means in
``@interact``.  The widgets are the single source of truth: a random or grid search
reads their ranges and sets their values, exactly as a person moving them would.

ipywidgets is imported only when a space is built (``import nbkeras`` stays light).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import numpy as np

_GRID_POINTS = 5  # per continuous hyperparameter in a grid search


def _check_space(space) -> None:
    if not isinstance(space, Mapping) or not space:
        raise TypeError(
            "explore() expected `space` to be a non-empty dict {name: shorthand}, e.g. "
            f"{{'units': (8, 128, 8), 'lr': (1e-4, 1e-1, 'log')}}; received {space!r}."
        )
    for name in space:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                f"Hyperparameter names must be identifiers (they label the sliders and "
                f"are the keys of hp); received {name!r}."
            )


def _log_slider(name: str, abbrev: tuple):
    import ipywidgets as W

    lo, hi = abbrev[0], abbrev[1]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi)) or (
        not 0 < lo < hi
    ):
        raise ValueError(
            f"Hyperparameter '{name}': a log range needs 0 < lo < hi, received {abbrev!r}. "
            "Example: (1e-4, 1e-1, 'log')."
        )
    lo_e, hi_e = math.log10(lo), math.log10(hi)
    mid = 10 ** ((lo_e + hi_e) / 2)
    return W.FloatLogSlider(
        value=mid, base=10, min=lo_e, max=hi_e, step=(hi_e - lo_e) / 100, readout_format=".2e"
    )


def build_widgets(space: Mapping) -> dict:
    """``{name: widget}`` for a space in shorthand, each labelled with its name.

    Raises:
        TypeError: ``space`` is not a dict.
        ValueError: A shorthand ipywidgets cannot turn into a widget.

    Example:
        >>> ws = build_widgets({"units": (8, 64, 8), "lr": (1e-4, 1e-1, "log")})
        >>> type(ws["units"]).__name__, type(ws["lr"]).__name__
        ('IntSlider', 'FloatLogSlider')
    """
    from ipywidgets import interactive

    _check_space(space)
    out = {}
    for name, abbrev in space.items():
        if isinstance(abbrev, tuple) and len(abbrev) == 3 and abbrev[2] == "log":
            w = _log_slider(name, abbrev)
        else:
            try:
                w = interactive.widget_from_abbrev(abbrev)
            except (TypeError, ValueError) as e:
                e.add_note(f"(while building the widget of hyperparameter '{name}')")
                raise
            if w is None or not hasattr(w, "value"):
                raise ValueError(
                    f"Hyperparameter '{name}': cannot make a widget from {abbrev!r}. Use "
                    "(lo, hi), (lo, hi, step), (lo, hi, 'log'), a list of choices or a bool."
                )
        w.description = name
        w.style = {"description_width": "initial"}
        out[name] = w
    return out


def values(widgets: Mapping) -> dict:
    """The current ``{name: value}`` of the widgets (NumPy scalars made Python)."""
    out = {}
    for k, w in widgets.items():
        v = w.value
        out[k] = v.item() if isinstance(v, np.generic) else v
    return out


def _choices(w) -> list | None:
    """The values a discrete widget can take, or None for a continuous one."""
    name = type(w).__name__
    if name == "Checkbox":
        return [False, True]
    if hasattr(w, "options") and not hasattr(w, "min"):
        opts = list(w.options)
        # Dropdown options are labels or (label, value) pairs.
        return [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in opts]
    if name == "IntSlider":
        n = (w.max - w.min) // max(w.step, 1) + 1
        if n <= _GRID_POINTS:
            return [w.min + i * w.step for i in range(n)]
    return None


def _is_log(w) -> bool:
    return type(w).__name__ == "FloatLogSlider"


def _snap(w, v):
    """A value the widget accepts (on its step grid, inside its range)."""
    if _is_log(w):
        e = min(max(math.log10(v), w.min), w.max)
        return float(w.base ** e)
    lo, hi, step = w.min, w.max, w.step
    if type(w).__name__ == "IntSlider":
        return int(min(max(lo + round((v - lo) / step) * step, lo), hi))
    if step:
        v = round(lo + round((v - lo) / step) * step, 12)
    return float(min(max(v, lo), hi))


def sample(widgets: Mapping, rng: np.random.Generator) -> dict:
    """One random point: uniform (log-uniform for log sliders), snapped to the widgets."""
    out = {}
    for k, w in widgets.items():
        ch = _choices(w)
        if ch is not None:
            out[k] = ch[int(rng.integers(len(ch)))]
        elif _is_log(w):
            out[k] = _snap(w, 10 ** rng.uniform(w.min, w.max))
        else:
            out[k] = _snap(w, rng.uniform(w.min, w.max))
    return out


def grid(widgets: Mapping, n: int) -> list[dict]:
    """The first ``n`` points of a grid: choices as given, ranges in ``_GRID_POINTS`` steps."""
    axes = []
    for w in widgets.values():
        ch = _choices(w)
        if ch is None:
            if _is_log(w):
                pts = [w.base ** e for e in np.linspace(w.min, w.max, _GRID_POINTS)]
            else:
                pts = list(np.linspace(w.min, w.max, _GRID_POINTS))
            ch = list(dict.fromkeys(_snap(w, p) for p in pts))
        axes.append(ch)
    names = list(widgets)
    return [dict(zip(names, combo)) for combo in itertools.islice(itertools.product(*axes), n)]


def hparams_for_tensorboard(hp: Mapping) -> dict:
    """``hp`` with values TensorBoard's HParams accepts (bool, int, float, str)."""
    out = {}
    for k, v in hp.items():
        if isinstance(v, np.generic):
            v = v.item()
        out[k] = v if isinstance(v, (bool, int, float, str)) else str(v)
    return out
