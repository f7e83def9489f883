"""Convolution layers: Conv1D/2D/3D, Conv1DTranspose/2DTranspose, DepthwiseConv2D,
SeparableConv2D.

Kernels use Keras's layout, ``(*kernel_size, in_channels // groups, filters)``, so
``set_weights(keras_layer.get_weights())`` just works; the convolution itself is one
``jax.lax.conv_general_dilated`` (or ``conv_transpose``) call.
"""

from __future__ import annotations

# The helpers, the base class and the transposed / depthwise layers live in their own
# modules; they are re-exported here so ``from nbkeras.layers.conv import ...`` keeps working.
from nbkeras.layers._args import _check_rank as _check_rank
from nbkeras.layers._args import _ser as _ser
from nbkeras.layers._args import choice as choice
from nbkeras.layers._args import data_format_arg as data_format_arg
from nbkeras.layers._args import int_tuple as int_tuple
from nbkeras.layers._args import named_error as named_error
from nbkeras.layers._conv_base import _ConvBase
from nbkeras.layers._conv_base import dimension_numbers as dimension_numbers
from nbkeras.layers.conv_depthwise import DepthwiseConv2D as DepthwiseConv2D
from nbkeras.layers.conv_depthwise import SeparableConv2D as SeparableConv2D
from nbkeras.layers.conv_transpose import Conv1DTranspose as Conv1DTranspose
from nbkeras.layers.conv_transpose import Conv2DTranspose as Conv2DTranspose
from nbkeras.layers.conv_transpose import Convolution2DTranspose as Convolution2DTranspose

_CONV_DOC = """{rank}D convolution layer (Keras ``{name}``).

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of {rank} ints, the window size.
        strides: Int or tuple of {rank} ints (``strides > 1`` excludes ``dilation_rate > 1``).
        padding: ``"valid"`` or ``"same"``{causal}.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Int or tuple of {rank} ints.
        groups: Split input channels into this many groups (``filters`` divisible too).
        activation: Activation name or function (linear if None).
        use_bias: Whether to add a ``(filters,)`` bias.
        kernel_initializer, bias_initializer: Initializers.
        kernel_regularizer, bias_regularizer: Optional penalties.
        kernel_constraint, bias_constraint: Optional projections.

    The kernel has Keras's shape ``(*kernel_size, in_channels // groups, filters)``.

    Example:
        >>> import jax.numpy as jnp
        >>> {name}(4, 3)(jnp.ones({example})).shape
        {result}
    """


class Conv1D(_ConvBase):
    __doc__ = _CONV_DOC.format(
        rank=1, name="Conv1D", causal=' or ``"causal"``', example="(2, 8, 3)", result="(2, 6, 4)"
    )
    rank = 1


class Conv2D(_ConvBase):
    __doc__ = _CONV_DOC.format(
        rank=2, name="Conv2D", causal="", example="(2, 8, 8, 3)", result="(2, 6, 6, 4)"
    )
    rank = 2


class Conv3D(_ConvBase):
    __doc__ = _CONV_DOC.format(
        rank=3, name="Conv3D", causal="", example="(2, 5, 5, 5, 3)", result="(2, 3, 3, 3, 4)"
    )
    rank = 3


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
