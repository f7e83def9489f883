"""StringLookup and IntegerLookup (the shared machinery is in ``index_lookup.py``)."""

from __future__ import annotations

import jax
import numpy as np

from nbkeras.layers._encoding import xp_of
from nbkeras.layers.index_lookup import IndexLookup, _int_table


class StringLookup(IndexLookup):
    """Maps strings to integer indices from a vocabulary (or back, with ``invert=True``).

    Index layout (Keras's): ``[mask (if mask_token and output_mode="int"), OOV indices...,
    vocabulary...]``. Runs in NumPy on the host, before the jitted training step: apply it
    to the data (or in the input pipeline) and give the model its integer outputs.

    Args:
        max_tokens: Largest vocabulary size (special tokens included) learned by ``adapt``.
        num_oov_indices: Indices for out-of-vocabulary strings (hashed when > 1).
        mask_token: A string mapped to index 0 (``None``: no mask).
        oov_token: The string returned for OOV indices when ``invert=True``.
        vocabulary: A list of strings, or the path of a text file with one per line.
        idf_weights: Per-token IDF weights for ``output_mode="tf_idf"``.
        invert: Map indices back to strings.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        pad_to_max_tokens: Make encoded outputs ``max_tokens`` wide.
        encoding: Text encoding of byte inputs.
        salt: Key of the OOV hash (SipHash) when ``num_oov_indices > 1``.

    Example:
        >>> layer = StringLookup(vocabulary=["a", "b", "c"])
        >>> layer([["a", "c"], ["d", "b"]]).tolist()
        [[1, 3], [0, 2]]
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None,
                 salt=None, **kwargs):
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, **kwargs)

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices from a vocabulary (or back, with ``invert=True``).

    Same index layout as :class:`StringLookup` (``oov_token=-1`` by default). The lookup
    is ``jax.numpy`` (sorted keys + ``searchsorted``), so it also runs inside a jitted model
    (except ``oov_method="farmhash"``, which hashes on the host).

    Example:
        >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer([[12, 1138, 42], [42, 1000, 36]]).tolist()
        [[1, 3, 4], [4, 0, 2]]
    """

    _is_string = False

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError(f"IntegerLookup supports vocabulary_dtype='int64' only, received "
                             f"{vocabulary_dtype!r}.")
        if salt is not None and oov_method != "farmhash":
            raise ValueError("IntegerLookup: salt only applies with oov_method='farmhash', "
                             f"received oov_method={oov_method!r}.")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         oov_method=oov_method, salt=salt, **kwargs)

    def _convert_input(self, x):
        return x if isinstance(x, jax.Array) else np.asarray(x)

    def _lookup(self, inputs):
        if self.oov_method == "farmhash" and self.num_oov_indices > 1 and not self.invert:
            return super()._lookup(inputs)
        xp = xp_of(inputs)
        x = xp.asarray(inputs)
        if self.invert:
            vocab = xp.asarray(self.get_vocabulary(), "int32")
            inside = (x >= 0) & (x < vocab.shape[0])
            out = xp.where(inside, vocab[xp.clip(x, 0, vocab.shape[0] - 1)], self.oov_token)
            return out if self.mask_token is None else xp.where(x == 0, self.mask_token, out)
        x = x.astype("int32")
        default = self._oov_start() if self.num_oov_indices == 1 else -1
        if self._tokens:
            keys, index = _int_table(self._tokens, self._token_start())
            keys, index = xp.asarray(keys, "int32"), xp.asarray(index)
            pos = xp.clip(xp.searchsorted(keys, x), 0, len(keys) - 1)
            out = xp.where(keys[pos] == x, index[pos], default)
        else:
            out = xp.full(x.shape, default, "int32")
        if self.mask_token is not None:
            out = xp.where(x == self.mask_token, self._mask_index(), out)
        if self.num_oov_indices > 1:
            out = xp.where(out == -1, xp.mod(x, self.num_oov_indices) + self._oov_start(), out)
        self._check_oov(out == -1, x)
        return out
