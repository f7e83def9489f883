"""Adaptive pooling layers: pool to a fixed output size whatever the input size
(Keras's ``AdaptiveAveragePooling1D/2D/3D`` and ``AdaptiveMaxPooling1D/2D/3D``).

Window ``i`` of an axis of length ``L`` pooled to ``n`` covers
``[floor(i * L / n), ceil((i + 1) * L / n))`` (PyTorch's and Keras's rule), computed by
:func:`nbkeras.ops.adaptive_average_pool` / :func:`nbkeras.ops.adaptive_max_pool`.

Example:
    >>> import numpy as np
    >>> from nbkeras.layers import AdaptiveAveragePooling2D
    >>> AdaptiveAveragePooling2D(4)(np.ones((1, 9, 7, 3), "float32")).shape
    (1, 4, 4, 3)
"""

from __future__ import annotations

from nbkeras.layers._args import _check_rank, data_format_arg
from nbkeras.layers.base import Layer
from nbkeras.ops import nn_extra


class _AdaptivePooling(Layer):
    rank = 2
    mode = "average"

    def __init__(self, output_size, data_format: str | None = None, **kwargs):
        cls = type(self).__name__
        n = self.rank
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            size = (output_size,) * n
        elif isinstance(output_size, (tuple, list)) and len(output_size) == n:
            size = tuple(output_size)
        else:
            names = {1: "an integer or a tuple of 1 integer",
                     2: "an integer or (height, width) tuple",
                     3: "an integer or (depth, height, width) tuple"}[n]
            raise TypeError(
                f"{cls}: `output_size` must be {names}. Received: {output_size!r} of type "
                f"{type(output_size)}."
            )
        if not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size):
            raise ValueError(
                f"{cls}: `output_size` must hold positive integers, received {output_size!r}."
            )
        super().__init__(**kwargs)
        self.output_size = size
        self.data_format = data_format_arg(cls, data_format)
        self.built = True

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def call(self, inputs):
        _check_rank(self, inputs, self.rank)
        pool = nn_extra.adaptive_max_pool if self.mode == "max" else nn_extra.adaptive_average_pool
        return pool(inputs, self.output_size, self.data_format)

    def get_config(self) -> dict:
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Average-pool ``(batch, steps, channels)`` to ``output_size`` steps."""

    rank = 1


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Average-pool images to ``output_size`` (an int or ``(height, width)``)."""

    rank = 2


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Average-pool volumes to ``output_size`` (an int or ``(depth, height, width)``)."""

    rank = 3


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Max-pool ``(batch, steps, channels)`` to ``output_size`` steps."""

    rank = 1
    mode = "max"


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Max-pool images to ``output_size`` (an int or ``(height, width)``)."""

    rank = 2
    mode = "max"


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Max-pool volumes to ``output_size`` (an int or ``(depth, height, width)``)."""

    rank = 3
    mode = "max"
