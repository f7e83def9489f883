"""Process-wide Keras settings: float type, fuzz factor, image layout, fit caps.

These are the values ``keras.config`` / ``keras.backend`` read and write; layers,
losses and ops read them at call time, so a change applies to objects created or
called afterwards (as in Keras).
"""

from __future__ import annotations

_FLOATS = ("bfloat16", "float16", "float32", "float64")
_state: dict = {
    "floatx": "float32",
    "epsilon": 1e-7,
    "image_data_format": "channels_last",
    "max_epochs": None,
    "max_steps_per_epoch": None,
    "flash_attention": None,
}


def floatx() -> str:
    """The default float dtype of new weights (``"float32"``).

    Example:
        >>> floatx()
        'float32'
    """
    return _state["floatx"]


def set_floatx(value: str) -> None:
    """Set the default float dtype: one of ``bfloat16``, ``float16``, ``float32``, ``float64``.

    ``float64`` needs ``jax.config.update("jax_enable_x64", True)``.

    Raises:
        ValueError: For any other value, or float64 without x64 enabled.
    """
    name = str(getattr(value, "name", value))
    if name not in _FLOATS:
        raise ValueError(
            f"Unknown floatx type: {value!r}. Expected one of {list(_FLOATS)}."
        )
    if name == "float64":
        import jax

        if not jax.config.read("jax_enable_x64"):
            raise ValueError(
                "set_floatx('float64') needs 64-bit JAX: call "
                "jax.config.update('jax_enable_x64', True) first."
            )
    _state["floatx"] = name


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (``1e-7``).

    Example:
        >>> epsilon()
        1e-07
    """
    return _state["epsilon"]


def set_epsilon(value: float) -> None:
    """Set the fuzz factor.

    Raises:
        TypeError: If ``value`` is not a real number.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"epsilon must be a number, received {value!r}.")
    _state["epsilon"] = float(value)


def image_data_format() -> str:
    """``"channels_last"`` (default) or ``"channels_first"``: the default ``data_format``.

    Example:
        >>> image_data_format()
        'channels_last'
    """
    return _state["image_data_format"]


def set_image_data_format(data_format: str) -> None:
    """Set the default ``data_format`` of image layers and ops.

    Raises:
        ValueError: Unless ``data_format`` is ``channels_last`` or ``channels_first``.
    """
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', "
            f"'channels_last'}}. Received: data_format={data_format!r}"
        )
    _state["image_data_format"] = value


def _positive_int_or_none(name: str, value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer or None, received {value!r}.")
    return value


def max_epochs() -> int | None:
    """The cap on ``fit(epochs=...)`` set by :func:`set_max_epochs` (None: no cap)."""
    return _state["max_epochs"]


def set_max_epochs(max_epochs: int | None) -> None:
    """Cap the number of epochs of every ``fit`` (handy to smoke-test a notebook)."""
    _state["max_epochs"] = _positive_int_or_none("max_epochs", max_epochs)


def max_steps_per_epoch() -> int | None:
    """The cap on steps per epoch set by :func:`set_max_steps_per_epoch` (None: no cap)."""
    return _state["max_steps_per_epoch"]


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Cap the number of training steps of each epoch of every ``fit``."""
    _state["max_steps_per_epoch"] = _positive_int_or_none(
        "max_steps_per_epoch", max_steps_per_epoch
    )


def enable_flash_attention() -> None:
    """Ask ``ops.dot_product_attention`` to use a flash (cuDNN) kernel when available."""
    _state["flash_attention"] = True


def disable_flash_attention() -> None:
    """Never use a flash attention kernel in ``ops.dot_product_attention``."""
    _state["flash_attention"] = False


def is_flash_attention_enabled() -> bool | None:
    """True/False if set with enable/disable_flash_attention, None (automatic) otherwise."""
    return _state["flash_attention"]
