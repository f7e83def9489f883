"""Keras's registration API (``register_keras_serializable``, ``custom_object_scope``...).

It lives in the leaf module :mod:`nbkeras._object_registry`, so that activations,
initializers, regularizers and constraints can look up registered objects without
importing ``saving`` (which imports layers: a package cycle). This name is an alias of
that module, so state such as the global custom objects is shared.
"""

import sys

from nbkeras import _object_registry

sys.modules[__name__] = _object_registry
