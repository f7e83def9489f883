"""Adam-family optimizers: Adam, AdamW, Adamax, Nadam (Keras 3 update equations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .base import Optimizer


def _powers(step: jax.Array, dtype: Any, *betas: float) -> list[jax.Array]:
    local_step = (step + 1).astype(dtype)
    return [jnp.power(jnp.asarray(b, dtype), local_step) for b in betas]


class Adam(Optimizer):
    """Adam, exactly as Keras 3 computes it.

    ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`` and
    ``var -= m * alpha / (sqrt(v) + epsilon)`` (epsilon outside the uncorrected ``v``).

    Args:
        learning_rate: Float, schedule or callable ``step -> lr``. Defaults to 0.001.
        beta_1: Decay of the first-moment estimate.
        beta_2: Decay of the second-moment estimate.
        epsilon: Small constant for numerical stability.
        amsgrad: Use the AMSGrad variant (running max of ``v``).
        **kwargs: Common arguments of ``Optimizer`` (``weight_decay``, ``clipnorm``, ...).

    Example:
        >>> from nbkeras.optimizers import Adam
        >>> tx = Adam(learning_rate=1e-3, clipnorm=1.0).transform()
    """

    def __init__(
        self,
        learning_rate: float | Callable = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        self._slot_names = ("momentum", "velocity") + (("velocity_hat",) if amsgrad else ())

    def _update_leaf(self, g, p, lr, step, slots, glob):
        b1p, b2p = _powers(step, p.dtype, self.beta_1, self.beta_2)
        alpha = lr * jnp.sqrt(1 - b2p) / (1 - b1p)
        m = slots["momentum"] + (g - slots["momentum"]) * (1 - self.beta_1)
        v = slots["velocity"] + (jnp.square(g) - slots["velocity"]) * (1 - self.beta_2)
        new = {"momentum": m, "velocity": v}
        if self.amsgrad:
            v = new["velocity_hat"] = jnp.maximum(slots["velocity_hat"], v)
        return -((m * alpha) / (jnp.sqrt(v) + self.epsilon)), new

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay (``var -= var * weight_decay * lr`` each step).

    Args:
        learning_rate: Float, schedule or callable ``step -> lr``. Defaults to 0.001.
        weight_decay: Decay rate; required (default 0.004).
        beta_1: Decay of the first-moment estimate.
        beta_2: Decay of the second-moment estimate.
        epsilon: Small constant for numerical stability.
        amsgrad: Use the AMSGrad variant.
        **kwargs: Common arguments of ``Optimizer``.

    Example:
        >>> from nbkeras.optimizers import AdamW
        >>> opt = AdamW(learning_rate=3e-4, weight_decay=0.01)
        >>> opt.exclude_from_weight_decay(var_names=["bias"])
    """

    def __init__(
        self,
        learning_rate: float | Callable = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
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
        if weight_decay is None:
            raise ValueError(
                "AdamW: argument `weight_decay` must be a float. Received: "
                "weight_decay=None. Use Adam for no weight decay."
            )
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
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


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm, as in Keras 3.

    Args:
        learning_rate: Float, schedule or callable ``step -> lr``. Defaults to 0.001.
        beta_1: Decay of the first-moment estimate.
        beta_2: Decay of the exponentially weighted infinity norm.
        epsilon: Small constant for numerical stability.
        **kwargs: Common arguments of ``Optimizer``.

    Example:
        >>> from nbkeras.optimizers import Adamax
        >>> tx = Adamax(learning_rate=2e-3).transform()
    """

    _slot_names = ("momentum", "norm")

    def __init__(
        self,
        learning_rate: float | Callable = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _update_leaf(self, g, p, lr, step, slots, glob):
        (b1p,) = _powers(step, p.dtype, self.beta_1)
        m = slots["momentum"] + (g - slots["momentum"]) * (1 - self.beta_1)
        u = jnp.maximum(self.beta_2 * slots["norm"], jnp.abs(g))
        return -((lr * m) / ((1 - b1p) * (u + self.epsilon))), {"momentum": m, "norm": u}

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class Nadam(Optimizer):
    """Nadam (Adam with Nesterov momentum and Keras's momentum-cache schedule).

    Args:
        learning_rate: Float, schedule or callable ``step -> lr``. Defaults to 0.001.
        beta_1: Decay of the first-moment estimate.
        beta_2: Decay of the second-moment estimate.
        epsilon: Small constant for numerical stability.
        **kwargs: Common arguments of ``Optimizer``.

    Example:
        >>> from nbkeras.optimizers import Nadam
        >>> tx = Nadam().transform()
    """

    _slot_names = ("momentum", "velocity")

    def __init__(
        self,
        learning_rate: float | Callable = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _init_global(self):
        return jnp.ones([], jnp.float32)  # u_product, the momentum cache

    def _update_global(self, u_product, step):
        t = (step + 1).astype(jnp.float32)
        return u_product * self.beta_1 * (1.0 - 0.5 * jnp.power(jnp.float32(0.96), t))

    def _update_leaf(self, g, p, lr, step, slots, u_product):
        dtype = p.dtype
        decay = jnp.asarray(0.96, dtype)
        beta_1, beta_2 = jnp.asarray(self.beta_1, dtype), jnp.asarray(self.beta_2, dtype)
        u_t = beta_1 * (1.0 - 0.5 * jnp.power(decay, (step + 1).astype(dtype)))
        u_t_1 = beta_1 * (1.0 - 0.5 * jnp.power(decay, (step + 2).astype(dtype)))
        u_product_t = u_product.astype(dtype)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = jnp.power(beta_2, (step + 1).astype(dtype))
        m = slots["momentum"] + (g - slots["momentum"]) * (1 - beta_1)
        v = slots["velocity"] + (jnp.square(g) - slots["velocity"]) * (1 - beta_2)
        m_hat = (u_t_1 * m) / (1 - u_product_t_1) + ((1 - u_t) * g) / (1 - u_product_t)
        v_hat = v / (1 - beta_2_power)
        return -((m_hat * lr) / (jnp.sqrt(v_hat) + self.epsilon)), {"momentum": m, "velocity": v}

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
