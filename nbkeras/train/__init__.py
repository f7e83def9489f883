"""The training engine: pure jitted steps, the fit/evaluate/predict loops, and the
public training-state API other packages use.

Public:
    :class:`TrainingState` (``model.training_state``) and :class:`FitControl`
    (``model.fit(..., control=...)``), :class:`FitHandle` (``model.fit(...,
    background=True)``).  Everything else in this package is internal.
"""

from nbkeras.train.background import FitHandle as FitHandle
from nbkeras.train.control import FitControl as FitControl
from nbkeras.train.state import TrainingState as TrainingState

__all__ = ["FitControl", "FitHandle", "TrainingState"]
