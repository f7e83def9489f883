"""The two steps of ``Layer.__call__`` that move Keras masks (see ``layers/masking.py``)."""

from __future__ import annotations

import inspect

from nbkeras._keras_mask import get_keras_mask, masks_of, set_keras_mask

_PARAMS: dict[type, tuple[str, ...]] = {}


def _call_params(layer) -> tuple[str, ...]:
    cls = type(layer)
    names = _PARAMS.get(cls)
    if names is None:
        try:
            names = tuple(inspect.signature(cls.call).parameters)[1:]
        except (TypeError, ValueError):
            names = ()
        _PARAMS[cls] = names
    return names


def fill_mask_args(layer, args, kwargs) -> object:
    """Fill ``mask``/``<arg>_mask`` call arguments from the inputs' masks; return the
    mask to hand to ``compute_mask`` (the explicit or the attached one)."""
    params = _call_params(layer)
    explicit = kwargs.get("mask")
    if "mask" in params and explicit is None:
        attached = masks_of(args[0])
        if attached is not None:
            kwargs["mask"] = attached
        return attached
    if explicit is None:
        for name, value in zip(params, args):
            key = f"{name}_mask"
            if key in params and kwargs.get(key) is None:
                mask = get_keras_mask(value)
                if mask is not None:
                    kwargs[key] = mask
        return masks_of(args[0])
    return explicit


def set_output_masks(layer, inputs, previous_mask, outputs) -> None:
    """Attach ``layer.compute_mask(inputs, previous_mask)`` to ``outputs``."""
    if not layer.supports_masking:
        return
    mask = layer.compute_mask(inputs, previous_mask)
    if mask is None:
        return
    if isinstance(outputs, (list, tuple)):
        masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(outputs)
        for out, m in zip(outputs, masks):
            if get_keras_mask(out) is None:
                set_keras_mask(out, m)
    elif get_keras_mask(outputs) is None:
        set_keras_mask(outputs, mask)
