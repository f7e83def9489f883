"""Convolution layers: Conv1D/2D/3D, Conv1DTranspose/2DTranspose, DepthwiseConv2D,
SeparableConv2D.

Kernels use Keras's layout, ``(*kernel_size, in_channels // groups, filters)``, so
``set_weights(keras_layer.get_weights())`` just works; the convolution itself is one
``jax.lax.conv_general_dilated`` (or ``conv_transpose``) call.
"""

from __future__ import annotations

import difflib

import jax
import jax.numpy as jnp

from nbkeras import activations, constraints, initializers, regularizers
from nbkeras.layers import lowering
from nbkeras.layers.base import Layer

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _ser(module, obj):
    return None if obj is None else module.serialize(obj)


def named_error(cls, message: str):
    """An exception that ``Layer.__call__`` re-raises as is (it already names the layer)."""
    err = cls(message)
    err._nbkeras_named = True
    return err


def choice(layer_cls: str, arg: str, value, valid: tuple[str, ...]) -> str:
    """Validate a string option; the error lists valid values and the closest match."""
    if isinstance(value, str) and value.lower() in valid:
        return value.lower()
    close = difflib.get_close_matches(str(value).lower(), valid, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"{layer_cls} received an invalid {arg}={value!r}.{hint} Expected one of: "
        f"{', '.join(repr(v) for v in valid)}."
    )


def data_format_arg(layer_cls: str, value) -> str:
    """``None`` -> ``"channels_last"`` (Keras's default image data format)."""
    if value is None:
        return "channels_last"
    return choice(layer_cls, "data_format", value, ("channels_last", "channels_first"))


def int_tuple(layer_cls: str, arg: str, value, n: int, allow_zero: bool = False) -> tuple:
    """Keras's ``standardize_tuple``: an int or a sequence of ``n`` ints."""
    values = (value,) * n if isinstance(value, int) else tuple(value)
    ok = len(values) == n and all(
        isinstance(v, int) and not isinstance(v, bool) and (v >= 0 if allow_zero else v > 0)
        for v in values
    )
    if not ok:
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"{layer_cls} argument '{arg}' must be a {kind} int or a tuple of {n} {kind} "
            f"ints, received {arg}={value!r}."
        )
    return values


def dimension_numbers(rank: int, data_format: str) -> tuple[str, str, str]:
    """``('NHWC', 'HWIO', 'NHWC')`` for 2D channels_last, ``('NCHW', ...)`` otherwise."""
    sp = _SPATIAL[rank]
    lhs = f"N{sp}C" if data_format == "channels_last" else f"NC{sp}"
    return lhs, f"{sp}IO", lhs


def _check_rank(layer, inputs, rank: int) -> None:
    if inputs.ndim != rank + 2:
        layout = (
            "(batch, *spatial, channels)"
            if layer.data_format == "channels_last"
            else ("(batch, channels, *spatial)")
        )
        raise named_error(
            ValueError,
            f"{type(layer).__name__} '{layer.name}' expected a {rank + 2}D input {layout}, "
            f"received shape {tuple(inputs.shape)}.",
        )


class _ConvBase(Layer):
    rank = 2
    transpose = False

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        groups: int = 1,
        activation=None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        kwargs.pop("lora_rank", None)
        kwargs.pop("lora_alpha", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        cls = type(self).__name__
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(
                f"{cls} 'filters' must be a positive integer, received filters={filters!r}."
            )
        rank = self.rank
        self.filters = filters
        self.kernel_size = int_tuple(cls, "kernel_size", kernel_size, rank)
        self.strides = int_tuple(cls, "strides", strides, rank)
        self.dilation_rate = int_tuple(cls, "dilation_rate", dilation_rate, rank)
        valid = (
            ("valid", "same", "causal") if rank == 1 and not self.transpose else ("valid", "same")
        )
        self.padding = choice(cls, "padding", padding, valid)
        self.data_format = data_format_arg(cls, data_format)
        if not isinstance(groups, int) or groups <= 0 or filters % groups:
            raise ValueError(
                f"{cls} 'groups' must be a positive integer dividing filters={filters}, "
                f"received groups={groups!r}."
            )
        self.groups = groups
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls} does not support strides > 1 together with dilation_rate > 1 "
                f"(as in Keras); received strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}."
            )
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape) -> int:
        cls = type(self).__name__
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{cls} '{self.name}' expected a {self.rank + 2}D input, received input "
                f"shape {tuple(input_shape)}."
            )
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f"{cls} '{self.name}' needs a known channel dimension, received input shape "
                f"{tuple(input_shape)} with data_format='{self.data_format}'."
            )
        return channels

    def _kernel_shape(self, channels: int) -> tuple:
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the number of input channels "
                f"({channels}) must be divisible by groups={self.groups}."
            )
        return (*self.kernel_size, channels // self.groups, self.filters)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            shape=self._kernel_shape(channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        else:
            self.bias = None

    def _check_input(self, inputs, expected_channels: int) -> None:
        _check_rank(self, inputs, self.rank)
        got = inputs.shape[self._channel_axis()]
        if got != expected_channels:
            raise named_error(
                ValueError,
                f"{type(self).__name__} '{self.name}' expected an input with "
                f"{expected_channels} channels (data_format='{self.data_format}'), received "
                f"shape {tuple(inputs.shape)}. Check the previous layer's filters/units or "
                "the data_format.",
            )

    def _add_bias(self, x):
        if self.bias is not None:
            shape = [1] * x.ndim
            shape[self._channel_axis()] = self.filters
            x = x + jnp.reshape(self.bias[...], shape)
        return self.activation(x)

    def _convolve(self, inputs, kernel, padding, groups: int = 1, strides=None):
        conv = {
            "rank": self.rank,
            "data_format": self.data_format,
            "strides": strides or self.strides,
            "dilation": self.dilation_rate,
            "groups": groups,
            "padding": padding,
        }
        if not self.transpose and lowering.use_patches(inputs, kernel, **conv):
            return lowering.conv_patches(inputs, kernel, padding)
        out = jax.lax.conv_general_dilated(
            inputs,
            kernel,
            window_strides=strides or self.strides,
            padding=padding,
            rhs_dilation=self.dilation_rate,
            dimension_numbers=dimension_numbers(self.rank, self.data_format),
            feature_group_count=groups,
        )
        if out.size == 0 and inputs.size != 0:
            raise named_error(
                ValueError,
                f"{type(self).__name__} '{self.name}' produced an empty output for input shape "
                f"{tuple(inputs.shape)}: the input is smaller than the kernel_size="
                f"{self.kernel_size} (dilation_rate={self.dilation_rate}). Use padding='same' "
                "or a larger input.",
            )
        return out

    def _padded(self, inputs):
        """Causal padding is left padding followed by a 'valid' convolution (Keras)."""
        if self.padding != "causal":
            return inputs, self.padding.upper()
        left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
        pads = [(0, 0)] * inputs.ndim
        pads[1 if self.data_format == "channels_last" else 2] = (left, 0)
        return jnp.pad(inputs, pads), "VALID"

    def call(self, inputs):
        kernel = self.kernel[...]
        self._check_input(inputs, kernel.shape[-2] * self.groups)
        inputs, padding = self._padded(inputs)
        x = self._convolve(inputs, kernel, padding, groups=self.groups)
        return self._add_bias(x)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _ser(initializers, self.kernel_initializer),
            "bias_initializer": _ser(initializers, self.bias_initializer),
            "kernel_regularizer": _ser(regularizers, self.kernel_regularizer),
            "bias_regularizer": _ser(regularizers, self.bias_regularizer),
            "kernel_constraint": _ser(constraints, self.kernel_constraint),
            "bias_constraint": _ser(constraints, self.bias_constraint),
            "activity_regularizer": _ser(regularizers, self._activity_regularizer),
        }


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


def _transpose_padding(kernel: int, stride: int, dilation: int, padding: str, out_pad):
    """Keras's conversion of (padding, output_padding) to explicit lax padding."""
    kernel = (kernel - 1) * dilation + 1
    if padding == "valid":
        out_pad = max(kernel, stride) - kernel if out_pad is None else out_pad
        return kernel - 1, kernel - 1 + out_pad
    total = stride + kernel - 2 if out_pad is None else kernel + kernel % 2 - 2 + out_pad
    left = min(total // 2 + total % 2, kernel - 1)
    return left, total - left


class _ConvTransposeBase(_ConvBase):
    transpose = True

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        output_padding=None,
        data_format: str | None = None,
        dilation_rate=1,
        **kwargs,
    ):
        super().__init__(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            **kwargs,
        )
        cls = type(self).__name__
        self.output_padding = (
            None
            if output_padding is None
            else int_tuple(cls, "output_padding", output_padding, self.rank, allow_zero=True)
        )
        if self.output_padding is not None and any(
            p >= s for p, s in zip(self.output_padding, self.strides)
        ):
            raise ValueError(
                f"{cls} 'output_padding' must be smaller than 'strides' in every dimension, "
                f"received output_padding={self.output_padding}, strides={self.strides}."
            )

    def _kernel_shape(self, channels: int) -> tuple:
        return (*self.kernel_size, self.filters, channels)

    def call(self, inputs):
        kernel = self.kernel[...]
        self._check_input(inputs, kernel.shape[-1])
        out_pad = self.output_padding or (None,) * self.rank
        pads = [
            _transpose_padding(k, s, d, self.padding, p)
            for k, s, d, p in zip(self.kernel_size, self.strides, self.dilation_rate, out_pad)
        ]
        x = jax.lax.conv_transpose(
            inputs,
            kernel,
            strides=self.strides,
            padding=pads,
            rhs_dilation=self.dilation_rate,
            dimension_numbers=dimension_numbers(self.rank, self.data_format),
            transpose_kernel=True,
        )
        return self._add_bias(x)

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        config["output_padding"] = self.output_padding
        return config


class Conv1DTranspose(_ConvTransposeBase):
    """1D transposed convolution (Keras ``Conv1DTranspose``); kernel
    ``(kernel_size, filters, in_channels)``.

    Example:
        >>> Conv1DTranspose(4, 3, strides=2)(jnp.ones((2, 5, 3))).shape
        (2, 11, 4)
    """

    rank = 1


class Conv2DTranspose(_ConvTransposeBase):
    """2D transposed convolution (Keras ``Conv2DTranspose``); kernel
    ``(kh, kw, filters, in_channels)``.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
        use_bias, initializers/regularizers/constraints: as in :class:`Conv2D`.
        output_padding: Extra size added to one side of each output dimension.

    Example:
        >>> Conv2DTranspose(4, 3, strides=2, padding="same")(jnp.ones((1, 5, 5, 3))).shape
        (1, 10, 10, 4)
    """

    rank = 2


class DepthwiseConv2D(_ConvBase):
    """Depthwise 2D convolution: each input channel gets ``depth_multiplier`` filters.

    The kernel has Keras's shape ``(kh, kw, in_channels, depth_multiplier)``.

    Example:
        >>> DepthwiseConv2D(3, depth_multiplier=2)(jnp.ones((1, 5, 5, 3))).shape
        (1, 3, 3, 6)
    """

    rank = 2

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
        self.bias = (
            self.add_weight(
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
            if self.use_bias
            else None
        )

    def call(self, inputs):
        kernel = self.kernel[...]
        channels = kernel.shape[-2]
        self._check_input(inputs, channels)
        kernel = jnp.reshape(kernel, (*kernel.shape[:-2], 1, channels * kernel.shape[-1]))
        x = self._convolve(inputs, kernel, self.padding.upper(), groups=channels)
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
            shape=(1, 1, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
            name="pointwise_kernel",
        )
        self.bias = (
            self.add_weight(
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
            if self.use_bias
            else None
        )

    def call(self, inputs):
        dw = self.depthwise_kernel[...]
        channels = dw.shape[-2]
        self._check_input(inputs, channels)
        dw = jnp.reshape(dw, (*dw.shape[:-2], 1, channels * dw.shape[-1]))
        x = self._convolve(inputs, dw, self.padding.upper(), groups=channels)
        x = self._convolve(x, self.pointwise_kernel[...], "VALID", strides=(1, 1))
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


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution2DTranspose = Conv2DTranspose
