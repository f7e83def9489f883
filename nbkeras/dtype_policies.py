"""Dtype policies (``keras.dtype_policies``): the variable and compute dtypes of layers.

``"mixed_bfloat16"`` / ``"mixed_float16"`` keep weights in float32 and compute in the
16-bit type (weights are cast when a layer reads them inside ``call``). Set a global
policy with ``nbkeras.mixed_precision.set_global_policy``; layers created afterwards
use it.

Example:
    >>> policy = DTypePolicy("mixed_bfloat16")
    >>> policy.variable_dtype, policy.compute_dtype
    ('float32', 'bfloat16')
"""

from __future__ import annotations

from typing import Any

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]

_FLOATS = ("float16", "bfloat16", "float32", "float64")


class DTypePolicy:
    """A named pair (variable dtype, compute dtype).

    Args:
        name: A float dtype name (``"float32"``...) or ``"mixed_float16"`` /
            ``"mixed_bfloat16"``; None means ``config.floatx()``.

    Raises:
        ValueError: For any other name.
    """

    def __init__(self, name: str | None = None) -> None:
        from nbkeras._settings import floatx

        name = floatx() if name is None else str(getattr(name, "name", name))
        if name in ("mixed_float16", "mixed_bfloat16"):
            variable, compute = "float32", name.split("_")[1]
        elif name in _FLOATS:
            variable = compute = name
        else:
            raise ValueError(
                f"Cannot convert {name!r} to a mixed precision DTypePolicy. Valid policies "
                "are 'mixed_float16', 'mixed_bfloat16' and float dtypes such as 'float32'."
            )
        self._name, self._variable, self._compute = name, variable, compute

    @property
    def name(self) -> str:
        return self._name

    @property
    def variable_dtype(self) -> str:
        return self._variable

    @property
    def compute_dtype(self) -> str:
        return self._compute

    @property
    def quantization_mode(self) -> None:
        return None

    def get_config(self) -> dict[str, Any]:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicy:
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DTypePolicy) and other._name == self._name

    def __hash__(self) -> int:
        return hash(("DTypePolicy", self._name))

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'


FloatDTypePolicy = DTypePolicy


def get(identifier: Any) -> DTypePolicy:
    """A policy from a name, a policy, a Keras config dict or None (the global policy).

    Example:
        >>> get("float16").compute_dtype
        'float16'
    """
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) or hasattr(identifier, "name") or hasattr(identifier, "kind"):
        return DTypePolicy(identifier)
    raise ValueError(f"Cannot interpret {identifier!r} as a DTypePolicy. Pass a name such as "
                     "'mixed_bfloat16'.")


def serialize(policy: DTypePolicy) -> dict[str, Any]:
    """Keras 3's config dict for ``policy``."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(),
            "registered_name": None}


def deserialize(config: dict[str, Any], custom_objects: Any = None) -> DTypePolicy:
    """Rebuild a policy from :func:`serialize`'s (or Keras's) config.

    Raises:
        ValueError: For a quantized or unknown policy class.
    """
    name = config.get("class_name", "DTypePolicy")
    if name not in ("DTypePolicy", "FloatDTypePolicy"):
        raise ValueError(f"Unsupported dtype policy {name!r}: nbkeras has no quantized "
                         "policies.")
    return DTypePolicy.from_config(config.get("config", {}))


_GLOBAL: list[DTypePolicy | None] = [None]


def set_global_policy(policy: Any) -> None:
    """Set the policy of layers created from now on (name, policy or None to reset).

    Raises:
        ValueError: For an unknown policy name.
    """
    _GLOBAL[0] = None if policy is None else get(policy)


def global_policy() -> DTypePolicy:
    """The global policy (``DTypePolicy(floatx())`` unless one was set)."""
    return _GLOBAL[0] if _GLOBAL[0] is not None else DTypePolicy()
