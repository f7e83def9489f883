"""Single-head attention layers: Attention (Luong, dot product) and AdditiveAttention
(Bahdanau), called on ``[query, value]`` or ``[query, value, key]`` as in Keras."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from nbkeras.layers import _seeded
from nbkeras.layers._args import choice
from nbkeras.layers.base import Layer


class Attention(Layer):
    """Dot-product attention: ``softmax(query @ key^T) @ value``.

    Args:
        use_scale: Learn a scalar ``scale`` multiplying the scores.
        score_mode: ``"dot"`` or ``"concat"`` (``sum(tanh(query + key))``).
        dropout: Dropout rate on the attention distribution (training only).

    Call arguments: ``inputs=[query, value(, key)]``, ``mask=[query_mask, value_mask]``,
    ``training``, ``return_attention_scores``, ``use_causal_mask``.

    Example:
        >>> q, v = jnp.ones((2, 3, 4)), jnp.ones((2, 5, 4))
        >>> Attention()([q, v]).shape
        (2, 3, 4)
    """

    _supports_masking = True

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = use_scale
        self.score_mode = choice(type(self).__name__, "score_mode", score_mode, ("dot", "concat"))
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{type(self).__name__} 'dropout' must be a float in [0, 1], "
                             f"received dropout={dropout!r}.")
        self.dropout = float(dropout)
        self.seed = seed
        if self.dropout:
            self.seed_state = _seeded.make_seed_state(seed)

    def _check(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects a list [query, value] or "
                f"[query, value, key], received {type(inputs).__name__}"
                f"{'' if not isinstance(inputs, (list, tuple)) else f' of {len(inputs)}'}.")

    def build(self, input_shape):
        self._check(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        else:
            self.scale = None
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(shape=(), initializer="ones",
                                                       name="concat_score_weight")
        else:
            self.concat_score_weight = None

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = jnp.matmul(query, jnp.swapaxes(key, -2, -1))
            return scores if self.scale is None else scores * self.scale[...]
        s = query[..., :, None, :] + key[..., None, :, :]
        if self.scale is not None:
            s = self.scale[...] * s
        return self.concat_score_weight[...] * jnp.sum(jnp.tanh(s), axis=-1)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._check(inputs)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._scores(q, k)
        score_mask = None if v_mask is None else jnp.asarray(v_mask, bool)[..., None, :]
        if use_causal_mask:
            causal = jnp.tril(jnp.ones(scores.shape[-2:], bool))[None]
            score_mask = causal if score_mask is None else score_mask & causal
        if score_mask is not None:
            big = 65504.0 if scores.dtype == jnp.float16 else 1.0e9
            scores = jnp.where(score_mask, scores, scores - big)
        weights = jax.nn.softmax(scores, axis=-1)
        applied = weights
        if training and self.dropout > 0:
            applied = weights * _seeded.dropout_mask(self.seed_state, self.dropout,
                                                     weights.shape, weights.dtype)
        out = jnp.matmul(applied, v)
        if q_mask is not None:
            out = jnp.where(jnp.asarray(q_mask, bool)[..., None], out, 0.0)
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        if mask is None or mask[0] is None:
            return None
        return jnp.asarray(mask[0])

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Additive (Bahdanau) attention: scores ``sum(scale * tanh(query + key))``.

    Example:
        >>> q, v = jnp.ones((2, 3, 4)), jnp.ones((2, 5, 4))
        >>> AdditiveAttention()([q, v]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._check(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(shape=(input_shape[0][-1],),
                                         initializer="glorot_uniform", name="scale")
        else:
            self.scale = None

    def _scores(self, query, key):
        s = jnp.tanh(query[..., :, None, :] + key[..., None, :, :])
        if self.scale is not None:
            s = self.scale[...] * s
        return jnp.sum(s, axis=-1)

    def get_config(self):
        config = super().get_config()
        config.pop("score_mode", None)
        return config
