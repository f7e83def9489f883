"""Models: ``Model`` (Functional and subclassed) and ``Sequential``."""

from nbkeras.models.model import Model
from nbkeras.models.sequential import Sequential
