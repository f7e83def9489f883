"""``keras.mixed_precision``: the global dtype policy.

Example:
    >>> from nbkeras import mixed_precision
    >>> mixed_precision.set_global_policy("mixed_bfloat16")
    >>> mixed_precision.global_policy().compute_dtype
    'bfloat16'
    >>> mixed_precision.set_global_policy(None)  # back to the default: config.floatx()
"""

from __future__ import annotations

from nbkeras.dtype_policies import DTypePolicy, global_policy, set_global_policy

__all__ = ["DTypePolicy", "Policy", "dtype_policy", "global_policy", "set_dtype_policy",
           "set_global_policy"]

Policy = DTypePolicy
set_dtype_policy = set_global_policy
dtype_policy = global_policy
