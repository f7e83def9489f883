"""Noise and regularization layers: GaussianNoise, GaussianDropout, AlphaDropout,
SpatialDropout1D/2D/3D (noise only with ``training=True``), ActivityRegularization."""

from __future__ import annotations

import jax

from nbkeras.layers import _seeded
from nbkeras.layers._args import data_format_arg
from nbkeras.layers.base import Layer
from nbkeras.layers.core import Dropout


def _rate(cls, value):
    if not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{cls} 'rate' must be a float in [0, 1], received rate={value!r}.")
    return float(value)


class _Noise(Layer):
    _supports_masking = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_state = _seeded.make_seed_state(seed)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class GaussianNoise(_Noise):
    """Adds zero-mean Gaussian noise of ``stddev`` during training.

    Example:
        >>> import jax.numpy as jnp
        >>> GaussianNoise(0.1)(jnp.ones((2, 3)), training=False)
        Array([[1., 1., 1.],
               [1., 1., 1.]], dtype=float32)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError(f"GaussianNoise 'stddev' must be a non-negative float, received "
                             f"stddev={stddev!r}.")
        self.stddev = float(stddev)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = jax.random.normal(_seeded.next_key(self.seed_state), inputs.shape, inputs.dtype)
        return inputs + self.stddev * noise

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(_Noise):
    """Multiplies inputs by Gaussian noise of mean 1, stddev ``sqrt(rate / (1 - rate))``.

    Example:
        >>> import jax.numpy as jnp
        >>> GaussianDropout(0.2)(jnp.ones((2, 3)), training=False).shape
        (2, 3)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate("GaussianDropout", rate)

    def call(self, inputs, training=False):
        if not training or not 0 < self.rate < 1:
            return inputs
        std = (self.rate / (1.0 - self.rate)) ** 0.5
        noise = jax.random.normal(_seeded.next_key(self.seed_state), inputs.shape, inputs.dtype)
        return inputs * (1.0 + std * noise)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


class AlphaDropout(_Noise):
    """Dropout that keeps the mean and variance of SELU activations (Klambauer 2017).

    Example:
        >>> import jax.numpy as jnp
        >>> AlphaDropout(0.2)(jnp.ones((2, 3)), training=False).shape
        (2, 3)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate("AlphaDropout", rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def call(self, inputs, training=False):
        if not training or not 0 < self.rate < 1:
            return inputs
        alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
        shape = inputs.shape if self.noise_shape is None else tuple(
            s if n is None else n for s, n in zip(inputs.shape, self.noise_shape))
        kept = jax.random.uniform(_seeded.next_key(self.seed_state), shape) >= self.rate
        kept = kept.astype(inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}


class _SpatialDropout(Dropout):
    rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None, data_format=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = data_format_arg(type(self).__name__, data_format)

    def call(self, inputs, training=False):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} expects inputs of rank {self.rank + 2}, "
                             f"received shape {tuple(inputs.shape)}.")
        if not training or self.rate == 0:
            return inputs
        b = inputs.shape[0]
        if self.data_format == "channels_last":
            shape = (b, *([1] * self.rank), inputs.shape[-1])
        else:
            shape = (b, inputs.shape[1], *([1] * self.rank))
        keep = _seeded.dropout_mask(self.seed_state, self.rate, shape, inputs.dtype)
        return inputs * keep

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops whole feature maps (channels) of ``(batch, steps, channels)`` inputs."""

    rank = 1


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps (channels) of 2D images."""

    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature maps (channels) of 3D volumes."""

    rank = 3


class ActivityRegularization(Layer):
    """Passes its input through and adds ``(l1 * sum|x| + l2 * sum x^2) / batch`` to the
    training loss (``layer.losses``).

    Example:
        >>> import jax.numpy as jnp
        >>> reg = ActivityRegularization(l1=0.1)
        >>> _ = reg(jnp.ones((2, 4)))
        >>> [round(float(v), 4) for v in reg.losses]
        [0.4]
    """

    _supports_masking = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs):
        from nbkeras import regularizers

        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)
        self.built = True

    def call(self, inputs):
        return inputs

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
