"""``Placement``: where one training state and its batches live under a distribution.

The trainer asks a :class:`Placement` (captured from the current distribution when
``fit``/``evaluate``/``predict`` is called) to

* place the state once: parameters by the layout map, else (``ModelParallel``) by nnx
  ``out_sharding`` metadata, else replicated; optimizer moments like their parameters (they carry the
  same variable path); everything else (counts, learning rate, batch-norm statistics
  not in the layout map, RNG state, metric accumulators) replicated;
* constrain the state a jitted step returns to the same shardings, so the next call
  hits jit's cache (no retrace);
* pad every batch to a multiple of the batch-axis size (masked rows) and split it on
  the batch axis; with several processes each process feeds only its slice.
"""

from __future__ import annotations

import math
import warnings

import jax
import numpy as np
from flax import nnx
from jax.sharding import NamedSharding, PartitionSpec

from nbkeras.distribution import strategies


class Placement:
    """Shardings of a training state and of batches for one distribution.

    Args:
        distribution: A :class:`~nbkeras.distribution.DataParallel` or
            :class:`~nbkeras.distribution.ModelParallel`.
        model_name: The model's name: variable paths are looked up in the layout map
            both as ``"<model_name>/<path>"`` (Keras's ``variable.path``) and as the
            bare path.

    Example:
        >>> from nbkeras import distribution as d
        >>> p = Placement(d.DataParallel(devices=["cpu:0"]), "sequential")
        >>> p.batch_multiple
        1
    """

    def __init__(self, distribution, model_name: str = ""):
        self.distribution = distribution
        self.model_name = model_name
        self.mesh = distribution.device_mesh.backend_mesh
        self.batch_axis = distribution.batch_dim_name
        self.replicated = NamedSharding(self.mesh, PartitionSpec())
        self.batch_sharding = NamedSharding(self.mesh, PartitionSpec(self.batch_axis))
        self.batch_multiple = int(self.mesh.shape[self.batch_axis])
        self.multi_process = jax.process_count() > 1
        _warn_activation_layouts(getattr(distribution, "_layout_map", None))

    @classmethod
    def capture(cls, model=None) -> Placement | None:
        """The placement of the current distribution (None without one)."""
        dist = strategies.distribution()
        if dist is None:
            return None
        return cls(dist, getattr(model, "name", "") or "")

    # ---------------------------------------------------------------- variables
    def variable_sharding(self, variable, ndim: int, strict: bool = False) -> NamedSharding:
        """Sharding of one value of ``variable`` (a leaf of rank ``ndim``).

        A layout of another rank raises with ``strict`` (parameters), and is ignored
        (replicated) otherwise: an optimizer slot of the same path may be factored.
        """
        meta = variable.get_metadata() if isinstance(variable, nnx.Variable) else {}
        path = meta.get("path")
        layout = self._layout_for(path) if path else None
        if layout is not None:
            if len(layout.axes) != ndim:
                if not strict:
                    return self.replicated
                raise ValueError(
                    f"The layout map gives variable '{path}' the layout {layout.axes} "
                    f"(rank {len(layout.axes)}), but the variable has rank {ndim}. Give it a "
                    "layout with one entry (a mesh axis name or None) per dimension."
                )
            return NamedSharding(self.mesh, PartitionSpec(*layout.axes))
        names = meta.get("out_sharding") or meta.get("sharding_names") or meta.get("sharding")
        has_map = getattr(self.distribution, "_layout_map", None) is not None
        if names and len(names) == ndim and has_map:  # ModelParallel (DataParallel replicates)
            unknown = [n for n in names if n is not None and n not in self.mesh.axis_names]
            if unknown:
                raise ValueError(
                    f"Variable '{path or variable}' has nnx sharding metadata {tuple(names)}, "
                    f"but the mesh axes are {tuple(self.mesh.axis_names)}; {unknown} are not "
                    "mesh axes. Name your DeviceMesh axes after them, or remove the metadata."
                )
            return NamedSharding(self.mesh, PartitionSpec(*names))
        return self.replicated

    def _layout_for(self, path: str):
        layout_map = getattr(self.distribution, "_layout_map", None)
        if layout_map is None:
            return None
        prefix = f"{self.model_name}/" if self.model_name else ""
        if prefix and not path.startswith(prefix):
            found = layout_map[prefix + path]
            if found is not None:
                return found
        return layout_map[path]

    def check_layouts(self, variables) -> None:
        """Raise a clear error if a layout does not fit a model variable's rank."""
        for var in variables:
            self.variable_sharding(var, np.ndim(var.get_value()), strict=True)

    def shardings(self, tree, strict: bool = False) -> list:
        """One sharding per leaf of ``tree`` (works on concrete and traced trees)."""
        out = []
        is_var = lambda v: isinstance(v, nnx.Variable)  # noqa: E731
        for node in jax.tree.leaves(tree, is_leaf=is_var):
            if is_var(node):
                for leaf in jax.tree.leaves(node):
                    out.append(self.variable_sharding(node, np.ndim(leaf), strict))
            else:
                out.append(self.replicated)
        return out

    def place(self, tree, copy: bool = True):
        """``tree`` moved to its shardings, wherever it was (a model built earlier too).

        Args:
            tree: A pytree (nnx states, optax state, arrays).
            copy: Always copy (the caller donates the result to a jitted step);
                False leaves already placed arrays alone.
        """
        leaves, treedef = jax.tree.flatten(tree)
        shardings = self.shardings(tree)
        self._check_divisible(tree, leaves, shardings)
        placed = jax.device_put(leaves, shardings, may_alias=False if copy else None)
        return jax.tree.unflatten(treedef, placed)

    def constrain(self, tree):
        """Inside a jitted step: pin ``tree``'s leaves to their shardings."""
        leaves, treedef = jax.tree.flatten(tree)
        pinned = jax.lax.with_sharding_constraint(leaves, self.shardings(tree))
        return jax.tree.unflatten(treedef, pinned)

    def _check_divisible(self, tree, leaves, shardings) -> None:
        paths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]
        for path, leaf, sharding in zip(paths, leaves, shardings):
            for dim, axis in enumerate(sharding.spec):
                if axis is None or dim >= np.ndim(leaf):
                    continue
                names = axis if isinstance(axis, tuple) else (axis,)
                size = math.prod(self.mesh.shape[n] for n in names)
                if np.shape(leaf)[dim] % size:
                    raise ValueError(
                        f"Cannot shard {path} of shape {tuple(np.shape(leaf))} with "
                        f"{sharding.spec}: dimension {dim} ({np.shape(leaf)[dim]}) is not "
                        f"divisible by the mesh axis size {size}. Change the layout map "
                        "entry or the layer size."
                    )

    # ---------------------------------------------------------------- batches
    def padded_size(self, batch_size: int) -> int:
        """``batch_size`` rounded up to a multiple of the batch-axis size."""
        m = self.batch_multiple
        return int(math.ceil(batch_size / m) * m)

    def pad_columns(self, idx: np.ndarray, mask: np.ndarray):
        """Pad ``(steps, batch)`` index/mask arrays to a batch multiple (mask 0)."""
        extra = self.padded_size(idx.shape[-1]) - idx.shape[-1]
        if not extra:
            return idx, mask
        pad = [(0, 0)] * (idx.ndim - 1) + [(0, extra)]
        return np.pad(idx, pad), np.pad(mask, pad)

    def pad_batch(self, data, mask: np.ndarray):
        """Pad a host batch (tree of arrays with a batch dimension) and its mask."""
        extra = self.padded_size(mask.shape[0]) - mask.shape[0]
        if not extra:
            return data, mask

        def pad(a):
            a = np.asarray(a)
            return np.concatenate([a, np.zeros((extra, *a.shape[1:]), a.dtype)])

        return jax.tree.map(pad, data), pad(mask)

    def local_rows(self, global_batch: int) -> slice:
        """The rows of a global batch whose shards live on this process's devices."""
        index_map = self.batch_sharding.addressable_devices_indices_map((global_batch,))
        starts = [idx[0].start or 0 for idx in index_map.values()]
        stops = [global_batch if idx[0].stop is None else idx[0].stop for idx in index_map.values()]
        return slice(min(starts), max(stops))

    def put_batch(self, data, mask):
        """A padded host batch as global arrays split on the batch axis."""
        data, mask = self.pad_batch(data, mask)
        if not self.multi_process:
            return jax.device_put((data, mask), self.batch_sharding)
        n = mask.shape[0]
        rows = self.local_rows(n)
        return self.from_local(jax.tree.map(lambda a: np.asarray(a)[rows], (data, mask)), n)

    def from_local(self, local, global_rows: int):
        """Global arrays of ``global_rows`` rows from this process's rows ``local``."""
        return jax.tree.map(
            lambda a: jax.make_array_from_process_local_data(
                self.batch_sharding, np.asarray(a), (global_rows, *np.shape(a)[1:])
            ),
            local,
        )

    def agree(self, value: int) -> int:
        """Process 0's integer ``value`` on every process (collective)."""
        from nbkeras.distribution.process import broadcast_int

        return broadcast_int(value)

    def put_replicated(self, tree):
        """``tree`` replicated on every device of the mesh (same value on every process)."""
        return jax.device_put(tree, self.replicated)

    def constrain_batch(self, batch, mask):
        """Inside a jitted step: split ``batch`` and ``mask`` on the batch axis."""
        return jax.lax.with_sharding_constraint((batch, mask), self.batch_sharding)

    def to_host(self, tree):
        """NumPy copies of ``tree``'s arrays (gathered across processes if needed)."""
        from nbkeras.distribution.process import gather_to_host

        return jax.tree.map(gather_to_host, tree)

    # ---------------------------------------------------------------- display
    def describe(self, batch_size: int | None = None) -> dict:
        """``{"devices", "axes", "processes", "per_device_batch"}`` for progress views."""
        info = {
            "devices": int(self.mesh.devices.size),
            "axes": {str(k): int(v) for k, v in self.mesh.shape.items()},
            "batch_axis": self.batch_axis,
            "processes": jax.process_count(),
            "platform": str(self.mesh.devices.flat[0].platform),
        }
        if batch_size:
            info["per_device_batch"] = self.padded_size(batch_size) // self.batch_multiple
        return info


_warned: set = set()


def _warn_activation_layouts(layout_map) -> None:
    """Keras also constrains layer outputs (keys ending in ``/output``); nbkeras does not."""
    keys = [k for k in (layout_map or ()) if k.endswith("/output")]
    if keys and id(layout_map) not in _warned:
        _warned.add(id(layout_map))
        warnings.warn(
            f"LayoutMap keys {keys} name layer outputs. nbkeras places variables and "
            "batches only; XLA chooses activation shardings from them. Remove these keys "
            "to silence this warning.",
            stacklevel=3,
        )
