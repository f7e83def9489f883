"""Keras layers as Flax NNX modules (``nbkeras.layers``)."""

from nbkeras.layers.base import Layer
from nbkeras.layers.core import Activation, Dense, Dropout, Embedding, Identity, Lambda
from nbkeras.layers.input_layer import Input, InputLayer
from nbkeras.layers.wrappers import ModuleLayer
