"""Mixing augmentation (MixUp, CutMix) and ``Pipeline``, as in Keras 3.

MixUp and CutMix take a batch of images, or a dict ``{"images": ..., "labels": ...}`` whose
labels (one-hot or soft) are mixed with the same weights; they are active only with
``training=True``, seeded and jit-safe.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras import _serialization
from nbkeras.layers import _seeded
from nbkeras.layers._args import data_format_arg
from nbkeras.layers.augmentation import _Augment
from nbkeras.layers.augmentation_geometric import _unit_range
from nbkeras.layers.base import Layer


class _Mix(_Augment):
    """Images or ``{"images", "labels"}``; subclasses give ``mix(images, key)`` returning
    ``(images, permutation, label_weight)``."""

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.data_format = data_format_arg(type(self).__name__, data_format)

    def call(self, inputs, training=True):
        data = dict(inputs) if isinstance(inputs, dict) else {"images": inputs}
        if "images" not in data:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects images or a dict "
                             f"with an 'images' key, received keys {sorted(data)}.")
        images = jnp.asarray(data["images"])
        if images.ndim not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects images (height, width, channels) "
                f"or (batch, height, width, channels), received shape {tuple(images.shape)}.")
        if not jnp.issubdtype(images.dtype, jnp.floating):
            images = images.astype(self.compute_dtype)
        if training:
            single = images.ndim == 3
            x = images[None] if single else images
            first = self.data_format == "channels_first"
            if first:
                x = jnp.transpose(x, (0, 2, 3, 1))
            out = self.mix(x, _seeded.next_key(self.seed_state))
            if out is not None:
                x, perm, weight = out
                if "labels" in data:
                    labels = jnp.asarray(data["labels"])
                    w = weight.reshape((-1,) + (1,) * (labels.ndim - 1)).astype(labels.dtype)
                    data["labels"] = w * labels + (1.0 - w) * jnp.take(labels, perm, axis=0)
            if first:
                x = jnp.transpose(x, (0, 3, 1, 2))
            images = x[0] if single else x
        data["images"] = images
        return data if isinstance(inputs, dict) else images

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class MixUp(_Mix):
    """MixUp: blends each image (and label) with another of the batch, weight ~ Beta(α, α).

    Args:
        alpha: Beta distribution parameter (> 0).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Int seed.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import MixUp
        >>> out = MixUp(seed=0)({"images": jnp.ones((4, 8, 8, 3)),
        ...                      "labels": jnp.eye(4)}, training=True)
        >>> out["labels"].sum(axis=1).round(5).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or alpha <= 0:
            raise ValueError(f"MixUp 'alpha' must be a positive number, received "
                             f"alpha={alpha!r}.")
        self.alpha = alpha

    def mix(self, x, key):
        kp, kw = jax.random.split(key)
        b = x.shape[0]
        perm = jax.random.permutation(kp, b)
        weight = jax.random.beta(kw, self.alpha, self.alpha, (b,)).astype(x.dtype)
        w = weight[:, None, None, None]
        return w * x + (1.0 - w) * jnp.take(x, perm, axis=0), perm, weight

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class CutMix(_Mix):
    """CutMix: pastes a random box from another image of the batch into each image; labels
    are mixed by the pasted area.  Unbatched images pass through unchanged (as in Keras).

    Args:
        factor: Range of the Beta parameter (``f`` -> ``(0, f)``), within [0, 1].
        seed: Int seed.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import CutMix
        >>> CutMix(seed=0)(jnp.ones((4, 8, 8, 3)), training=True).shape
        (4, 8, 8, 3)
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = _unit_range("CutMix", "factor", factor, False)

    def mix(self, x, key):
        b, h, w, _ = x.shape
        ka, kw, kx, ky, kp = jax.random.split(key, 5)
        alpha = jax.random.uniform(ka, (), minval=self.factor[0], maxval=self.factor[1]) + 1e-6
        lam = jax.random.beta(kw, alpha, alpha, (b,))
        ratio = jnp.sqrt(1.0 - lam)
        cw, ch = ratio * w, ratio * h
        x0 = jax.random.uniform(kx, (b,)) * (w - cw)
        y0 = jax.random.uniform(ky, (b,)) * (h - ch)
        x1, y1 = x0 + cw, y0 + ch
        gy, gx = jnp.meshgrid(jnp.arange(h, dtype=x.dtype), jnp.arange(w, dtype=x.dtype),
                              indexing="ij")

        def col(v):
            return v[:, None, None, None]

        gx, gy = gx[None, :, :, None], gy[None, :, :, None]
        mask = (gx >= col(x0)) & (gx < col(x1)) & (gy >= col(y0)) & (gy < col(y1))
        perm = jax.random.permutation(kp, b)
        weight = (1.0 - (x1 - x0) * (y1 - y0) / (w * h)).astype(x.dtype)
        return jnp.where(mask, jnp.take(x, perm, axis=0), x), perm, weight

    def call(self, inputs, training=True):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        if jnp.ndim(images) == 3:  # Keras leaves single images alone
            return inputs
        return super().call(inputs, training=training)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Pipeline(Layer):
    """Applies a list of layers in order, passing ``training`` on (Keras's ``Pipeline``).

    Args:
        layers: The layers to apply.
        name: Layer name.

    Example:
        >>> import jax.numpy as jnp
        >>> from nbkeras.layers import Pipeline, RandomFlip, RandomShear
        >>> pipe = Pipeline([RandomFlip(seed=0), RandomShear(0.2, seed=1)])
        >>> pipe(jnp.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)) or not all(callable(la) for la in layers):
            raise TypeError(f"Pipeline 'layers' must be a list of layers, received "
                            f"{layers!r}.")
        self.pipeline_layers = list(layers)
        self.built = True

    @property
    def layers(self):
        return list(self.pipeline_layers)

    def call(self, inputs, training=True):
        for layer in self.pipeline_layers:
            inputs = layer(inputs, training=training)
        return inputs

    def get_config(self):
        return {**super().get_config(),
                "layers": [_serialization.serialize_keras_object(la)
                           for la in self.pipeline_layers]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layers = [_serialization.deserialize_keras_object(c, custom_objects)
                  for c in config.pop("layers")]
        return cls(layers, **config)
