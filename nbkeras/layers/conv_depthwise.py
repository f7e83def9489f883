"""Depthwise and separable convolution layers: DepthwiseConv1D/2D, SeparableConv1D/2D."""

from __future__ import annotations

import jax.numpy as jnp

from nbkeras import constraints, initializers, regularizers
from nbkeras.layers._args import _ser
from nbkeras.layers._conv_base import _ConvBase


class DepthwiseConv2D(_ConvBase):
    """Depthwise 2D convolution: each input channel gets ``depth_multiplier`` filters.

    The kernel has Keras's shape ``(kh, kw, in_channels, depth_multiplier)``.

    Example:
        >>> DepthwiseConv2D(3, depth_multiplier=2)(jnp.ones((1, 5, 5, 3))).shape
        (1, 3, 3, 6)
    """

    rank = 2

    _supports_lora = False

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate=1,
        activation=None,
        use_bias: bool = True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            depth_multiplier,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        self.depth_multiplier = depth_multiplier

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.filters = channels * self.depth_multiplier
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.bias = self._build_bias()

    def call(self, inputs):
        kernel = self.kernel[...]
        channels = kernel.shape[-2]
        self._check_input(inputs, channels)
        kernel = jnp.reshape(kernel, (*kernel.shape[:-2], 1, channels * kernel.shape[-1]))
        inputs, padding = self._padded(inputs)
        x = self._convolve(inputs, kernel, padding, groups=channels)
        return self._add_bias(x)

    def get_config(self):
        config = super().get_config()
        for key in ("filters", "groups"):
            config.pop(key)
        for old, new in (("kernel", "depthwise"),):
            for part in ("initializer", "regularizer", "constraint"):
                config[f"{new}_{part}"] = config.pop(f"{old}_{part}")
        config["depth_multiplier"] = self.depth_multiplier
        return config


class SeparableConv2D(_ConvBase):
    """Depthwise convolution followed by a 1x1 pointwise convolution (Keras
    ``SeparableConv2D``).

    Weights (Keras order): ``depthwise_kernel`` ``(kh, kw, in, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, 1, in * depth_multiplier, filters)``, ``bias``.

    Example:
        >>> SeparableConv2D(4, 3)(jnp.ones((1, 5, 5, 3))).shape
        (1, 3, 3, 4)
    """

    rank = 2

    _supports_lora = False

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        depth_multiplier: int = 1,
        activation=None,
        use_bias: bool = True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            bias_initializer=bias_initializer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            name="depthwise_kernel",
        )
        self.pointwise_kernel = self.add_weight(
            shape=(*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
            name="pointwise_kernel",
        )
        self.bias = self._build_bias()

    def call(self, inputs):
        dw = self.depthwise_kernel[...]
        channels = dw.shape[-2]
        self._check_input(inputs, channels)
        dw = jnp.reshape(dw, (*dw.shape[:-2], 1, channels * dw.shape[-1]))
        inputs, padding = self._padded(inputs)
        x = self._convolve(inputs, dw, padding, groups=channels)
        x = self._convolve(x, self.pointwise_kernel[...], "VALID", strides=(1,) * self.rank)
        return self._add_bias(x)

    def get_config(self):
        config = super().get_config()
        for key in ("groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            config.pop(key)
        config["depth_multiplier"] = self.depth_multiplier
        for kind in ("depthwise", "pointwise"):
            config[f"{kind}_initializer"] = _ser(initializers, getattr(self, f"{kind}_initializer"))
            config[f"{kind}_regularizer"] = _ser(regularizers, getattr(self, f"{kind}_regularizer"))
            config[f"{kind}_constraint"] = _ser(constraints, getattr(self, f"{kind}_constraint"))
        return config


class DepthwiseConv1D(DepthwiseConv2D):
    """Depthwise 1D convolution; kernel ``(k, in_channels, depth_multiplier)``.

    Example:
        >>> DepthwiseConv1D(3, depth_multiplier=2)(jnp.ones((1, 7, 3))).shape
        (1, 5, 6)
    """

    rank = 1


class SeparableConv1D(SeparableConv2D):
    """Depthwise 1D convolution followed by a pointwise one; weights ``depthwise_kernel``
    ``(k, in, depth_multiplier)``, ``pointwise_kernel`` ``(1, in * depth_multiplier,
    filters)``, ``bias``.

    Example:
        >>> SeparableConv1D(4, 3)(jnp.ones((1, 7, 3))).shape
        (1, 5, 4)
    """

    rank = 1


SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
