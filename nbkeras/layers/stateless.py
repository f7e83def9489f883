"""``Layer.stateless_call`` and the variable lists of Keras's JAX custom-loop recipes.

``stateless_call(trainable_variables, non_trainable_variables, *args)`` runs a copy of
the layer with the given variable values and returns ``(outputs,
new_non_trainable_values)``; the live layer is never changed, so it can be used inside
``jax.jit`` / ``jax.grad``.
"""

from __future__ import annotations

from typing import Any

from flax import nnx

from nbkeras import variables as _vars
from nbkeras.variable import value_of


def seed_states(layer: nnx.Module) -> list[nnx.Variable]:
    """The random-state variables (dropout seeds) under ``layer``, in graph order."""
    out, seen = [], set()
    for _, node in nnx.iter_graph(layer):
        if isinstance(node, _vars.SeedState) and id(node) not in seen:
            seen.add(id(node))
            out.append(node)
    return out


def non_trainable_variables(layer) -> list[nnx.Variable]:
    """Non-trainable weights, then random-state variables (Keras's order)."""
    return list(layer.non_trainable_weights) + seed_states(layer)


def stateless_call(layer, trainable_variables: Any, non_trainable_variables_: Any, *args: Any,
                   return_losses: bool = False, **kwargs: Any):
    """Call ``layer`` with explicit variable values.

    Args:
        trainable_variables: Values (or variables) in ``layer.trainable_variables`` order.
        non_trainable_variables_: Values in ``layer.non_trainable_variables`` order.
        *args, **kwargs: The call's inputs and options (``training=True``...).
        return_losses: Also return the losses added with ``add_loss`` during the call.

    Returns:
        ``(outputs, non_trainable_values)``, or ``(outputs, non_trainable_values,
        losses)`` with ``return_losses``.

    Raises:
        ValueError: If the number of values differs from the layer's variables.
    """
    trainable = [value_of(v) for v in trainable_variables]
    non_trainable = [value_of(v) for v in non_trainable_variables_]
    own_t, own_n = layer.trainable_variables, non_trainable_variables(layer)
    for what, given, own in (("trainable", trainable, own_t),
                             ("non-trainable", non_trainable, own_n)):
        if len(given) != len(own):
            raise ValueError(
                f"Layer '{layer.name}' has {len(own)} {what} variables, but "
                f"stateless_call received {len(given)}. Pass "
                f"layer.{what.replace('-', '_')}_variables (same order)."
            )
    # Put the values into the split state (not into the live variables), then merge a
    # copy from it: this works under jax.jit/grad, where values are tracers.
    graphdef, state = nnx.split(layer)
    paths = {id(v): p for p, v in nnx.iter_graph(layer) if isinstance(v, nnx.Variable)}
    given = {paths[id(v)]: value for v, value in zip(own_t + own_n, trainable + non_trainable)}
    flat = [(p, v.replace(given[p]) if p in given else v) for p, v in nnx.to_flat_state(state)]
    copy = nnx.merge(graphdef, nnx.from_flat_state(flat))
    copy_n = non_trainable_variables(copy)
    if return_losses and not isinstance(getattr(type(copy), "losses", None), property):
        raise ValueError(
            "stateless_call(return_losses=True) needs Layer.losses, which this nbkeras "
            "build does not have yet; call without return_losses."
        )
    outputs = copy(*args, **kwargs)
    new_non_trainable = [var.get_value() for var in copy_n]
    if return_losses:
        return outputs, new_non_trainable, list(copy.losses)
    return outputs, new_non_trainable
