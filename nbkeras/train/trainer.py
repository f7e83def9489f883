"""``Trainer``: owns the device state of a compiled model between steps.

It splits the live model once (``nnx.split``), keeps ``{"params", "rest", "opt",
"metrics"}`` on the device while steps run, and writes variables back into the model
(``nnx.update``) when someone needs them: epoch end, batch callbacks, the end of fit,
or an interrupt.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from nbkeras import variables as _vars
from nbkeras.train.execution import ExecutionPlan
from nbkeras.train.objectives import Objectives, flatten_outputs
from nbkeras.train.step import Steps


class Trainer:
    """Device-side training state and compiled steps of one ``compile()`` call."""

    def __init__(self, model, optimizer, objectives: Objectives):
        self.model = model
        self.optimizer = optimizer
        self.obj = objectives
        self.steps: Steps | None = None
        self._state = None
        self._flat = None  # (leaves, treedef) while an epoch runs on flat leaves
        self._plan = None
        self._live = False  # True while self.state is newer than the model's variables
        self.eval_metrics = None

    # ---------------------------------------------------------------- state
    @property
    def state(self):
        """The ``{"params", "rest", "opt", "metrics"}`` dict (rebuilt from flat leaves)."""
        if self._flat is not None:
            leaves, treedef = self._flat
            self._state = jax.tree.unflatten(treedef, leaves)
            self._flat = None
        return self._state

    @state.setter
    def state(self, value) -> None:
        self._state = value
        self._flat = None

    def flat(self):
        """``(leaves, treedef)`` of the state: the cheap form to pass to a jitted step.

        ``nnx.State`` and ``nnx.Variable`` flatten in Python; a list of arrays takes
        jit's C++ dispatch path, which matters when a step takes ~100 us.
        """
        if self._flat is None:
            self._flat = jax.tree.flatten(self._state)
            self._state = None
        return self._flat

    def set_leaves(self, leaves) -> None:
        """Store the leaves a flat step returned (same treedef)."""
        self._flat = (leaves, self._flat[1])
        self._state = None

    # ---------------------------------------------------------------- setup
    def ensure_built(self, x_example, y_example) -> None:
        """Build the model and resolve metrics from one (host) batch."""
        model = self.model
        if not model.built or not _all_built(model):
            model(_first_rows(x_example))
        if not self.obj.built:
            y_pred = jax.eval_shape(lambda x: model(x), _spec_of(x_example))
            names = self.obj.output_names
            y_pred_list = flatten_outputs(y_pred, names, "The model output")
            y_list = (
                [None] * len(names) if y_example is None else flatten_outputs(y_example, names, "y")
            )
            self.obj.build(y_list, y_pred_list)
        if self.steps is None:
            graphdef, _, _ = nnx.split(model, _vars.is_trainable, ...)
            self.steps = Steps(graphdef, self.obj, self.optimizer.transform(), _vars.is_trainable)

    def execution_plan(self, requested) -> ExecutionPlan:
        """The steps-per-execution plan; an ``"auto"`` decision is kept for later fits."""
        plan = getattr(self, "_plan", None)
        if plan is None or plan.requested != requested:
            plan = self._plan = ExecutionPlan(requested)
        return plan

    def start(self) -> None:
        """Take the model's variables into a fresh device state (copied, then donated)."""
        if self._live:
            return
        _, params, rest = nnx.split(self.model, _vars.is_trainable, ...)
        # Copies (the step donates them) made by the runtime: no per-shape compile.
        params = jax.device_put(params, may_alias=False)
        rest = jax.device_put(rest, may_alias=False)
        if self.state is None or self.state.get("opt") is None:
            opt = self.optimizer.init_state(params)
        else:
            opt = self.state["opt"]
        self.state = {"params": params, "rest": rest, "opt": opt, "metrics": self._fresh_metrics()}
        self._live = True

    def reset_metrics(self) -> None:
        self.state["metrics"] = self._fresh_metrics()

    def _fresh_metrics(self):
        """Zeroed metric state: built once (one small compile), then copied to device."""
        if getattr(self, "_metrics0", None) is None:
            self._metrics0 = jax.device_get(jax.jit(self.obj.init_state)())
        return jax.device_put(self._metrics0)

    def apply_pending(self) -> None:
        """Write a changed learning rate into the optimizer state (no recompile)."""
        if getattr(self.optimizer, "_lr_dirty", True):
            self.state["opt"] = self.optimizer.pending_updates(self.state["opt"])

    # ---------------------------------------------------------------- sync
    def sync(self) -> None:
        """Write the current variables into the live model (cheap: no copy)."""
        if self._live and self.state is not None:
            nnx.update(self.model, self.state["params"], self.state["rest"])
            self.optimizer.sync_from_state(self.state["opt"])

    def finish(self) -> None:
        """Sync and hand the variables back to the model for good."""
        self.sync()
        if self._live and self.state is not None:
            # The model now owns these buffers; later steps start from a copy.
            self._live = False

    # ---------------------------------------------------------------- logs
    def train_logs(self) -> dict:
        return self.steps.results(self.state["metrics"])

    def eval_logs(self, metrics) -> dict:
        return self.steps.results(metrics)

    def params_and_rest(self):
        if self._live:
            return self.state["params"], self.state["rest"]
        _, params, rest = nnx.split(self.model, _vars.is_trainable, ...)
        return params, rest


def _all_built(model) -> bool:
    from nbkeras.layers.base import Layer

    for _, node in nnx.iter_graph(model):
        if isinstance(node, Layer) and not node.built:
            return False
    return True


def _first_rows(x):
    return jax.tree.map(lambda a: np.asarray(a[:1]) if not isinstance(a, jax.Array) else a[:1], x)


def _spec_of(x):
    return jax.tree.map(lambda a: jax.ShapeDtypeStruct(tuple(a.shape), _float32(a.dtype)), x)


def _float32(dtype):
    return jnp.float32 if jnp.issubdtype(dtype, jnp.floating) else dtype


def to_python_logs(logs: dict) -> dict:
    """Device scalars to Python floats (one host sync for the whole dict)."""
    host = jax.device_get(logs)
    return {k: float(v) if np.ndim(v) == 0 else np.asarray(v) for k, v in host.items()}
