"""``nbkeras.saving.serialization_lib``: Keras's module of object configs.

The code lives in :mod:`nbkeras._serialization` (below layers, so layers can use it);
this module keeps Keras's import path.

Example:
    >>> import nbkeras
    >>> config = serialize_keras_object(nbkeras.layers.Dense(2))
    >>> type(deserialize_keras_object(config)).__name__
    'Dense'
"""

from nbkeras._serialization import SafeModeScope as SafeModeScope
from nbkeras._serialization import config_error_origin as config_error_origin
from nbkeras._serialization import deserialize_keras_object as deserialize_keras_object
from nbkeras._serialization import in_safe_mode as in_safe_mode
from nbkeras._serialization import retrieve_class as retrieve_class
from nbkeras._serialization import safe_mode_scope as safe_mode_scope
from nbkeras._serialization import serialize_keras_object as serialize_keras_object
from nbkeras._serialization import set_unsafe_deserialization as set_unsafe_deserialization
