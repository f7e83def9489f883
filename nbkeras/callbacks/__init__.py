"""Callbacks with Keras's hooks (``nbkeras.callbacks``)."""

from nbkeras.callbacks.base import Callback, CallbackList, History
from nbkeras.callbacks.progbar import ProgbarLogger
