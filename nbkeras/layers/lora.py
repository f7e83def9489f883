"""Low-rank adaptation (LoRA) for ``Dense``, ``Embedding`` and the convolutions, as Keras 3.

``layer.enable_lora(rank)`` freezes the layer's main weight ``W`` and adds two trainable
factors ``A`` (``W.shape[:-1] + (rank,)``) and ``B`` (``(rank, W.shape[-1])``); the layer
then computes with ``W + (lora_alpha / rank) * A @ B``.  ``B`` starts at zero, so the
outputs do not change until training moves it.  ``lora_rank=`` in the constructor enables
it when the layer is built.

Unlike Keras, ``layer.kernel`` stays the frozen ``nnx.Param`` (Flax code and checkpoints
keep its path); the merged value is :meth:`LoRAMixin.merged_weight`.
"""

from __future__ import annotations

import jax.numpy as jnp

from nbkeras import initializers


def _check_rank(layer, rank) -> int:
    if isinstance(rank, bool) or not isinstance(rank, int) or rank <= 0:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': the LoRA rank must be a positive "
            f"integer, received {rank!r}."
        )
    return rank


class LoRAMixin:
    """Adds Keras's ``enable_lora`` to a layer whose main weight is ``_lora_target``."""

    _lora_target = "kernel"

    def _init_lora(self, lora_rank, lora_alpha) -> None:
        if lora_rank is not None:
            _check_rank(self, lora_rank)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _build_lora(self) -> None:
        """Called at the end of ``build``: ``lora_rank=`` given to the constructor."""
        if self.lora_rank and not self.lora_enabled:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def enable_lora(
        self, rank: int, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"
    ) -> None:
        """Freeze the main weight and train a rank-``rank`` update instead (Keras's LoRA).

        Args:
            rank: Rank of the update ``A @ B``.
            lora_alpha: Scale numerator: the update is multiplied by ``lora_alpha / rank``
                (``rank`` by default, i.e. a scale of 1).
            a_initializer: Initializer of ``A``.
            b_initializer: Initializer of ``B`` (zeros: the layer starts unchanged).

        Raises:
            ValueError: If the layer is not built, LoRA is already enabled, the rank is not
                a positive integer or the weight has a constraint.

        Example:
            >>> from nbkeras.layers import Dense
            >>> layer = Dense(4)
            >>> layer.build((None, 8))
            >>> layer.enable_lora(2)
            >>> [w.name for w in layer.trainable_weights]
            ['bias', 'lora_kernel_a', 'lora_kernel_b']
        """
        target = self._lora_target
        cls = type(self).__name__
        if getattr(self, f"{target}_constraint", None) is not None:
            raise ValueError(
                f"{cls} '{self.name}': LoRA is incompatible with {target}_constraint. Remove "
                f"the {target}_constraint argument to enable LoRA."
            )
        if not self.built:
            raise ValueError(
                f"{cls} '{self.name}' is not built: call it on data or build(input_shape) "
                "before enable_lora()."
            )
        if self.lora_enabled:
            raise ValueError(
                f"{cls} '{self.name}' already has LoRA enabled; it can be enabled only once."
            )
        rank = _check_rank(self, rank)
        base = getattr(self, target)
        regularizer = getattr(self, f"{target}_regularizer", None)
        a = self.add_weight(
            name=f"lora_{target}_a",
            shape=(*base.shape[:-1], rank),
            initializer=initializers.get(a_initializer),
            regularizer=regularizer,
        )
        b = self.add_weight(
            name=f"lora_{target}_b",
            shape=(rank, base.shape[-1]),
            initializer=initializers.get(b_initializer),
            regularizer=regularizer,
        )
        setattr(self, f"lora_{target}_a", a)
        setattr(self, f"lora_{target}_b", b)
        self._attach_pending()
        base.set_metadata("trainable", False)
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def merged_weight(self):
        """The main weight as the layer computes with it: ``W + (alpha / rank) * A @ B``."""
        target = self._lora_target
        value = getattr(self, target)[...]
        if not self.lora_enabled:
            return value
        a = getattr(self, f"lora_{target}_a")[...]
        b = getattr(self, f"lora_{target}_b")[...]
        update = (self.lora_alpha / self.lora_rank) * jnp.matmul(a, b)
        return (value + update).astype(value.dtype)

    def _lora_config(self) -> dict:
        if not self.lora_rank:
            return {}
        return {"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha}
