"""Accumulator optimizers: Adagrad, Adadelta, Ftrl (Keras 3 update equations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from .base import Optimizer


class Adagrad(Optimizer):
    """Adagrad, as in Keras 3: ``acc += g**2; var -= lr * g / sqrt(acc + epsilon)``.

    Args:
        learning_rate: Float, schedule or callable ``step -> lr``. Defaults to 0.001.
        initial_accumulator_value: Starting value of the accumulators (>= 0).
        epsilon: Small constant for numerical stability.
        **kwargs: Common arguments of ``Optimizer``.

    Example:
        >>> from nbkeras.optimizers import Adagrad
        >>> tx = Adagrad(learning_rate=0.01).transform()
    """

    _slot_names = ("accumulator",)

    def __init__(
        self,
        learning_rate: float | Callable = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
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
        if initial_accumulator_value < 0:
            raise ValueError(
                "Adagrad: `initial_accumulator_value` must be >= 0. Received: "
                f"initial_accumulator_value={initial_accumulator_value}."
            )
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _slot_init(self, name, param):
        return jnp.full_like(param, self.initial_accumulator_value)

    def _update_leaf(self, g, p, lr, step, slots, glob):
        acc = slots["accumulator"] + jnp.square(g)
        return -((lr * g) / jnp.sqrt(acc + self.epsilon)), {"accumulator": acc}

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class Adadelta(Optimizer):
    """Adadelta, as in Keras 3 (the learning rate scales the Adadelta step).

    Args:
        learning_rate: Float, schedule or callable ``step -> lr``. Defaults to 0.001.
        rho: Decay rate of both moving averages.
        epsilon: Small constant for numerical stability.
        **kwargs: Common arguments of ``Optimizer``.

    Example:
        >>> from nbkeras.optimizers import Adadelta
        >>> tx = Adadelta(learning_rate=1.0).transform()
    """

    _slot_names = ("accumulated_grad", "accumulated_delta_var")

    def __init__(
        self,
        learning_rate: float | Callable = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
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
        self.epsilon = epsilon

    def _update_leaf(self, g, p, lr, step, slots, glob):
        rho = self.rho

        def rms(x):
            return jnp.sqrt(x + self.epsilon)

        acc_g = rho * slots["accumulated_grad"] + (1 - rho) * jnp.square(g)
        delta = -((rms(slots["accumulated_delta_var"]) * g) / rms(acc_g))
        acc_d = rho * slots["accumulated_delta_var"] + (1 - rho) * jnp.square(delta)
        return lr * delta, {"accumulated_grad": acc_g, "accumulated_delta_var": acc_d}

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Ftrl(Optimizer):
    """FTRL-proximal, as in Keras 3.

    Args:
        learning_rate: Float, schedule or callable ``step -> lr``. Defaults to 0.001.
        learning_rate_power: <= 0; how the learning rate decreases during training.
        initial_accumulator_value: Starting value of the accumulators (>= 0).
        l1_regularization_strength: >= 0.
        l2_regularization_strength: >= 0.
        l2_shrinkage_regularization_strength: >= 0, magnitude penalty on the gradient.
        beta: Added to the L2 term as ``beta / (2 * lr)``.
        **kwargs: Common arguments of ``Optimizer``.

    Example:
        >>> from nbkeras.optimizers import Ftrl
        >>> tx = Ftrl(learning_rate=0.1, l1_regularization_strength=0.01).transform()
    """

    _slot_names = ("accumulator", "linear")

    def __init__(
        self,
        learning_rate: float | Callable = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
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
        checks = {
            "initial_accumulator_value": initial_accumulator_value,
            "l1_regularization_strength": l1_regularization_strength,
            "l2_regularization_strength": l2_regularization_strength,
            "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength,
        }
        for key, value in checks.items():
            if value < 0.0:
                raise ValueError(
                    f"Ftrl: `{key}` needs to be positive or zero. Received: {key}={value}."
                )
        if learning_rate_power > 0.0:
            raise ValueError(
                "Ftrl: `learning_rate_power` needs to be negative or zero. "
                f"Received: learning_rate_power={learning_rate_power}."
            )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _slot_init(self, name, param):
        value = self.initial_accumulator_value if name == "accumulator" else 0.0
        return jnp.full_like(param, value)

    def _update_leaf(self, g, p, lr, step, slots, glob):
        accum, linear = slots["accumulator"], slots["linear"]
        lr_power = self.learning_rate_power
        l2_reg = self.l2_regularization_strength + self.beta / (2.0 * lr)
        grad_to_use = g + 2 * self.l2_shrinkage_regularization_strength * p
        new_accum = accum + jnp.square(g)
        linear = linear + (
            grad_to_use - ((jnp.power(new_accum, -lr_power) - jnp.power(accum, -lr_power)) / lr) * p
        )
        quadratic = jnp.power(new_accum, -lr_power) / lr + 2 * l2_reg
        l1 = self.l1_regularization_strength
        new_p = (jnp.clip(linear, -l1, l1) - linear) / quadratic
        return new_p - p, {"accumulator": new_accum, "linear": linear}

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
