"""Sharded weights (``save_weights(..., max_shard_size=GB)``) in Keras 3's layout.

``name.weights.json`` maps each ``/<path>/vars`` group to the shard file holding it
(``name_00000.weights.h5``, ``name_00001.weights.h5``...). A layer's weights are never
split across shards, so a layer larger than the limit gets a shard of its own.
"""

from __future__ import annotations

import contextlib
import io
import json
import os

import h5py

from nbkeras.saving import weights_h5


def _shard_name(filepath: str, index: int) -> str:
    base = os.path.basename(filepath)
    base = base[: -len(".weights.json")] if base.endswith(".weights.json") else base
    return f"{base}_{index:05d}.weights.h5"


def save_sharded(model, filepath: str, overwrite: bool, max_shard_size) -> None:
    """Write weights into shards of at most ``max_shard_size`` GB plus a JSON index."""
    from nbkeras.saving.saving_lib import _require_built, atomic_path

    if not filepath.endswith(".weights.json"):
        raise ValueError(
            "With max_shard_size set, the filename must end in '.weights.json' (the index "
            f"of the shard files). Received: filepath='{filepath}'."
        )
    if not isinstance(max_shard_size, int | float) or max_shard_size <= 0:
        raise ValueError(f"max_shard_size must be a positive number of GB, received {max_shard_size!r}.")
    _require_built(model, "save")
    limit = float(max_shard_size) * 1024**3
    buf = io.BytesIO()
    with h5py.File(buf, "w") as src:
        weights_h5.write_model_weights(model, src)
    groups = []
    with h5py.File(io.BytesIO(buf.getvalue()), "r") as src:

        def collect(name, obj):
            if isinstance(obj, h5py.Group) and (name == "vars" or name.endswith("/vars")
                                                or name == weights_h5.EXTRA_GROUP):
                size = sum(ds.nbytes for ds in obj.values() if isinstance(ds, h5py.Dataset))
                groups.append((name, size))

        src.visititems(collect)
        shards: list[list[str]] = [[]]
        sizes = [0.0]
        for name, size in groups:
            if shards[-1] and sizes[-1] + size > limit:
                shards.append([])
                sizes.append(0.0)
            shards[-1].append(name)
            sizes[-1] += size
        weight_map = {}
        directory = os.path.dirname(os.path.abspath(filepath))
        for i, names in enumerate(shards):
            shard = _shard_name(filepath, i)
            with atomic_path(os.path.join(directory, shard), overwrite) as tmp, \
                    h5py.File(tmp, "w") as dst:
                for name in names:
                    parent = name.rsplit("/", 1)[0] if "/" in name else None
                    if parent:
                        dst.require_group(parent)
                    src.copy(src[name], dst[parent] if parent else dst, name=name.rsplit("/", 1)[-1])
                    weight_map[f"/{name}"] = shard
    index = {"metadata": {"total_size": int(sum(sizes))}, "weight_map": weight_map}
    with atomic_path(filepath, overwrite) as tmp, open(tmp, "w") as f:
        json.dump(index, f, indent=4)


class _ShardedView:
    """The part of the ``h5py.File`` interface that ``weights_h5`` reads, over shards."""

    def __init__(self, filepath: str, weight_map: dict, stack: contextlib.ExitStack):
        self.filepath = filepath
        self.directory = os.path.dirname(os.path.abspath(filepath))
        self.weight_map = {k.lstrip("/"): v for k, v in weight_map.items()}
        self.stack = stack
        self.files: dict[str, h5py.File] = {}
        self.attrs: dict = {}

    def _file(self, shard: str) -> h5py.File:
        if shard not in self.files:
            path = os.path.join(self.directory, os.path.basename(shard))
            try:
                self.files[shard] = self.stack.enter_context(h5py.File(path, "r"))
            except OSError as e:
                raise ValueError(
                    f"Shard '{path}' listed in '{self.filepath}' cannot be read (missing, "
                    f"truncated or corrupt): {e}"
                ) from None
            weights_h5.check_plain_file(self.files[shard], path)
        return self.files[shard]

    def get(self, path):
        shard = self.weight_map.get(path)
        if isinstance(shard, list):
            shard = shard[0] if shard else None
        return None if shard is None else self._file(shard).get(path)

    def keys(self):
        return sorted({k.split("/", 1)[0] for k in self.weight_map})

    def visititems(self, fn):
        for path in list(self.weight_map):
            group = self.get(path)
            if group is not None:
                fn(path, group)


def load_sharded(model, filepath: str, skip_mismatch: bool) -> None:
    """Load weights from a ``.weights.json`` index and its shard files."""
    from nbkeras.saving import limits

    what = (
        f"'{filepath}' is not a sharded-weights index (expected the JSON file written by "
        "save_weights(..., max_shard_size=...)):"
    )
    try:
        limits.check_member_size(os.path.getsize(filepath), limits.MAX_CONFIG_BYTES,
                                 "index", filepath)
        with open(filepath, "rb") as f:
            index = limits.parse_json(f.read(), what + " it")
    except OSError as e:
        raise ValueError(f"{what} {e}") from None
    if not isinstance(index, dict) or not isinstance(index.get("weight_map"), dict):
        raise ValueError(
            f"'{filepath}' is not a sharded-weights index: expected a JSON object with a "
            "'weight_map' entry."
        )
    with contextlib.ExitStack() as stack:
        view = _ShardedView(filepath, index["weight_map"], stack)
        weights_h5.read_model_weights(model, view, filepath, skip_mismatch)
