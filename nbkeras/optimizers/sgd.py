"""Momentum-style optimizers: SGD, RMSprop, Lion (Keras 3 update equations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from . import _validate as V
from .base import Optimizer


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, as in Keras 3.

    ``m = momentum * m - lr * g``; ``var += m`` (Nesterov: ``var += momentum * m - lr * g``).

    Args:
        learning_rate: Float, schedule or callable ``step -> lr``. Defaults to 0.01.
        momentum: Float in [0, 1].
        nesterov: Use Nesterov momentum.
        **kwargs: Common arguments of ``Optimizer`` (``weight_decay``, ``clipnorm``, ...).

    Example:
        >>> from nbkeras.optimizers import SGD
        >>> tx = SGD(learning_rate=0.1, momentum=0.9, nesterov=True).transform()
    """

    def __init__(
        self,
        learning_rate: float | Callable = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.momentum = V.check_in_range("SGD", "momentum", momentum, 0.0, 1.0)
        self.nesterov = nesterov
        self._slot_names = ("momentum",) if momentum != 0 else ()

    def _update_leaf(self, g, p, lr, step, slots, glob):
        if self.momentum == 0:
            return -(g * lr), {}
        mom = jnp.asarray(self.momentum, p.dtype)
        m = slots["momentum"] * mom - g * lr
        delta = m * mom - g * lr if self.nesterov else m
        return delta, {"momentum": m}

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """RMSprop, as in Keras 3 (epsilon inside the square root).

    Args:
        learning_rate: Float, schedule or callable ``step -> lr``. Defaults to 0.001.
        rho: Discount of the squared-gradient moving average.
        momentum: If > 0, heavy-ball momentum on the increments.
        epsilon: Small constant for numerical stability.
        centered: Normalize by the estimated gradient variance.
        **kwargs: Common arguments of ``Optimizer``.

    Example:
        >>> from nbkeras.optimizers import RMSprop
        >>> tx = RMSprop(centered=True, momentum=0.5).transform()
    """

    def __init__(
        self,
        learning_rate: float | Callable = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        self._slot_names = (
            ("velocity",)
            + (("momentum",) if momentum > 0 else ())
            + (("average_gradient",) if centered else ())
        )

    def _update_leaf(self, g, p, lr, step, slots, glob):
        rho = self.rho
        v = rho * slots["velocity"] + (1 - rho) * jnp.square(g)
        new = {"velocity": v}
        if self.centered:
            avg = new["average_gradient"] = rho * slots["average_gradient"] + (1 - rho) * g
            denominator = v - jnp.square(avg) + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = (lr * g) / jnp.sqrt(denominator)
        if self.momentum > 0:
            increment = new["momentum"] = self.momentum * slots["momentum"] + increment
        return -increment, new

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


class Lion(Optimizer):
    """Lion (sign of interpolated momentum), as in Keras 3.

    Args:
        learning_rate: Float, schedule or callable ``step -> lr``. Defaults to 0.001.
        beta_1: Interpolation factor for the update direction, in (0, 1].
        beta_2: Decay of the momentum.
        **kwargs: Common arguments of ``Optimizer``.

    Example:
        >>> from nbkeras.optimizers import Lion
        >>> tx = Lion(learning_rate=1e-4).transform()
    """

    _slot_names = ("momentum",)

    def __init__(
        self,
        learning_rate: float | Callable = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        if not V.is_number(beta_1) or beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Lion: argument `beta_1` must be in the (0, 1] range, otherwise "
                f"the optimizer degenerates to SignSGD. Received: beta_1={beta_1}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _update_leaf(self, g, p, lr, step, slots, glob):
        b1, b2 = jnp.asarray(self.beta_1, p.dtype), jnp.asarray(self.beta_2, p.dtype)
        m = slots["momentum"]
        delta = -(lr * jnp.sign(m * b1 + g * (1.0 - b1)))
        return delta, {"momentum": m * b2 + g * (1.0 - b2)}

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
