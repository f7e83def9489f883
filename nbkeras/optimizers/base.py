"""The Keras-compatible ``Optimizer`` base class, built on one optax transformation.

Every optimizer is a thin description of Keras's per-variable update rule. The
shared machinery (loss-scale unscaling, gradient accumulation, clipping, decoupled
weight decay, EMA, the step counter and the learning rate) lives here, in the order
Keras applies it, and is exposed as a single pure ``optax.GradientTransformation``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from . import _validate as V
from ._transform import OptimizerState, build_transform, scalar_like
from .schedules import LearningRateSchedule
from .schedules import deserialize as _deserialize_schedule
from .schedules import serialize as _serialize_schedule
from .stateless import StatelessMixin

_COMMON_ARGS = (
    "learning_rate",
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
    "name",
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Optimizer(StatelessMixin):
    """Base class of Keras-named optimizers.

    Subclasses define ``_slot_names`` and ``_update_leaf`` (Keras's ``update_step``
    for one variable). Use ``transform()`` to get the optax transformation.

    Args:
        learning_rate: Float >= 0, a ``LearningRateSchedule``, or a callable
            ``step -> learning rate``.
        weight_decay: If set, each step first does ``var -= var * weight_decay * lr``.
        clipnorm: If set, each gradient is clipped to this L2 norm separately.
        clipvalue: If set, gradients are clipped elementwise to ``[-v, v]``.
        global_clipnorm: If set, all gradients are scaled so their joint norm is
            at most this value. At most one of the three clipping options.
        use_ema: Keep an exponential moving average of the parameters.
        ema_momentum: Momentum of that moving average.
        ema_overwrite_frequency: Every this many steps, overwrite the parameters
            with their average. Use ``finalize_params`` at the end of training.
        loss_scale_factor: Gradients are divided by this (see ``scale_loss``).
        gradient_accumulation_steps: Int >= 2: update every that many steps with
            the mean gradient.
        name: Name of the optimizer.

    Example:
        >>> import jax.numpy as jnp, optax
        >>> from nbkeras.optimizers import SGD
        >>> opt = SGD(learning_rate=0.1)
        >>> params = {"w": jnp.ones(2)}
        >>> state = opt.init_state(params)
        >>> updates, state = opt.transform().update({"w": jnp.ones(2)}, state, params)
        >>> [round(x, 4) for x in optax.apply_updates(params, updates)["w"].tolist()]
        [0.9, 0.9]
    """

    _slot_names: tuple[str, ...] = ()

    def __init__(
        self,
        learning_rate: float | Callable = 0.001,
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
        owner = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            raise ValueError(
                f"{owner}: argument `decay` is no longer supported (Keras 3). "
                "Use a learning rate schedule, e.g. schedules.InverseTimeDecay."
            )
        V.check_unknown_kwargs(owner, kwargs, self._valid_args())
        self._learning_rate = V.check_learning_rate(owner, learning_rate)
        self.weight_decay = V.check_optional_nonneg(owner, "weight_decay", weight_decay)
        self.clipnorm = V.check_optional_nonneg(owner, "clipnorm", clipnorm)
        self.clipvalue = V.check_optional_nonneg(owner, "clipvalue", clipvalue)
        self.global_clipnorm = V.check_optional_nonneg(owner, "global_clipnorm", global_clipnorm)
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"{owner}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}. Keep one of them."
            )
        if gradient_accumulation_steps is not None and (
            not isinstance(gradient_accumulation_steps, int | np.integer)
            or gradient_accumulation_steps < 2
        ):
            raise ValueError(
                f"{owner}: `gradient_accumulation_steps` must be an integer >= 2 "
                f"or None. Received: {gradient_accumulation_steps!r}."
            )
        if use_ema:
            V.check_in_range(owner, "ema_momentum", ema_momentum, 0.0, 1.0)
            if ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, int | np.integer)
                or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    f"{owner}: `ema_overwrite_frequency` must be an integer >= 1 "
                    f"or None. Received: {ema_overwrite_frequency!r}."
                )
        if loss_scale_factor is not None and (
            not V.is_number(loss_scale_factor) or float(loss_scale_factor) <= 0
        ):
            raise ValueError(
                f"{owner}: `loss_scale_factor` must be a positive float or None. "
                f"Received: {loss_scale_factor!r}."
            )
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.name = name if name is not None else _snake(owner)
        self._iterations = 0
        self._lr_dirty = False
        self._wd_exclude: re.Pattern | None = None

    @classmethod
    def _valid_args(cls) -> set[str]:
        import inspect

        params = inspect.signature(cls.__init__).parameters
        return {p for p in params if p not in ("self", "kwargs")} | set(_COMMON_ARGS)

    # ------------------------------------------------------------------ rule hooks
    def _slot_init(self, name: str, param: jax.Array) -> jax.Array:
        return jnp.zeros_like(param)

    def _init_global(self) -> Any:
        return None

    def _update_global(self, glob: Any, step: jax.Array) -> Any:
        return glob

    def _update_leaf(
        self,
        grad: jax.Array,
        param: jax.Array,
        lr: jax.Array,
        step: jax.Array,
        slots: dict,
        glob: Any,
    ) -> tuple[jax.Array, dict]:
        """Return (delta added to ``param``, new slots) for one variable."""
        raise NotImplementedError(f"{type(self).__name__} must implement `_update_leaf`.")

    # ------------------------------------------------------------ learning rate
    @property
    def learning_rate(self) -> float:
        """Current learning rate as a float (a schedule is evaluated at ``iterations``)."""
        if callable(self._learning_rate):
            return float(self._learning_rate(self._iterations))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float | Callable) -> None:
        """Set a float (applied to a running step by ``pending_updates``) or a schedule.

        A new schedule changes the traced computation, so it only takes effect once
        the engine rebuilds ``transform()`` (e.g. on the next ``compile``).
        """
        owner = type(self).__name__
        value = V.check_learning_rate(owner, value)
        if not callable(value) and callable(self._learning_rate):
            raise TypeError(
                f"{owner} was created with a schedule as its `learning_rate`, so the learning "
                "rate cannot be set to a float. Create the optimizer with a float "
                "`learning_rate` if you need to change it during training."
            )
        self._learning_rate = value
        self._lr_dirty = not callable(value)

    @property
    def iterations(self) -> int:
        """Number of optimizer steps taken (as last synced from the state)."""
        return self._iterations

    def scale_loss(self, loss: Any) -> Any:
        """Multiply ``loss`` by ``loss_scale_factor`` if it is set."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def exclude_from_weight_decay(
        self, var_list: Any = None, var_names: list[str] | None = None
    ) -> None:
        """Skip weight decay for parameters whose pytree path matches any of ``var_names``.

        Args:
            var_list: Not supported for pytrees; pass ``var_names`` instead.
            var_names: Substrings (regular expressions) matched against each
                parameter's path, e.g. ``["bias", "scale"]``.
        """
        if var_list:
            raise TypeError(
                "exclude_from_weight_decay: `var_list` is not supported on "
                "parameter pytrees; pass `var_names=['bias', ...]` instead."
            )
        self._wd_exclude = re.compile("|".join(sorted(set(var_names)))) if var_names else None

    # ---------------------------------------------------------------- engine hooks
    def _lr_array(self) -> jax.Array:
        return jnp.asarray(self.learning_rate, dtype=jnp.float32)

    def init_state(self, params: Any) -> OptimizerState:
        """Return ``self.transform().init(params)`` with the current learning rate in it."""
        self._lr_dirty = False
        return self.transform().init(params)

    def sync_from_state(self, opt_state: Any) -> None:
        """Read ``iterations`` (and a non-pending learning rate) back from the state."""
        self._iterations = int(opt_state.iterations)
        if not callable(self._learning_rate) and not self._lr_dirty:
            self._learning_rate = float(opt_state.learning_rate)

    def pending_updates(self, opt_state: Any) -> Any:
        """Write a learning rate set since the last call into ``opt_state``.

        Same structure, dtype and sharding, so a jitted step does not recompile.
        """
        if not self._lr_dirty:
            return opt_state
        self._lr_dirty = False
        new = scalar_like(opt_state.learning_rate, self._learning_rate)
        return opt_state._replace(learning_rate=new)

    def finalize_params(self, params: Any, opt_state: Any) -> Any:
        """With ``use_ema``, return the moving average of the parameters; else ``params``."""
        return opt_state.ema if self.use_ema else params

    # ------------------------------------------------------------------ transform
    def transform(self) -> optax.GradientTransformation:
        """Build the full optax transformation (clip, weight decay, rule, EMA, lr).

        Returns:
            A pure ``optax.GradientTransformation`` whose ``update`` needs ``params``.
        """
        return build_transform(self)

    def _decays(self, path) -> bool:
        return self._wd_exclude is None or not self._wd_exclude.search(jax.tree_util.keystr(path))

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """Return a JSON-friendly dict of constructor arguments (Keras layout)."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = _serialize_schedule(lr)
        elif callable(lr):
            raise ValueError(
                f"{type(self).__name__}: a plain callable `learning_rate` cannot "
                "be serialized; use a schedules.LearningRateSchedule subclass."
            )
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Optimizer:
        """Create an optimizer from ``get_config()`` output."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _deserialize_schedule(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        lr = self._learning_rate
        return f"{type(self).__name__}(name={self.name!r}, learning_rate={lr!r})"

    def _repr_html_(self) -> str:
        from nbkeras.notebook import reprs

        return reprs.optimizer_html(self)
