"""Which progress display ``fit``/``evaluate``/``predict`` show (installed into
:mod:`nbkeras._hooks` by the package root, so ``train`` never imports ``notebook``)."""

from __future__ import annotations


def default_progress_view(verbose: int):
    """The notebook live view inside a Jupyter kernel (decided at call time), the text
    progress bar elsewhere.

    Example:
        >>> from nbkeras._progress_views import default_progress_view
        >>> type(default_progress_view(1)).__name__  # a plain Python session
        'ProgbarLogger'
    """
    from nbkeras.notebook.env import in_notebook

    if in_notebook():
        from nbkeras.notebook.live import make_live_view

        return make_live_view(verbose)
    from nbkeras.callbacks.progbar import ProgbarLogger

    return ProgbarLogger(verbose=verbose)
