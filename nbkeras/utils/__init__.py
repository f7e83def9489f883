"""Utilities (``keras.utils`` equivalents)."""

from nbkeras.saving.object_registration import (
    register_keras_serializable as register_keras_serializable,
)
from nbkeras.utils.file_utils import get_file as get_file
from nbkeras.utils.numerical import normalize as normalize
from nbkeras.utils.numerical import pad_sequences as pad_sequences
from nbkeras.utils.numerical import set_random_seed as set_random_seed
from nbkeras.utils.numerical import to_categorical as to_categorical
from nbkeras.utils.plot_model import plot_model as plot_model
