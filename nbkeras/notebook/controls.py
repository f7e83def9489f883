"""Live controls of a running ``fit``: ``Stop``, ``Pause`` and a ``learning rate`` slider.

The widgets only write a thread-safe :class:`~nbkeras.train.FitControl`, which the
training loop reads between two dispatches.  Handlers do no JAX work, no display and
no plotting: under kernel subshells they run on another thread while the cell trains
(see :mod:`nbkeras.notebook.routes` for how clicks get there on each front end).
"""

from __future__ import annotations

import math

from nbkeras.notebook.html import esc

_SPAN = 2.0  # the slider covers lr * 10**-2 .. lr * 10**2


class ControlPanel:
    """The three controls bound to a :class:`~nbkeras.train.FitControl`.

    Args:
        control: The control object of the fit.
        learning_rate: The current learning rate (the slider starts there); None hides
            the slider (an optimizer without one).
        route: How clicks reach the loop (:func:`nbkeras.notebook.routes.detect`);
            without a live route the controls are disabled and say why.
        schedule: The optimizer follows a schedule: the slider then scales it.

    Example:
        >>> from nbkeras.train import FitControl
        >>> from nbkeras.notebook.routes import Route
        >>> panel = ControlPanel(FitControl(), 1e-3, Route("background", True))
        >>> panel.stop_button.click(); panel.control.stop_requested
        True
    """

    def __init__(self, control, learning_rate: float | None, route, schedule: bool = False):
        import ipywidgets as W

        self.control = control
        self.route = route
        self.stop_button = W.Button(description="Stop", button_style="danger", icon="stop",
                                    tooltip="Stop after the current step; History is kept")
        self.pause_button = W.ToggleButton(description="Pause", value=False, icon="pause",
                                           tooltip="Hold the training loop (press again to "
                                           "resume)")
        self.stop_button.on_click(self._on_stop)
        self.pause_button.observe(self._on_pause, names="value")
        children = [self.stop_button, self.pause_button]
        self.lr_slider = None
        if learning_rate is not None and math.isfinite(learning_rate) and learning_rate > 0:
            e = math.log10(learning_rate)
            self.lr_slider = W.FloatLogSlider(
                value=learning_rate, base=10, min=e - _SPAN, max=e + _SPAN, step=0.05,
                description="learning rate", readout_format=".2e", continuous_update=False,
                style={"description_width": "initial"},
                tooltip="scales the schedule" if schedule else "",
            )
            self.lr_slider.observe(self._on_lr, names="value")
            children.append(self.lr_slider)
        self.note = W.HTML()
        self.widget = W.HBox([*children, self.note])
        self.widget.add_class("nbk-controls")
        self.schedule = schedule
        if not route.live:
            self.disable(f"controls unavailable: {route.reason}.")
        elif schedule:
            self.note.value = _note("the slider scales the learning-rate schedule")

    @property
    def widgets(self) -> list:
        """Every widget whose events must reach the loop."""
        return [w for w in (self.stop_button, self.pause_button, self.lr_slider) if w is not None]

    # ------------------------------------------------------------------ handlers
    def _on_stop(self, _button) -> None:
        self.control.request_stop()

    def _on_pause(self, change) -> None:
        if change["new"]:
            self.control.pause()
        else:
            self.control.resume()

    def _on_lr(self, change) -> None:
        self.control.set_learning_rate(float(change["new"]))

    # ------------------------------------------------------------------ state
    def disable(self, reason: str) -> None:
        """Grey the controls out and show ``reason``."""
        for w in self.widgets:
            w.disabled = True
        self.note.value = _note(reason, "nbk-controls-off")

    def finish(self, text: str) -> None:
        """The fit ended: grey the controls out and show how it ended."""
        if self.pause_button.value:
            self.pause_button.value = False
        for w in self.widgets:
            w.disabled = True
        self.note.value = _note(text, "nbk-controls-done")


def _note(text: str, css: str = "nbk-controls-note") -> str:
    return f'<span class="{css}" style="color:#777;margin-left:8px">{esc(text)}</span>'


__all__ = ["ControlPanel"]
