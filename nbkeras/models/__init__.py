"""Models: ``Model`` (Functional and subclassed) and ``Sequential``."""

from nbkeras.models.cloning import clone_model
from nbkeras.models.model import Model
from nbkeras.models.sequential import Sequential
from nbkeras.saving.saving_lib import load_model, model_from_json, save_model
