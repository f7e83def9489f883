"""Keras's explicit-state optimizer API for custom training loops on JAX:
``build``, ``variables``, ``stateless_apply``, ``apply`` and ``apply_gradients``.

The optimizer state is the optax state of :meth:`Optimizer.transform`; ``variables``
exposes its leaves as :class:`~nbkeras.variable.Variable` objects, in a fixed order, so
they can go into a jitted function and come back from ``stateless_apply``.

Example:
    >>> import jax.numpy as jnp
    >>> from nbkeras import optimizers
    >>> opt = optimizers.SGD(learning_rate=0.1)
    >>> opt.build([jnp.ones(2)])
    >>> new_params, new_vars = opt.stateless_apply(opt.variables, [jnp.ones(2)], [jnp.ones(2)])
    >>> [round(v, 6) for v in new_params[0].tolist()]
    [0.9, 0.9]
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax

from nbkeras.variable import Variable, value_of


class StatelessMixin:
    """Mixed into :class:`~nbkeras.optimizers.Optimizer`."""

    built = False

    def build(self, var_list: Any) -> None:
        """Create the optimizer state for ``var_list`` (the model's trainable variables).

        Raises:
            ValueError: If ``var_list`` is empty.
        """
        values = [value_of(v) for v in var_list]
        if not values:
            raise ValueError(
                f"{type(self).__name__}.build() received no variables. Pass the model's "
                "trainable variables, e.g. optimizer.build(model.trainable_variables), after "
                "the model is built."
            )
        self._stateless_tx = self.transform()
        state = self._stateless_tx.init(values)
        leaves, self._stateless_def = jax.tree.flatten(state)
        self._stateless_vars = [Variable(leaf, name=f"{self.name}_{i}", trainable=False)
                                for i, leaf in enumerate(leaves)]
        self._stateless_n = len(values)
        self.built = True

    def _require_built(self) -> None:
        if getattr(self, "_stateless_vars", None) is None:
            raise ValueError(
                f"{type(self).__name__} is not built: call "
                "optimizer.build(model.trainable_variables) first."
            )

    @property
    def variables(self) -> list[Variable]:
        """The optimizer state as variables (iterations, learning rate, slots...)."""
        self._require_built()
        return list(self._stateless_vars)

    def stateless_apply(self, optimizer_variables: Any, grads: Any, trainable_variables: Any):
        """One update without side effects.

        Args:
            optimizer_variables: ``optimizer.variables`` (or values returned by a previous
                call).
            grads: Gradients, one per trainable variable.
            trainable_variables: Current values of the trainable variables.

        Returns:
            ``(new_trainable_values, new_optimizer_values)``, two lists of arrays.

        Raises:
            ValueError: If the lists do not match what ``build`` was given.
        """
        self._require_built()
        params = [value_of(v) for v in trainable_variables]
        grads = [value_of(g) for g in grads]
        opt_values = [value_of(v) for v in optimizer_variables]
        if len(params) != self._stateless_n or len(grads) != len(params):
            raise ValueError(
                f"{type(self).__name__} was built for {self._stateless_n} variables; received "
                f"{len(params)} variables and {len(grads)} gradients."
            )
        if len(opt_values) != len(self._stateless_vars):
            raise ValueError(
                f"Expected {len(self._stateless_vars)} optimizer variables (optimizer."
                f"variables), received {len(opt_values)}."
            )
        state = jax.tree.unflatten(self._stateless_def, opt_values)
        grads = [jnp.asarray(g, p.dtype) for g, p in zip(grads, params)]
        updates, state = self._stateless_tx.update(grads, state, params)
        new_params = optax.apply_updates(params, updates)
        return list(new_params), jax.tree.leaves(state)

    def apply(self, grads: Any, trainable_variables: Any = None) -> None:
        """Update ``trainable_variables`` in place with ``grads`` (eager)."""
        if trainable_variables is None:
            raise ValueError("apply() needs the variables: optimizer.apply(grads, variables).")
        variables = list(trainable_variables)
        if getattr(self, "_stateless_vars", None) is None:
            self.build(variables)
        new_params, new_state = self.stateless_apply(self._stateless_vars, grads, variables)
        for var, value in zip(variables, new_params):
            var.assign(value)
        for var, value in zip(self._stateless_vars, new_state):
            var._value = value
        state = jax.tree.unflatten(self._stateless_def, new_state)
        steps = getattr(state, "iterations", None)
        self._iterations = int(steps) if steps is not None else self._iterations + 1

    def apply_gradients(self, grads_and_vars: Any) -> None:
        """``apply`` from ``[(grad, variable), ...]`` pairs (the TF-style API)."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])
