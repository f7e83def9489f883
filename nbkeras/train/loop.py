"""The epoch and batch loops of ``fit``, ``evaluate`` and ``predict``.

Only loops and callback dispatch live here; the arithmetic is in :mod:`.step`.  Logs
stay on the device unless a callback reads them, so steps are dispatched
asynchronously.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import MutableMapping

import jax
import numpy as np
from flax import nnx

from nbkeras import _hooks
from nbkeras.callbacks.base import CallbackList
from nbkeras.distribution.placement import Placement
from nbkeras.train import data as _data
from nbkeras.train import predict as _predict
from nbkeras.train.interrupt import InterruptGuard
from nbkeras.train.nonfinite import NonFiniteWatch
from nbkeras.train.state import TrainingState, _shapes, to_python_logs


class LazyLogs(MutableMapping):
    """Batch logs fetched from the device only when a callback first reads them.

    A mapping like the dict Keras passes (``logs["loss"]``, ``logs.get``, ``dict(logs)``);
    writes go into the fetched copy.
    """

    __slots__ = ("_fetch", "_data")

    def __init__(self, fetch):
        self._fetch = fetch
        self._data = None

    @property
    def loaded(self) -> bool:
        """Whether a callback already fetched these logs from the device."""
        return self._data is not None

    def _load(self) -> dict:
        if self._data is None:
            self._data = dict(self._fetch())
        return self._data

    def __getitem__(self, key):
        return self._load()[key]

    def __setitem__(self, key, value) -> None:
        self._load()[key] = value

    def __delitem__(self, key) -> None:
        del self._load()[key]

    def __iter__(self):
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __repr__(self) -> str:
        return f"LazyLogs({self._load()!r})"


def progress_callback(verbose: int):
    """The progress display ``fit``/``evaluate``/``predict`` add for ``verbose`` 1 or 2.

    Chosen by the hook the package root installs (:mod:`nbkeras._hooks`): the notebook
    live view in a Jupyter kernel, the text progress bar elsewhere.
    """
    return _hooks.progress_view(verbose)


def _honours_run_eagerly(run):
    """Run ``run`` without ``jax.jit`` when the model was compiled with
    ``run_eagerly=True`` (or ``jit_compile=False``), as Keras does: every op executes at
    once, so ``print`` shows values and Python ``if`` on a tensor works (for debugging)."""

    @functools.wraps(run)
    def wrapper(state_or_model, *args, **kwargs):
        state = getattr(state_or_model, "training_state", state_or_model)
        eager = getattr(state, "run_eagerly", False)
        with jax.disable_jit() if eager else contextlib.nullcontext():
            return run(state_or_model, *args, **kwargs)

    return wrapper


def _resolve_verbose(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2; received {verbose!r}.")
    if jax.process_index() != 0:
        return 0  # several processes: only process 0 prints or shows a live view
    return int(verbose)


def _device_tree(tree, placement=None):
    # device_put, not jnp.asarray: a transfer, with no per-shape compile.
    if tree is None:
        return None
    if placement is not None:
        return placement.put_replicated(tree)
    return jax.device_put(tree)


@_honours_run_eagerly
def fit(
    state: TrainingState,
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
):
    """Train ``state.model``; see :meth:`nbkeras.Model.fit`."""
    model = state.model
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, received {epochs!r}.")
    verbose = _resolve_verbose(verbose)
    if validation_split and validation_data is None:
        if not _data._is_data_structure(x):
            raise ValueError(
                "validation_split is only supported for array inputs; with a generator, "
                "pass validation_data instead."
            )
        (x, y, sample_weight), (vx, vy, vsw) = _data.split_validation(
            _data.to_numpy_tree(x),
            _data.to_numpy_tree(y),
            _data.to_numpy_tree(sample_weight),
            validation_split,
        )
        validation_data = (vx, vy, vsw)
    train_data = _data.adapt(x, y, sample_weight, batch_size, steps_per_epoch, class_weight)
    val_data = None
    if validation_data is not None:
        vx, vy, vsw = (
            _data.unpack_item(tuple(validation_data))
            if isinstance(validation_data, (tuple, list))
            else (validation_data, None, None)
        )
        val_data = _data.adapt(vx, vy, vsw, validation_batch_size or batch_size, validation_steps)

    placement = Placement.capture(model)  # the caller's distribution, for any thread
    first = _peek(train_data)
    state._ensure_built(first.data[0], first.data[1])
    state._use_placement(placement)
    if isinstance(train_data, _data.ArrayData):
        from nbkeras.train.objectives import check_targets

        check_targets(state._obj, train_data.y, None)

    cbs = CallbackList(
        callbacks,
        model=model,
        add_history=True,
        progress=progress_callback(verbose) if verbose else None,
        epochs=epochs,
        steps=getattr(train_data, "steps", None),
        verbose=verbose,
        batch_size=getattr(train_data, "batch_size", None),
    )
    model.stop_training = False
    resident = None
    multi_process = placement is not None and placement.multi_process
    if isinstance(train_data, _data.ArrayData) and not multi_process:
        resident = _device_tree(train_data.arrays, placement)
    plan = state._execution_plan()
    state._begin_fit(control, initial_epoch)
    if multi_process:  # every process draws the same shuffles
        state._shuffle_seed = placement.agree(state._shuffle_seed)
    logs = {}
    watch = NonFiniteWatch(train_data.x if isinstance(train_data, _data.ArrayData) else None)
    lrs: list = []  # the learning rate of each epoch, for History when the control changes it
    interrupt = InterruptGuard(state._control)
    try:
        interrupt.install()
        cbs.on_train_begin()  # before _start(): callbacks may load weights/optimizer state
        state._start()
        state._control._report_learning_rate(state.learning_rate)
        for epoch in range(state._initial_epoch, epochs):
            if state._boundary():  # stopped between epochs: no empty epoch is logged
                break
            rng = np.random.default_rng((state._shuffle_seed, epoch))
            state._reset_metrics()
            cbs.on_epoch_begin(epoch)
            for step, batch_logs in _run_epoch(state, train_data, resident, shuffle, rng,
                                               plan, cbs):
                watch.batch(epoch, step, batch_logs)
                if model.stop_training:
                    break
            epoch_logs = to_python_logs(state._train_logs())
            state._publish_metrics(state._get_state()["metrics"], copy=True)
            watch.epoch_end(epoch, epoch_logs)
            if val_data is not None and _should_validate(epoch, validation_freq):
                val_logs = validate(state, val_data, cbs)
                epoch_logs.update({f"val_{k_}": v for k_, v in val_logs.items()})
            state.sync_to_model()
            lr = state.learning_rate
            state._control._report_learning_rate(lr)
            lrs.append(lr)
            if state._lr_changed and "learning_rate" not in epoch_logs:
                _backfill(cbs.history, "learning_rate", lrs[:-1])
                epoch_logs["learning_rate"] = lr
            cbs.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if model.stop_training:
                break
    except BaseException as e:
        _notify_failed(cbs, e)
        raise
    finally:
        interrupt.restore()
        state._finish()
    cbs.on_train_end(logs)
    if interrupt.requested:
        raise KeyboardInterrupt(
            "fit was interrupted and stopped at a step boundary; the model holds the weights "
            "of the last step and model.history the epochs that finished."
        )
    return cbs.history


def _notify_failed(cbs, error: BaseException) -> None:
    """Call ``on_train_failed(error)`` of callbacks that have one (an nbkeras extension:
    the live view then says "failed: <type>" or "interrupted")."""
    for cb in cbs.callbacks:
        hook = getattr(cb, "on_train_failed", None)
        if hook is not None:
            try:
                hook(error)
            except Exception:
                pass


def _backfill(history, key: str, values: list) -> None:
    """Give ``history`` earlier epochs' ``key`` values so its lists stay aligned."""
    if history is not None and key not in history.history and values:
        history.history[key] = list(values)


def _should_validate(epoch: int, freq) -> bool:
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq


def _peek(adapter):
    if isinstance(adapter, _data.ArrayData):
        return next(adapter.host_batches())
    batches = adapter.host_batches()
    first = next(batches)
    if not hasattr(adapter.source, "__len__") and not hasattr(adapter.source, "__getitem__"):
        # A one-shot generator: keep the peeked batch for the first epoch.
        adapter._peeked = (first, batches)
    return first


def _host_batches(adapter):
    peeked = getattr(adapter, "_peeked", None)
    if peeked is not None:
        adapter._peeked = None
        first, rest = peeked
        yield first
        yield from rest
        return
    yield from adapter.host_batches()


def _prefetch(batches, placement=None):
    """Start copying batch ``i + 1`` to the device before step ``i`` is dispatched.

    Only on accelerators: on CPU the "device" is host memory, so the copy would be the
    same work done earlier; batches pass through unchanged.  (Either way the step is
    dispatched asynchronously, so the generator makes batch ``i + 1`` while step ``i``
    runs.)
    """
    if jax.default_backend() == "cpu" or placement is not None:
        yield from batches  # (a placement splits each batch over its devices itself)
        return
    pending = None
    for batch in batches:
        batch = _data.Batch(jax.device_put(batch.data), jax.device_put(batch.mask), batch.size)
        if pending is not None:
            yield pending
        pending = batch
    if pending is not None:
        yield pending


def _batch_logs(state):
    return LazyLogs(lambda: to_python_logs(state._train_logs()))


def _run_epoch(state, adapter, resident, shuffle, rng, plan, cbs):
    """Yield after each dispatched execution (``k`` steps) with batch callbacks run."""
    if resident is not None:
        idx, mask = adapter.epoch_indices(shuffle is True or shuffle == "batch", rng)
        placement = state.placement
        if placement is not None:  # every batch splits evenly over the batch axis
            idx, mask = placement.pad_columns(idx, mask)
        n = len(idx)
        plan.epoch_begin(n)
        # Room for no-op (all-padding) steps so a k-step slice never runs off the end.
        pad = plan.max_k - 1
        if pad:
            idx = np.concatenate([idx, np.zeros((pad, idx.shape[1]), idx.dtype)])
            mask = np.concatenate([mask, np.zeros((pad, mask.shape[1]), mask.dtype)])
        idx, mask = _device_tree(idx, placement), _device_tree(mask, placement)
        counter = _device_tree(np.zeros((), np.int32), placement)
        start = 0
        while start < n:
            if state._boundary():  # pause, new learning rate, stop (FitControl)
                return
            k = plan.next_k()
            stop = min(start + k, n)
            cbs.on_train_batch_begin(start)
            state._apply_pending()  # a learning rate a callback just set
            counter, leaves = state._run(k, counter, resident, idx, mask)
            plan.after_dispatch(leaves, stop - start)
            logs = _batch_logs(state)
            cbs.on_train_batch_end(stop - 1, logs)
            yield stop - 1, logs
            start = stop
            if state.model.stop_training:
                return
        return
    batches = _host_batches(adapter)
    if isinstance(adapter, _data.ArrayData):  # several processes: each feeds its rows
        idx, mask = adapter.epoch_indices(shuffle is True or shuffle == "batch", rng)
        idx, mask = state.placement.pad_columns(idx, mask)
        batches = adapter.local_batches(idx, mask, state.placement.local_rows(idx.shape[1]))
    for i, batch in enumerate(_prefetch(batches, state.placement)):
        if state._boundary():
            return
        cbs.on_train_batch_begin(i)
        state._apply_pending()
        state._run_batch(batch)
        logs = _batch_logs(state)
        cbs.on_train_batch_end(i, logs)
        yield i, logs
        if state.model.stop_training:
            return


def validate(state, adapter, cbs):
    """fit's validation pass: ``on_test_begin``/``on_test_batch_*``/``on_test_end`` go to
    the callbacks as in Keras's fit, except the progress view (Keras's progress bar
    ignores them during fit too)."""
    test_cbs = cbs.without_progress()
    test_cbs.on_test_begin()
    logs = _evaluate_loop(state, adapter, test_cbs)
    test_cbs.on_test_end(logs)
    return logs


def _evaluate_loop(state, adapter, cbs):
    steps = state._steps
    params, rest = state._params_and_rest()
    metrics = state._fresh_metrics()
    for i, batch in enumerate(_host_batches(adapter)):
        if cbs is not None:
            cbs.on_test_batch_begin(i)
        data, mask = state._put_batch(batch)
        if i == 0:  # what the first batch compiled (or loaded from the cache)
            key = ("eval", jax.tree.structure(data), _shapes(data))
            metrics = state._watch_first("eval", key, steps.eval_batch, metrics, params, rest,
                                         data, mask)
        else:
            metrics = steps.eval_batch(metrics, params, rest, data, mask)
        if cbs is not None:
            cbs.on_test_batch_end(i, LazyLogs(lambda m=metrics: to_python_logs(steps.results(m))))
    state._publish_metrics(metrics)
    return to_python_logs(steps.results(metrics))


@_honours_run_eagerly
def evaluate(
    state: TrainingState,
    x=None,
    y=None,
    batch_size=None,
    verbose="auto",
    sample_weight=None,
    steps=None,
    callbacks=None,
    return_dict=False,
):
    """See :meth:`nbkeras.Model.evaluate`."""
    verbose = _resolve_verbose(verbose)
    adapter = _data.adapt(x, y, sample_weight, batch_size, steps)
    first = _peek(adapter)
    state._ensure_built(first.data[0], first.data[1])
    state._use_placement(Placement.capture(state.model))
    cbs = CallbackList(
        callbacks,
        model=state.model,
        progress=progress_callback(verbose) if verbose else None,
        verbose=verbose,
        steps=getattr(adapter, "steps", None),
        epochs=1,
        mode="test",
        batch_size=getattr(adapter, "batch_size", None),
    )
    cbs.on_test_begin()
    logs = _evaluate_loop(state, adapter, cbs)
    cbs.on_test_end(logs)
    return format_logs(state, logs, return_dict)


def format_logs(state: TrainingState, logs: dict, return_dict: bool):
    """Keras's return value of ``evaluate``/``*_on_batch``: a dict, a scalar or a list."""
    if return_dict:
        return logs
    names = state._obj.log_names()
    ordered = [logs[n] for n in names if n in logs]
    ordered += [logs[n] for n in sorted(logs) if n not in names]
    return ordered[0] if len(ordered) == 1 else ordered


@_honours_run_eagerly
def predict(model, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
    """See :meth:`nbkeras.Model.predict` (compiled or not)."""
    verbose = _resolve_verbose(verbose)
    adapter = _data.adapt(x, None, None, batch_size, steps)
    placement = Placement.capture(model)
    step = predict_step_for(model, x, placement)
    cbs = CallbackList(
        callbacks,
        model=model,
        progress=progress_callback(verbose) if verbose else None,
        verbose=verbose,
        steps=getattr(adapter, "steps", None),
        epochs=1,
        mode="predict",
        batch_size=getattr(adapter, "batch_size", None),
    )
    cbs.on_predict_begin()
    if (placement is None and not callbacks and isinstance(adapter, _data.ArrayData)
            and adapter.n > 0):
        result = _predict.predict_arrays(model, step, adapter, cbs)
        cbs.on_predict_end()
        return result
    outs, sizes = [], []
    for i, batch in enumerate(_host_batches(adapter)):
        cbs.on_predict_batch_begin(i)
        xb = batch.data[0]
        if placement is not None:
            xb = placement.put_batch(xb, batch.mask)[0]
        outs.append(step(xb))
        sizes.append(batch.size)
        cbs.on_predict_batch_end(i, {"outputs": outs[-1]})
    host = jax.device_get(outs) if placement is None else placement.to_host(outs)
    result = jax.tree.map(
        lambda *parts: np.concatenate([p[:s] for p, s in zip(parts, sizes)]), *host
    )
    cbs.on_predict_end()
    return result


@_honours_run_eagerly
def predict_on_batch(model, x):
    """See :meth:`nbkeras.Model.predict_on_batch`."""
    placement = Placement.capture(model)
    step = predict_step_for(model, x, placement)
    x = _data.to_numpy_tree(x)
    if placement is None:
        return jax.tree.map(np.asarray, step(x))
    n = _data.num_samples(x)  # padded to the batch axis, then cut back
    out = step(placement.put_batch(x, np.ones(n, np.float32))[0])
    return jax.tree.map(lambda a: a[:n], placement.to_host(out))


def predict_step_for(model, x, placement=None):
    """Build ``model`` from ``x`` if needed; its jitted predict step (``predict.Step``).

    With a ``placement`` (a distribution), the model's variables are moved onto its
    mesh first (once; the model keeps them there).
    """
    if not model.built and _data._is_data_structure(x):
        first = jax.tree.map(lambda a: np.asarray(a)[:1], _data.to_numpy_tree(x))
        model(first)
    state = getattr(model, "training_state", None)
    if state is not None and state.is_live:
        return _predict.predict_step(model, state._params_and_rest())
    step = _predict.predict_step(model)
    if placement is not None:
        params, rest = placement.place((step.params, step.rest), copy=False)
        nnx.update(model, params, rest)
        step = _predict.predict_step(model, (params, rest))
    return step


@_honours_run_eagerly
def train_on_batch(state: TrainingState, x, y=None, sample_weight=None, class_weight=None,
                   return_dict=False):
    """See :meth:`nbkeras.Model.train_on_batch`."""
    adapter = _data.adapt(x, y, sample_weight, batch_size=None, class_weight=class_weight)
    adapter.batch_size = adapter.n
    batch = next(adapter.host_batches())
    state._ensure_built(batch.data[0], batch.data[1])
    state._use_placement(Placement.capture(state.model))
    state._start()
    try:
        state._reset_metrics()
        state._apply_pending()
        state._run_batch(batch)
        logs = to_python_logs(state._train_logs())
    finally:
        state._finish()
    return format_logs(state, logs, return_dict)


@_honours_run_eagerly
def test_on_batch(state: TrainingState, x, y=None, sample_weight=None, return_dict=False):
    """See :meth:`nbkeras.Model.test_on_batch`."""
    adapter = _data.adapt(x, y, sample_weight, batch_size=None)
    adapter.batch_size = adapter.n
    batch = next(adapter.host_batches())
    state._ensure_built(batch.data[0], batch.data[1])
    state._use_placement(Placement.capture(state.model))
    logs = _evaluate_loop(state, adapter, cbs=None)
    return format_logs(state, logs, return_dict)
