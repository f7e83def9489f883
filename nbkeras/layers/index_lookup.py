"""The machinery of StringLookup and IntegerLookup: vocabulary <-> index, ``adapt``.

Strings are looked up in NumPy on the host (as Keras does without TensorFlow); integer
lookups are ``jax.numpy`` and also run inside ``jax.jit``. Vocabulary order after
``adapt`` is Keras's: most frequent first, ties broken by the larger token.
"""

from __future__ import annotations

import collections
import functools
import os

import jax
import jax.numpy as jnp
import numpy as np

from nbkeras.layers._encoding import encode, output_mode_arg
from nbkeras.layers._hashes import hash_buckets, host_values
from nbkeras.layers.hashing import HostLayer, salt_arg


def _batches(data, steps):
    """Keras's rule: a list/tuple/array is one batch whose rows (or items) are documents;
    another iterable yields batches."""
    if isinstance(data, (list, tuple, np.ndarray, jax.Array)):
        data = np.asarray(data)
        yield data[:, None] if data.ndim == 1 else data
        return
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            return
        yield batch[0] if isinstance(batch, tuple) else batch


@functools.lru_cache(maxsize=16)
def _int_table(tokens: tuple, start: int):
    keys = np.asarray(tokens, np.int64)
    order = np.argsort(keys, kind="stable")
    return keys[order], (order + start).astype(np.int32)


class IndexLookup(HostLayer):
    """Shared machinery of :class:`StringLookup` and :class:`IntegerLookup`."""

    _is_string = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, oov_method="floormod", salt=None,
                 **kwargs):
        kwargs.pop("vocabulary_size", None)  # in Keras configs; derived here
        has_input = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.output_mode = output_mode_arg(cls, output_mode, ("tf_idf",))
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{cls} '{self.name}': max_tokens must be > 1 if set, received "
                             f"max_tokens={max_tokens}.")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{cls} '{self.name}' received pad_to_max_tokens=True without "
                             "max_tokens; set max_tokens too.")
        if num_oov_indices < 0:
            raise ValueError(f"{cls} '{self.name}': num_oov_indices must be >= 0, received "
                             f"{num_oov_indices}.")
        if invert and self.output_mode != "int":
            raise ValueError(f"{cls} '{self.name}' received invert=True with output_mode="
                             f"{self.output_mode!r}; invert needs output_mode='int'.")
        if sparse:
            raise ValueError(f"{cls} '{self.name}' received sparse=True; sparse outputs need "
                             "the TensorFlow backend. Use sparse=False.")
        if idf_weights is not None and self.output_mode != "tf_idf":
            raise ValueError(f"{cls} '{self.name}' received idf_weights, which only apply to "
                             "output_mode='tf_idf'.")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{cls} '{self.name}' received oov_method={oov_method!r}; "
                             "expected 'floormod' or 'farmhash'.")
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = bool(invert)
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.sparse = False
        self.oov_method = oov_method
        self.salt = salt_arg(cls, salt)
        self._has_input_vocabulary = bool(has_input)
        self.input_vocabulary = None if isinstance(vocabulary, str) else _plain(vocabulary)
        self.input_idf_weights = _plain(idf_weights)
        self._tokens: tuple | None = None
        self._idf: tuple | None = None
        if self.output_mode == "tf_idf" and has_input and idf_weights is None:
            raise ValueError(f"{cls} '{self.name}' with output_mode='tf_idf' and a vocabulary "
                             "also needs idf_weights.")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # ------------------------------------------------------------------ indices
    def _oov_start(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self) -> int:
        return self._oov_start() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """Size of the vocabulary, mask and OOV indices included."""
        return len(self._tokens or ()) + self._token_start()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary; with special tokens, a token's position is its index."""
        vocab = [self.oov_token] * self._token_start() + list(self._tokens or ())
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        return vocab if include_special_tokens else vocab[self._token_start():]

    # ------------------------------------------------------------------ vocabulary
    def _as_tokens(self, values) -> np.ndarray:
        if self._is_string:
            values = np.asarray(values)
            if values.dtype.kind == "S":
                return np.char.decode(values, getattr(self, "encoding", "utf-8"))
            if values.dtype.kind == "O":
                return np.array([v.decode() if isinstance(v, bytes) else str(v)
                                 for v in values.reshape(-1)]).reshape(values.shape)
            return values.astype(str)
        return np.asarray(values).astype(np.int64)

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Set the vocabulary (a sequence, or a text file with one token per line)."""
        cls = type(self).__name__
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{cls} '{self.name}': idf_weights must be set with "
                             "output_mode='tf_idf'.")
        if isinstance(vocabulary, (str, os.PathLike)):
            if self.output_mode == "tf_idf":
                raise ValueError(f"{cls} '{self.name}': output_mode='tf_idf' cannot load a "
                                 "vocabulary from a file; pass a list and idf_weights.")
            with open(vocabulary, encoding="utf-8") as f:
                lines = f.read().splitlines()
            while lines and lines[-1] == "":
                lines.pop()
            vocabulary = lines if self._is_string else [int(v) for v in lines]
        tokens = [t.item() if hasattr(t, "item") else t
                  for t in self._as_tokens(np.asarray(vocabulary)).reshape(-1)]
        if not tokens:
            raise ValueError(f"{cls} '{self.name}' cannot set an empty vocabulary.")
        start = self._token_start()
        specials = [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices
        found_specials = tokens[:start] == specials
        if found_specials:
            tokens = tokens[start:]
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"{cls} '{self.name}': the vocabulary repeats {repeated}; "
                             "give each token once.")
        for what, token in (("mask", self.mask_token),
                            ("OOV", self.oov_token if self.invert else None)):
            if token is not None and token in tokens:
                raise ValueError(
                    f"{cls} '{self.name}' found the {what} token {token!r} inside the "
                    f"vocabulary. Leave special tokens out of it, or put them only at the "
                    f"start in this order: {specials}.")
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(f"{cls} '{self.name}': a vocabulary of size {start + len(tokens)}"
                             f" is larger than max_tokens={self.max_tokens}.")
        self._tokens = tuple(tokens)
        if self.output_mode == "tf_idf":
            idf = np.asarray(idf_weights, np.float32).reshape(-1)
            if len(idf) != len(vocabulary):
                raise ValueError(f"{cls} '{self.name}': idf_weights has {len(idf)} values "
                                 f"for a vocabulary of {len(vocabulary)} tokens.")
            if not found_specials:
                idf = np.concatenate([np.full(start, idf.mean(), np.float32), idf])
            self._idf = tuple(self._padded(idf).tolist())

    def _padded(self, idf):
        if self.pad_to_max_tokens and self.max_tokens is not None:
            idf = np.pad(idf, (0, self.max_tokens - len(idf)))
        return idf.astype(np.float32)

    def adapt(self, data, steps=None) -> None:
        """Learn the vocabulary (and document frequencies for ``tf_idf``) from data: an
        array or list (its rows are documents) or an iterable of batches."""
        cls = type(self).__name__
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt {cls} '{self.name}': it was given a vocabulary "
                             "(vocabulary=... or set_vocabulary()).")
        counts: collections.Counter = collections.Counter()
        doc_counts: collections.Counter = collections.Counter()
        documents = 0
        for batch in _batches(data, steps):
            self._count(batch, counts, doc_counts)
            documents += self._num_documents(batch)
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        if not counts:
            return
        tokens = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens:
            tokens = tokens[: self.max_tokens - self._token_start()]
        self._tokens = tuple(tokens)
        if self.output_mode == "tf_idf":
            idf = np.log(1 + documents / (1 + np.array([doc_counts[t] for t in tokens])))
            idf = idf.astype(np.float32)
            idf = np.concatenate([np.full(self._token_start(), idf.mean(), np.float32), idf])
            self._idf = tuple(self._padded(idf).tolist())

    def _rows(self, batch):
        """Documents of one adapt batch, each a sequence of tokens."""
        if hasattr(batch, "rows"):  # token rows of different lengths (TextVectorization)
            return [self._as_tokens(np.asarray(r, dtype=str)).reshape(-1) for r in batch.rows]
        values = self._as_tokens(batch)
        if values.ndim == 0:
            values = values[None]
        return [values] if values.ndim == 1 else [r.reshape(-1) for r in values]

    def _count(self, batch, counts, doc_counts):
        for row in self._rows(batch):
            row = [t.item() if hasattr(t, "item") else t for t in row]
            counts.update(row)
            if self.output_mode == "tf_idf":
                doc_counts.update(set(row))

    def _num_documents(self, batch):
        return len(self._rows(batch))

    # ------------------------------------------------------------------ call
    def _depth(self) -> int:
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    def _lookup_host(self, values: np.ndarray) -> np.ndarray:
        """Indices of host tokens (strings, or ints hashed with farmhash)."""
        table = {t: i for i, t in enumerate(self._tokens or (), self._token_start())}
        default = self._oov_start() if self.num_oov_indices == 1 else -1
        unique, inverse = np.unique(values.reshape(-1), return_inverse=True)
        found = np.array([table.get(u.item(), default) for u in unique], np.int64)
        out = found[inverse].reshape(values.shape)
        if self.mask_token is not None:
            out = np.where(values == self.mask_token, self._mask_index(), out)
        if self.num_oov_indices > 1:
            hashed = hash_buckets(values, self.num_oov_indices, self.salt) + self._oov_start()
            out = np.where(out == -1, hashed, out)
        self._check_oov(out == -1, values)
        return out

    def _mask_index(self) -> int:
        """Index of the mask token: 0 for ``int`` outputs, else one that encodes to zeros."""
        return 0 if self.output_mode == "int" else np.iinfo(np.int32).max

    def _check_oov(self, missing, values):
        if self.num_oov_indices == 0 and not isinstance(missing, jax.core.Tracer) and bool(
                np.any(np.asarray(missing))):
            bad = np.unique(np.asarray(values)[np.asarray(missing)])[:5].tolist()
            raise ValueError(
                f"{type(self).__name__} '{self.name}' has num_oov_indices=0, so all inputs "
                f"must be in the vocabulary; found out-of-vocabulary values {bad}. Set "
                "num_oov_indices=1 to map them to an OOV index.")

    def _invert_host(self, indices) -> np.ndarray:
        vocab = np.asarray(self.get_vocabulary(), dtype=object)
        idx = np.asarray(indices).astype(np.int64)
        inside = (idx >= 0) & (idx < len(vocab))
        out = np.where(inside, vocab[np.clip(idx, 0, len(vocab) - 1)], self.oov_token)
        if self.mask_token is not None:
            out = np.where(idx == 0, self.mask_token, out)
        return out.astype(str) if self._is_string else out.astype(np.int64)

    def _lookup(self, inputs):
        if self.invert:
            return self._invert_host(host_values(self, inputs))
        return self._lookup_host(self._as_tokens(host_values(self, inputs)))

    def _ensure_vocabulary(self):
        if self._tokens is None and (self.output_mode != "int" and not self.pad_to_max_tokens):
            raise RuntimeError(
                f"{type(self).__name__} '{self.name}' with output_mode={self.output_mode!r} "
                "needs its vocabulary before it is called: pass vocabulary=... or call "
                "adapt(data) first.")

    def call(self, inputs):
        self._ensure_vocabulary()
        indices = self._lookup(inputs)
        if self.invert:
            return indices
        if self.output_mode == "int":
            return jnp.asarray(indices, "int32")
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = encode(indices, mode, self._depth(), self.compute_dtype)
        if self.output_mode == "tf_idf":
            out = out * jnp.asarray(self._idf, self.compute_dtype)
        return out

    def get_config(self):
        vocab = self.input_vocabulary
        idf = self.input_idf_weights
        if vocab is None and self._tokens is not None:  # adapted: keep what was learned
            vocab = self.get_vocabulary()
            if self._idf is not None:
                idf = list(self._idf[: len(vocab)])
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode,
                "sparse": False, "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary": vocab, "idf_weights": idf,
                "vocabulary_size": self.vocabulary_size(), "salt": self.salt}

    @property
    def idf_weights(self):
        """The IDF weight of each index (``tf_idf`` mode), or ``None``."""
        return None if self._idf is None else np.asarray(self._idf, np.float32)


def _plain(value):
    if value is None or isinstance(value, str):
        return value
    return np.asarray(value).tolist()
