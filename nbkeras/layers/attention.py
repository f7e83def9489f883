"""Multi-head and grouped-query attention with Keras 3's weight layout (EinsumDense
projections ``query``/``key``/``value``/``attention_output``) and masking rules.

Masks: the inputs' Keras masks (query ``[B, T] -> [B, T, 1]``, value/key ``-> [B, 1, S]``),
``use_causal_mask`` and ``attention_mask`` are ANDed, as in Keras.  Without dropout and
without returned scores the core is ``jax.nn.dot_product_attention`` (what Keras's JAX
backend calls); otherwise an explicit masked softmax.
"""

from __future__ import annotations

import string

import jax
import jax.numpy as jnp

from nbkeras import constraints, initializers, regularizers
from nbkeras._keras_mask import get_keras_mask
from nbkeras.layers._args import _ser
from nbkeras.layers.activation_layers import Softmax
from nbkeras.layers.base import Layer
from nbkeras.layers.core import Dropout
from nbkeras.layers.einsum_dense import EinsumDense

_CHR = string.ascii_lowercase


def _proj_equation(free_dims, bound_dims, output_dims):
    """Keras's projection einsum: ``free`` axes kept, ``bound`` contracted, ``output`` new."""
    i = free_dims + bound_dims
    inp = _CHR[:free_dims] + _CHR[free_dims:i]
    kernel = _CHR[free_dims:i] + _CHR[i:i + output_dims]
    out = _CHR[:free_dims] + _CHR[i:i + output_dims]
    return f"{inp},{kernel}->{out}", _CHR[i:i + output_dims], len(out)


def _attention_equations(rank, attn_axes):
    target = _CHR[:rank]
    batch_dims = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    source, offset = "", rank
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _CHR[offset]
            offset += 1
    product = ("".join(target[i] for i in batch_dims) + "".join(target[i] for i in attn_axes)
               + "".join(source[i] for i in attn_axes))
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def causal_mask(t: int, s: int):
    """``(1, T, S)`` lower-triangular boolean mask (``row >= column``)."""
    return jnp.tril(jnp.ones((t, s), bool))[None]


def combine_masks(query, value, query_mask, value_mask, key_mask, attention_mask, causal):
    """Keras's attention mask: query/value/key masks, causal mask and ``attention_mask``."""
    auto = None
    if query_mask is not None:
        auto = jnp.asarray(query_mask, bool)[..., None]
    for m in (value_mask, key_mask):
        if m is not None:
            m = jnp.asarray(m, bool)[..., None, :]
            auto = m if auto is None else auto & m
    if causal:
        m = causal_mask(query.shape[1], value.shape[1])
        auto = m if auto is None else auto & m
    if attention_mask is not None:
        attention_mask = jnp.asarray(attention_mask, bool)
    if auto is not None:
        attention_mask = auto if attention_mask is None else attention_mask & auto
    return attention_mask


class _AttentionBase(Layer):
    """Shared construction of the EinsumDense projections and the attention core."""

    _supports_masking = True

    def _common_init(self, dropout, use_bias, kernel_initializer, bias_initializer,
                     kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint,
                     seed):
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{type(self).__name__} 'dropout' must be a float in [0, 1], "
                             f"received dropout={dropout!r}.")
        self.dropout = float(dropout)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._shape_hints = (None, None)

    def _dense(self, equation, output_shape, bias_axes, name):
        return EinsumDense(
            equation, output_shape=output_shape, bias_axes=bias_axes if self.use_bias else None,
            kernel_initializer=self.kernel_initializer, bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer, bias_regularizer=self.bias_regularizer,
            kernel_constraint=self.kernel_constraint, bias_constraint=self.bias_constraint,
            dtype=self.dtype, name=name)

    def __call__(self, query, value=None, key=None, **kwargs):
        if not self.built and value is not None:
            self._shape_hints = (tuple(value.shape), None if key is None else tuple(key.shape))
        args = (query,) if value is None else (query, value) if key is None else (query, value, key)
        return super().__call__(*args, **kwargs)

    def _core(self, query, key, value, mask, training, return_scores, causal_only):
        """Attention over projected ``(B, T, N, H)`` tensors."""
        scale = 1.0 / float(query.shape[-1]) ** 0.5
        if not (self.dropout > 0 or return_scores):
            if mask is not None:
                while mask.ndim < 4:
                    mask = jnp.expand_dims(mask, -3)
            out = jax.nn.dot_product_attention(query, key, value, mask=mask, scale=scale,
                                               is_causal=causal_only, implementation="xla")
            return out, None
        if causal_only:
            mask = causal_mask(query.shape[1], key.shape[1])
        scores = jnp.einsum("bsnh,btnh->bnts", key, query * scale)
        if mask is not None:
            while mask.ndim < scores.ndim:
                mask = jnp.expand_dims(mask, -3)
        scores = self._softmax(scores, mask=mask)
        dropped = self._dropout_layer(scores, training=training) if self.dropout else scores
        return jnp.einsum("bnts,bsnh->btnh", dropped, value), scores

    def _masks(self, query, value, key, query_mask, value_mask, key_mask, attention_mask,
               use_causal_mask):
        # As Keras 3: the query's own mask wins over the query_mask argument.
        query_mask = get_keras_mask(query)
        causal_only = (use_causal_mask and query_mask is None and value_mask is None
                       and key_mask is None and attention_mask is None)
        if causal_only:
            return None, True
        return combine_masks(query, value, query_mask, value_mask, key_mask, attention_mask,
                             use_causal_mask), False

    def _base_config(self):
        return {
            **super().get_config(),
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "kernel_initializer": _ser(initializers, self.kernel_initializer),
            "bias_initializer": _ser(initializers, self.bias_initializer),
            "kernel_regularizer": _ser(regularizers, self.kernel_regularizer),
            "bias_regularizer": _ser(regularizers, self.bias_regularizer),
            "kernel_constraint": _ser(constraints, self.kernel_constraint),
            "bias_constraint": _ser(constraints, self.bias_constraint),
            "seed": self.seed,
        }


class MultiHeadAttention(_AttentionBase):
    """Multi-head attention (Vaswani et al. 2017) with Keras 3's weights and call signature.

    Args:
        num_heads: Number of heads.
        key_dim: Size of each query/key head.
        value_dim: Size of each value head (``key_dim`` by default).
        dropout: Dropout rate on the attention probabilities.
        output_shape: Last dimension(s) of the output (the query's by default).
        attention_axes: Axes attended over (all but batch, heads and features by default).

    Call arguments: ``query, value, key=None, query_mask=None, value_mask=None,
    key_mask=None, attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False``.

    Example:
        >>> mha = MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = jnp.ones((3, 5, 8))
        >>> out, scores = mha(x, x, return_attention_scores=True)
        >>> out.shape, scores.shape
        ((3, 5, 8), (3, 2, 5, 5))
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, **kwargs):
        for key in ("flash_attention", "sliding_window", "use_gate"):
            if kwargs.pop(key, None):
                raise ValueError(f"MultiHeadAttention: {key} is not supported by nbkeras yet.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for arg, v in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"MultiHeadAttention '{arg}' must be a positive integer, "
                                 f"received {arg}={v!r}.")
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim if value_dim else key_dim
        self._output_shape_arg = output_shape
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        self.attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._common_init(dropout, use_bias, kernel_initializer, bias_initializer,
                          kernel_regularizer, bias_regularizer, kernel_constraint,
                          bias_constraint, seed)

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = tuple(value_shape or self._shape_hints[0] or query_shape)
        key_shape = tuple(key_shape or self._shape_hints[1] or value_shape)
        rank = len(query_shape)
        eq, bias, out_rank = _proj_equation(rank - 1, 1, 2)
        self.query_dense = self._dense(eq, (None,) * (out_rank - 3) + (self.num_heads, self.key_dim),
                                       bias, "query")
        self.query_dense._build_from_shapes(tuple(query_shape))
        eq, bias, out_rank = _proj_equation(len(key_shape) - 1, 1, 2)
        self.key_dense = self._dense(eq, (None,) * (out_rank - 3) + (self.num_heads, self.key_dim),
                                     bias, "key")
        self.key_dense._build_from_shapes(key_shape)
        eq, bias, out_rank = _proj_equation(len(value_shape) - 1, 1, 2)
        self.value_dense = self._dense(
            eq, (None,) * (out_rank - 3) + (self.num_heads, self.value_dim), bias, "value")
        self.value_dense._build_from_shapes(value_shape)
        axes = self.attention_axes or tuple(range(1, rank - 1))
        self._attn_axes = tuple(a % (rank + 1) if a >= 0 else a + rank for a in axes)
        self._dot_eq, self._combine_eq, n_scores = _attention_equations(rank + 1, self._attn_axes)
        norm_axes = tuple(range(n_scores - len(self._attn_axes), n_scores))
        self._softmax = Softmax(axis=norm_axes, dtype=self.dtype)
        self._dropout_layer = Dropout(rate=self.dropout, seed=self.seed, dtype=self.dtype)
        out = self._output_shape_arg
        out = (query_shape[-1],) if out is None else (out,) if isinstance(out, int) else tuple(out)
        eq, bias, _ = _proj_equation(rank - 1, 2, len(out))
        self.output_dense = self._dense(eq, (None,) * (rank - 2) + out, bias, "attention_output")
        self.output_dense._build_from_shapes(
            (*query_shape[:-1], self.num_heads, self.value_dim))

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        key = value if key is None else key
        mask, causal_only = self._masks(query, value, key, query_mask, value_mask, key_mask,
                                        attention_mask, use_causal_mask)
        q, k, v = self.query_dense(query), self.key_dense(key), self.value_dense(value)
        if q.ndim == 4:
            out, scores = self._core(q, k, v, mask, training, return_attention_scores,
                                     causal_only)
        else:
            out, scores = self._general_core(q, k, v, mask, training, causal_only)
        out = self.output_dense(out)
        return (out, scores) if return_attention_scores else out

    def _general_core(self, q, k, v, mask, training, causal_only):
        if causal_only:
            mask = causal_mask(q.shape[1], k.shape[1])
        scores = jnp.einsum(self._dot_eq, k, q * (1.0 / float(self.key_dim) ** 0.5))
        if mask is not None:
            while mask.ndim < scores.ndim:
                mask = jnp.expand_dims(mask, -len(self._attn_axes) * 2 - 1)
        scores = self._softmax(scores, mask=mask)
        dropped = self._dropout_layer(scores, training=training) if self.dropout else scores
        return jnp.einsum(self._combine_eq, dropped, v), scores

    def get_config(self):
        return {**self._base_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "output_shape": self._output_shape_arg,
                "attention_axes": self.attention_axes}


class GroupedQueryAttention(_AttentionBase):
    """Grouped-query attention (Ainslie et al. 2023): ``num_key_value_heads`` key/value
    heads shared by groups of the ``num_query_heads`` query heads.

    Example:
        >>> gqa = GroupedQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
        >>> gqa(jnp.ones((2, 5, 8)), jnp.ones((2, 6, 8))).shape
        (2, 5, 8)
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, **kwargs):
        for key in ("flash_attention", "sliding_window", "use_gate"):
            if kwargs.pop(key, None):
                raise ValueError(f"GroupedQueryAttention: {key} is not supported by nbkeras yet.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for arg, v in (("head_dim", head_dim), ("num_query_heads", num_query_heads),
                       ("num_key_value_heads", num_key_value_heads)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"GroupedQueryAttention '{arg}' must be a positive integer, "
                                 f"received {arg}={v!r}.")
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                f"GroupedQueryAttention: num_query_heads ({num_query_heads}) must be a multiple "
                f"of num_key_value_heads ({num_key_value_heads}).")
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self._common_init(dropout, use_bias, kernel_initializer, bias_initializer,
                          kernel_regularizer, bias_regularizer, kernel_constraint,
                          bias_constraint, seed)

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = tuple(value_shape or self._shape_hints[0] or query_shape)
        key_shape = tuple(key_shape or self._shape_hints[1] or value_shape)
        self.query_dense = self._dense("bqm,muh->bquh", (None, self.num_query_heads,
                                                          self.head_dim), "uh", "query")
        self.query_dense._build_from_shapes(tuple(query_shape))
        self.key_dense = self._dense("bkm,mvh->bkvh", (None, self.num_key_value_heads,
                                                        self.head_dim), "vh", "key")
        self.key_dense._build_from_shapes(key_shape)
        self.value_dense = self._dense("bkm,mvh->bkvh", (None, self.num_key_value_heads,
                                                          self.head_dim), "vh", "value")
        self.value_dense._build_from_shapes(value_shape)
        self._softmax = Softmax(axis=-1, dtype=self.dtype)
        self._dropout_layer = Dropout(rate=self.dropout, seed=self.seed, dtype=self.dtype)
        self.output_dense = self._dense("bquh,uhm->bqm", (None, query_shape[-1]), "m",
                                        "attention_output")
        self.output_dense._build_from_shapes(
            (query_shape[0], query_shape[1], self.num_query_heads, self.head_dim))

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        key = value if key is None else key
        mask, causal_only = self._masks(query, value, key, query_mask, value_mask, key_mask,
                                        attention_mask, use_causal_mask)
        q = self.query_dense(query)
        k = jnp.repeat(self.key_dense(key), self.num_repeats, axis=2)
        v = jnp.repeat(self.value_dense(value), self.num_repeats, axis=2)
        out, scores = self._core(q, k, v, mask, training, return_attention_scores, causal_only)
        out = self.output_dense(out)
        return (out, scores) if return_attention_scores else out

    def get_config(self):
        return {**self._base_config(), "head_dim": self.head_dim,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads}


GroupQueryAttention = GroupedQueryAttention
