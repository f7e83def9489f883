"""Devices, ``DeviceMesh`` and ``TensorLayout``: Keras's names over ``jax.sharding``.

A :class:`DeviceMesh` becomes a ``jax.sharding.Mesh`` with *Auto* axes (JAX >= 0.9
makes ``jax.make_mesh`` default to Explicit axes, which changes how shardings
propagate), and a :class:`TensorLayout` becomes a ``NamedSharding``.  Nothing here
relies on ``jax.set_mesh`` or ``with mesh:``: every sharding carries its mesh.
"""

from __future__ import annotations

import math

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec


def list_devices(device_type: str | None = None) -> list[str]:
    """All devices of one type, as ``"platform:id"`` strings (Keras's format).

    In a multi-process run these are the *global* devices.

    Args:
        device_type: ``"cpu"``, ``"gpu"`` or ``"tpu"``; by default the accelerator
            type if there is one, else ``"cpu"``.

    Returns:
        A list such as ``["cpu:0", "cpu:1"]``.

    Example:
        >>> list_devices("cpu")[:1]
        ['cpu:0']
    """
    devices = jax.devices(backend=_backend_name(device_type))
    return [f"{d.platform}:{d.id}" for d in devices]


def get_device_count(device_type: str | None = None) -> int:
    """Number of (global) devices of one type; see :func:`list_devices`.

    Example:
        >>> get_device_count("cpu") >= 1
        True
    """
    return jax.device_count(_backend_name(device_type))


def _backend_name(device_type):
    if device_type is None:
        return None
    if not isinstance(device_type, str):
        raise TypeError(
            f"device_type must be a string such as 'cpu', 'gpu' or 'tpu'; received "
            f"{device_type!r}."
        )
    return device_type.lower()


def to_jax_device(device) -> jax.Device:
    """A ``jax.Device`` from a device or a ``"platform:id"`` string."""
    if isinstance(device, jax.Device):
        return device
    name = str(device)
    platform, _, index = name.partition(":")
    index = index or "0"
    try:
        candidates = jax.devices(backend=platform.lower())
    except RuntimeError as err:
        raise ValueError(
            f"Device {name!r} not found: no {platform!r} backend ({err}). Use one of "
            f"{list_devices()}."
        ) from None
    for d in candidates:
        if str(d.id) == index:
            return d
    raise ValueError(
        f"Device {name!r} not found. Available {platform} devices: "
        f"{[f'{d.platform}:{d.id}' for d in candidates]}."
    )


class DeviceMesh:
    """A grid of devices with named axes (``jax.sharding.Mesh`` underneath).

    Args:
        shape: Mesh shape, e.g. ``(8,)`` for data parallelism or ``(2, 4)`` for data x
            model parallelism.
        axis_names: One name per axis, e.g. ``("batch", "model")``.
        devices: Devices or ``"platform:id"`` strings; defaults to
            :func:`list_devices`.

    Raises:
        ValueError: Empty or mismatched shape/axis names, or a shape whose size is not
            the number of devices.

    Example:
        >>> mesh = DeviceMesh((1,), ["batch"], devices=["cpu:0"])
        >>> mesh.axis_names
        ['batch']
    """

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(
                "Shape and axis_names cannot be empty. Received: "
                f"shape={shape}, axis_names={axis_names}"
            )
        if len(shape) != len(axis_names):
            raise ValueError(
                "Shape and axis_names should have same size. "
                f"Received: shape={shape}, axis_names={axis_names}"
            )
        if devices is None:
            devices = list_devices()
        devices = np.array(devices, dtype=object)
        if math.prod(shape) != devices.size:
            raise ValueError(
                "Shape does not match the number of devices. "
                f"Received: shape={shape}; devices.shape={devices.shape}. Use a mesh "
                f"shape whose product is {devices.size}, or pass that many devices."
            )
        self._shape = shape
        self._axis_names = axis_names
        self._devices = np.reshape(devices, shape)
        self._backend_mesh = None

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        return self._devices

    @property
    def backend_mesh(self) -> Mesh:
        """The ``jax.sharding.Mesh`` (Auto axes), built once."""
        if self._backend_mesh is None:
            devs = np.array([to_jax_device(d) for d in self._devices.flat], dtype=object)
            self._backend_mesh = Mesh(
                devs.reshape(self._devices.shape),
                tuple(self._axis_names),
                axis_types=(AxisType.Auto,) * len(self._axis_names),
            )
        return self._backend_mesh

    def axis_size(self, name: str) -> int:
        """Number of devices along axis ``name``."""
        return int(self._devices.shape[list(self._axis_names).index(name)])

    def __repr__(self):
        return f"<{self.__class__.__name__} shape={self.shape}, axis_names={self.axis_names}>"

    __str__ = __repr__


class TensorLayout:
    """How one tensor is split over a mesh: one mesh-axis name (or None) per dimension.

    Args:
        axes: E.g. ``(None, "model")``: dimension 1 split over the ``model`` axis.
        device_mesh: The :class:`DeviceMesh`; may be set later (once).

    Example:
        >>> TensorLayout((None, "model")).axes
        (None, 'model')
    """

    def __init__(self, axes, device_mesh: DeviceMesh | None = None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._backend_layout = None
        self._validate_axes()

    @property
    def axes(self) -> tuple:
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(
                f"Cannot override device mesh value. Existing value is {self._device_mesh}"
            )
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def backend_layout(self) -> NamedSharding:
        """The ``NamedSharding`` of this layout (needs a mesh)."""
        if self._backend_layout is None:
            if self._device_mesh is None:
                raise ValueError(
                    "Cannot create sharding when device mesh is not set for TensorLayout. "
                    "Pass device_mesh=... or add the layout to a LayoutMap that has one."
                )
            self._backend_layout = NamedSharding(
                self._device_mesh.backend_mesh, PartitionSpec(*self._axes)
            )
        return self._backend_layout

    def _validate_axes(self):
        if self._device_mesh:
            valid = set(self._device_mesh.axis_names)
            names = set(self._axes) - {None}
            if names - valid:
                raise ValueError(
                    f"Invalid axis names for Layout. Valid axis names: {valid}, Got {names}"
                )

    def __repr__(self):
        return f"<{self.__class__.__name__} axes={self.axes}, device_mesh={self.device_mesh}>"

    __str__ = __repr__


def distribute_tensor(tensor, layout):
    """Give ``tensor`` the sharding of ``layout``.

    Inside ``jax.jit`` this is a sharding constraint; outside it moves the array
    (nothing happens if it already has an equivalent sharding).

    Args:
        tensor: A ``jax.Array`` or array-like (or a tracer).
        layout: A :class:`TensorLayout` with a mesh, or a ``jax.sharding.Sharding``.

    Returns:
        The distributed array.

    Example:
        >>> mesh = DeviceMesh((1,), ["batch"], devices=["cpu:0"])
        >>> x = distribute_tensor(np.ones((2, 3)), TensorLayout(("batch", None), mesh))
        >>> tuple(x.sharding.spec)
        ('batch', None)
    """
    from nbkeras.layers.symbolic import KerasTensor

    if isinstance(tensor, KerasTensor):
        return tensor
    if isinstance(layout, TensorLayout):
        layout = layout.backend_layout
    if not isinstance(layout, jax.sharding.Sharding):
        raise TypeError(
            f"layout must be a TensorLayout or a jax.sharding.Sharding; received "
            f"{type(layout).__name__}."
        )
    if isinstance(tensor, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(tensor, layout)
    if isinstance(tensor, jax.Array) and tensor.sharding.is_equivalent_to(layout, tensor.ndim):
        return tensor
    return jax.device_put(tensor, layout)
