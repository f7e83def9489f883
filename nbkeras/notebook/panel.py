"""Where the live view's display bundles go: IPython display handles, or a recorder.

The drawing itself is in :mod:`nbkeras.notebook.render` (pure functions of a
:class:`~nbkeras.notebook.progress.Progress` record).
"""

from __future__ import annotations

import json

from nbkeras.notebook.render import ordered_keys as ordered_keys


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


def _scalars(logs) -> dict:
    out = {}
    for k, v in (logs or {}).items():
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        out[k] = f
    return out
