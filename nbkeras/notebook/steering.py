"""The live view's side of the fit controls: show them, and say how the fit ended.

:class:`~nbkeras.notebook.live.LiveView` calls :func:`attach` when ``fit`` begins and
:func:`outcome` / :meth:`ControlPanel.finish` when it ends.  Everything goes through the
public :class:`~nbkeras.train.FitControl` of ``model.training_state``.
"""

from __future__ import annotations

import os
import threading


def wanted(flag, sink) -> bool:
    """Show controls?  ``flag`` True/False decides; None: in a kernel, with display handles.

    ``NBKERAS_CONTROLS=0`` turns them off everywhere.
    """
    if os.environ.get("NBKERAS_CONTROLS", "").lower() in ("0", "false", "no", "off"):
        return False
    if flag is not None:
        return bool(flag)
    from nbkeras.notebook.panel import DisplaySink
    from nbkeras.notebook.routes import _kernel

    return isinstance(sink, DisplaySink) and _kernel() is not None


def attach(model, show: bool):
    """Build the control panel of the fit that is starting (None if not possible).

    Args:
        model: The model being fitted.
        show: ``display`` the panel (a notebook); else keep it for code and tests.
    """
    state = getattr(model, "training_state", None)
    if state is None:
        return None
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return None
    from nbkeras.notebook import routes
    from nbkeras.notebook.controls import ControlPanel

    route = routes.detect(background=threading.current_thread() is not threading.main_thread())
    panel = ControlPanel(state.control, state.learning_rate, route,
                         schedule=_has_schedule(model))
    if show:
        from IPython.display import display

        display(panel.widget)
    routes.pin(panel.widgets, route)
    return panel


def _has_schedule(model) -> bool:
    opt = getattr(model, "optimizer", None)
    try:
        cfg = opt.get_config()
    except Exception:
        return False
    return isinstance(cfg.get("learning_rate"), dict)


def restored_marker(model):
    """``(x, label)`` for the plot when the model ended with an earlier epoch's weights."""
    epoch = getattr(getattr(model, "history", None), "restored_epoch", None)
    if epoch is None:
        return None
    return (epoch + 1, f"best epoch {epoch + 1} (restored)")


def outcome(model, epoch: int, step: int, error: BaseException | None = None) -> tuple[str, str]:
    """``(phase, text)`` of a fit that ended: done, stopped, interrupted or failed.

    ``epoch`` is 0-based, ``step`` the steps finished in it.
    """
    if error is not None:
        if isinstance(error, KeyboardInterrupt):
            return "interrupted", f"interrupted at epoch {epoch + 1}, step {step}"
        return "failed", f"failed: {type(error).__name__}"
    state = getattr(model, "training_state", None)
    control = getattr(state, "control", None)
    reason = getattr(control, "stop_reason", None)
    if reason == "interrupted":
        return "interrupted", f"interrupted at epoch {epoch + 1}, step {step}"
    if reason is not None:
        return "stopped", f"stopped at epoch {epoch + 1}, step {step}"
    return "done", ""
