"""The pure optax transformation behind every ``Optimizer``, in Keras's order of operations.

Per step: unscale (``loss_scale_factor``), accumulate, clip, weight decay
(``var -= var * wd * lr``), the optimizer's own per-variable rule, EMA, step count.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from . import clipping

if TYPE_CHECKING:
    from .base import Optimizer


class OptimizerState(NamedTuple):
    """Optax state of an nbkeras optimizer.

    Attributes:
        iterations: int32 scalar, the number of ``update`` calls so far.
        learning_rate: float32 scalar. For a float learning rate, the value the next
            step uses (written by ``Optimizer.pending_updates``); for a schedule,
            the value the last step used.
        slots: dict of per-variable accumulators (``{"momentum": tree, ...}``),
            plus ``"global"`` for optimizer-wide values (Nadam).
        ema: moving average of the parameters when ``use_ema=True``, else None.
        accumulators: summed gradients when ``gradient_accumulation_steps`` is set.
        lr_scale: float32 scalar multiplying a schedule's value (1.0 unless set through
            ``TrainingState.set_learning_rate``); not part of Keras's saved state.
    """

    iterations: jax.Array
    learning_rate: jax.Array
    slots: Any
    ema: Any
    accumulators: Any
    lr_scale: Any = None


def scalar_like(old: Any, value: float) -> Any:
    """``value`` as an array that a jitted step takes as it took ``old``: same dtype,
    sharding and commitment (no recompile, no eager dispatch).

    A committed array where the step was traced with an uncommitted one (or the
    reverse) is a new signature for jit: it lowers and compiles the step again.

    Example:
        >>> import jax, numpy as np
        >>> new = scalar_like(jax.device_put(np.float32(0.1)), 0.01)
        >>> new.dtype, new.committed
        (dtype('float32'), False)
    """
    new = np.asarray(value, dtype=getattr(old, "dtype", np.float32))
    if isinstance(old, jax.Array) and old.committed:
        return jax.device_put(new, old.sharding)
    return jax.device_put(new)


def build_transform(opt: Optimizer) -> optax.GradientTransformation:
    """Return the optax transformation for ``opt``'s current configuration.

    The configuration is snapshotted, so later attribute changes on ``opt`` (other
    than the learning rate, which lives in the state) never leak into a traced step.
    """
    opt = copy.copy(opt)
    schedule = opt._learning_rate if callable(opt._learning_rate) else None
    slot_names = tuple(opt._slot_names)
    acc_steps = opt.gradient_accumulation_steps

    def init_fn(params):
        slots = {n: jax.tree.map(lambda p, n=n: opt._slot_init(n, p), params) for n in slot_names}
        glob = opt._init_global()
        if glob is not None:
            slots["global"] = glob
        return OptimizerState(
            iterations=jnp.zeros([], jnp.int32),
            learning_rate=opt._lr_array(),
            slots=slots,
            ema=jax.tree.map(jnp.zeros_like, params) if opt.use_ema else None,
            accumulators=jax.tree.map(jnp.zeros_like, params) if acc_steps else None,
            lr_scale=jnp.ones([], jnp.float32),
        )

    def update_fn(grads, state, params=None):
        if params is None:
            raise ValueError(
                f"{type(opt).__name__}.transform().update needs `params` "
                "(call `tx.update(grads, state, params)`)."
            )
        it = state.iterations
        if schedule is not None:
            lr = jnp.asarray(schedule(it), jnp.float32)
            if state.lr_scale is not None:
                lr = lr * state.lr_scale
        else:
            lr = state.learning_rate
        if opt.loss_scale_factor is not None:
            grads = jax.tree.map(lambda g: g / opt.loss_scale_factor, grads)
        accumulators = state.accumulators
        if acc_steps:
            is_update = (it + 1) % acc_steps == 0
            summed = jax.tree.map(lambda g, a: g + a, grads, accumulators)
            grads = jax.tree.map(lambda s: s / acc_steps, summed)
            accumulators = jax.tree.map(
                lambda s: jnp.where(is_update, jnp.zeros_like(s), s), summed
            )
            step = it // acc_steps
        else:
            step = it
        grads = clipping.clip(grads, opt.clipnorm, opt.clipvalue, opt.global_clipnorm)
        updates, slots = _apply_rule(opt, grads, state.slots, params, lr, step)
        if acc_steps:
            keep = lambda new, old: jnp.where(is_update, new, old)  # noqa: E731
            updates = jax.tree.map(lambda u: keep(u, jnp.zeros_like(u)), updates)
            slots = jax.tree.map(keep, slots, state.slots)
        ema = state.ema
        if opt.use_ema:
            mom = (step != 0).astype(jnp.float32) * opt.ema_momentum
            new_params = jax.tree.map(lambda p, u: p + u, params, updates)
            ema = jax.tree.map(
                lambda a, p: (mom * a + (1 - mom) * p).astype(a.dtype), ema, new_params
            )
            if opt.ema_overwrite_frequency:
                over = (step + 1) % opt.ema_overwrite_frequency == 0
                updates = jax.tree.map(
                    lambda u, a, p: jnp.where(over, a - p, u), updates, ema, params
                )
        new_lr = lr if schedule is not None else state.learning_rate
        new_state = OptimizerState(
            it + 1, new_lr.astype(jnp.float32), slots, ema, accumulators, state.lr_scale
        )
        return updates, new_state

    return optax.GradientTransformation(init_fn, update_fn)


def _apply_rule(
    opt: Optimizer, grads: Any, slots: dict, params: Any, lr: jax.Array, step: jax.Array
) -> tuple[Any, dict]:
    leaves, treedef = jax.tree_util.tree_flatten_with_path(params)
    g_leaves = treedef.flatten_up_to(grads)
    slot_leaves = {n: treedef.flatten_up_to(slots[n]) for n in opt._slot_names}
    glob = opt._update_global(slots.get("global"), step)
    out_updates = []
    new_slots = {n: [] for n in opt._slot_names}
    for i, (path, p) in enumerate(leaves):
        g = jnp.asarray(g_leaves[i]).astype(p.dtype)
        lr_p = lr.astype(p.dtype)
        decay = None
        if opt.weight_decay is not None and opt._decays(path):
            decay = -(p * jnp.asarray(opt.weight_decay, p.dtype) * lr_p)
            p = p + decay
        delta, s = opt._update_leaf(
            g, p, lr_p, step, {n: slot_leaves[n][i] for n in opt._slot_names}, glob
        )
        out_updates.append(delta if decay is None else decay + delta)
        for n in opt._slot_names:
            new_slots[n].append(s[n])
    result = {n: treedef.unflatten(v) for n, v in new_slots.items()}
    if glob is not None:
        result["global"] = glob
    return treedef.unflatten(out_updates), result
