"""``ModuleLayer``: any ``flax.nnx.Module`` used as an nbkeras layer."""

from __future__ import annotations

import inspect

from flax import nnx

from nbkeras.layers.base import Layer, to_snake_case, unique_name


class ModuleLayer(Layer):
    """Wrap a plain ``nnx.Module`` so it can sit in a Sequential or Functional model.

    The module is called as ``module(x)`` (plus ``training=`` if its ``__call__`` takes
    it, or ``deterministic=not training`` for Flax-style modules). Its ``nnx.Param``\\ s
    are trainable weights; its ``nnx.BatchStat``\\ s are non-trainable.

    Example:
        >>> from flax import nnx
        >>> layer = ModuleLayer(nnx.Linear(3, 2, rngs=nnx.Rngs(0)))
    """

    def __init__(self, module: nnx.Module, name: str | None = None, **kwargs):
        if not isinstance(module, nnx.Module):
            raise TypeError(
                f"ModuleLayer wraps a flax.nnx.Module, received {type(module).__name__}."
            )
        super().__init__(name=name or unique_name(to_snake_case(type(module).__name__)), **kwargs)
        self.module = module
        params = inspect.signature(type(module).__call__).parameters
        self._takes_training = "training" in params
        self._takes_deterministic = "deterministic" in params
        self.built = True

    def call(self, inputs, training=None):
        if self._takes_training:
            return self.module(inputs, training=bool(training))
        if self._takes_deterministic:
            return self.module(inputs, deterministic=not training)
        return self.module(inputs)
