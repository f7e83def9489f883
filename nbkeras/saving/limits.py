"""What reading a file may cost: size caps checked before reading, and JSON depth.

A ``.keras`` archive can hold a 1 GB ``config.json`` that compresses to 1 MB, a JSON
document nested a million levels deep, or a config asking for weights far larger than
the file.  The loaders check these bounds before reading or allocating anything, so a
small file never costs gigabytes of memory.
"""

from __future__ import annotations

import json

from nbkeras._weight_budget import format_bytes

#: Largest inflated ``config.json`` (or sharded index) accepted; ``metadata.json`` is
#: never read but held to the same cap (a 1,000-layer model's config is ~2 MB).
MAX_CONFIG_BYTES = 64 * 2**20
#: Deepest nesting of JSON lists/objects accepted (Keras configs stay below ~40).
MAX_JSON_DEPTH = 100
#: Slack on top of the weights' own bytes: HDF5 headers, names, optimizer counters.
_OVERHEAD_BYTES = 16 * 2**20
_PER_DATASET_BYTES = 8 * 1024


def check_member_size(size: int, limit: int, name: str, label: str) -> None:
    """Raise a ValueError if an archive member inflates to more than ``limit`` bytes."""
    if size > limit:
        raise ValueError(
            f"'{label}': its {name} inflates to {format_bytes(size)}, more than the "
            f"{format_bytes(limit)} a Keras file needs; it is not a file written by "
            "model.save (possibly a zip bomb). It was not read."
        )


def parse_json(raw: bytes | str, what: str):
    """``json.loads`` with clear ValueErrors for invalid or too deeply nested JSON.

    Raises:
        ValueError: For invalid UTF-8/JSON or nesting deeper than ``MAX_JSON_DEPTH``.
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        value = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{what} is not valid JSON ({e}).") from None
    except RecursionError:
        raise ValueError(_too_deep(what)) from None
    check_depth(value, what)
    return value


def check_depth(value, what: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise a ValueError if lists/dicts in ``value`` nest deeper than ``limit``."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise ValueError(_too_deep(what))
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _too_deep(what: str) -> str:
    return (
        f"{what} nests lists/objects more than {MAX_JSON_DEPTH} levels deep; Keras configs "
        "are far shallower, so the file is corrupt or crafted. It was not loaded."
    )


def weight_budget_for(stored_bytes: int) -> int:
    """Bytes of weights a model may create when the file stores ``stored_bytes`` of them.

    Weights may be stored in a narrower dtype than the model uses (float16 -> float32),
    hence the factor; the constant covers tiny files.
    """
    return 4 * int(stored_bytes) + _OVERHEAD_BYTES


def max_weights_file_bytes(model) -> int:
    """Largest weights file that a built ``model`` can need (optimizer state included)."""
    import math

    from nbkeras._weight_budget import _itemsize

    total, count = 0, 0
    for w in model.weights:
        count += 1
        total += math.prod(w.shape) * _itemsize(w.dtype)
    # Stored as float64 at worst (x2); optimizer slots (Adam 2 per weight, some 3) + weights.
    return 2 * total * 5 + _PER_DATASET_BYTES * count * 5 + _OVERHEAD_BYTES
