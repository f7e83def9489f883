"""Pure train/eval/predict steps over a state pytree, each jitted once.

``state = {"params", "rest", "opt", "metrics"}``: trainable variables, every other nnx
variable (batch-norm statistics, dropout PRNG state), the optax state and the metric
accumulators.  A step merges the model from a static ``graphdef`` inside the trace, so
the live ``Model`` object is never touched by compiled code.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from nbkeras.layers import base as _base
from nbkeras.train.objectives import flatten_outputs


def _gather(data, idx):
    # Indices are rows of the epoch's own index array, always in bounds: "clip" costs a
    # clamp of the indices, where the default "fill" selects over the gathered batch.
    return jax.tree.map(lambda a: jnp.take(a, idx, axis=0, mode="clip"), data)


def _regularization(params):
    total = jnp.zeros((), jnp.float32)
    for var in jax.tree.leaves(params, is_leaf=lambda v: isinstance(v, nnx.Variable)):
        reg = var.get_metadata().get("regularizer") if isinstance(var, nnx.Variable) else None
        if reg is not None:
            total = total + reg(var.get_value())
    return total


def _apply_constraints(params):
    def project(var):
        if isinstance(var, nnx.Variable):
            c = var.get_metadata().get("constraint")
            if c is not None:
                return var.replace(c(var.get_value()))
        return var

    return jax.tree.map(project, params, is_leaf=lambda v: isinstance(v, nnx.Variable))


class Steps:
    """Builds and jits the pure step functions of one compiled model.

    Args:
        graphdef: ``nnx`` graph definition of the model.
        objectives: The compiled :class:`~nbkeras.train.objectives.Objectives`.
        tx: The optax transformation.
        trainable: nnx filter selecting trainable variables.

    Attributes:
        trace_counts: How many times each step was traced (compiled).
    """

    def __init__(self, graphdef, objectives, tx, trainable):
        self.graphdef = graphdef
        self.obj = objectives
        self.tx = tx
        self.trainable = trainable
        self.trace_counts = {"train": 0, "eval": 0}
        # A nbkeras.distribution Placement (or None): consulted at trace time to split
        # batches on the batch axis and pin the returned state to its shardings.
        self.placement = None
        self.train_batch = jax.jit(self._train_step, donate_argnums=0)
        self.eval_batch = jax.jit(self._eval_batch, donate_argnums=0)
        self.results = jax.jit(self.obj.results)
        self._epoch_fns: dict = {}
        self._epoch_by_canon: dict = {}
        self._metrics0 = None
        self._init_fns: dict = {}

    def initial_metrics(self):
        """The zeroed metric state, on the host: built once (one small compile)."""
        if self._metrics0 is None:
            self._metrics0 = jax.device_get(jax.jit(self.obj.init_state)())
        return self._metrics0

    def init_optimizer(self, optimizer, params):
        """``optimizer.init_state(params)`` as one jitted program per parameter layout
        (instead of an eagerly dispatched, per-shape compiled ``zeros_like`` per
        variable), with ``optimizer``'s own learning rate."""
        from nbkeras.optimizers import Optimizer, OptimizerState
        from nbkeras.optimizers._transform import scalar_like
        from nbkeras.optimizers.optax_wrapper import OptaxOptimizer

        if (not isinstance(optimizer, Optimizer) or isinstance(optimizer, OptaxOptimizer)
                or callable(optimizer._learning_rate)):  # a schedule runs on the host
            return optimizer.init_state(params)
        leaves, treedef = jax.tree.flatten(params)
        sig = tuple((tuple(a.shape), str(a.dtype)) for a in leaves)
        fn = self._init_fns.get(sig)
        if fn is None:
            def init(leaves, treedef=treedef):
                return jax.tree.leaves(self.tx.init(jax.tree.unflatten(treedef, leaves)))

            fn = self._init_fns[sig] = jax.jit(init)
        out = jax.tree.structure(jax.eval_shape(optimizer.transform().init, params))
        opt = jax.tree.unflatten(out, fn(leaves))
        optimizer._lr_dirty = False
        if isinstance(opt, OptimizerState):  # this optimizer's rate, not the tracer's
            opt = opt._replace(learning_rate=scalar_like(opt.learning_rate,
                                                         float(optimizer._lr_array())))
        return opt

    def epoch_fn(self, treedef, k: int, canon=None):
        """Jitted ``(leaves, i, data, idx, mask) -> (leaves, i + k)``: ``k`` fused steps.

        The state travels as a flat list of arrays and the epoch's index/mask arrays and
        the step counter ``i`` stay on the device, so a dispatch copies nothing from the
        host and takes jit's C++ fast path (no Python pytree flattening).  ``idx`` and
        ``mask`` need ``k - 1`` all-padding rows at the end (no-op steps).

        ``canon`` (steps shared across models, :mod:`.step_cache`): a function giving
        the treedef's structural key; a treedef that differs from a known one only in
        variable names and orders gets that one's jitted function (same leaves, same
        order), so it is not traced again.
        """
        fn = self._epoch_fns.get((treedef, k))
        if fn is None:
            ckey = None if canon is None else (canon(), k)
            fn = self._epoch_by_canon.get(ckey) if ckey is not None else None
            if fn is None:
                fn = jax.jit(functools.partial(self._flat_steps, treedef, k),
                             donate_argnums=(0, 1))
                if ckey is not None:
                    self._epoch_by_canon[ckey] = fn
            self._epoch_fns[(treedef, k)] = fn
        return fn

    def _flat_steps(self, treedef, k, leaves, i, data, idx, mask):
        state = jax.tree.unflatten(treedef, leaves)
        if k == 1:
            state = self._train_step(state, _gather(data, idx[i]), mask[i])
        else:
            state = self._train_multi(state, data, idx, mask, i, k)
        return jax.tree.leaves(state), i + k

    # ---------------------------------------------------------------- forward + loss
    def _forward(self, params, rest, x, mask, training):
        # Fresh Variable objects at this trace level, so layers may update them.
        rest = jax.tree.map(lambda a: a, rest)
        model = nnx.merge(self.graphdef, params, rest)
        with _base.collect_losses() as extra, _base.sample_mask_scope(mask):
            y_pred = model(x, training=training)
        _, _, new_rest = nnx.split(model, self.trainable, ...)
        return y_pred, new_rest, extra

    def _loss(self, params, rest, batch, mask, training):
        x, y, sw = batch
        y_pred, new_rest, extra = self._forward(params, rest, x, mask, training)
        names = self.obj.output_names
        y_pred_list = flatten_outputs(y_pred, names, "The model output")
        y_list = [None] * len(names) if y is None else flatten_outputs(y, names, "y")
        total, parts = self.obj.total_loss(y_list, y_pred_list, sw, mask)
        total = total + _regularization(params) + sum(extra, jnp.zeros(()))
        return total, (parts, y_list, y_pred_list, new_rest)

    def _place_batch(self, batch, mask):
        if self.placement is None:
            return batch, mask
        return self.placement.constrain_batch(batch, mask)

    def _place_state(self, tree):
        return tree if self.placement is None else self.placement.constrain(tree)

    def _train_step(self, state, batch, mask):
        self.trace_counts["train"] += 1  # runs at trace time only
        batch, mask = self._place_batch(batch, mask)
        (total, aux), grads = jax.value_and_grad(self._loss, has_aux=True)(
            state["params"], state["rest"], batch, mask, True
        )
        parts, y_list, y_pred_list, new_rest = aux
        updates, opt = self.tx.update(grads, state["opt"], state["params"])
        params = optax.apply_updates(state["params"], updates)
        params = _apply_constraints(params)
        metrics = self.obj.update_state(
            state["metrics"], total, parts, y_list, y_pred_list, batch[2], mask
        )
        new = {"params": params, "rest": new_rest, "opt": opt, "metrics": metrics}
        return self._place_state(new)

    # ---------------------------------------------------------------- entry points
    def _train_multi(self, state, data, idx, mask, start, k):
        """Steps ``start, start + 1, ...`` in one loop: ``k`` of them, fewer at the end of
        the epoch (rows of ``idx`` past it are all padding and do not run).

        A loop with a run-time trip count rather than a ``k``-step ``lax.scan`` whose
        padding steps are undone with a select: the select kept XLA from updating the
        state in place (a copy of every weight and optimizer slot per step).
        """
        rows = jax.lax.dynamic_slice_in_dim(mask, start, k)
        count = jnp.sum(jnp.any(rows > 0, axis=1), dtype=jnp.int32)  # padding rows: last

        def body(j, carry):
            return self._train_step(carry, _gather(data, idx[start + j]), mask[start + j])

        return jax.lax.fori_loop(0, count, body, state)

    def _eval_batch(self, metrics, params, rest, batch, mask):
        self.trace_counts["eval"] += 1
        batch, mask = self._place_batch(batch, mask)
        total, aux = self._loss(params, rest, batch, mask, False)
        parts, y_list, y_pred_list, _ = aux
        metrics = self.obj.update_state(metrics, total, parts, y_list, y_pred_list, batch[2], mask)
        return self._place_state(metrics)
