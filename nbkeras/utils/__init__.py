"""Utilities (``keras.utils`` equivalents)."""

from nbkeras._object_registry import (
    register_keras_serializable as register_keras_serializable,
)
from nbkeras.backend import clear_session as clear_session
from nbkeras.utils.batch_dataset import BatchDataset as BatchDataset
from nbkeras.utils.file_utils import get_file as get_file
from nbkeras.utils.image_dataset import (
    image_dataset_from_directory as image_dataset_from_directory,
)
from nbkeras.utils.keras_utils import CustomObjectScope as CustomObjectScope
from nbkeras.utils.keras_utils import custom_object_scope as custom_object_scope
from nbkeras.utils.keras_utils import deserialize_keras_object as deserialize_keras_object
from nbkeras.utils.keras_utils import get_custom_objects as get_custom_objects
from nbkeras.utils.keras_utils import get_registered_name as get_registered_name
from nbkeras.utils.keras_utils import get_registered_object as get_registered_object
from nbkeras.utils.keras_utils import get_source_inputs as get_source_inputs
from nbkeras.utils.keras_utils import is_keras_tensor as is_keras_tensor
from nbkeras.utils.keras_utils import pack_x_y_sample_weight as pack_x_y_sample_weight
from nbkeras.utils.keras_utils import serialize_keras_object as serialize_keras_object
from nbkeras.utils.keras_utils import standardize_dtype as standardize_dtype
from nbkeras.utils.keras_utils import unpack_x_y_sample_weight as unpack_x_y_sample_weight
from nbkeras.utils.numerical import normalize as normalize
from nbkeras.utils.numerical import pad_sequences as pad_sequences
from nbkeras.utils.numerical import set_random_seed as set_random_seed
from nbkeras.utils.numerical import to_categorical as to_categorical
from nbkeras.utils.plot_model import plot_model as plot_model
from nbkeras.utils.progbar import Progbar as Progbar
from nbkeras.utils.py_dataset import PyDataset as PyDataset
from nbkeras.utils.py_dataset import Sequence as Sequence
from nbkeras.utils.text_dataset import text_dataset_from_directory as text_dataset_from_directory
from nbkeras.utils.timeseries_dataset import (
    timeseries_dataset_from_array as timeseries_dataset_from_array,
)
