"""Keras's training API on ``Model``: compile, fit, evaluate, predict and friends.

Thin methods: arguments are checked here, the work is done in :mod:`nbkeras.train`
through the model's :class:`~nbkeras.train.TrainingState` (``model.training_state``).
"""

from __future__ import annotations

from nbkeras._traceback import filter_traceback

_STATE_ATTR = "_training_state_box"


class _Box:
    """Holds the training state and the last ``History`` outside nnx's view of the model
    (a static, opaque leaf that stays the same object: the model's graphdef, and so the
    jitted steps keyed on it, do not change when a fit ends)."""

    __slots__ = ("state", "history", "stop_training")

    def __init__(self):
        self.state = None
        self.history = None
        self.stop_training = False

    def __repr__(self):
        return "_Box()"


def _forward(args: dict) -> dict:
    """A method's ``locals()`` minus ``self``: the arguments to pass on unchanged."""
    args = dict(args)
    args.pop("self")
    args.pop("__class__", None)
    return args


class TrainingMixin:
    """``compile``/``fit``/``evaluate``/``predict`` for :class:`~nbkeras.Model`."""

    def _box(self) -> _Box:
        box = self.__dict__.get(_STATE_ATTR)
        if box is None:
            box = _Box()
            setattr(self, _STATE_ATTR, box)
        return box

    @property
    def training_state(self):
        """The :class:`~nbkeras.train.TrainingState` of the last ``compile`` (None before).

        An nbkeras extension: stop, pause or change the learning rate of a running fit
        (``model.training_state.control``), read trace counts, sync variables.
        """
        return self._box().state

    @property
    def history(self):
        """The :class:`~nbkeras.callbacks.History` of the last ``fit`` (as in Keras).

        Raises:
            AttributeError: Before the first ``fit``.
        """
        history = self._box().history
        if history is None:
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute 'history': it is set by "
                "the first fit (model.history = the History callback of that fit).")
        return history

    @history.setter
    def history(self, value) -> None:
        self._box().history = value

    @property
    def stop_training(self) -> bool:
        """Set to True (e.g. by a callback) to end the running ``fit`` after the current
        step, as in Keras; ``fit`` resets it when it starts."""
        return self._box().stop_training

    @stop_training.setter
    def stop_training(self, value) -> None:
        self._box().stop_training = value

    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Configure the model for training (Keras's ``Model.compile``).

        Args:
            optimizer: Name (``"adam"``), ``nbkeras.optimizers.Optimizer`` or an
                ``optax.GradientTransformation``.
            loss: Loss name, object or function; or a list/dict per output.
            loss_weights: Scalar weights of each output's loss (list or dict).
            metrics: Metrics (names, objects or functions); per output as a list of
                lists or a dict.
            weighted_metrics: Metrics that also use ``sample_weight``/``class_weight``.
            steps_per_execution: Steps fused in one compiled call (``lax.scan``), or
                ``"auto"``: measured during the first epoch, fusing only when it is
                faster (tiny models on CPU); see :mod:`nbkeras.train.execution`.
            run_eagerly: Run fit/evaluate/predict op by op, without ``jax.jit`` (slow;
                for debugging: ``print`` shows values, Python ``if`` on tensors works).
            jit_compile: ``False`` runs eagerly too (as on Keras's JAX backend);
                ``True``/``"auto"`` jit-compile the steps.
            auto_scale_loss: Accepted for compatibility (Keras scales the loss of
                ``mixed_float16`` models; nbkeras does not scale it).

        Example:
            >>> import nbkeras
            >>> model = nbkeras.Sequential([nbkeras.Input((4,)), nbkeras.layers.Dense(3)])
            >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
            ...               metrics=["accuracy"])
        """
        compile_args = _forward(locals())
        for key in ("run_eagerly", "auto_scale_loss"):
            compile_args.pop(key)
        from nbkeras import optimizers
        from nbkeras.train.objectives import Objectives
        from nbkeras.train.state import TrainingState

        if isinstance(steps_per_execution, bool) or not (
            steps_per_execution == "auto"
            or (isinstance(steps_per_execution, int) and steps_per_execution >= 1)
        ):
            raise ValueError(
                f"steps_per_execution must be a positive int or 'auto', received "
                f"{steps_per_execution!r}."
            )
        opt = optimizers.get(optimizer)
        names = self._compiled_output_names()
        objectives = Objectives(loss, loss_weights, metrics, weighted_metrics, names)
        box = self._box()
        if box.state is not None:
            box.state.sync_to_model()
        box.state = TrainingState(self, opt, objectives, steps_per_execution, compile_args)
        box.state.run_eagerly = bool(run_eagerly) or jit_compile is False

    @property
    def run_eagerly(self) -> bool:
        """Whether fit/evaluate/predict run without jit (``compile(run_eagerly=...)``).

        Settable after ``compile``, as in Keras.
        """
        state = self.training_state
        return bool(state is not None and state.run_eagerly)

    @run_eagerly.setter
    def run_eagerly(self, value: bool) -> None:
        state = self.training_state
        if state is None:
            raise RuntimeError(
                f"model.run_eagerly = {value!r} needs a compiled model: pass "
                "run_eagerly to compile() instead, e.g. model.compile(..., run_eagerly=True)."
            )
        state.run_eagerly = bool(value)

    def _compiled_output_names(self) -> list[str]:
        if getattr(self, "_functional", False):
            return list(self._output_names)
        if hasattr(self, "_stack") and len(self._stack):
            return [self._stack[-1].name]
        return ["output"]

    def _require_compiled(self, what: str):
        state = self.training_state
        if state is None:
            raise RuntimeError(
                f"You must call compile() before {what}(). For example: "
                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
                "metrics=['accuracy'])."
            )
        return state

    @property
    def optimizer(self):
        state = self.training_state
        return None if state is None else state.optimizer

    @property
    def compiled(self) -> bool:
        return self.training_state is not None

    # ---------------------------------------------------------------- metrics
    @property
    def metrics(self) -> list:
        """Keras's ``model.metrics``: after ``compile``, the ``"loss"`` tracker and
        ``"compile_metrics"`` (all compiled metrics in one, its ``result()`` a dict), then
        metrics assigned as attributes of the model and its layers.

        Example:
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])  # doctest: +SKIP
            >>> [m.name for m in model.metrics]                             # doctest: +SKIP
            ['loss', 'compile_metrics']
        """
        state = self.training_state
        out = [] if state is None else list(state.metrics)
        return out + _tracked_metrics(self)

    @property
    def metrics_names(self) -> list[str]:
        """``[m.name for m in model.metrics]`` (Keras 3: ``['loss', 'compile_metrics']``;
        the log keys are ``model.training_state.metrics_names``)."""
        return [m.name for m in self.metrics]

    @property
    def metrics_variables(self) -> list:
        """The variables of ``model.metrics``, in order (a custom ``train_step``'s
        ``metrics_variables``)."""
        return [v for m in self.metrics for v in m.variables]

    def reset_metrics(self) -> None:
        """Reset every metric in ``model.metrics``."""
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self) -> dict:
        """The results of ``model.metrics`` as one dict (dict results merged in)."""
        from nbkeras.train import custom_step

        return custom_step.get_metrics_result(self)

    @property
    def losses(self) -> list:
        from nbkeras.train import custom_step

        override = custom_step.overridden_losses(self)
        return list(override) if override is not None else super().losses

    # ------------------------------------------- Keras's JAX step API (overridable)
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of a batch: the compiled loss plus ``self.losses``.

        Override it to change the loss ``fit`` minimises (Keras's ``compute_loss``).
        """
        from nbkeras.train import custom_step

        return custom_step.compute_loss(self, x, y, y_pred, sample_weight)

    def stateless_compute_loss(self, trainable_variables, non_trainable_variables,
                               metrics_variables, x=None, y=None, y_pred=None,
                               sample_weight=None, training=True):
        """``compute_loss`` with explicit variable values.

        Returns:
            ``(loss, (trainable_variables, non_trainable_variables, metrics_variables))``.
        """
        from nbkeras.train import custom_step

        return custom_step.stateless_compute_loss(
            self, trainable_variables, non_trainable_variables, metrics_variables, x=x, y=y,
            y_pred=y_pred, sample_weight=sample_weight, training=training)

    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables,
                                 metrics_variables, x, y, sample_weight, training=False,
                                 optimizer_variables=None):
        """Forward pass and loss, stateless (for ``jax.value_and_grad``).

        Returns:
            ``(loss, (unscaled_loss, y_pred, non_trainable_variables, metrics_variables))``.
        """
        from nbkeras.train import custom_step

        return custom_step.compute_loss_and_updates(
            self, trainable_variables, non_trainable_variables, metrics_variables, x, y,
            sample_weight, training=training, optimizer_variables=optimizer_variables)

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> dict:
        """Update the compiled metrics with a batch; return ``get_metrics_result()``."""
        from nbkeras.train import custom_step

        return custom_step.compute_metrics(self, y, y_pred, sample_weight)

    def train_step(self, state, data):
        """One training step, Keras's JAX signature: ``(logs, state)`` from ``state =
        (trainable_variables, non_trainable_variables, optimizer_variables,
        metrics_variables)`` and ``data = (x, y[, sample_weight])``.  Override it to
        customise ``fit`` (see :mod:`nbkeras.train.custom_step`)."""
        from nbkeras.train import custom_step

        return custom_step.default_train_step(self, state, data)

    def test_step(self, state, data):
        """One evaluation step: ``(logs, (trainable_variables, non_trainable_variables,
        metrics_variables))``."""
        from nbkeras.train import custom_step

        return custom_step.default_test_step(self, state, data)

    def predict_step(self, state, data):
        """One prediction step: ``(outputs, non_trainable_variables)`` from ``state =
        (trainable_variables, non_trainable_variables)``."""
        from nbkeras.train import custom_step

        return custom_step.default_predict_step(self, state, data)

    @filter_traceback
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
        control=None,
        background=False,
    ):
        """Train the model for ``epochs`` epochs (Keras's ``Model.fit``).

        Args:
            control: An optional :class:`~nbkeras.train.FitControl` (an nbkeras
                extension) to stop, pause or change the learning rate from another
                thread; without one, ``fit`` keeps using
                ``model.training_state.control``.  The other arguments are Keras's.
            background: Train on a worker thread and return a
                :class:`~nbkeras.train.background.FitHandle` at once (``stop()``,
                ``wait()``, ``history``); an nbkeras extension.

        Returns:
            A :class:`~nbkeras.callbacks.History` whose ``history`` dict has Keras's keys
            (``loss``, metrics, ``val_*``).

        Example:
            >>> import numpy as np
            >>> import nbkeras
            >>> model = nbkeras.Sequential(
            ...     [nbkeras.Input((4,)), nbkeras.layers.Dense(3, activation="softmax")])
            >>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
            >>> x, y = np.random.rand(40, 4), np.random.randint(0, 3, 40)
            >>> history = model.fit(x, y, epochs=3, batch_size=32, validation_split=0.2, verbose=0)
            >>> sorted(history.history)
            ['accuracy', 'loss', 'val_accuracy', 'val_loss']
        """
        args = _forward(locals())
        from nbkeras.train import loop

        state = self._require_compiled("fit")
        from nbkeras.train import custom_step

        if custom_step.uses_custom_steps(self):
            if args.pop("background"):
                raise ValueError("fit(background=True) needs the built-in training step; "
                                 "this model overrides train_step/test_step/compute_loss.")
            return custom_step.fit(state, **args)
        if args.pop("background"):
            from nbkeras.train.background import FitHandle

            control = args.pop("control") or state.control
            return FitHandle(lambda **kw: loop.fit(state, **kw), args, control)
        return loop.fit(state, **args)

    @filter_traceback
    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
        **kwargs,
    ):
        """Loss and metric values on the given data (Keras's ``Model.evaluate``)."""
        if kwargs:
            raise ValueError(
                f"evaluate() got arguments it does not recognise: {sorted(kwargs)}. Check "
                "their spelling against Keras's Model.evaluate."
            )
        args = _forward(locals())
        args.pop("kwargs")
        from nbkeras.train import custom_step, loop

        if custom_step.uses_custom_steps(self):
            return custom_step.evaluate(self._require_compiled("evaluate"), **args)
        return loop.evaluate(self._require_compiled("evaluate"), **args)

    @filter_traceback
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs as NumPy arrays, computed in jitted batches."""
        args = _forward(locals())
        from nbkeras.train import custom_step, loop

        if custom_step.uses_custom_predict(self):
            return custom_step.predict(self, **args)
        return loop.predict(self, **args)

    @filter_traceback
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient step on one batch; returns the loss (and metrics)."""
        args = _forward(locals())
        from nbkeras.train import loop

        return loop.train_on_batch(self._require_compiled("train_on_batch"), **args)

    @filter_traceback
    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on one batch, without updating the model."""
        args = _forward(locals())
        from nbkeras.train import loop

        return loop.test_on_batch(self._require_compiled("test_on_batch"), **args)

    @filter_traceback
    def predict_on_batch(self, x):
        """Model outputs for one batch, as NumPy arrays."""
        from nbkeras.train import loop

        return loop.predict_on_batch(self, x)


def _tracked_metrics(model) -> list:
    """Metric objects assigned as attributes of ``model`` and its layers (Keras tracks
    them), skipping sub-models that are compiled themselves."""
    from flax import nnx

    from nbkeras.metrics.base import Metric

    out, seen = [], set()
    nodes = [model] + [n for _, n in nnx.iter_graph(model) if n is not model]
    for node in nodes:
        if not isinstance(node, nnx.Module):
            continue
        if node is not model and getattr(node, "training_state", None) is not None:
            continue
        for value in vars(node).values():
            found = value if isinstance(value, (list, tuple)) else [value]
            for m in found:
                if isinstance(m, Metric) and id(m) not in seen:
                    seen.add(id(m))
                    out.append(m)
    return out


# train/custom_step.py tells a user's override from these defaults by this marker.
for _name in ("train_step", "test_step", "predict_step", "compute_loss", "compute_metrics"):
    getattr(TrainingMixin, _name)._nbkeras_default_step = True
del _name
