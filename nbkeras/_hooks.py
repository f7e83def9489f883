"""Slots the package root (``nbkeras/__init__``) fills at import.

Lower packages call upward through these without importing the packages above them
(dependency inversion): ``train`` shows a progress view that lives in ``notebook`` or
``callbacks``, yet imports neither.  Kept free of imports so any package may use it.
"""

from __future__ import annotations

#: ``callable(verbose: int) -> Callback``: the progress display ``fit``, ``evaluate``
#: and ``predict`` add for ``verbose`` 1 or 2.  Installed by ``nbkeras/__init__``
#: (:func:`nbkeras._progress_views.default_progress_view`).
progress_view = None
