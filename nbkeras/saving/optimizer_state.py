"""Optimizer state as Keras's flat ``optimizer/vars`` list, and back.

Keras's order: ``iterations``, ``learning_rate`` (absent with a schedule), the EMA and
gradient accumulators, optimizer-wide values, then per trainable variable (Keras's
weight order) each slot (``momentum``, ``velocity``...).  For a raw optax transformation
the state's leaves are stored in pytree order.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from nbkeras import variables as _vars


def _params_and_order(model):
    """The params pytree of ``model`` and its leaf indices in Keras's weight order."""
    _, params, _ = nnx.split(model, _vars.is_trainable, ...)
    paths = [p for p, _ in nnx.to_flat_state(params)]
    index = {p: i for i, p in enumerate(paths)}
    path_of = {id(v): p for p, v in nnx.iter_graph(model) if isinstance(v, nnx.Variable)}
    order: list[int] = []
    seen: set[int] = set()
    for w in model.trainable_weights:
        i = index.get(path_of.get(id(w)))
        if i is not None and i not in seen:
            seen.add(i)
            order.append(i)
    order += [i for i in range(len(paths)) if i not in seen]
    return params, order


def _keras_leaves(state, optimizer, order: list[int]) -> list:
    """Leaves of an optimizer state (any leaf type) in Keras's variable order."""
    from nbkeras.optimizers import OptimizerState

    if not isinstance(state, OptimizerState):
        return jax.tree.leaves(state)
    n = len(order)

    def per_param(tree):
        leaves = jax.tree.leaves(tree)
        return [leaves[i] for i in order] if len(leaves) == n else leaves

    out = [state.iterations]
    if not callable(optimizer._learning_rate):
        out.append(state.learning_rate)
    if state.ema is not None:
        out += per_param(state.ema)
    if state.accumulators is not None:
        out += per_param(state.accumulators)
    slots = state.slots or {}
    if "global" in slots:
        out += jax.tree.leaves(slots["global"])
    names = [s for s in optimizer._slot_names if s in slots]
    names += [s for s in slots if s not in names and s != "global"]
    slot_leaves = {name: jax.tree.leaves(slots[name]) for name in names}
    if all(len(v) == n for v in slot_leaves.values()):
        for i in order:
            out += [slot_leaves[name][i] for name in names]
    else:
        for name in names:
            out += slot_leaves[name]
    return out


def current_state(model):
    """The optimizer state of a compiled model (synced from a running fit), or None."""
    state = getattr(model, "training_state", None)
    return None if state is None else state.optimizer_state


def optimizer_variables(model) -> list[np.ndarray] | None:
    """The optimizer state as a flat list of arrays in Keras's order, or None."""
    state = current_state(model)
    if state is None:
        return None
    _, order = _params_and_order(model)
    from nbkeras.distribution.process import gather_to_host  # several processes: gather

    return [gather_to_host(v) for v in _keras_leaves(state, model.optimizer, order)]


def restore_optimizer_variables(model, values: list, filepath: str) -> bool:
    """Install a flat list from :func:`optimizer_variables` as the model's optimizer state.

    The restored state is picked up by the next ``fit`` (through
    ``model.training_state.optimizer_state``).  On a mismatch it warns and leaves the
    state alone.
    """
    training_state = getattr(model, "training_state", None)
    if training_state is None:
        return False
    optimizer = training_state.optimizer
    params, order = _params_and_order(model)
    template = optimizer.init_state(params)
    flat, treedef = jax.tree.flatten(template)
    positions = jax.tree.unflatten(treedef, list(range(len(flat))))
    keras_positions = _keras_leaves(positions, optimizer, order)
    head = 1 + (not callable(getattr(optimizer, "_learning_rate", None)))
    from nbkeras.optimizers import OptimizerState

    if isinstance(template, OptimizerState) and len(values) == head < len(keras_positions):
        # An optimizer that never stepped (Keras builds its slots lazily): only the step
        # counter and the learning rate were saved; the slots start at their initial values.
        keras_positions = keras_positions[:head]
    problem = None
    if len(keras_positions) != len(values):
        problem = (
            f"the optimizer '{optimizer.name}' has {len(keras_positions)} state variables "
            f"but '{filepath}' stores {len(values)}"
        )
    else:
        for pos, value in zip(keras_positions, values):
            if tuple(np.shape(flat[pos])) != tuple(np.shape(value)):
                problem = (
                    f"optimizer variable {pos} has shape {tuple(np.shape(flat[pos]))} but "
                    f"'{filepath}' stores shape {tuple(np.shape(value))}"
                )
                break
    if problem is not None:
        warnings.warn(
            f"Skipping the optimizer state: {problem}. Training starts with a fresh "
            "optimizer state (was the model compiled with a different optimizer?).",
            stacklevel=3,
        )
        return False
    new = list(flat)
    for pos, value in zip(keras_positions, values):
        new[pos] = jnp.asarray(np.asarray(value), dtype=jnp.asarray(flat[pos]).dtype)
    training_state.optimizer_state = jax.tree.unflatten(treedef, new)
    return True
