"""Learning-rate schedules with Keras 3's names, signatures and math.

Each schedule is a callable ``schedule(step) -> learning rate`` written with
``jax.numpy``, so it can be traced inside a jitted train step (and so it is also
a valid optax schedule).

Example:
    >>> from nbkeras.optimizers import SGD, schedules
    >>> lr = schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    >>> round(float(lr(100)), 4)
    0.05
    >>> opt = SGD(learning_rate=lr)
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

_F32 = jnp.float32


def _f(x: Any) -> jnp.ndarray:
    return jnp.asarray(x, dtype=_F32)


def _check_steps(cls: str, name: str, value: Any) -> None:
    if value <= 0:
        raise ValueError(f"{cls}: argument `{name}` must be > 0. Received: {name}={value}")


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    Subclasses implement ``__call__(step)`` (traceable, ``jnp`` math) and
    ``get_config()``.

    Example:
        >>> class Halving(LearningRateSchedule):
        ...     def __init__(self, lr):
        ...         self.lr = lr
        ...     def __call__(self, step):
        ...         return self.lr / (step + 1)
        ...     def get_config(self):
        ...         return {"lr": self.lr}
        >>> float(Halving(1.0)(1))
        0.5
    """

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            "`get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict) -> LearningRateSchedule:
        """Instantiate a schedule from the output of ``get_config()``."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except Exception:  # reprs never raise
            args = "..."
        return f"{type(self).__name__}({args})"


class _RateDecay(LearningRateSchedule):
    """What ``ExponentialDecay`` and ``InverseTimeDecay`` share: arguments, config and
    the progress ``step / decay_steps`` (floored with ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name) -> None:
        _check_steps(type(self).__name__, "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _progress(self, step: Any) -> jnp.ndarray:
        p = _f(step) / _f(self.decay_steps)
        return jnp.floor(p) if self.staircase else p

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_RateDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: Initial learning rate.
        decay_steps: Positive number of steps per decay period.
        decay_rate: Multiplicative decay per period.
        staircase: If True, ``step / decay_steps`` is floored.
        name: Name of the schedule.

    Example:
        >>> float(ExponentialDecay(1.0, 10, 0.5, staircase=True)(15))
        0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step: Any) -> jnp.ndarray:
        p = self._progress(step)
        return _f(self.initial_learning_rate) * jnp.power(_f(self.decay_rate), p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` for ``boundaries[i-1] < step <= boundaries[i]``.

    Args:
        boundaries: Strictly increasing step boundaries.
        values: One more value than ``boundaries``.
        name: Name of the schedule.

    Example:
        >>> s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
        >>> [float(s(t)) for t in (10, 11, 21)]
        [1.0, 0.5, 0.10000000149011612]
    """

    def __init__(self, boundaries: list, values: list, name: str = "PiecewiseConstant") -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: the length of `boundaries` should be 1 less than "
                f"the length of `values`. Received: boundaries={boundaries} of length "
                f"{len(boundaries)}, and values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> jnp.ndarray:
        step = jnp.asarray(step)
        bounds = [jnp.asarray(b).astype(step.dtype) for b in self.boundaries]
        values = [_f(v) for v in self.values]
        out = (step <= bounds[0]).astype(_F32) * values[0]
        out = out + (step > bounds[-1]).astype(_F32) * values[-1]
        for low, high, value in zip(bounds[:-1], bounds[1:], values[1:-1]):
            out = out + ((step > low) & (step <= high)).astype(_F32) * value
        return out

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate``.

    Args:
        initial_learning_rate: Initial learning rate.
        decay_steps: Positive number of steps to decay over.
        end_learning_rate: Final learning rate.
        power: Power of the polynomial.
        cycle: If True, restart the decay every multiple of ``decay_steps``.
        name: Name of the schedule.

    Example:
        >>> round(float(PolynomialDecay(1.0, 10, 0.0)(5)), 6)
        0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        _check_steps(type(self).__name__, "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: Any) -> jnp.ndarray:
        init, end = _f(self.initial_learning_rate), _f(self.end_learning_rate)
        step = _f(step)
        decay_steps = _f(self.decay_steps)
        if self.cycle:
            mult = jnp.where(step == 0, 1.0, jnp.ceil(step / decay_steps))
            decay_steps = decay_steps * mult
        else:
            step = jnp.minimum(step, decay_steps)
        p = step / decay_steps
        return (init - end) * jnp.power(1 - p, _f(self.power)) + end

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: Initial learning rate.
        decay_steps: Positive number of steps per decay period.
        decay_rate: Decay rate.
        staircase: If True, ``step / decay_steps`` is floored.
        name: Name of the schedule.

    Example:
        >>> float(InverseTimeDecay(1.0, 1, 1.0)(1))
        0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step: Any) -> jnp.ndarray:
        p = self._progress(step)
        return _f(self.initial_learning_rate) / (1.0 + _f(self.decay_rate) * p)


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup, then cosine decay to ``alpha`` times the peak.

    Args:
        initial_learning_rate: Initial learning rate.
        decay_steps: Positive number of decay steps (after warmup).
        alpha: Final learning rate as a fraction of the peak.
        name: Name of the schedule.
        warmup_target: Peak learning rate reached after ``warmup_steps``;
            None skips warmup.
        warmup_steps: Number of warmup steps.

    Example:
        >>> s = CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=10)
        >>> float(s(5)), float(s(10)), round(float(s(20)), 6)
        (0.5, 1.0, 0.0)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: float = 0,
    ) -> None:
        _check_steps(type(self).__name__, "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def _decay(self, step, decay_steps, peak):
        cosine = 0.5 * (1.0 + jnp.cos(_f(math.pi) * (step / decay_steps)))
        return peak * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: Any) -> jnp.ndarray:
        init = _f(self.initial_learning_rate)
        decay_steps = _f(self.decay_steps)
        step = _f(step)
        if self.warmup_target is None:
            return self._decay(jnp.minimum(step, decay_steps), decay_steps, init)
        target, warm = _f(self.warmup_target), _f(self.warmup_steps)
        step = jnp.minimum(step, decay_steps + warm)
        warmup = (target - init) * (step / jnp.maximum(warm, 1e-30)) + init
        decay = self._decay(step - warm, decay_steps, target)
        return jnp.where(step < warm, warmup, decay)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR).

    Args:
        initial_learning_rate: Initial learning rate.
        first_decay_steps: Positive length of the first period.
        t_mul: Each period is ``t_mul`` times longer than the previous one.
        m_mul: Each restart peaks at ``m_mul`` times the previous peak.
        alpha: Minimum learning rate as a fraction of the peak.
        name: Name of the schedule.

    Example:
        >>> s = CosineDecayRestarts(1.0, 10)
        >>> float(s(0)), float(s(10))
        (1.0, 1.0)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: float,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        _check_steps(type(self).__name__, "first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step: Any) -> jnp.ndarray:
        t_mul, m_mul, alpha = _f(self._t_mul), _f(self._m_mul), _f(self.alpha)
        frac = _f(step) / _f(self.first_decay_steps)
        if float(self._t_mul) == 1.0:
            i_restart = jnp.floor(frac)
            frac = frac - i_restart
        else:
            i_restart = jnp.floor(jnp.log(1.0 - frac * (1.0 - t_mul)) / jnp.log(t_mul))
            sum_r = (1.0 - jnp.power(t_mul, i_restart)) / (1.0 - t_mul)
            frac = (frac - sum_r) / jnp.power(t_mul, i_restart)
        m_fac = jnp.power(m_mul, i_restart)
        cosine = 0.5 * m_fac * (1.0 + jnp.cos(_f(math.pi) * frac))
        return _f(self.initial_learning_rate) * ((1 - alpha) * cosine + alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_SCHEDULES = {
    c.__name__: c
    for c in (
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(schedule: LearningRateSchedule) -> dict:
    """Return ``{"module", "class_name", "config", "registered_name"}`` like Keras.

    Example:
        >>> serialize(InverseTimeDecay(1.0, 1, 1.0))["class_name"]
        'InverseTimeDecay'
    """
    if not isinstance(schedule, LearningRateSchedule):
        from .._errors import wrong_type

        raise wrong_type("learning rate schedule", schedule, "a LearningRateSchedule")
    return {
        "module": "keras.optimizers.schedules",
        "class_name": type(schedule).__name__,
        "config": schedule.get_config(),
        "registered_name": None,
    }


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """Rebuild a schedule from ``serialize``'s output (Keras format accepted).

    Example:
        >>> s = deserialize(serialize(ExponentialDecay(0.1, 10, 0.9)))
        >>> type(s).__name__
        'ExponentialDecay'
    """
    from .._errors import unknown_identifier, wrong_type

    if not isinstance(config, dict) or "class_name" not in config:
        raise wrong_type(
            "learning rate schedule config", config, "a dict with 'class_name' and 'config' keys"
        )
    registry = {**_SCHEDULES, **(custom_objects or {})}
    name = config["class_name"]
    if name not in registry:
        raise unknown_identifier("learning rate schedule", name, registry)
    return registry[name].from_config(dict(config.get("config", {})))
