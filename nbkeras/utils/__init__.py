"""Utilities (``keras.utils`` equivalents)."""

from nbkeras.backend import clear_session as clear_session
from nbkeras.saving.object_registration import (
    register_keras_serializable as register_keras_serializable,
)
from nbkeras.utils.batch_dataset import BatchDataset as BatchDataset
from nbkeras.utils.file_utils import get_file as get_file
from nbkeras.utils.image_dataset import (
    image_dataset_from_directory as image_dataset_from_directory,
)
from nbkeras.utils.numerical import normalize as normalize
from nbkeras.utils.numerical import pad_sequences as pad_sequences
from nbkeras.utils.numerical import set_random_seed as set_random_seed
from nbkeras.utils.numerical import to_categorical as to_categorical
from nbkeras.utils.plot_model import plot_model as plot_model
from nbkeras.utils.progbar import Progbar as Progbar
from nbkeras.utils.text_dataset import text_dataset_from_directory as text_dataset_from_directory
from nbkeras.utils.timeseries_dataset import (
    timeseries_dataset_from_array as timeseries_dataset_from_array,
)
