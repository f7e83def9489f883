"""``fit``/``evaluate``/``predict`` with a model's own ``train_step``/``test_step``/
``predict_step`` (Keras's JAX signature), and the default steps and stateless helpers
those overrides call (``compute_loss_and_updates``, ``stateless_compute_loss``...).

Keras's JAX contract: ``train_step(state, data) -> (logs, state)`` with
``state = (trainable_variables, non_trainable_variables, optimizer_variables,
metrics_variables)`` (lists of arrays in the order of ``model.trainable_variables``,
``model.non_trainable_variables``, ``model.optimizer.variables`` and
``model.metrics_variables``); ``test_step(state, data) -> (logs, state)`` with the
first, second and fourth; ``predict_step(state, data) -> (outputs,
non_trainable_variables)``.  Each step is jitted once; the values are assigned back to
the variables at the end of each epoch (and of ``evaluate``).

The loop chooses this engine when the model overrides ``train_step``, ``test_step``,
``compute_loss`` or ``compute_metrics`` (``predict_step`` for ``predict``); otherwise
the fused built-in engine of :mod:`.step` runs.

Example:
    >>> class CustomModel(keras.Model):                     # doctest: +SKIP
    ...     def train_step(self, state, data):
    ...         tv, ntv, ov, mv = state
    ...         ...
    ...         return logs, (tv, ntv, ov, mv)
"""

from __future__ import annotations

import contextlib
import inspect
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from nbkeras.callbacks.base import CallbackList
from nbkeras.train import data as _data

_TRAIN_HOOKS = ("train_step", "test_step", "compute_loss", "compute_metrics")
_LOSSES_OVERRIDE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _overrides(model, name: str) -> bool:
    # Model's own defaults carry the marker (set in models/training.py; train/ does not
    # import models/): anything else is the user's override.
    fn = getattr(type(model), name, None)
    return fn is not None and not getattr(fn, "_nbkeras_default_step", False)


def uses_custom_steps(model) -> bool:
    """True if ``fit``/``evaluate`` must run the model's own step methods."""
    return any(_overrides(model, name) for name in _TRAIN_HOOKS)


def uses_custom_predict(model) -> bool:
    return _overrides(model, "predict_step")


# ---------------------------------------------------------------- stateless helpers
def values(variables) -> list:
    from nbkeras.variable import value_of

    return [value_of(v) for v in variables]


class _MetricScope:
    """Metric variables temporarily holding given values (traced or not); Keras's
    ``StatelessScope`` for metrics.  ``new_values`` are read on exit, the old values
    restored."""

    def __init__(self, metrics, metric_values):
        self.metrics = list(metrics)
        self.variables = [v for m in self.metrics for v in m.variables]
        given = list(metric_values)
        if len(given) != len(self.variables):
            raise ValueError(
                f"The model's metrics have {len(self.variables)} variables "
                f"(model.metrics_variables); received {len(given)} values. Pass the "
                "metrics_variables of the step's state."
            )
        self._given = given
        self.new_values: list = []

    def __enter__(self):
        self._saved = [v._value for v in self.variables]
        self._states = [m.__dict__.get("_state") for m in self.metrics]
        for v, value in zip(self.variables, self._given):
            v._value = value
        return self

    def __exit__(self, *exc):
        self.new_values = [v._value for v in self.variables]
        for v, value in zip(self.variables, self._saved):
            v._value = value
        for m, st in zip(self.metrics, self._states):
            m.__dict__["_state"] = st
        return False


@contextlib.contextmanager
def losses_override(model, losses):
    """``model.losses`` returns ``losses`` (a stateless forward pass's) inside the block."""
    _LOSSES_OVERRIDE[model] = list(losses)
    try:
        yield
    finally:
        _LOSSES_OVERRIDE.pop(model, None)


def overridden_losses(model):
    """The losses set by :func:`losses_override`, or None."""
    try:
        return _LOSSES_OVERRIDE.get(model)
    except TypeError:
        return None


def regularization(model, trainable_values) -> list:
    """Weight-regularization penalties evaluated at ``trainable_values``."""
    out = []
    for var, value in zip(model.trainable_variables, trainable_values):
        reg = var.get_metadata().get("regularizer") if hasattr(var, "get_metadata") else None
        if reg is not None:
            out.append(reg(value))
    return out


def compiled_loss(model, y, y_pred, sample_weight):
    """The ``compile(loss=...)`` total for one batch (0 without a compiled loss)."""
    state = model.training_state
    if state is None or all(lo is None for lo in state._obj.losses):
        return None
    obj = state._obj
    names = obj.output_names
    from nbkeras.train.objectives import flatten_outputs

    y_pred_list = flatten_outputs(y_pred, names, "The model output")
    y_list = [None] * len(names) if y is None else flatten_outputs(y, names, "y")
    n = jnp.shape(jax.tree.leaves(y_pred)[0])[0]
    total, _ = obj.total_loss(y_list, y_pred_list, sample_weight, jnp.ones((n,), jnp.float32))
    return total


def call_compute_loss(model, x, y, y_pred, sample_weight, training):
    """``model.compute_loss``, also when an override has no ``training`` argument."""
    params = inspect.signature(model.compute_loss).parameters
    if "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return model.compute_loss(x, y, y_pred, sample_weight, training=training)
    return model.compute_loss(x, y, y_pred, sample_weight)


def batch_size_of(x) -> int:
    leaves = [a for a in jax.tree.leaves(x) if a is not None]
    return int(jnp.shape(leaves[0])[0]) if leaves else 1


def flatten_logs(logs) -> dict:
    """Nested result dicts (``compile_metrics``) flattened into one level."""
    out = {}
    for key, value in dict(logs or {}).items():
        if isinstance(value, dict):
            out.update(flatten_logs(value))
        else:
            out[key] = value
    return out


def python_logs(logs) -> dict:
    host = jax.device_get(flatten_logs(logs))
    return {k: float(v) if np.ndim(v) == 0 else np.asarray(v) for k, v in host.items()}


# ---------------------------------------------------------------- the engine
class CustomSteps:
    """The jitted user steps of one model (made once per ``compile``)."""

    def __init__(self, model):
        self.train = jax.jit(lambda state, data: model.train_step(state, data))
        self.test = jax.jit(lambda state, data: model.test_step(state, data))
        self.predict = jax.jit(lambda state, data: model.predict_step(state, data))


def _steps_for(state) -> CustomSteps:
    steps = state.__dict__.get("_custom_steps")
    if steps is None:
        steps = state._custom_steps = CustomSteps(state.model)
    return steps


def _as_data(batch) -> tuple:
    """A host batch cut to its real rows, as the ``data`` a step receives."""
    n = batch.size

    def cut(a):
        return a[:n] if a is not None and np.shape(a)[0] != n else a

    x, y, sw = (None if t is None else jax.tree.map(cut, t) for t in batch.data)
    if sw is not None:
        return (x, y, sw)
    return (x, y) if y is not None else (x,)


def _train_batches(adapter, shuffle, rng):
    if isinstance(adapter, _data.ArrayData):
        idx, mask = adapter.epoch_indices(shuffle is True or shuffle == "batch", rng)
        for rows, m in zip(idx, mask):
            take = rows[m > 0]
            yield tuple(
                None if t is None else jax.tree.map(lambda a, t_=take: np.asarray(a)[t_], t)
                for t in adapter.arrays
            )
        return
    from nbkeras.train.loop import _host_batches

    for batch in _host_batches(adapter):
        yield _as_data(batch)


def _drop_none(data: tuple) -> tuple:
    x, y, sw = data
    if sw is not None:
        return data
    return (x, y) if y is not None else (x,)


def _assign(variables, new_values) -> None:
    for var, value in zip(variables, new_values):
        if hasattr(var, "get_metadata"):  # a layer weight (nnx variable)
            var.assign(value)
        else:
            var._value = value


def metrics_or_logs(model, logs) -> dict:
    """Keras's rule: the metrics' results when they have the step's log keys, else the
    step's own logs."""
    step_logs = python_logs(logs)
    metric_logs = python_logs(model.get_metrics_result())
    return metric_logs if set(metric_logs) == set(step_logs) else step_logs


def fit(state, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
        sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
        validation_batch_size=None, validation_freq=1, control=None):
    """``fit`` through the model's ``train_step`` (see the module docstring)."""
    from nbkeras.train import loop

    if control is not None:
        raise ValueError(
            "fit(control=...) needs the built-in training step; this model overrides "
            "train_step/test_step/compute_loss, so stop it with a callback "
            "(self.model.stop_training = True) instead."
        )
    model = state.model
    verbose = loop._resolve_verbose(verbose)
    if validation_split and validation_data is None:
        (x, y, sample_weight), validation_data = _data.split_validation(
            _data.to_numpy_tree(x), _data.to_numpy_tree(y),
            _data.to_numpy_tree(sample_weight), validation_split)
    train_data = _data.adapt(x, y, sample_weight, batch_size, steps_per_epoch, class_weight)
    val_data = None
    if validation_data is not None:
        vx, vy, vsw = (_data.unpack_item(tuple(validation_data))
                       if isinstance(validation_data, (tuple, list))
                       else (validation_data, None, None))
        val_data = _data.adapt(vx, vy, vsw, validation_batch_size or batch_size, validation_steps)
    first = loop._peek(train_data)
    state._ensure_built(first.data[0], first.data[1])
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    steps = _steps_for(state)
    cbs = CallbackList(
        callbacks, model=model, add_history=True,
        progress=loop.progress_callback(verbose) if verbose else None,
        epochs=epochs, steps=getattr(train_data, "steps", None), verbose=verbose,
        batch_size=getattr(train_data, "batch_size", None),
    )
    model.stop_training = False
    seed = int(np.random.randint(0, 2**31 - 1))
    logs: dict = {}
    cbs.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        st = (values(model.trainable_variables), values(model.non_trainable_variables),
              values(optimizer.variables), values(model.metrics_variables))
        cbs.on_epoch_begin(epoch)
        step_logs = None
        i = -1
        rng = np.random.default_rng((seed, epoch))
        for i, data in enumerate(_train_batches(train_data, shuffle, rng)):
            cbs.on_train_batch_begin(i)
            step_logs, st = steps.train(st, _drop_none(data))
            cbs.on_train_batch_end(i, loop.LazyLogs(lambda out=step_logs: python_logs(out)))
            if model.stop_training:
                break
        _assign(model.trainable_variables, st[0])
        _assign(model.non_trainable_variables, st[1])
        _assign(optimizer.variables, st[2])
        _assign(model.metrics_variables, st[3])
        optimizer._iterations = getattr(optimizer, "_iterations", 0) + i + 1
        epoch_logs = metrics_or_logs(model, step_logs)
        if val_data is not None and loop._should_validate(epoch, validation_freq):
            test_cbs = cbs.without_progress()
            test_cbs.on_test_begin()
            val_logs = _evaluate_loop(state, val_data, test_cbs)
            test_cbs.on_test_end(val_logs)
            epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
        cbs.on_epoch_end(epoch, epoch_logs)
        logs = epoch_logs
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return cbs.history


def _evaluate_loop(state, adapter, cbs) -> dict:
    from nbkeras.train.loop import _host_batches

    model = state.model
    steps = _steps_for(state)
    model.reset_metrics()
    st = (values(model.trainable_variables), values(model.non_trainable_variables),
          values(model.metrics_variables))
    step_logs = None
    for i, batch in enumerate(_host_batches(adapter)):
        cbs.on_test_batch_begin(i)
        step_logs, st = steps.test(st, _as_data(batch))
        cbs.on_test_batch_end(i, dict(python_logs(step_logs)) if cbs.implements(
            "on_test_batch_end") else {})
    _assign(model.metrics_variables, st[2])
    return metrics_or_logs(model, step_logs)


def evaluate(state, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
             steps=None, callbacks=None, return_dict=False):
    """``evaluate`` through the model's ``test_step``."""
    from nbkeras.train import loop

    verbose = loop._resolve_verbose(verbose)
    adapter = _data.adapt(x, y, sample_weight, batch_size, steps)
    first = loop._peek(adapter)
    state._ensure_built(first.data[0], first.data[1])
    cbs = CallbackList(
        callbacks, model=state.model,
        progress=loop.progress_callback(verbose) if verbose else None,
        verbose=verbose, steps=getattr(adapter, "steps", None), epochs=1, mode="test",
        batch_size=getattr(adapter, "batch_size", None),
    )
    cbs.on_test_begin()
    logs = _evaluate_loop(state, adapter, cbs)
    cbs.on_test_end(logs)
    if return_dict:
        return logs
    out = list(logs.values())
    return out[0] if len(out) == 1 else out


def predict(model, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
    """``predict`` through the model's ``predict_step``."""
    from nbkeras.train import loop

    verbose = loop._resolve_verbose(verbose)
    adapter = _data.adapt(x, None, None, batch_size, steps)
    if not model.built and _data._is_data_structure(x):
        model(jax.tree.map(lambda a: np.asarray(a)[:1], _data.to_numpy_tree(x)))
    fn = jax.jit(lambda state, data: model.predict_step(state, data))
    cbs = CallbackList(
        callbacks, model=model, progress=loop.progress_callback(verbose) if verbose else None,
        verbose=verbose, steps=getattr(adapter, "steps", None), epochs=1, mode="predict",
        batch_size=getattr(adapter, "batch_size", None),
    )
    cbs.on_predict_begin()
    st = (values(model.trainable_variables), values(model.non_trainable_variables))
    outs = []
    for i, batch in enumerate(loop._host_batches(adapter)):
        cbs.on_predict_batch_begin(i)
        out, ntv = fn(st, _as_data(batch)[:1])
        st = (st[0], ntv)
        outs.append(out)
        cbs.on_predict_batch_end(i, {"outputs": out})
    _assign(model.non_trainable_variables, st[1])
    cbs.on_predict_end()
    host = jax.device_get(outs)
    return jax.tree.map(lambda *parts: np.concatenate(parts), *host)


# ---------------------------------------------------------------- Keras's default steps
def compute_loss_and_updates(model, trainable_variables, non_trainable_variables,
                             metrics_variables, x, y, sample_weight, training=False,
                             optimizer_variables=None):
    y_pred, non_trainable_variables, losses = model.stateless_call(
        trainable_variables, non_trainable_variables, x, return_losses=True, training=training)
    with losses_override(model, losses):
        loss, (_, non_trainable_variables, metrics_variables) = model.stateless_compute_loss(
            trainable_variables, non_trainable_variables, metrics_variables, x=x, y=y,
            y_pred=y_pred, sample_weight=sample_weight, training=training)
    return loss, (loss, y_pred, non_trainable_variables, metrics_variables)


def stateless_compute_loss(model, trainable_variables, non_trainable_variables,
                           metrics_variables, x=None, y=None, y_pred=None,
                           sample_weight=None, training=True):
    override = overridden_losses(model)
    ctx = (contextlib.nullcontext() if override is not None
           else losses_override(model, regularization(model, trainable_variables)))
    with ctx, _MetricScope(model.metrics, metrics_variables) as scope:
        loss = call_compute_loss(model, x, y, y_pred, sample_weight, training)
    return loss, (list(trainable_variables), list(non_trainable_variables),
                  scope.new_values)


def compute_loss(model, x, y, y_pred, sample_weight):
    losses = []
    compiled = compiled_loss(model, y, y_pred, sample_weight)
    if compiled is not None:
        losses.append(compiled)
    losses += [jnp.sum(jnp.asarray(lo, jnp.float32)) for lo in model.losses]
    if not losses:
        return jnp.zeros(())
    return sum(losses[1:], losses[0])


def update_metrics_variables(model, metrics_variables, unscaled_loss, x, y, y_pred,
                             sample_weight):
    state = model.training_state
    with _MetricScope(model.metrics, metrics_variables) as scope:
        if state is not None:
            state.metrics[0].update_state(unscaled_loss, sample_weight=batch_size_of(x))
        logs = model.compute_metrics(x, y, y_pred, sample_weight)
    return logs, scope.new_values


def compute_metrics(model, y, y_pred, sample_weight):
    state = model.training_state
    cm = None if state is None else state._compiled_metrics.compile_metrics
    if cm is not None:
        cm.update_state(y, y_pred, sample_weight)
    return model.get_metrics_result()


def get_metrics_result(model) -> dict:
    out = {}
    for metric in model.metrics:
        result = metric.result()
        if isinstance(result, dict):
            out.update(result)
        else:
            out[metric.name] = result
    return out


def default_train_step(model, state, data):
    from nbkeras.utils import unpack_x_y_sample_weight

    trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
    x, y, sample_weight = unpack_x_y_sample_weight(data)
    grad_fn = jax.value_and_grad(model.compute_loss_and_updates, has_aux=True)
    (_, aux), grads = grad_fn(trainable_variables, non_trainable_variables, metrics_variables,
                              x, y, sample_weight, training=True,
                              optimizer_variables=optimizer_variables)
    unscaled_loss, y_pred, non_trainable_variables, metrics_variables = aux
    trainable_variables, optimizer_variables = model.optimizer.stateless_apply(
        optimizer_variables, grads, trainable_variables)
    logs, metrics_variables = update_metrics_variables(
        model, metrics_variables, unscaled_loss, x, y, y_pred, sample_weight)
    return logs, (trainable_variables, non_trainable_variables, optimizer_variables,
                  metrics_variables)


def default_test_step(model, state, data):
    from nbkeras.utils import unpack_x_y_sample_weight

    trainable_variables, non_trainable_variables, metrics_variables = state
    x, y, sample_weight = unpack_x_y_sample_weight(data)
    _, aux = model.compute_loss_and_updates(trainable_variables, non_trainable_variables,
                                            metrics_variables, x, y, sample_weight,
                                            training=False)
    unscaled_loss, y_pred, non_trainable_variables, metrics_variables = aux
    logs, metrics_variables = update_metrics_variables(
        model, metrics_variables, unscaled_loss, x, y, y_pred, sample_weight)
    return logs, (trainable_variables, non_trainable_variables, metrics_variables)


def default_predict_step(model, state, data):
    from nbkeras.utils import unpack_x_y_sample_weight

    trainable_variables, non_trainable_variables = state
    x, _, _ = unpack_x_y_sample_weight(data)
    return model.stateless_call(trainable_variables, non_trainable_variables, x, training=False)
