"""Numeric feature preprocessing: Discretization (with ``adapt``) and CategoryEncoding.

Both compute in ``jax.numpy``, so they work eagerly, in a model and inside ``jax.jit``.
"""

from __future__ import annotations

import jax
import numpy as np

from nbkeras.layers._encoding import encode, output_mode_arg, xp_of
from nbkeras.layers.base import Layer


def _batches(data, steps=None):
    """An array stays one batch; any other iterable yields its batches (``(x, y)`` -> x)."""
    if isinstance(data, (np.ndarray, jax.Array, list, tuple)) or not hasattr(data, "__iter__"):
        yield data
        return
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            return
        yield batch


def _summarize(values, epsilon):
    """Sorted values taken every ``n * epsilon`` elements, each weighing that many."""
    values = np.sort(np.reshape(values, -1))
    step = max(values.size * epsilon, 1)
    picked = values[int(step - 1):: int(step)]
    return np.stack([picked, np.full_like(picked, step)])


def _compress(summary, epsilon):
    """Re-bin a weighted summary to ``1 / epsilon`` quantiles by interpolating the CDF."""
    if summary.shape[1] * epsilon < 1:
        return summary
    targets = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    cdf = cum / cum[-1]
    bins = np.interp(targets, cdf, summary[0])
    cum_at = np.interp(targets, cdf, cum)
    return np.stack((bins, np.diff(cum_at, prepend=0.0))).astype("float32")


def _merge(a, b, epsilon):
    both = np.concatenate((a, b), axis=1)
    return _compress(both[:, np.argsort(both[0])], epsilon)


class Discretization(Layer):
    """Buckets continuous values into integer bins (``(-inf, b0), [b0, b1), ..., [bn, inf)``).

    Give ``bin_boundaries``, or ``num_bins`` and call :meth:`adapt` to learn approximate
    quantile boundaries (Keras's algorithm, same boundaries as Keras for the same data).

    Args:
        bin_boundaries: Sorted boundaries; ``len + 1`` bins.
        num_bins: Number of bins to learn with ``adapt``.
        epsilon: Quantile approximation error (smaller: finer summary).
        output_mode: ``"int"`` (bin index), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: Only ``False`` (sparse outputs need TensorFlow).

    Example:
        >>> layer = Discretization(bin_boundaries=[0.0, 1.0, 2.0])
        >>> layer(np.array([[-1.5, 1.0, 3.4, 0.5]])).tolist()
        [[0, 2, 3, 1]]
    """

    _supports_masking = False

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        self.output_mode = output_mode_arg("Discretization", output_mode)
        if sparse:
            raise ValueError(
                f"Discretization '{self.name}' received sparse=True; sparse outputs need the "
                "TensorFlow backend. Use sparse=False (dense outputs)."
            )
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"Discretization '{self.name}': num_bins must be >= 0, received {num_bins}."
            )
        if (num_bins is None) == (bin_boundaries is None):
            raise ValueError(
                f"Discretization '{self.name}' needs exactly one of bin_boundaries or "
                f"num_bins (then call adapt()); received bin_boundaries={bin_boundaries!r}, "
                f"num_bins={num_bins!r}."
            )
        self.bin_boundaries = None if bin_boundaries is None else [float(b) for b in
                                                                    bin_boundaries]
        self.num_bins = num_bins
        self.epsilon = float(epsilon)
        self.sparse = False
        self.built = True

    def adapt(self, data, steps=None) -> None:
        """Learn ``num_bins`` quantile boundaries from an array or an iterable of batches."""
        if self.num_bins is None:
            raise ValueError(
                f"Discretization '{self.name}' was created with bin_boundaries; adapt() needs "
                "a layer created with num_bins instead."
            )
        summary = np.zeros((2, 0), "float32")
        for batch in _batches(data, steps):
            if isinstance(batch, tuple):
                batch = batch[0]
            values = np.asarray(batch).astype("float32")
            summary = _merge(_summarize(values, self.epsilon), summary, self.epsilon)
        if summary.shape[1] == 0:
            raise ValueError(f"Discretization '{self.name}'.adapt() received no data.")
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                f"Discretization '{self.name}' has no bin boundaries yet: pass "
                "bin_boundaries=... when creating it, or call adapt(data) first."
            )
        xp = xp_of(inputs)
        index = xp.digitize(xp.asarray(inputs), xp.asarray(self.bin_boundaries, "float32"))
        dtype = "int32" if self.output_mode == "int" else self.compute_dtype
        return encode(index, self.output_mode, len(self.bin_boundaries) + 1, dtype)

    def get_config(self):
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries,
                "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": False}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        bounds = config.pop("bin_boundaries", None)
        if config.get("num_bins") is None:
            return cls(bin_boundaries=bounds, **config)
        layer = cls(**config)  # adapted: both are set
        layer.bin_boundaries = bounds
        return layer


class CategoryEncoding(Layer):
    """Encodes integer category indices as ``one_hot``, ``multi_hot`` or ``count`` vectors.

    Args:
        num_tokens: Number of categories; inputs must lie in ``[0, num_tokens)``.
        output_mode: ``"multi_hot"`` (default), ``"one_hot"`` or ``"count"``.
        sparse: Only ``False``.

    Call arguments:
        inputs: Integer indices, ``(batch,)`` or ``(batch, tokens)``.
        count_weights: Weights of each index for ``output_mode="count"``.

    Example:
        >>> CategoryEncoding(num_tokens=4)(np.array([[0, 1], [0, 3]])).tolist()
        [[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0]]
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        self.output_mode = output_mode_arg("CategoryEncoding", output_mode)
        if self.output_mode == "int":
            raise ValueError(
                f"CategoryEncoding '{self.name}' received output_mode='int'; expected "
                "'one_hot', 'multi_hot' or 'count'."
            )
        if num_tokens is None or num_tokens < 1:
            raise ValueError(
                f"CategoryEncoding '{self.name}' needs num_tokens >= 1, received "
                f"num_tokens={num_tokens!r}. If the number of categories is not known in "
                "advance, use IntegerLookup instead."
            )
        if sparse:
            raise ValueError(
                f"CategoryEncoding '{self.name}' received sparse=True; sparse outputs need "
                "the TensorFlow backend. Use sparse=False."
            )
        self.num_tokens = int(num_tokens)
        self.sparse = False
        self.built = True

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(
                f"CategoryEncoding '{self.name}' received count_weights, which only apply to "
                f"output_mode='count' (this layer has output_mode={self.output_mode!r})."
            )
        x = inputs if isinstance(inputs, jax.core.Tracer) else np.asarray(inputs)
        if not isinstance(x, jax.core.Tracer) and x.size:
            low, high = int(x.min()), int(x.max())
            if low < 0 or high >= self.num_tokens:
                raise ValueError(
                    f"CategoryEncoding '{self.name}' expects inputs in [0, {self.num_tokens}) "
                    f"(num_tokens={self.num_tokens}), received values from {low} to {high}."
                )
        if count_weights is not None:
            count_weights = xp_of(count_weights).asarray(count_weights, self.compute_dtype)
        return encode(x, self.output_mode, self.num_tokens, self.compute_dtype, count_weights)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode, "sparse": False}
