"""FFT and framing ops (``keras.ops.fft``, ``rfft``, ``stft``...), over ``jnp.fft``.

As in Keras, complex values travel as a ``(real, imag)`` tuple of float arrays.

Example:
    >>> from nbkeras import ops
    >>> real, imag = ops.fft((ops.ones((4,)), ops.zeros((4,))))
    >>> real.tolist()
    [4.0, 0.0, 0.0, 0.0]
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from nbkeras.ops import symbolic_op

__all__ = [
    "extract_sequences", "fft", "fft2", "ifft2", "irfft", "rfft", "stft", "istft",
]  # fmt: skip


def _complex(x: Any) -> jax.Array:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            "Input `x` should be a tuple of two tensors - real and imaginary. "
            f"Received: x={x!r}"
        )
    real, imag = jnp.asarray(x[0]), jnp.asarray(x[1])
    if real.shape != imag.shape:
        raise ValueError(
            "Both the real and imaginary parts should have the same shape. "
            f"Received: x[0].shape = {real.shape}, x[1].shape = {imag.shape}"
        )
    if not (jnp.issubdtype(real.dtype, jnp.floating)
            and jnp.issubdtype(imag.dtype, jnp.floating)):
        raise ValueError(
            "At least one tensor in input `x` is not of type float. "
            f"Received dtypes {real.dtype} and {imag.dtype}; cast them with ops.cast."
        )
    return jax.lax.complex(real, imag)


def _split(z: jax.Array) -> tuple[jax.Array, jax.Array]:
    return jnp.real(z), jnp.imag(z)


@symbolic_op
def fft(x: tuple[Any, Any]) -> tuple[jax.Array, jax.Array]:
    """FFT over the last axis of ``(real, imag)``; returns ``(real, imag)``."""
    return _split(jnp.fft.fft(_complex(x)))


@symbolic_op
def fft2(x: tuple[Any, Any]) -> tuple[jax.Array, jax.Array]:
    """2-D FFT over the last two axes of ``(real, imag)``."""
    return _split(jnp.fft.fft2(_complex(x)))


@symbolic_op
def ifft2(x: tuple[Any, Any]) -> tuple[jax.Array, jax.Array]:
    """Inverse 2-D FFT over the last two axes of ``(real, imag)``."""
    return _split(jnp.fft.ifft2(_complex(x)))


@symbolic_op
def rfft(x: Any, fft_length: int | None = None) -> tuple[jax.Array, jax.Array]:
    """FFT of a real signal over the last axis: ``fft_length // 2 + 1`` bins.

    Example:
        >>> rfft(jnp.ones(4))[0].tolist()
        [4.0, 0.0, 0.0]
    """
    return _split(jnp.fft.rfft(jnp.asarray(x), n=fft_length, axis=-1))


@symbolic_op
def irfft(x: tuple[Any, Any], fft_length: int | None = None) -> jax.Array:
    """Inverse of :func:`rfft`: a real signal from ``(real, imag)`` bins."""
    return jnp.fft.irfft(_complex(x), n=fft_length, axis=-1)


@symbolic_op
def extract_sequences(x: Any, sequence_length: int, sequence_stride: int) -> jax.Array:
    """Frames of ``sequence_length`` taken every ``sequence_stride`` along the last axis.

    Example:
        >>> extract_sequences(jnp.arange(5.0), 2, 2).tolist()
        [[0.0, 1.0], [2.0, 3.0]]
    """
    x = jnp.asarray(x)
    *batch, n = x.shape
    frames = 1 + (n - sequence_length) // sequence_stride
    idx = np.arange(frames)[:, None] * sequence_stride + np.arange(sequence_length)[None, :]
    return x.reshape(math.prod(batch), n)[:, idx].reshape(*batch, frames, sequence_length)


def _padded_window(window: Any, sequence_length: int, fft_length: int, dtype: Any):
    if window is None:  # Keras: ones over the whole FFT frame, no padding
        return jnp.ones((fft_length,), dtype)
    win = _window(window, sequence_length, dtype)
    l_pad = (fft_length - sequence_length) // 2
    return jnp.pad(win, (l_pad, fft_length - sequence_length - l_pad))


def _window(window: Any, length: int, dtype: Any) -> jax.Array:
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(
                'If a string is passed to `window`, it must be one of "hann", "hamming". '
                f"Received: window={window!r}"
            )
        n = np.arange(length)
        a = 0.5 if window == "hann" else 0.54
        # Periodic windows, as scipy.signal.get_window(window, length) returns.
        return jnp.asarray(a - (1 - a) * np.cos(2 * np.pi * n / length), dtype)
    win = jnp.asarray(window, dtype)
    if win.ndim != 1 or win.shape[-1] != length:
        raise ValueError(
            f"The shape of `window` must be equal to [sequence_length]. Received: window "
            f"shape={win.shape}"
        )
    return win


@symbolic_op
def stft(x: Any, sequence_length: int, sequence_stride: int, fft_length: int,
         window: Any = "hann", center: bool = True) -> tuple[jax.Array, jax.Array]:
    """Short-time Fourier transform of a real signal: ``(real, imag)`` of shape
    ``(..., frames, fft_length // 2 + 1)``.

    Raises:
        TypeError: If ``x`` is not float32/float64.
        ValueError: If ``fft_length < sequence_length`` or the window is invalid.
    """
    x = jnp.asarray(x)
    if x.dtype not in (jnp.float32, jnp.float64):
        raise TypeError(f"Invalid input type. Expected float32 or float64. Received: {x.dtype}")
    if fft_length < sequence_length:
        raise ValueError(
            "`fft_length` must equal or larger than `sequence_length`. Received: "
            f"sequence_length={sequence_length}, fft_length={fft_length}"
        )
    win = _padded_window(window, sequence_length, fft_length, x.dtype)
    if center:
        pad = [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)]
        x = jnp.pad(x, pad, mode="reflect")
    frames = extract_sequences.__wrapped__(x, fft_length, sequence_stride)
    return _split(jnp.fft.rfft(frames * win, n=fft_length, axis=-1))


@symbolic_op
def istft(x: tuple[Any, Any], sequence_length: int, sequence_stride: int, fft_length: int,
          length: int | None = None, window: Any = "hann", center: bool = True) -> jax.Array:
    """Inverse of :func:`stft` by windowed overlap-add.

    Example:
        >>> sig = jnp.sin(jnp.arange(64.0))
        >>> back = istft(stft(sig, 16, 4, 16), 16, 4, 16, length=64)
        >>> bool(jnp.allclose(back, sig, atol=1e-4))
        True
    """
    z = _complex(x)
    frames = jnp.fft.irfft(z, n=fft_length, axis=-1)
    dtype = frames.dtype
    win = _padded_window(window, sequence_length, fft_length, dtype)
    n_frames = frames.shape[-2]
    total = fft_length + sequence_stride * (n_frames - 1)
    idx = (np.arange(n_frames)[:, None] * sequence_stride + np.arange(fft_length)[None, :])
    batch = frames.shape[:-2]
    flat = (frames * win).reshape(-1, n_frames * fft_length)
    out = jnp.zeros((flat.shape[0], total), dtype).at[:, idx.ravel()].add(flat)
    norm = jnp.zeros((total,), dtype).at[idx.ravel()].add(jnp.tile(win * win, n_frames))
    out = out / jnp.where(norm > 1e-10, norm, 1.0)
    if window is None:  # Keras's scaling for an unwindowed transform
        out = out * (fft_length / sequence_stride)
    out = out.reshape(*batch, total)
    start = fft_length // 2 if center else 0
    end = start + length if length is not None else (
        total - fft_length // 2 if center else total)
    return out[..., start:end]
