"""``LayoutMap``: variable paths (exact key, else regex full-match) to layouts."""

from __future__ import annotations

import collections
import re

from nbkeras.distribution.mesh import DeviceMesh, TensorLayout


class LayoutMap(collections.abc.MutableMapping):
    """A dict from variable-path patterns to :class:`TensorLayout` (Keras semantics).

    Lookup is an exact key first; otherwise every key is tried as a regex with
    ``re.fullmatch``.  No match gives ``None`` (the variable is replicated); more
    than one match is an error that names the matching keys.  A tuple value is a
    shortcut for ``TensorLayout(axes)``.

    Args:
        device_mesh: The :class:`DeviceMesh` the layouts refer to.

    Example:
        >>> mesh = DeviceMesh((1,), ["model"], devices=["cpu:0"])
        >>> layout_map = LayoutMap(mesh)
        >>> layout_map[".*dense.*kernel"] = (None, "model")
        >>> layout_map["sequential/dense_1/kernel"].axes
        (None, 'model')
        >>> layout_map["sequential/dense_1/bias"] is None
        True
    """

    def __init__(self, device_mesh: DeviceMesh):
        self._layout_map: dict = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key: str):
        """The layout for ``key``: exact key, else the single regex full-match, else None.

        Raises:
            ValueError: ``key`` fully matches several patterns.
        """
        if key in self._layout_map:
            return self._layout_map[key]
        matching = [pattern for pattern in self._layout_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple layout specification keys: {matching}. "
                "Please make sure each tensor/variable path only matches at most one "
                "layout specification key in the LayoutMap."
            )
        if matching:
            return self._layout_map[matching[0]]
        return None

    def __setitem__(self, key: str, layout) -> None:
        if key in self._layout_map:
            raise ValueError(
                f"{key} already exist in the LayoutMap with value {self._layout_map[key]}. "
                "Please make sure to not use duplicated keys."
            )
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(axes=tuple(layout), device_mesh=None)
        if not isinstance(layout, TensorLayout):
            raise ValueError(
                f"{layout} should be a TensorLayout type, got {type(layout)}. Pass a "
                "TensorLayout or a tuple of mesh axis names, e.g. (None, 'model')."
            )
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key: str):
        return self._layout_map.pop(key)

    def __len__(self) -> int:
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)

    @property
    def device_mesh(self) -> DeviceMesh:
        return self._device_mesh


LayoutMap.get.__doc__ = LayoutMap.__getitem__.__doc__
