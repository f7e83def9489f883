"""SpectralNormalization: divides a wrapped layer's kernel by its largest singular value
(power iteration, as Keras), during training calls."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras import initializers
from nbkeras.layers.rnn_wrappers import Wrapper


def _normalize(x):
    return x / jnp.sqrt(jnp.maximum(jnp.sum(x * x), 1e-12))


class SpectralNormalization(Wrapper):
    """Spectral normalization of the ``kernel`` (or ``embeddings``) of a wrapped layer.

    With ``training=True`` each call runs ``power_iterations`` steps of power iteration
    from the stored vector ``u``, stores the new ``u`` and the normalized kernel
    (``kernel / sigma``), then calls the wrapped layer. Inference calls use the kernel as
    stored. Weights (Keras order): ``kernel``, ``vector_u`` (non-trainable), the wrapped
    layer's other weights.

    Args:
        layer: A layer with a ``kernel`` or ``embeddings`` weight (Dense, Conv2D...).
        power_iterations: Power-iteration steps per training call (> 0).

    Example:
        >>> from nbkeras.layers import Dense
        >>> sn = SpectralNormalization(Dense(3))
        >>> sn(jnp.ones((2, 4)), training=True).shape
        (2, 3)
    """

    def __init__(self, layer, power_iterations: int = 1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(
                f"SpectralNormalization '{self.name}': power_iterations must be > 0, "
                f"received power_iterations={power_iterations}.")
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(
                f"SpectralNormalization '{self.name}' needs a layer with a 'kernel' or "
                f"'embeddings' weight; {type(self.layer).__name__} '{self.layer.name}' has "
                "neither.")
        self.kernel = kernel  # the wrapped layer's variable itself (Keras's weight order)
        self.vector_u = self.add_weight(
            shape=(1, kernel.shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False, name="vector_u", dtype=kernel.get_value().dtype)

    def normalized_weights(self):
        """``(u, kernel / sigma)`` after ``power_iterations`` power-iteration steps."""
        kernel = self.kernel[...]
        w = jnp.reshape(kernel, (-1, kernel.shape[-1]))
        u = self.vector_u[...]
        for _ in range(self.power_iterations):
            v = _normalize(u @ w.T)
            u = _normalize(v @ w)
        u, v = jax.lax.stop_gradient(u), jax.lax.stop_gradient(v)
        sigma = (v @ w) @ u.T
        return u, jnp.reshape(kernel / sigma, kernel.shape)

    def call(self, inputs, training=False):
        if training:
            kernel = self.kernel[...]
            u, new_kernel = self.normalized_weights()
            all_zero = jnp.all(kernel == 0)  # Keras leaves an all-zero kernel alone
            self.vector_u[...] = jnp.where(all_zero, self.vector_u[...], u)
            self.kernel[...] = jnp.where(all_zero, kernel, new_kernel)
        return self.layer(inputs).astype(inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
