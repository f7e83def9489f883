"""The shared base of the convolution layers (``_ConvBase``): argument checks, kernel and
bias weights, the ``lax.conv_general_dilated`` call and the Keras config."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras import activations, constraints, initializers, regularizers
from nbkeras.layers import lowering
from nbkeras.layers._args import _check_rank, _ser, choice, data_format_arg, int_tuple, named_error
from nbkeras.layers.base import Layer
from nbkeras.layers.lora import LoRAMixin
from nbkeras.layers.lowering import dimension_numbers


class _ConvBase(LoRAMixin, Layer):
    rank = 2
    transpose = False

    _supports_lora = True

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
        lora_rank = kwargs.pop("lora_rank", None)
        lora_alpha = kwargs.pop("lora_alpha", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not self._supports_lora and (lora_rank is not None or lora_alpha is not None):
            raise TypeError(
                f"{type(self).__name__} does not support LoRA (neither does Keras): remove "
                f"lora_rank={lora_rank!r} / lora_alpha={lora_alpha!r}. LoRA works on Conv1D, "
                "Conv2D, Conv3D, Dense and Embedding."
            )
        self._init_lora(lora_rank, lora_alpha)
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
        self.bias = self._build_bias()
        self.built = True
        self._build_lora()

    def _build_bias(self):
        """The ``(filters,)`` bias weight, or None without ``use_bias``."""
        if not self.use_bias:
            return None
        return self.add_weight(
            shape=(self.filters,),
            initializer=self.bias_initializer,
            regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
            name="bias",
        )

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
        inputs = _as_float(inputs, kernel.dtype)
        if not self.transpose and lowering.use_patches(inputs, kernel, **conv):
            return lowering.conv_patches(inputs, kernel, padding)
        if not self.transpose and lowering.use_tap_gradient(inputs, kernel, **conv):
            out = lowering.conv_tap_gradient(
                inputs, kernel, strides=conv["strides"], padding=padding,
                dilation=self.dilation_rate)
        else:
            out = jax.lax.conv_general_dilated(
                inputs,
                kernel,
                window_strides=conv["strides"],
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
        kernel = self.merged_weight()
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
            **self._lora_config(),
        }


def _as_float(inputs, dtype):
    """Integer images (``uint8``) are cast to the kernel's dtype, as Keras does."""
    if not jnp.issubdtype(inputs.dtype, jnp.floating):
        return inputs.astype(dtype)
    return inputs
