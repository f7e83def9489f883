"""``keras.mixed_precision``: the global dtype policy.

Example:
    >>> from nbkeras import mixed_precision
    >>> mixed_precision.set_global_policy("mixed_bfloat16")
    >>> mixed_precision.global_policy().compute_dtype
    'bfloat16'
    >>> mixed_precision.set_global_policy("float32")
"""

from __future__ import annotations

from typing import Any

from nbkeras.dtype_policies import DTypePolicy, get

__all__ = ["DTypePolicy", "Policy", "dtype_policy", "global_policy", "set_dtype_policy",
           "set_global_policy"]

Policy = DTypePolicy
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


set_dtype_policy = set_global_policy
dtype_policy = global_policy
