"""Where are we running? Notebook vs terminal, decided at call time (never at import)."""

from __future__ import annotations

import os
import sys


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Notebook 7, VS Code, Colab).

    Set ``NBKERAS_DISPLAY=text`` to force terminal output, ``NBKERAS_DISPLAY=html`` to force
    the notebook view.  IPython is never imported here: if it is not loaded already, we
    are not in a kernel.
    """
    forced = os.environ.get("NBKERAS_DISPLAY", "").lower()
    if forced in ("text", "terminal"):
        return False
    if forced in ("html", "notebook"):
        return True
    ipython_mod = sys.modules.get("IPython")
    if ipython_mod is None:
        return False
    try:
        shell = ipython_mod.get_ipython()
    except Exception:
        return False
    if shell is None:
        return False
    if "google.colab" in sys.modules:
        return True
    name = type(shell).__name__
    return name == "ZMQInteractiveShell" or "ipykernel" in type(shell).__module__


def frontend() -> str:
    """A best guess of the front end: ``"colab"``, ``"vscode"``, ``"jupyter"`` or ``"terminal"``."""
    if not in_notebook():
        return "terminal"
    if "google.colab" in sys.modules:
        return "colab"
    if "VSCODE_PID" in os.environ or "VSCODE_CWD" in os.environ:
        return "vscode"
    return "jupyter"
