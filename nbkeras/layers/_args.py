"""Argument checking shared by the layer families: string choices, int tuples, data formats,
rank checks and errors that already name the layer."""

from __future__ import annotations

import difflib


def _ser(module, obj):
    return None if obj is None else module.serialize(obj)


def named_error(cls, message: str):
    """An exception whose message already names the layer."""
    return cls(message)


def choice(layer_cls: str, arg: str, value, valid: tuple[str, ...]) -> str:
    """Validate a string option; the error lists valid values and the closest match."""
    if isinstance(value, str) and value.lower() in valid:
        return value.lower()
    close = difflib.get_close_matches(str(value).lower(), valid, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"{layer_cls} received an invalid {arg}={value!r}.{hint} Expected one of: "
        f"{', '.join(repr(v) for v in valid)}."
    )


def float_arg(layer_cls: str, arg: str, value, low=None, high=None) -> float:
    """A real number (bools refused), optionally within ``[low, high]``.

    Example:
        >>> float_arg("ELU", "alpha", 1)
        1.0
    """
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{layer_cls} expected {arg} to be a number, received {value!r} of type "
            f"{type(value).__name__}. Pass a float, e.g. {arg}=0.5."
        )
    value = float(value)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"in [{low}, {high}]" if low is not None and high is not None else (
            f">= {low}" if low is not None else f"<= {high}")
        raise ValueError(f"{layer_cls} expected {arg} {bounds}, received {value!r}.")
    return value


def data_format_arg(layer_cls: str, value) -> str:
    """``None`` -> ``config.image_data_format()`` (``"channels_last"`` by default)."""
    if value is None:
        from nbkeras._settings import image_data_format

        return image_data_format()
    return choice(layer_cls, "data_format", value, ("channels_last", "channels_first"))


def int_tuple(layer_cls: str, arg: str, value, n: int, allow_zero: bool = False) -> tuple:
    """Keras's ``standardize_tuple``: an int or a sequence of ``n`` ints."""
    try:
        values = (value,) * n if isinstance(value, int) else tuple(value)
    except TypeError:  # None, a float...: not a sequence
        values = ()
    ok = len(values) == n and all(
        isinstance(v, int) and not isinstance(v, bool) and (v >= 0 if allow_zero else v > 0)
        for v in values
    )
    if not ok:
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"{layer_cls} argument '{arg}' must be a {kind} int or a tuple of {n} {kind} "
            f"ints, received {arg}={value!r}."
        )
    return values



def _check_rank(layer, inputs, rank: int) -> None:
    if inputs.ndim != rank + 2:
        layout = (
            "(batch, *spatial, channels)"
            if getattr(layer, "data_format", "channels_last") == "channels_last"
            else ("(batch, channels, *spatial)")
        )
        raise named_error(
            ValueError,
            f"{type(layer).__name__} '{layer.name}' expected a {rank + 2}D input {layout}, "
            f"received shape {tuple(inputs.shape)}.",
        )

