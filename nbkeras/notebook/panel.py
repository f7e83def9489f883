"""The live view's panel: sinks for display bundles, and the progress HTML/text.

:class:`PanelMixin` renders the state kept by :class:`nbkeras.notebook.live.LiveView`.
"""

from __future__ import annotations

import json
import math

from nbkeras.notebook.html import MUTED, esc

BAR_WIDTH = 320

class DisplaySink:
    """Shows each part once with a display id, then updates it in place."""

    def __init__(self):
        self.handles = {}

    def put(self, key: str, bundle: dict) -> None:
        from IPython.display import display

        handle = self.handles.get(key)
        if handle is None:
            self.handles[key] = display(bundle, raw=True, display_id=True)
        else:
            handle.update(bundle, raw=True)


class RecordingSink:
    """Keeps the latest bundle of each part (tests, benchmarks); serializes like a kernel."""

    def __init__(self):
        self.current: dict[str, dict] = {}
        self.count: dict[str, int] = {}
        self.bytes_sent = 0

    def put(self, key: str, bundle: dict) -> None:
        self.bytes_sent += len(json.dumps(bundle))
        self.current[key] = bundle
        self.count[key] = self.count.get(key, 0) + 1


def _clock(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "?"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _scalars(logs) -> dict:
    out = {}
    for k, v in (logs or {}).items():
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        out[k] = f
    return out


def ordered_keys(keys) -> list[str]:
    """``loss`` first, then other train metrics, then validation ones in the same order."""
    keys = list(keys)
    return sorted(keys, key=lambda k: (k.startswith("val_"), k.removeprefix("val_") != "loss",
                                       keys.index(k)))


def _fmt_metrics(vals: dict, sep: str = " · ") -> str:
    return sep.join(f"{k} {vals[k]:.4g}" for k in ordered_keys(vals))


class PanelMixin:
    """Progress bar HTML and text of the live view (state lives in the view)."""

    def _rate(self, now: float):
        dt = now - self._rate_t0
        n = self._gstep() - self._rate_step0
        return n / dt if dt > 0 and n > 0 else None

    def _progress(self):
        steps = self._steps()
        if self._phase == "done":
            return 1.0
        return min(self._done / steps, 1.0) if steps else None

    def _eta(self, now: float):
        rate = self._rate(now)
        steps = self._steps()
        if rate is None or not steps:
            return None, None
        epoch_eta = max(steps - self._done, 0) / rate
        if self._mode != "train":
            return epoch_eta, epoch_eta
        remaining = max(self.params.get("epochs", 1) - self._epoch - 1, 0)
        times = self._epoch_times[1:] or [steps / rate]
        return epoch_eta, epoch_eta + remaining * (sum(times) / len(times))

    def _header(self) -> str:
        if self._mode == "train":
            epochs = self.params.get("epochs", 1)
            return f"Epoch {min(self._epoch + 1, epochs)}/{epochs}"
        return "Evaluate" if self._mode == "test" else "Predict"

    def _compile_html(self) -> str:
        what = {"train": "train step", "test": "eval step", "predict": "predict step"}[self._mode]
        if self._phase == "compiling":
            return (
                f'<span class="nbk-phase" style="color:#b26b00">⏳ compiling the {what} '
                f"(XLA)…</span>"
            )
        if self._compile_s is None:
            return ""
        if self._traced is False:
            text = f"{what} already compiled (first step {self._compile_s:.2f} s)"
        else:
            text = f"compiled the {what} in {self._compile_s:.2f} s"
        if self._eval_note:
            text += f"; {self._eval_note}"
        return f'<span class="nbk-compile" style="{MUTED}">{esc(text)}</span>'

    def _bar_html(self, now: float) -> str:
        p = self._progress()
        elapsed = now - self._t_begin
        epoch_eta, total_eta = self._eta(now)
        rate = self._rate(now)
        steps = self._steps()
        pct = "" if p is None else f"{100 * p:.0f}%"
        fill = "#2e7d32" if self._phase == "done" else "#1e88e5"
        bar = (
            f'<div class="nbk-bar" role="progressbar" aria-valuenow="{pct[:-1] or 0}" '
            f'aria-valuemin="0" aria-valuemax="100" style="display:inline-block;'
            f"width:{BAR_WIDTH}px;height:12px;background:#e5e5e5;border-radius:3px;"
            f'vertical-align:middle;overflow:hidden"><div style="width:{100 * (p or 0):.1f}%;'
            f'height:100%;background:{fill}"></div></div>'
        )
        info = []
        if steps:
            info.append(f"{self._done if self._phase != 'done' else steps}/{steps} steps")
        if self._phase == "done":
            info.append(f"{_clock(elapsed)} total")
        else:
            info.append(f"{_clock(elapsed)} elapsed")
            if epoch_eta is not None:
                eta = f"ETA {_clock(epoch_eta)}"
                if self._mode == "train" and self.params.get("epochs", 1) > 1:
                    eta += f" (epoch), {_clock(total_eta)} (all)"
                info.append(eta)
        if rate:
            info.append(
                f"{rate * self._batch_size:,.0f} samples/s" if self._batch_size
                else f"{rate:,.1f} steps/s"
            )
        metrics = _fmt_metrics(self._vals)
        head = f"<b>{esc(self._header())}</b>"
        if self._phase == "done" and self._mode == "train":
            head = f"<b>Done</b>: {self._epochs_seen} epoch{'s' * (self._epochs_seen != 1)}"
        return (
            f'<div class="nbk-live" data-phase="{self._phase}" data-mode="{self._mode}" '
            f'data-progress="{p if p is not None else ""}" style="font-family:-apple-system,'
            f'Segoe UI,Helvetica,Arial,sans-serif;font-size:13px;line-height:1.5;color:#222">'
            f"<div>{head} &nbsp; {self._compile_html()}</div>"
            f'<div>{bar} <span class="nbk-pct" style="font-weight:600">{pct}</span> '
            f'<span class="nbk-info" style="{MUTED}">{esc(" · ".join(info))}</span></div>'
            f'<div class="nbk-metrics" style="font-variant-numeric:tabular-nums">'
            f"{esc(metrics)}</div></div>"
        )

    def _text(self, now: float) -> str:
        p = self._progress()
        width = 30
        filled = int(width * (p or 0))
        bar = "=" * filled + (">" if filled < width else "") + "." * max(width - filled - 1, 0)
        pct = "" if p is None else f" {100 * p:3.0f}%"
        return f"{self._header()} [{bar}]{pct} - {_fmt_metrics(self._vals, ' - ')}"
