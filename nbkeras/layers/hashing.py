"""Hashing: values -> hash bins, with Keras's (TensorFlow's) hash values, computed on the host."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from nbkeras.layers import _boundary
from nbkeras.layers._encoding import encode, output_mode_arg
from nbkeras.layers._hashes import hash_buckets, host_values
from nbkeras.layers.base import Layer


def salt_arg(layer_cls: str, salt):
    """``None``, an int ``s`` (-> ``[s, s]``) or a pair of ints, as Keras accepts."""
    if salt is None:
        return None
    if isinstance(salt, int) and not isinstance(salt, bool):
        return [salt, salt]
    if isinstance(salt, (list, tuple)) and len(salt) == 2 and all(
            isinstance(s, int) for s in salt):
        return list(salt)
    raise ValueError(
        f"{layer_cls} received salt={salt!r}; expected a single integer or a tuple of two "
        "integers."
    )


class HostLayer(Layer):
    """A layer whose ``call`` runs in NumPy on concrete values (strings, hashes).

    Inputs are not converted to JAX arrays (strings cannot be); inside ``jax.jit`` or a
    symbolic model call such a layer raises a ``TypeError`` that says how to use it.
    """

    def _convert_input(self, x):
        if isinstance(x, (list, tuple, str, bytes)):
            return _boundary.list_to_array(self, x)
        return x


class Hashing(HostLayer):
    """Hashes strings or integers into ``num_bins`` bins (Keras's hash values).

    Without ``salt`` the hash is FarmHash Fingerprint64 of each value's text; with
    ``salt`` it is SipHash-2-4 keyed by the salt, as in Keras. Runs in NumPy on the host.

    Args:
        num_bins: Number of bins (including the mask bin when ``mask_value`` is set).
        mask_value: A value mapped to bin 0 (the others then use bins ``1..num_bins-1``).
        salt: An int or a pair of ints: use the keyed (SipHash) hash.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: Only ``False``.

    Example:
        >>> Hashing(num_bins=3)([["A"], ["B"], ["C"]]).tolist()
        [[1], [0], [1]]
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        output_mode = output_mode_arg("Hashing", output_mode)
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else None
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                f"Hashing '{self.name}' needs num_bins > 0, received num_bins={num_bins!r}."
            )
        if sparse:
            raise ValueError(
                f"Hashing '{self.name}' received sparse=True; sparse outputs need the "
                "TensorFlow backend. Use sparse=False."
            )
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = salt_arg("Hashing", salt)
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def call(self, inputs):
        values = host_values(self, inputs)
        bins = self.num_bins
        if self.mask_value is not None and bins > 1:
            hashed = hash_buckets(values, bins - 1, self.salt) + 1
            hashed = np.where(values == self.mask_value, 0, hashed)
        else:
            hashed = hash_buckets(values, bins, self.salt)
        if self.output_mode == "int":
            return jnp.asarray(hashed, "int32")
        return encode(hashed, self.output_mode, bins, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": False}
