"""Saving and loading: the ``.keras`` format, ``.weights.h5`` files and object configs."""

from nbkeras.saving.object_registration import CustomObjectScope as CustomObjectScope
from nbkeras.saving.object_registration import custom_object_scope as custom_object_scope
from nbkeras.saving.object_registration import get_custom_objects as get_custom_objects
from nbkeras.saving.object_registration import get_registered_name as get_registered_name
from nbkeras.saving.object_registration import get_registered_object as get_registered_object
from nbkeras.saving.object_registration import (
    register_keras_serializable as register_keras_serializable,
)
from nbkeras.saving.saving_lib import load_model as load_model
from nbkeras.saving.saving_lib import load_weights as load_weights
from nbkeras.saving.saving_lib import save_model as save_model
from nbkeras.saving.saving_lib import save_weights as save_weights
from nbkeras.saving.serialization_lib import SafeModeScope as SafeModeScope
from nbkeras.saving.serialization_lib import (
    deserialize_keras_object as deserialize_keras_object,
)
from nbkeras.saving.serialization_lib import safe_mode_scope as safe_mode_scope
from nbkeras.saving.serialization_lib import serialize_keras_object as serialize_keras_object
