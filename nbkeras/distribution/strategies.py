"""``Distribution``, ``DataParallel``, ``ModelParallel`` and the current distribution.

Same constructors, properties and lookups as ``keras.distribution`` (Keras 3.15).
The current distribution is per thread, as in Keras, with one difference: a thread
that never called :func:`set_distribution` sees the main thread's distribution, so
a background fit or a widget callback in a notebook uses what the notebook set.
``fit`` captures the distribution when it is called.
"""

from __future__ import annotations

import contextlib
import threading
import warnings

import jax
import numpy as np

from nbkeras.distribution.layout_map import LayoutMap
from nbkeras.distribution.mesh import DeviceMesh, TensorLayout, list_devices

DEFAULT_BATCH_DIM_NAME = "batch"

_global = threading.local()
_main = {"distribution": None}  # what the main thread set: the default of other threads


def distribution():
    """The current :class:`Distribution` of this thread, or None.

    A thread that never set one sees the main thread's.

    Example:
        >>> distribution() is None
        True
    """
    return getattr(_global, "distribution", _main["distribution"])


def set_distribution(value) -> None:
    """Make ``value`` (a :class:`Distribution` or None) the current distribution.

    Models compiled and fitted afterwards place their variables and batches on its
    mesh; a model built before the call is moved when it is next fitted.

    Raises:
        TypeError: ``value`` is neither a Distribution nor None.
    """
    if value is not None and not isinstance(value, Distribution):
        raise TypeError(
            f"set_distribution expects a nbkeras.distribution.Distribution (DataParallel or "
            f"ModelParallel) or None; received {type(value).__name__}."
        )
    _global.distribution = value
    if threading.current_thread() is threading.main_thread():
        _main["distribution"] = value


class Distribution:
    """Base class: a device mesh, the batch axis and variable/data/tensor layouts.

    Args:
        device_mesh: A :class:`DeviceMesh`.
        batch_dim_name: Mesh axis that splits the batch.
        auto_shard_dataset: With several processes, each process feeds only its slice
            of every global batch (True, the default). nbkeras does this for in-memory
            arrays; pass False only if the data you give each process is already its
            own shard.
    """

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes = jax.process_count()
        self._process_id = jax.process_index()
        self._is_multi_process = self._num_processes > 1

    @property
    def num_processes(self) -> int:
        """Total number of processes in the cluster."""
        return self._num_processes

    @property
    def num_model_replicas(self) -> int:
        raise NotImplementedError

    @property
    def data_shard_id(self) -> int:
        """Which data shard this process feeds."""
        replicas = self.num_model_replicas
        if replicas >= self.num_processes:
            return self._process_id
        return self._process_id // (self.num_processes // replicas)

    def get_data_layout(self, data_shape) -> TensorLayout:
        """Layout of an input batch: the first dimension on the batch axis."""
        spec = [None] * len(data_shape)
        spec[0] = self.batch_dim_name
        return TensorLayout(spec, self.device_mesh)

    def get_variable_layout(self, variable) -> TensorLayout:
        raise NotImplementedError

    def get_tensor_layout(self, path):
        raise NotImplementedError

    @contextlib.contextmanager
    def scope(self):
        """Make this distribution current inside a ``with`` block.

        Example:
            >>> dist = DataParallel(devices=["cpu:0"])
            >>> with dist.scope():
            ...     distribution() is dist
            True
        """
        original = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(original)

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self) -> bool:
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value) -> None:
        self._auto_shard_dataset = value

    def distribute_dataset(self, dataset):
        """Return ``dataset``: batches are split over processes and devices by ``fit``.

        nbkeras shards in-memory arrays itself (each process feeds its slice of every
        global batch), so there is no dataset wrapper to build.
        """
        return dataset

    def __repr__(self):
        return f"<{self.__class__.__name__} device_mesh={self.device_mesh}>"

    __str__ = __repr__


class DataParallel(Distribution):
    """Data parallelism: variables replicated, each batch split over a 1-D mesh.

    Pass ``device_mesh`` or ``devices`` (not both); with neither, all devices of
    :func:`list_devices` form a mesh with the single axis ``"batch"``.

    Args:
        device_mesh: A :class:`DeviceMesh`; its first axis splits the batch.
        devices: Devices or ``"platform:id"`` strings.
        auto_shard_dataset: See :class:`Distribution`.

    Example:
        >>> dp = DataParallel(devices=["cpu:0"])
        >>> dp.batch_dim_name, dp.device_mesh.shape
        ('batch', (1,))
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(
                    "Expect `mesh` to be an instance of `DeviceMesh`. "
                    f"Received: mesh={device_mesh} (of type {type(device_mesh)})"
                )
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            if self.device_mesh.devices.ndim != 1:
                warnings.warn(
                    "Expect the input mesh to be 1D, but received mesh.devices.ndim="
                    f"{device_mesh.devices.ndim}. The first axis will be used for "
                    "data-parallel sharding.",
                    stacklevel=2,
                )
            return
        devices = np.array(devices if devices else list_devices(), dtype=object)
        mesh = DeviceMesh(devices.shape, [DEFAULT_BATCH_DIM_NAME], devices=devices)
        super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)

    @property
    def num_model_replicas(self) -> int:
        return int(self.device_mesh.devices.size)

    def get_variable_layout(self, variable) -> TensorLayout:
        """Replicated (unless the variable carries its own ``_layout``)."""
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return None


class ModelParallel(Distribution):
    """Variables split by a :class:`LayoutMap`, batches split on ``batch_dim_name``.

    Args:
        layout_map: A :class:`LayoutMap` (its mesh is the distribution's mesh).
        batch_dim_name: Mesh axis that splits the batch; default the first axis.
        auto_shard_dataset: See :class:`Distribution`.

    Example:
        >>> mesh = DeviceMesh((1, 1), ["batch", "model"], devices=["cpu:0"])
        >>> layout_map = LayoutMap(mesh)
        >>> layout_map[".*dense.*kernel"] = (None, "model")
        >>> ModelParallel(layout_map=layout_map).batch_dim_name
        'batch'
    """

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True, **kwargs):
        kwargs.pop("device_mesh", None)
        if kwargs:
            raise TypeError(f"ModelParallel got unexpected arguments: {sorted(kwargs)}.")
        if layout_map is None:
            raise ValueError("You must specify a layout_map argument.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                "Argument `layout_map` must be a `LayoutMap` instance. "
                f"Received: layout_map={layout_map}"
            )
        device_mesh = layout_map.device_mesh
        batch_dim_name = batch_dim_name or device_mesh.axis_names[0]
        if batch_dim_name not in device_mesh.axis_names:
            raise ValueError(
                f"batch_dim_name={batch_dim_name!r} is not an axis of the mesh; valid axis "
                f"names: {list(device_mesh.axis_names)}."
            )
        super().__init__(device_mesh, batch_dim_name, auto_shard_dataset)
        self._layout_map = layout_map
        if (
            self._is_multi_process
            and self.num_processes > self.num_model_replicas
            and self.num_processes % self.num_model_replicas != 0
        ):
            raise ValueError(
                "If `num_processes` is greater than `num_model_replicas`, `num_processes` "
                f"must be divisible by `num_model_replicas`. Got num_processes="
                f"{self.num_processes}, num_model_replicas={self.num_model_replicas}."
            )

    @property
    def num_model_replicas(self) -> int:
        return self.device_mesh.axis_size(self.batch_dim_name)

    def get_variable_layout(self, variable) -> TensorLayout:
        """The layout map's entry for ``variable.path``, else replicated."""
        if getattr(variable, "_layout", None) is not None:
            return variable._layout
        layout = self._layout_map[variable.path]
        if layout is not None:
            return layout
        return TensorLayout([None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return self._layout_map[path]
