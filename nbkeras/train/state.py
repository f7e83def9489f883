"""``TrainingState``: the training state of a compiled model, and its public API.

``model.compile`` creates one (``model.training_state``).  While a fit runs, the
variables live on the device as ``{"params", "rest", "opt", "metrics"}`` (split from the
model once with ``nnx.split``) and are written back (``nnx.update``) at epoch ends, when
a callback needs them, at the end of ``fit`` and on an interrupt.

Code outside :mod:`nbkeras.train` (saving, callbacks, notebook views, widgets) uses
only the public members below; everything with a leading underscore is the engine's.

Example:
    >>> model.compile(optimizer="adam", loss="mse")  # doctest: +SKIP
    >>> ts = model.training_state                    # doctest: +SKIP
    >>> ts.set_learning_rate(1e-4)                   # doctest: +SKIP
    >>> ts.trace_counts                              # doctest: +SKIP
    {'train': 0, 'eval': 0, 'predict': 0}
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from nbkeras import variables as _vars
from nbkeras.train import compile_stats, step_cache
from nbkeras.train.compiled_metrics import CompiledMetrics
from nbkeras.train.control import FitControl
from nbkeras.train.execution import ExecutionPlan
from nbkeras.train.objectives import Objectives, flatten_outputs
from nbkeras.train.step import Steps


class TrainingState:
    """Device-side training state and compiled steps of one ``compile()`` call.

    Args:
        model: The compiled model.
        optimizer: Its :class:`~nbkeras.optimizers.Optimizer`.
        objectives: The compiled losses and metrics.
        steps_per_execution: A positive int, or ``"auto"``.
        compile_args: The arguments ``compile`` received (for ``compile_config``).

    Attributes:
        model: The model.
        optimizer: The optimizer.
        compile_args: The ``compile`` arguments, as given.
        steps_per_execution: As given to ``compile``.
    """

    def __init__(
        self,
        model,
        optimizer,
        objectives: Objectives,
        steps_per_execution: int | str = 1,
        compile_args: dict | None = None,
    ):
        self.model = model
        self.optimizer = optimizer
        self.compile_args = dict(compile_args or {})
        self.steps_per_execution = steps_per_execution
        #: Keras's ``run_eagerly``: fit/evaluate/predict run op by op, without jit.
        self.run_eagerly = False
        self._obj = objectives
        self._steps: Steps | None = None
        self._state = None
        self._flat = None  # (leaves, treedef) while an epoch runs on flat leaves
        self._plan: ExecutionPlan | None = None
        self._live = False  # True while fit owns the variables (device state)
        self._synced = True  # False once a step ran after the last sync_to_model()
        self._running = False  # True inside fit
        self._metrics0 = None
        self._control = FitControl()
        self._shuffle_seed: int | None = None
        self._initial_epoch = 0
        self._lr_changed = False  # the control changed the lr during this fit
        self._placement = None  # nbkeras.distribution Placement of the current call
        self._compiled: set = set()  # step functions already called once
        self._steps_key = None  # the step_cache key when the steps may be shared
        self._reused = False  # True when the steps came from an earlier model
        self._trace_base: dict = {}  # shared steps' trace counts when this model took them
        self._names = None  # layer names -> position (step_cache keys)
        self._compile_report: dict = {}
        args = self.compile_args
        self._compiled_metrics = CompiledMetrics(
            objectives,
            args.get("metrics") is not None or args.get("weighted_metrics") is not None,
        )

    # ================================================================ public API
    @property
    def is_live(self) -> bool:
        """True while the device state is newer than the model's variables (in ``fit``)."""
        return self._live

    @property
    def control(self) -> FitControl:
        """The :class:`FitControl` of the current (or last) fit."""
        return self._control

    def request_stop(self) -> None:
        """Stop a running fit after the current dispatch (same as ``control.request_stop``)."""
        self._control.request_stop()

    @property
    def trace_counts(self) -> dict[str, int]:
        """How many times the train, eval and predict steps were traced (compiled)."""
        from nbkeras.train import predict as _predict

        counts = dict(self._steps.trace_counts) if self._steps is not None else {}
        # Steps shared with an earlier model (step_cache): only this model's traces.
        counts = {k: counts.get(k, 0) - self._trace_base.get(k, 0) for k in ("train", "eval")}
        counts["predict"] = _predict.trace_count(self.model)
        return counts

    @property
    def placement(self):
        """The :class:`~nbkeras.distribution.placement.Placement` of the current (or last)
        fit/evaluate/predict: the mesh and shardings in use; None on one device.

        ``placement.describe(batch_size)`` gives ``{"devices", "axes", "processes",
        "per_device_batch", ...}`` for progress views.
        """
        return self._placement

    @property
    def metrics_names(self) -> list[str]:
        """Names of the logs (``loss``, per-output losses, metrics); [] before the first batch."""
        return self._obj.log_names() if self._obj.built else []

    @property
    def metrics(self) -> list:
        """Keras's compiled metric objects: the ``"loss"`` tracker, ``"compile_metrics"``
        (when ``compile`` got metrics) and per-output loss trackers.  They hold the values
        of the last epoch or evaluation (``metric.result()``)."""
        return self._compiled_metrics.metrics

    @property
    def execution_report(self) -> dict:
        """The steps-per-execution decision: ``{"k": ..., "decided": ...}`` plus timings."""
        plan = self._plan
        if plan is None:
            return {"k": None, "decided": False}
        return {"k": plan.k, "decided": plan.decided, **plan.report}

    @property
    def compile_report(self) -> dict:
        """How each step got its executable, per kind (``"train"``, ``"eval"``).

        ``{"train": {"seconds": 1.9, "compiles": 1, "from_cache": False}}``: the first
        call's wall time, the XLA compiles it ran, and whether the executable came from
        the persistent compilation cache (``nbkeras.config``) instead, as when a cell
        building the same architecture is run again.  ``"in_memory": True`` says the
        step was not even traced: an earlier model of the same structure in this process
        left it (:mod:`nbkeras.train.step_cache`).  A kind is absent until its step
        first runs.
        """
        return {k: dict(v) for k, v in self._compile_report.items()}

    def _watch_first(self, kind: str, key, fn, *args):
        """``fn(*args)``, recording what its first call (per ``key``) compiled."""
        if key in self._compiled:
            return fn(*args)
        with compile_stats.Watch() as w:
            out = fn(*args)
        self._compiled.add(key)
        if w.result is not None:
            self._compile_report[kind] = w.result
        elif self._reused and kind not in self._compile_report:
            # An executable jit already held for an earlier model of the same structure.
            self._compile_report[kind] = {"seconds": w.seconds, "compiles": 0,
                                          "from_cache": True, "in_memory": True}
        return out

    @property
    def shuffle_seed(self) -> int | None:
        """Seed of the current fit's per-epoch shuffles (None before the first fit)."""
        return self._shuffle_seed

    def resume(self, epoch: int, seed: int | None = None) -> None:
        """Make the running fit continue at ``epoch`` with the shuffle seed ``seed``.

        Called from ``on_train_begin`` (``BackupAndRestore``): epoch ``e`` is then
        shuffled exactly as in the interrupted run.

        Args:
            epoch: The first epoch to run (0-based).
            seed: The interrupted run's ``shuffle_seed``; None keeps the current one.
        """
        if not isinstance(epoch, (int, np.integer)) or epoch < 0:
            raise ValueError(f"resume() expects a non-negative epoch, received {epoch!r}.")
        self._initial_epoch = int(epoch)
        if seed is not None:
            self._shuffle_seed = int(seed)

    def sync_to_model(self) -> None:
        """Write the latest variables and optimizer counters into the model.

        A no-op when no fit is running: the model already holds the latest values.
        """
        if not self._live or self._synced:
            return
        state = self._get_state()
        # Copies: the next step donates the state's buffers, and the model must stay
        # readable (also through references a callback captured) after that.
        # Each copy keeps its array's sharding (a bare device_put would target one
        # device, which fails for arrays spread over several processes).
        params, rest = jax.tree.map(copy_array, (state["params"], state["rest"]))
        nnx.update(self.model, params, rest)
        self.optimizer.sync_from_state(state["opt"])
        self._synced = True

    def reload_from_model(self) -> None:
        """Take the model's variables into a running fit (after ``load_weights``).

        A no-op when no fit is running (the next fit starts from the model anyway).
        """
        state = self._get_state()
        if not self._live or state is None:
            return
        _, params, rest = nnx.split(self.model, _vars.is_trainable, ...)
        state["params"] = jax.tree.map(jnp.copy, params)
        state["rest"] = jax.tree.map(jnp.copy, rest)

    @property
    def optimizer_state(self) -> Any:
        """The optax state of the optimizer (None before the first step or restore)."""
        state = self._get_state()
        if state is None or state.get("opt") is None:
            return None
        self.sync_to_model()
        return state["opt"]

    @optimizer_state.setter
    def optimizer_state(self, value: Any) -> None:
        state = self._get_state()
        if state is None:
            self._set_state({"opt": value})
        else:
            state["opt"] = value
        self.optimizer.sync_from_state(value)

    @property
    def learning_rate(self) -> float | None:
        """The current learning rate (None if the optimizer cannot report one)."""
        try:
            lr = float(self.optimizer.learning_rate)
        except (AttributeError, TypeError):
            return None
        return lr * self._lr_scale() if self._has_schedule() else lr

    def set_learning_rate(self, value: float) -> None:
        """Use ``value`` as the learning rate from now on, without recompiling.

        During a fit the change goes through :attr:`control` and is applied at the
        next dispatch boundary.  With a schedule, a multiplier is set so the current
        rate equals ``value``.

        Raises:
            TypeError, ValueError: If ``value`` is not a finite non-negative float.
        """
        if self._running:
            self._control.set_learning_rate(value)
            return
        FitControl().set_learning_rate(value)  # validates
        self._apply_learning_rate(float(value))

    # ================================================================ engine (train/ only)
    def _get_state(self):
        """The ``{"params", "rest", "opt", "metrics"}`` dict (rebuilt from flat leaves)."""
        if self._flat is not None:
            leaves, treedef = self._flat
            self._state = jax.tree.unflatten(treedef, leaves)
            self._flat = None
        return self._state

    def _set_state(self, value) -> None:
        self._state = value
        self._flat = None

    def _has_schedule(self) -> bool:
        return callable(getattr(self.optimizer, "_learning_rate", None))

    def _lr_scale(self) -> float:
        state = self._get_state()
        opt = None if state is None else state.get("opt")
        scale = getattr(opt, "lr_scale", None)
        return 1.0 if scale is None else float(scale)

    def _apply_learning_rate(self, value: float) -> None:
        """Set the learning rate now (loop thread, or no fit running)."""
        from nbkeras.optimizers import OptimizerState
        from nbkeras.optimizers._transform import scalar_like

        if not self._has_schedule():
            self.optimizer.learning_rate = value  # written into the state by _apply_pending
            if self._get_state() is not None and self._state.get("opt") is not None:
                self._apply_pending()
        else:
            state = self._get_state()
            opt = None if state is None else state.get("opt")
            if not isinstance(opt, OptimizerState):
                if opt is None:
                    opt = self.optimizer.init_state(self._params_and_rest()[0])
                    self.optimizer_state = opt
                else:
                    raise TypeError(
                        f"Cannot set the learning rate of {type(self.optimizer).__name__} "
                        "with a schedule: its state has no learning-rate multiplier."
                    )
            base = float(self.optimizer._learning_rate(int(opt.iterations)))
            if base == 0.0 or not math.isfinite(base):
                raise ValueError(
                    f"Cannot set the learning rate to {value}: the schedule's current value "
                    f"is {base}, so no multiplier reaches {value}. Compile with a float "
                    "learning_rate to set it freely."
                )
            new = scalar_like(opt.lr_scale, np.float32(value / base))
            self._get_state()["opt"] = opt._replace(lr_scale=new)
        self._control._report_learning_rate(value)

    def _ensure_built(self, x_example, y_example) -> None:
        """Build the model and resolve metrics from one (host) batch."""
        model = self.model
        if not model.built or not _all_built(model):
            model(_first_rows(x_example))
        if not self._obj.built:
            # A copy merged inside the trace: layers that draw randomness or update
            # statistics in call (a SeedGenerator) must not touch the live variables.
            graphdef, variables = nnx.split(model)
            if self.run_eagerly:  # call() may use Python control flow on values
                y_pred = jax.tree.map(
                    lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype),
                    nnx.merge(graphdef, variables)(_first_rows(x_example)))
            else:
                y_pred = jax.eval_shape(
                    lambda v, x: nnx.merge(graphdef, v)(x), variables, _spec_of(x_example))
            names = self._obj.output_names
            y_pred_list = flatten_outputs(y_pred, names, "The model output")
            y_list = (
                [None] * len(names) if y_example is None else flatten_outputs(y_example, names, "y")
            )
            self._obj.build(y_list, y_pred_list)
        if self._steps is None:
            graphdef, _, _ = nnx.split(model, _vars.is_trainable, ...)
            key = None
            if self._placement is None:
                key = step_cache.steps_key(model, graphdef, self._obj, self.optimizer,
                                           _vars.is_trainable, y_example)
            steps = step_cache.lookup(key)
            self._reused = steps is not None
            if steps is None:
                steps = Steps(graphdef, self._obj, self.optimizer.transform(),
                              _vars.is_trainable)
                step_cache.store(key, steps)
            self._steps, self._steps_key = steps, key
            self._trace_base = dict(steps.trace_counts)
            self._names = step_cache.layer_names(model) if key is not None else None
            self._steps.placement = self._placement

    def _use_placement(self, placement) -> None:
        """Run the next steps under ``placement`` (None: one device).

        Called when ``fit``/``evaluate``/``predict`` starts, with the distribution
        captured at that moment.  A live state on another placement is moved.
        """
        self._placement = placement
        if placement is not None and self.model.built:
            placement.check_layouts(self.model.variables)
        if placement is not None and self._steps_key is not None:
            # Shared steps trace without a placement: this model gets its own.
            s = self._steps
            self._steps = Steps(s.graphdef, s.obj, s.tx, s.trainable)
            self._steps_key, self._trace_base, self._reused = None, {}, False
        if self._steps is not None:
            self._steps.placement = placement
        if self._live and self._get_state() is not None:
            self._set_state(self._place(self._get_state()))

    def _place(self, tree, copy: bool = True):
        """``tree`` on the placement's shardings, or back on one device without one."""
        if self._placement is not None:
            return self._placement.place(tree, copy=copy)
        return _to_one_device(tree)

    def _put_batch(self, batch):
        """A host batch's ``(data, mask)`` on the device(s) of the current placement."""
        placement = self._placement
        if placement is None:
            return batch.data, batch.mask
        if batch.global_rows is not None:  # this process's rows of a global batch
            return placement.from_local((batch.data, batch.mask), batch.global_rows)
        return placement.put_batch(batch.data, batch.mask)

    def _execution_plan(self) -> ExecutionPlan:
        """The steps-per-execution plan; an ``"auto"`` decision is kept for later fits."""
        plan = self._plan
        requested = 1 if self.run_eagerly else self.steps_per_execution  # no fused scan
        if plan is None or plan.requested != requested:
            plan = self._plan = ExecutionPlan(requested)
        return plan

    def _begin_fit(self, control: FitControl | None, initial_epoch: int) -> None:
        """Per-fit settings before ``on_train_begin`` (which may call :meth:`resume`)."""
        if control is not None:
            if not isinstance(control, FitControl):
                raise TypeError(
                    f"control must be an nbkeras.train.FitControl, received {control!r} of "
                    f"type {type(control).__name__}. Create one with FitControl()."
                )
            self._control = control
        self._control._begin_fit()
        # Shuffles are seeded per epoch from one fit seed, so a resumed run shuffles
        # epoch e as the original did.  NumPy's global generator is seeded by
        # ``keras.utils.set_random_seed``; drawing from it avoids an eager jax.random
        # compile in the first fit.
        self._shuffle_seed = int(np.random.randint(0, 2**31 - 1))
        self._initial_epoch = initial_epoch
        self._lr_changed = False
        self._running = True

    def _start(self) -> None:
        """Take the model's variables into a fresh device state (copied, then donated)."""
        if self._live:
            return
        _, params, rest = nnx.split(self.model, _vars.is_trainable, ...)
        # Copies (the step donates them) made by the runtime: no per-shape compile.
        params = jax.device_put(params, may_alias=False)
        rest = jax.device_put(rest, may_alias=False)
        state = self._get_state()
        if state is None or state.get("opt") is None:
            opt = self._steps.init_optimizer(self.optimizer, params)
        else:
            opt = state["opt"]
        state = {"params": params, "rest": rest, "opt": opt, "metrics": self._fresh_metrics()}
        self._set_state(self._place(state))
        self._live = True
        self._synced = True

    def _finish(self) -> None:
        """Sync and hand the variables back to the model for good."""
        self.sync_to_model()
        # The model now owns these buffers; later steps start from a copy.
        self._live = False
        self._running = False

    def _reset_metrics(self) -> None:
        self._get_state()["metrics"] = self._fresh_metrics()

    def _fresh_metrics(self):
        """Zeroed metric state: built once (one small compile), then copied to device."""
        if self._metrics0 is None:  # (shared steps: already built for an earlier model)
            self._metrics0 = self._steps.initial_metrics()
        if self._placement is not None:
            return self._placement.put_replicated(self._metrics0)
        return jax.device_put(self._metrics0)

    def _apply_pending(self) -> None:
        """Write a changed learning rate into the optimizer state (no recompile)."""
        if getattr(self.optimizer, "_lr_dirty", True):
            state = self._get_state()
            state["opt"] = self.optimizer.pending_updates(state["opt"])

    def _boundary(self) -> bool:
        """Before a dispatch: wait while paused, take a new learning rate, stop.

        Returns:
            True if the fit must stop (``model.stop_training`` is set too).
        """
        control = self._control
        control._wait_if_paused()
        lr = control._take_learning_rate()
        if lr is not None:
            self._apply_learning_rate(lr)
            self._lr_changed = True
        if control.stop_requested:
            self.model.stop_training = True
            return True
        return False

    def _run(self, k: int, counter, resident, idx, mask):
        """Dispatch ``k`` steps on rows of the device-resident epoch data (flat fast path).

        Returns the new step counter (a device scalar).
        """
        plan = self._plan
        if self._flat is None:
            self._flat = jax.tree.flatten(self._state)
            self._state = None
        leaves, treedef = self._flat
        canon = None
        if self._names is not None:
            names = self._names
            canon = lambda: step_cache.treedef_key(treedef, names)  # noqa: E731
        if plan.wants_compile:
            fused = self._steps.epoch_fn(treedef, plan.wants_compile, canon)
            plan.compile_in_background(fused, (leaves, counter, resident, idx, mask))
        fn = self._steps.epoch_fn(treedef, k, canon)
        leaves, counter = self._watch_first(
            "train", ("train", treedef, k), fn, leaves, counter, resident, idx, mask
        )
        self._flat = (leaves, treedef)
        self._synced = False
        return counter, leaves

    def _run_batch(self, batch) -> None:
        """One step on a host batch (generators, ``train_on_batch``)."""
        data, mask = self._put_batch(batch)
        key = ("train_batch", jax.tree.structure(data), _shapes(data))
        self._set_state(
            self._watch_first("train", key, self._steps.train_batch, self._get_state(), data, mask)
        )
        self._synced = False

    def _publish_metrics(self, metrics_state, copy: bool = False) -> None:
        """Store a metric state (train or eval) into :attr:`metrics`, as Keras's metric
        objects hold the last values; copied when a later step may donate the buffers."""
        if copy:
            metrics_state = jax.tree.map(copy_array, metrics_state)
        self._compiled_metrics.publish(metrics_state)

    def _train_logs(self) -> dict:
        return self._steps.results(self._get_state()["metrics"])

    def _params_and_rest(self):
        if self._live:
            state = self._get_state()
            return state["params"], state["rest"]
        _, params, rest = nnx.split(self.model, _vars.is_trainable, ...)
        if self._placement is not None:
            # Move the model itself (once): later calls find it already placed.
            params, rest = self._place((params, rest), copy=False)
            nnx.update(self.model, params, rest)
        return params, rest

    def __repr__(self) -> str:
        return (
            f"<TrainingState optimizer={type(self.optimizer).__name__} "
            f"live={self._live} trace_counts={self.trace_counts}>"
        )


def copy_array(a):
    """A copy of ``a`` on the same device(s), as committed as ``a``.

    It keeps the sharding (under several processes a bare ``device_put`` targets one
    device and refuses a global array) and the commitment: an uncommitted variable that
    came back committed would give the next ``fit`` a new jit signature, and the whole
    step would compile again.
    """
    if not isinstance(a, jax.Array):
        return a
    return jax.device_put(a, a.sharding if a.committed else None, may_alias=False)


def _shapes(tree) -> tuple:
    return tuple((tuple(a.shape), str(a.dtype)) for a in jax.tree.leaves(tree))


def _to_one_device(tree):
    """Arrays spread over several devices (an earlier distribution) back on one."""
    leaves = jax.tree.leaves(tree)
    spread = any(isinstance(a, jax.Array) and len(a.sharding.device_set) > 1 for a in leaves)
    return jax.device_put(tree, jax.devices()[0]) if spread else tree


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
