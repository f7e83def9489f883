"""TextVectorization: raw strings -> token indices or bag-of-words vectors, on the host.

Standardize (lowercase ASCII, strip ASCII punctuation), split (whitespace or characters),
n-grams, then a :class:`~nbkeras.layers.StringLookup` with ``""`` as the padding/mask
token, as in Keras. Strings are handled in NumPy outside the jitted step: apply the layer
to the data, or to each batch of a generator, and feed the model its integer output.
"""

from __future__ import annotations

import string

import jax.numpy as jnp
import numpy as np

from nbkeras.layers._args import choice
from nbkeras.layers._encoding import output_mode_arg
from nbkeras.layers._hashes import host_values
from nbkeras.layers.hashing import HostLayer
from nbkeras.layers.lookup import StringLookup

_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_NO_PUNCT = str.maketrans("", "", string.punctuation)
_WHITESPACE = " \t\n\r\v\f"


def _ngrams(tokens: list, widths) -> list:
    out = []
    for n in widths:
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


class TextVectorization(HostLayer):
    """Turns raw strings into token indices (``int``) or vocabulary-sized vectors.

    Args:
        max_tokens: Largest vocabulary (padding ``""`` and ``"[UNK]"`` included).
        standardize: ``"lower_and_strip_punctuation"`` (default), ``"lower"``,
            ``"strip_punctuation"``, ``None`` or a callable on a NumPy array of strings.
        split: ``"whitespace"`` (default), ``"character"``, ``None`` (inputs are already
            tokens) or a callable from a NumPy array of strings to lists of tokens.
        ngrams: ``None``, an int ``n`` (all 1..n-grams) or a tuple of n-gram widths.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        output_sequence_length: Pad or truncate ``int`` outputs to this length (else pad
            to the longest text of the batch).
        pad_to_max_tokens: Make vector outputs ``max_tokens`` wide.
        vocabulary, idf_weights: A known vocabulary (and IDF weights for ``tf_idf``).
        encoding: Text encoding of byte inputs.

    Example:
        >>> layer = TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["foo bar", "bar baz", "baz bada boom"])
        >>> layer([["foo qux bar"], ["qux baz"]]).tolist()
        [[4, 1, 3, 0], [1, 2, 0, 0]]
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        has_input = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        super().__init__(name=name, **kwargs)
        if not callable(standardize) and standardize is not None:
            standardize = choice("TextVectorization", "standardize", standardize,
                                 ("lower_and_strip_punctuation", "lower", "strip_punctuation"))
        if not callable(split) and split is not None:
            split = choice("TextVectorization", "split", split, ("whitespace", "character"))
        output_mode = output_mode_arg("TextVectorization", output_mode, ("tf_idf",))
        if not (ngrams is None or isinstance(ngrams, int) or (
                isinstance(ngrams, (tuple, list)) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError(f"TextVectorization '{self.name}': ngrams must be None, an int or "
                             f"a tuple of ints, received ngrams={ngrams!r}.")
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(f"TextVectorization '{self.name}': output_sequence_length only "
                             f"applies to output_mode='int' (received {output_mode!r}).")
        if output_sequence_length is not None and not isinstance(output_sequence_length, int):
            raise ValueError(f"TextVectorization '{self.name}': output_sequence_length must be "
                             f"None or an int, received {output_sequence_length!r}.")
        if sparse or ragged:
            raise ValueError(f"TextVectorization '{self.name}' received sparse/ragged=True; "
                             "those outputs need the TensorFlow backend. Use the default "
                             "dense outputs (padded with 0).")
        self.standardize = standardize
        self.split = split
        self.ngrams = tuple(ngrams) if isinstance(ngrams, list) else ngrams
        self._widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else self.ngrams
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.encoding = encoding
        del vocabulary_size
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            encoding=encoding, has_input_vocabulary=has_input, name=f"{self.name}_lookup")
        self.built = True

    # ------------------------------------------------------------------ text -> tokens
    def _texts(self, inputs) -> np.ndarray:
        values = host_values(self, inputs)
        if values.dtype.kind == "S":
            values = np.char.decode(values, self.encoding)
        elif values.dtype.kind == "O":
            values = np.array([v.decode(self.encoding) if isinstance(v, bytes) else str(v)
                               for v in values.reshape(-1)]).reshape(values.shape)
        values = values.astype(str)
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            values = np.char.translate(values, _LOWER)
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            values = np.char.translate(values, _NO_PUNCT)
        if callable(self.standardize):
            values = np.asarray(self.standardize(values)).astype(str)
        return values

    def _token_rows(self, inputs) -> list[list[str]] | np.ndarray:
        texts = self._texts(inputs)
        if self.split is None:
            if self._widths is not None:
                rows = texts if texts.ndim > 1 else texts[:, None]
                return [_ngrams([str(t) for t in r], self._widths) for r in rows]
            return texts
        if texts.ndim > 1:
            if texts.shape[-1] != 1:
                raise ValueError(
                    f"TextVectorization '{self.name}' splits strings, so its input must be "
                    f"of rank 1 or have a last dimension of 1; received shape {texts.shape}.")
            texts = texts[..., 0]
        texts = texts.reshape(-1)
        if self.split == "whitespace":
            rows = [[t for t in _split_ws(s)] for s in texts]
        elif self.split == "character":
            rows = [list(s) for s in texts]
        else:
            rows = [list(map(str, r)) for r in self.split(texts)]
        if self._widths is not None:
            rows = [_ngrams(r, self._widths) for r in rows]
        return rows

    # ------------------------------------------------------------------ vocabulary
    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Learn the vocabulary from strings: an array/list of texts or an iterable of
        batches of texts (most frequent tokens first, as Keras orders them)."""
        if isinstance(data, (list, tuple, np.ndarray)):
            data = np.asarray(data)
            batches = [data[:, None] if data.ndim == 1 else data]
        else:
            batches = (b[0] if isinstance(b, tuple) else b for b in data)
        self._lookup_layer.adapt(_Rows(self, batches, steps))

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The vocabulary; index ``i`` of the output means ``get_vocabulary()[i]``."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------------ call
    def call(self, inputs):
        rows = self._token_rows(inputs)
        lookup = self._lookup_layer
        lookup._ensure_vocabulary()
        if isinstance(rows, np.ndarray):  # split=None: already tokens, rectangular
            return lookup.call(rows)
        flat = np.array([t for r in rows for t in r], dtype=str)
        indices = lookup._lookup_host(flat) if flat.size else np.zeros(0, np.int64)
        lengths = [len(r) for r in rows]
        row_ids = np.repeat(np.arange(len(rows)), lengths)
        if self.output_mode == "int":
            width = self.output_sequence_length
            if width is None:
                width = max(lengths, default=0)
            out = np.zeros((len(rows), width), np.int64)
            cols = np.concatenate([np.arange(n) for n in lengths]) if rows else np.zeros(0, int)
            keep = cols < width
            out[row_ids[keep], cols[keep]] = indices[keep]
            return jnp.asarray(out, "int32")
        depth = lookup._depth()
        counts = np.zeros((len(rows), depth), np.float32)
        inside = (indices >= 0) & (indices < depth)
        np.add.at(counts, (row_ids[inside], indices[inside]), 1.0)
        if self.output_mode == "multi_hot":
            counts = np.minimum(counts, 1.0)
        elif self.output_mode == "one_hot":
            raise ValueError(f"TextVectorization '{self.name}': output_mode='one_hot' needs "
                             "split=None (one token per input).")
        elif self.output_mode == "tf_idf":
            counts = counts * np.asarray(lookup.idf_weights, np.float32)
        return jnp.asarray(counts, self.compute_dtype)

    def get_config(self):
        lookup = self._lookup_layer.get_config()
        return {**super().get_config(), "max_tokens": lookup["max_tokens"],
                "standardize": self.standardize if not callable(self.standardize) else None,
                "split": self.split if not callable(self.split) else None,
                "ngrams": self.ngrams, "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length,
                "pad_to_max_tokens": lookup["pad_to_max_tokens"], "sparse": False,
                "ragged": False, "vocabulary": lookup["vocabulary"],
                "idf_weights": lookup["idf_weights"], "encoding": self.encoding,
                "vocabulary_size": self.vocabulary_size()}


def _split_ws(text: str) -> list[str]:
    """Split on ASCII whitespace and drop empty pieces (``tf.strings.split``)."""
    for c in _WHITESPACE[1:]:
        text = text.replace(c, " ")
    return [t for t in text.split(" ") if t]


class _Rows:
    """The token rows of text batches, as documents for ``StringLookup.adapt``."""

    def __init__(self, layer, batches, steps):
        self.layer, self.batches, self.steps = layer, batches, steps

    def __iter__(self):
        for i, batch in enumerate(self.batches):
            if self.steps is not None and i >= self.steps:
                return
            rows = self.layer._token_rows(batch)
            yield _Ragged(rows)


class _Ragged:
    """A batch of token rows of different lengths (what ``IndexLookup._rows`` reads)."""

    def __init__(self, rows):
        self.rows = rows
