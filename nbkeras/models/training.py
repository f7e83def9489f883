"""Keras's training API on ``Model``: compile, fit, evaluate, predict and friends.

Thin methods: arguments are checked here, the work is done in :mod:`nbkeras.train`
through the model's :class:`~nbkeras.train.TrainingState` (``model.training_state``).
"""

from __future__ import annotations

from nbkeras._traceback import filter_traceback

_STATE_ATTR = "_training_state_box"


class _Box:
    """Holds the training state outside nnx's view of the model (a static, opaque leaf)."""

    __slots__ = ("state",)

    def __init__(self):
        self.state = None

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
            jit_compile: Accepted for compatibility; steps are always jitted.

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

    @property
    def metrics_names(self) -> list[str]:
        state = self.training_state
        return [] if state is None else state.metrics_names

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
        from nbkeras.train import loop

        return loop.evaluate(self._require_compiled("evaluate"), **args)

    @filter_traceback
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs as NumPy arrays, computed in jitted batches."""
        args = _forward(locals())
        from nbkeras.train import loop

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
