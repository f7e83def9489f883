"""Which models compute each sample on its own at inference.

A layer is *sample-wise* when, with ``training=False``, every output sample depends only on
the same input sample and the layer's variables: then any number of batches can run as one
larger batch with the same results (up to float rounding). ``predict`` uses this to merge
batches (``nbkeras.train.predict``); a model that is not known to be sample-wise keeps
per-batch semantics.

The answer is an allowlist, never a guess: built-in layers whose inference cannot mix
samples, with ``call`` not overridden by a subclass, and configured so (an ``axis`` that is
not the batch axis; recurrent layers not ``stateful``); element-wise ops between graph
tensors (``x + y``); Sequential and Functional models made only of those. Anything else -
a custom layer, a ``Lambda``, ``ops.mean(x, axis=0)``, ``x[0]`` - is treated as mixing
samples.

Example:
    >>> import nbkeras as keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> sample_wise(model)
    True
    >>> sample_wise(keras.Sequential([keras.Input((4,)),
    ...                               keras.layers.Lambda(lambda x: x - x.mean(0))]))
    False
"""

from __future__ import annotations

import functools

# Layer class names in nbkeras.layers whose inference is per sample whatever their config.
_PLAIN = (
    "InputLayer Activation ELU LeakyReLU PReLU ReLU Identity Dense Embedding "
    "Conv1D Conv2D Conv3D Conv1DTranspose Conv2DTranspose Conv3DTranspose "
    "DepthwiseConv1D DepthwiseConv2D SeparableConv1D SeparableConv2D "
    "MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D "
    "AveragePooling3D GlobalAveragePooling1D GlobalAveragePooling2D GlobalAveragePooling3D "
    "GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D Flatten Reshape Permute "
    "RepeatVector Cropping1D Cropping2D Cropping3D ZeroPadding1D ZeroPadding2D "
    "ZeroPadding3D UpSampling1D UpSampling2D UpSampling3D Dropout SpatialDropout1D "
    "SpatialDropout2D SpatialDropout3D GaussianDropout GaussianNoise AlphaDropout "
    "Add Subtract Multiply Average Maximum Minimum Masking Rescaling CenterCrop Resizing "
    "MultiHeadAttention Attention AdditiveAttention RandomFlip RandomRotation RandomZoom "
    "RandomTranslation RandomContrast RandomBrightness"
).split()
# ... and those with an ``axis`` (never the batch axis) or ``stateful`` (must be False).
_AXIS = ("BatchNormalization LayerNormalization GroupNormalization UnitNormalization "
         "RMSNormalization Concatenate Normalization").split()
_RECURRENT = ("LSTM GRU SimpleRNN").split()
# Element-wise ops recorded as graph nodes (``x + y`` is ``ops.add``).
_OPS = ("add subtract multiply divide true_divide negative abs absolute maximum minimum "
        "power square sqrt exp log tanh sigmoid relu cast").split()


@functools.cache
def _classes() -> dict:
    from nbkeras import layers

    return {getattr(layers, name): kind
            for kind, names in (("plain", _PLAIN), ("axis", _AXIS), ("recurrent", _RECURRENT))
            for name in names}


@functools.cache
def _ops() -> frozenset:
    from nbkeras import ops

    return frozenset(getattr(getattr(ops, name), "__wrapped__", None) for name in _OPS)


def sample_wise(layer) -> bool:
    """Whether ``layer`` (a model too) is known to compute each sample on its own at
    inference; see the module doc."""
    from nbkeras.layers.symbolic import OpLayer

    if isinstance(layer, OpLayer):
        return layer.fn in _ops()
    graph = getattr(layer, "_runs_its_graph", None)  # models (nbkeras.models)
    if graph is not None:
        return graph() and all(sample_wise(sub) for sub in layer.layers)
    kind = _declared(type(layer))
    if kind == "axis":
        return _axes_skip_batch(layer)
    if kind == "recurrent":
        return not getattr(layer, "stateful", True)
    return kind == "plain"


def _declared(cls) -> str | None:
    """The allowlisted kind of ``cls``, if ``cls`` or a base is listed and ``call`` is
    still that base's."""
    known = _classes()
    for base in cls.__mro__:
        if base in known:
            return known[base] if cls.call is base.call else None
    return None


def _axes_skip_batch(layer) -> bool:
    """``layer.axis`` names no batch axis in any call of the layer (``-1`` of a rank-1
    input would)."""
    from nbkeras.layers.symbolic import inbound_nodes

    axis = layer.axis
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if not axes or not all(isinstance(a, int) for a in axes):
        return False
    ranks = [t.ndim for node in inbound_nodes(layer) for t in node.input_tensors]
    if not ranks:
        return False
    return all(a >= 1 or (a < 0 and a + r >= 1) for a in axes for r in ranks)
