"""Models: ``Model`` (Functional and subclassed) and ``Sequential``.

``load_model``, ``save_model`` and ``model_from_json`` live in :mod:`nbkeras.saving`
(which sits above models); they are forwarded here on first use, so ``import nbkeras``
does not load the saving stack (h5py).
"""

from nbkeras.models.cloning import clone_model
from nbkeras.models.model import Model
from nbkeras.models.sequential import Sequential

_FROM_SAVING = ("load_model", "model_from_json", "save_model")


def __getattr__(name: str):
    if name in _FROM_SAVING:
        from nbkeras.saving import saving_lib

        return getattr(saving_lib, name)
    raise AttributeError(f"module 'nbkeras.models' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_FROM_SAVING))
