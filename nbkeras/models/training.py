"""Keras's training API on ``Model``: compile, fit, evaluate, predict and friends.

Thin methods: arguments are checked here, the work is done in :mod:`nbkeras.train`.
"""

from __future__ import annotations

import weakref

import numpy as np

_TRAINER_ATTR = "_trainer_box"
_PREDICT_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Box:
    """Holds the trainer outside nnx's view of the model (a static, opaque leaf)."""

    __slots__ = ("trainer", "compile_args")

    def __init__(self):
        self.trainer = None
        self.compile_args = None

    def __repr__(self):
        return "_Box()"


class TrainingMixin:
    """``compile``/``fit``/``evaluate``/``predict`` for :class:`~nbkeras.Model`."""

    def _box(self) -> _Box:
        box = self.__dict__.get(_TRAINER_ATTR)
        if box is None:
            box = _Box()
            setattr(self, _TRAINER_ATTR, box)
        return box

    @property
    def _trainer(self):
        return self._box().trainer

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
            >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
            ...               metrics=["accuracy"])
        """
        from nbkeras import optimizers
        from nbkeras.train.objectives import Objectives
        from nbkeras.train.trainer import Trainer

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
        old = box.trainer
        if old is not None and old._live:
            old.finish()
        box.trainer = Trainer(self, opt, objectives)
        box.compile_args = {
            "optimizer": optimizer,
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }
        self._steps_per_execution = steps_per_execution

    def _compiled_output_names(self) -> list[str]:
        if getattr(self, "_functional", False):
            return list(self._output_names)
        if hasattr(self, "_stack") and len(self._stack):
            return [self._stack[-1].name]
        return ["output"]

    def _require_compiled(self, what: str):
        trainer = self._trainer
        if trainer is None:
            raise RuntimeError(
                f"You must call compile() before {what}(). For example: "
                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')."
            )
        return trainer

    @property
    def optimizer(self):
        t = self._trainer
        return None if t is None else t.optimizer

    @property
    def compiled(self) -> bool:
        return self._trainer is not None

    @property
    def metrics_names(self) -> list[str]:
        t = self._trainer
        if t is None or not t.obj.built:
            return []
        return t.obj.log_names()

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
    ):
        """Train the model for ``epochs`` epochs (Keras's ``Model.fit``).

        Returns:
            A :class:`~nbkeras.callbacks.History` whose ``history`` dict has Keras's keys
            (``loss``, metrics, ``val_*``).

        Example:
            >>> history = model.fit(x, y, epochs=3, batch_size=32, validation_split=0.2)
            >>> sorted(history.history)
            ['accuracy', 'loss', 'val_accuracy', 'val_loss']
        """
        from nbkeras.train import loop

        if self._trainer is None:
            raise RuntimeError(
                "You must call compile() before fit(). For example: "
                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
                "metrics=['accuracy'])."
            )
        trainer = self._trainer
        return loop.fit(
            self,
            trainer,
            x,
            y,
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_split=validation_split,
            validation_data=validation_data,
            shuffle=shuffle,
            class_weight=class_weight,
            sample_weight=sample_weight,
            initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch,
            validation_steps=validation_steps,
            validation_batch_size=validation_batch_size,
            validation_freq=validation_freq,
            steps_per_execution=getattr(self, "_steps_per_execution", 1),
        )

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
        from nbkeras.train import loop

        trainer = self._require_compiled("evaluate")
        return loop.evaluate(
            self,
            trainer,
            x,
            y,
            batch_size=batch_size,
            verbose=verbose,
            sample_weight=sample_weight,
            steps=steps,
            callbacks=callbacks,
            return_dict=return_dict,
        )

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs as NumPy arrays, computed in jitted batches."""
        from nbkeras.train import loop

        steps_fn, params, rest = self._predict_fn(x)
        return loop.predict(
            self,
            steps_fn,
            params,
            rest,
            x,
            batch_size=batch_size,
            verbose=verbose,
            steps=steps,
            callbacks=callbacks,
        )

    def _predict_fn(self, x):
        import jax
        from flax import nnx

        from nbkeras import variables as _vars
        from nbkeras.train import data as _data

        trainer = self._trainer
        if trainer is not None:
            adapter = _data.adapt(x, batch_size=1) if _data._is_data_structure(x) else None
            if adapter is not None:
                first = next(adapter.host_batches())
                if not self.built:
                    self(first.data[0])
            if trainer.steps is not None:
                params, rest = trainer.params_and_rest()
                return trainer.steps.predict_batch, params, rest
        cache = _PREDICT_CACHE.get(self)
        if not self.built and _data._is_data_structure(x):
            first = jax.tree.map(lambda a: np.asarray(a)[:1], _data.to_numpy_tree(x))
            self(first)
        graphdef, params, rest = nnx.split(self, _vars.is_trainable, ...)
        if cache is None or cache[0] != graphdef:

            def run(params, rest, xb, graphdef=graphdef):
                return nnx.merge(graphdef, params, rest)(xb, training=False)

            cache = (graphdef, jax.jit(run))
            _PREDICT_CACHE[self] = cache
        return cache[1], params, rest

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient step on one batch; returns the loss (and metrics)."""
        from nbkeras.train import data as _data
        from nbkeras.train.trainer import to_python_logs

        trainer = self._require_compiled("train_on_batch")
        adapter = _data.adapt(x, y, sample_weight, batch_size=None, class_weight=class_weight)
        adapter.batch_size = adapter.n
        batch = next(adapter.host_batches())
        trainer.ensure_built(batch.data[0], batch.data[1])
        trainer.start()
        trainer.reset_metrics()
        trainer.apply_pending()
        trainer.state = trainer.steps.train_batch(trainer.state, batch.data, batch.mask)
        logs = to_python_logs(trainer.train_logs())
        trainer.finish()
        return self._format_logs(trainer, logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on one batch, without updating the model."""
        from nbkeras.train import data as _data
        from nbkeras.train.loop import _evaluate_loop

        trainer = self._require_compiled("test_on_batch")
        adapter = _data.adapt(x, y, sample_weight, batch_size=None)
        adapter.batch_size = adapter.n
        batch = next(adapter.host_batches())
        trainer.ensure_built(batch.data[0], batch.data[1])
        logs = _evaluate_loop(trainer, adapter, cbs=None)
        return self._format_logs(trainer, logs, return_dict)

    def predict_on_batch(self, x):
        """Model outputs for one batch, as NumPy arrays."""
        import jax

        steps_fn, params, rest = self._predict_fn(x)
        from nbkeras.train import data as _data

        return jax.tree.map(np.asarray, steps_fn(params, rest, _data.to_numpy_tree(x)))

    @staticmethod
    def _format_logs(trainer, logs, return_dict):
        if return_dict:
            return logs
        names = trainer.obj.log_names()
        ordered = [logs[n] for n in names if n in logs]
        ordered += [logs[n] for n in sorted(logs) if n not in names]
        return ordered[0] if len(ordered) == 1 else ordered
