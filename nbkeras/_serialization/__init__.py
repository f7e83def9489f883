"""Object configs in Keras 3's format, below every package that has objects to save.

Layers that hold other layers or functions (RNN cells, wrappers, ``Lambda``,
``Pipeline``) serialize them here in ``get_config``/``from_config``, as Keras's layers do,
without importing :mod:`nbkeras.saving` (which sits above models). This package imports
no layer, loss or optimizer: classes and functions are found by name among what the
package root registered in :mod:`.namespaces`, among registered custom objects and in
``custom_objects`` - never by importing a module a file names. Safe mode (no code from
files) is checked in one place, :mod:`.safe_mode`.

The public names are re-exported by :mod:`nbkeras.saving` and
``nbkeras.saving.serialization_lib``.
"""

from nbkeras._serialization.functions import deserialize_function as deserialize_function
from nbkeras._serialization.functions import serialize_function as serialize_function
from nbkeras._serialization.objects import config_error_origin as config_error_origin
from nbkeras._serialization.objects import deserialize_keras_object as deserialize_keras_object
from nbkeras._serialization.objects import retrieve_class as retrieve_class
from nbkeras._serialization.objects import serialize_keras_object as serialize_keras_object
from nbkeras._serialization.objects import strip_keras_only_keys as strip_keras_only_keys
from nbkeras._serialization.safe_mode import SafeModeScope as SafeModeScope
from nbkeras._serialization.safe_mode import in_safe_mode as in_safe_mode
from nbkeras._serialization.safe_mode import safe_mode_scope as safe_mode_scope
from nbkeras._serialization.safe_mode import (
    set_unsafe_deserialization as set_unsafe_deserialization,
)
