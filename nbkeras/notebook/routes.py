"""How widget events reach a running ``fit``: chosen when ``fit`` starts.

A kernel handles shell messages one at a time, and a click on a widget is a shell
message (``comm_msg``).  While a cell runs ``fit``, the main shell is busy, so a click
waits until the cell ends, which is too late for Stop.  The routes, by front end:

* ``subshell`` (ipykernel >= 7.4, any front end): ipykernel 7 has *subshells*, extra
  shell threads with their own message loop (JEP 91).  Since 7.4 the kernel routes a
  comm's incoming messages to the subshell that last sent on that comm
  (``BaseComm._reply_subshell_for``).  The controls are created by the busy main
  thread, so their clicks would go there; we pin the routing of *our* comms to one
  subshell (an existing one, e.g. the one JupyterLab >= 4.4 opened for widgets, or one
  we ask the kernel for with a ``create_subshell_request`` on its control channel).
  The click handlers then run on that thread while the cell is busy.  They only flip
  the thread-safe :class:`~nbkeras.train.FitControl`.  This uses a private ipykernel
  hook, so it is feature-detected and pinned to the tested range (``<8``).
* ``frontend-subshell`` (ipykernel 7.0-7.3 with a front end that sends comms on a
  subshell, JupyterLab >= 4.4 / Notebook >= 7.4, ``commsOverSubshells`` on): nothing
  to do; detected by a subshell existing.  Not verified here (7.4 is installed).
* ``background`` (``model.fit(..., background=True)``): the fit runs on a worker
  thread and the cell ends at once, so the kernel is idle and every front end
  delivers clicks normally (Colab does not render widget updates made after a cell
  ends: colabtools#3373).
* none (ipykernel 6: Colab, older VS Code): an in-cell event pump is possible there
  (``do_one_iteration``) but is not implemented; the controls are greyed out and say
  to use ``background=True`` or the kernel's Interrupt (which always works: ``fit``
  stops at a step boundary).

Verified here (ipykernel 7.4.0, ipywidgets 8.1.9): the ``subshell`` route with comm
messages that carry no ``subshell_id`` (what VS Code, Notebook < 7.4 and JupyterLab with
``commsOverSubshells: disabled`` send; ``tests/notebook/test_controls_kernel.py``), and
in JupyterLab 4.6 (default ``perCommTarget``) with Chromium
(``tests/notebook/test_lab_controls.py``); ``background`` headless.  Not verified:
ipykernel 7.0-7.3 (``frontend-subshell``), real VS Code and Colab front ends, and the
greyed-out panel on a real ipykernel 6 (checked with a stand-in kernel object only).
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass

_SUBSHELL: dict = {}  # the subshell this process created for the controls, per kernel
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Route:
    """How clicks will reach the loop: ``name``, whether they can, and why not."""

    name: str
    live: bool
    reason: str = ""
    subshell_id: str | None = None


def _kernel():
    ip_mod = sys.modules.get("IPython")
    if ip_mod is None:
        return None
    ip = ip_mod.get_ipython()
    return getattr(ip, "kernel", None)


def _ipykernel_version() -> tuple[int, ...]:
    try:
        import ipykernel

        return tuple(int(p) for p in ipykernel.__version__.split(".")[:2])
    except Exception:
        return (0, 0)


def _comm_routing_hook() -> bool:
    try:
        from ipykernel.comm.comm import BaseComm
    except Exception:
        return False
    return hasattr(BaseComm, "_reply_subshell_for")


def _existing_subshells(kernel) -> list[str]:
    thread = getattr(kernel, "shell_channel_thread", None)
    manager = getattr(thread, "manager", None)
    try:
        return list(manager.list_subshell()) if manager is not None else []
    except Exception:
        return []


def _create_subshell(kernel, timeout: float = 5.0) -> str | None:
    """Ask our own kernel for a subshell over its control channel (public protocol)."""
    from ipykernel.connect import get_connection_file
    from jupyter_client import BlockingKernelClient

    kc = BlockingKernelClient(connection_file=get_connection_file())
    kc.load_connection_file()
    kc.start_channels(shell=False, iopub=False, stdin=False, hb=False, control=True)
    try:
        msg = kc.session.msg("create_subshell_request", {})
        kc.control_channel.send(msg)
        while True:
            reply = kc.control_channel.get_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                break
        content = reply["content"]
        return content.get("subshell_id") if content.get("status") == "ok" else None
    finally:
        kc.stop_channels()


def _our_subshell(kernel) -> str | None:
    with _LOCK:
        sid = _SUBSHELL.get(id(kernel))
        if sid is not None and sid in _existing_subshells(kernel):
            return sid
        existing = _existing_subshells(kernel)
        sid = existing[0] if existing else _create_subshell(kernel)
        if sid is not None:
            _SUBSHELL[id(kernel)] = sid
        return sid


def detect(background: bool = False) -> Route:
    """The route for widget events of a ``fit`` starting now (see the module docstring)."""
    if background or threading.current_thread() is not threading.main_thread():
        return Route("background", True)
    kernel = _kernel()
    if kernel is None:
        return Route("none", False, "not running in a Jupyter kernel")
    version = _ipykernel_version()
    subshells = getattr(kernel, "shell_channel_thread", None) is not None
    if subshells and _comm_routing_hook() and version < (8, 0):
        try:
            sid = _our_subshell(kernel)
        except Exception as e:  # no control channel (embedded kernel...): say so
            sid = None
            why = f"{type(e).__name__}: {e}"
        else:
            why = "the kernel did not create a subshell"
        if sid is not None:
            return Route("subshell", True, subshell_id=sid)
        return Route("none", False, f"no kernel subshell for the controls ({why})")
    if subshells and _existing_subshells(kernel):
        return Route("frontend-subshell", True)
    if subshells:
        why = "the front end does not send widget messages on a kernel subshell"
    else:
        why = f"ipykernel {'.'.join(map(str, version))} has no subshells"
    return Route(
        "none", False,
        f"{why}, so clicks would wait until the cell ends. Use model.fit(..., "
        "background=True), or interrupt the kernel (fit stops cleanly)",
    )


def pin(widgets, route: Route) -> None:
    """Route the frontend's messages for ``widgets`` to the route's subshell."""
    if route.name != "subshell" or route.subshell_id is None:
        return
    sid = route.subshell_id

    def to_subshell(data, default, _sid=sid):
        return _sid

    for w in widgets:
        comm = getattr(w, "comm", None)
        if comm is not None and hasattr(comm, "_reply_subshell_for"):
            comm._reply_subshell_for = to_subshell


__all__ = ["Route", "detect", "pin"]
