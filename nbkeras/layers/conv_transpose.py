"""Transposed convolution layers: Conv1D/2D/3DTranspose (one
``jax.lax.conv_transpose`` call, Keras's padding arithmetic)."""

from __future__ import annotations

import jax

from nbkeras.layers._args import int_tuple
from nbkeras.layers._conv_base import _as_float, _ConvBase, dimension_numbers


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

    _supports_lora = False

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
            _as_float(inputs, kernel.dtype),
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
        >>> import jax.numpy as jnp
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
        >>> import jax.numpy as jnp
        >>> Conv2DTranspose(4, 3, strides=2, padding="same")(jnp.ones((1, 5, 5, 3))).shape
        (1, 10, 10, 4)
    """

    rank = 2


class Conv3DTranspose(_ConvTransposeBase):
    """3D transposed convolution (Keras ``Conv3DTranspose``); kernel
    ``(kd, kh, kw, filters, in_channels)``.

    Example:
        >>> import jax.numpy as jnp
        >>> Conv3DTranspose(2, 2, strides=2)(jnp.ones((1, 3, 3, 3, 4))).shape
        (1, 6, 6, 6, 2)
    """

    rank = 3


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
