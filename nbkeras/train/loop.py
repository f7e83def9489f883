"""The epoch and batch loops of ``fit``, ``evaluate`` and ``predict``.

Only loops and callback dispatch live here; the arithmetic is in :mod:`.step`.  Logs
stay on the device unless a callback reads them, so steps are dispatched
asynchronously.
"""

from __future__ import annotations

import time

import jax
import numpy as np

from nbkeras.callbacks.base import CallbackList
from nbkeras.train import data as _data
from nbkeras.train.trainer import Trainer, to_python_logs


class LazyLogs(dict):
    """Batch logs that are fetched from the device only when a callback reads them."""

    def __init__(self, fetch):
        super().__init__()
        self._fetch = fetch
        self._loaded = False

    def _load(self):
        if not self._loaded:
            self._loaded = True
            super().update(self._fetch())

    def __getitem__(self, k):
        self._load()
        return super().__getitem__(k)

    def get(self, k, default=None):
        self._load()
        return super().get(k, default)

    def items(self):
        self._load()
        return super().items()

    def keys(self):
        self._load()
        return super().keys()

    def values(self):
        self._load()
        return super().values()

    def __iter__(self):
        self._load()
        return super().__iter__()

    def __len__(self):
        self._load()
        return super().__len__()

    def __contains__(self, k):
        self._load()
        return super().__contains__(k)


def _resolve_verbose(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2; received {verbose!r}.")
    return int(verbose)


def _device_tree(tree):
    # device_put, not jnp.asarray: a transfer, with no per-shape compile.
    return None if tree is None else jax.device_put(tree)


def fit(
    model,
    trainer: Trainer,
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
    steps_per_execution=1,
):
    """Train ``model``; see :meth:`nbkeras.Model.fit`."""
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

    first = _peek(train_data)
    trainer.ensure_built(first.data[0], first.data[1])
    if isinstance(train_data, _data.ArrayData):
        from nbkeras.train.objectives import check_targets

        check_targets(trainer.obj, train_data.y, None)

    cbs = CallbackList(
        callbacks,
        model=model,
        add_history=True,
        add_progbar=True,
        epochs=epochs,
        steps=getattr(train_data, "steps", None),
        verbose=verbose,
        batch_size=getattr(train_data, "batch_size", None),
    )
    model.stop_training = False
    # Shuffles are seeded per epoch from one fit seed, so a resumed run (BackupAndRestore
    # may replace both values in on_train_begin) shuffles epoch e as the original did.
    trainer.shuffle_seed = _shuffle_seed()
    trainer.initial_epoch = initial_epoch
    resident = None
    if isinstance(train_data, _data.ArrayData):
        resident = _device_tree(train_data.arrays)
    plan = trainer.execution_plan(steps_per_execution)
    logs = {}
    cbs.on_train_begin()  # before start(): callbacks may load weights/optimizer state
    initial_epoch = trainer.initial_epoch
    trainer.start()
    try:
        for epoch in range(initial_epoch, epochs):
            rng = np.random.default_rng((trainer.shuffle_seed, epoch))
            trainer.reset_metrics()
            cbs.on_epoch_begin(epoch)
            for _step, _n_steps in _run_epoch(trainer, train_data, resident, shuffle, rng, plan, cbs):
                if model.stop_training:
                    break
            epoch_logs = to_python_logs(trainer.train_logs())
            if val_data is not None and _should_validate(epoch, validation_freq):
                val_logs = _evaluate_loop(trainer, val_data, cbs=None)
                epoch_logs.update({f"val_{k_}": v for k_, v in val_logs.items()})
            trainer.sync()
            cbs.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if model.stop_training:
                break
    finally:
        trainer.finish()
    cbs.on_train_end(logs)
    return cbs.history


def _shuffle_seed() -> int:
    # NumPy's global generator is seeded by ``keras.utils.set_random_seed`` too; drawing
    # from it avoids compiling an eager jax.random program in the first fit (~0.2 s).
    return int(np.random.randint(0, 2**31 - 1))


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


def _prefetch(batches):
    """Start copying batch ``i + 1`` to the device before step ``i`` is dispatched.

    Only on accelerators: on CPU the "device" is host memory, so the copy would be the
    same work done earlier; batches pass through unchanged.  (Either way the step is
    dispatched asynchronously, so the generator makes batch ``i + 1`` while step ``i``
    runs.)
    """
    if jax.default_backend() == "cpu":
        yield from batches
        return
    pending = None
    for batch in batches:
        batch = _data.Batch(jax.device_put(batch.data), jax.device_put(batch.mask), batch.size)
        if pending is not None:
            yield pending
        pending = batch
    if pending is not None:
        yield pending


def _batch_logs(trainer, cbs):
    if cbs.needs_batch_logs:
        trainer.sync()
        return to_python_logs(trainer.train_logs())
    return LazyLogs(lambda: to_python_logs(trainer.train_logs()))


def _run_epoch(trainer, adapter, resident, shuffle, rng, plan, cbs):
    """Yield after each dispatched execution (``k`` steps) with batch callbacks run."""
    steps = trainer.steps
    if resident is not None:
        idx, mask = adapter.epoch_indices(shuffle is True or shuffle == "batch", rng)
        n = len(idx)
        plan.epoch_begin(n)
        # Room for no-op (all-padding) steps so a k-step slice never runs off the end.
        pad = plan.max_k - 1
        if pad:
            idx = np.concatenate([idx, np.zeros((pad, idx.shape[1]), idx.dtype)])
            mask = np.concatenate([mask, np.zeros((pad, mask.shape[1]), mask.dtype)])
        idx, mask = jax.device_put(idx), jax.device_put(mask)
        counter = jax.device_put(np.zeros((), np.int32))
        start = 0
        while start < n:
            k = plan.next_k(n - start)
            stop = min(start + k, n)
            cbs.on_train_batch_begin(start)
            trainer.apply_pending()
            leaves, treedef = trainer.flat()
            if plan.wants_compile:
                fused = steps.epoch_fn(treedef, plan.wants_compile)
                plan.compile_in_background(fused, (leaves, counter, resident, idx, mask))
            fn = steps.epoch_fn(treedef, k)
            leaves, counter = fn(leaves, counter, resident, idx, mask)
            trainer.set_leaves(leaves)
            plan.after_dispatch(leaves, stop - start)
            cbs.on_train_batch_end(stop - 1, _batch_logs(trainer, cbs))
            yield stop - 1, n
            start = stop
            if trainer.model.stop_training:
                return
        return
    for i, batch in enumerate(_prefetch(_host_batches(adapter))):
        cbs.on_train_batch_begin(i)
        trainer.apply_pending()
        trainer.state = steps.train_batch(trainer.state, batch.data, batch.mask)
        cbs.on_train_batch_end(i, _batch_logs(trainer, cbs))
        yield i, adapter.steps
        if trainer.model.stop_training:
            return


def _evaluate_loop(trainer, adapter, cbs):
    steps = trainer.steps
    params, rest = trainer.params_and_rest()
    metrics = trainer._fresh_metrics()
    for i, batch in enumerate(_host_batches(adapter)):
        if cbs is not None:
            cbs.on_test_batch_begin(i)
        metrics = steps.eval_batch(metrics, params, rest, batch.data, batch.mask)
        if cbs is not None and cbs.needs_batch_logs:
            cbs.on_test_batch_end(i, to_python_logs(steps.results(metrics)))
        elif cbs is not None:
            cbs.on_test_batch_end(i, LazyLogs(lambda m=metrics: to_python_logs(steps.results(m))))
    return to_python_logs(steps.results(metrics))


def evaluate(
    model,
    trainer,
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
    trainer.ensure_built(first.data[0], first.data[1])
    cbs = CallbackList(
        callbacks,
        model=model,
        add_progbar=True,
        verbose=verbose,
        steps=getattr(adapter, "steps", None),
        epochs=1,
        mode="test",
        batch_size=getattr(adapter, "batch_size", None),
    )
    cbs.on_test_begin()
    logs = _evaluate_loop(trainer, adapter, cbs)
    cbs.on_test_end(logs)
    if return_dict:
        return logs
    ordered = [logs[n] for n in trainer.obj.log_names() if n in logs]
    ordered += [logs[n] for n in sorted(logs) if n not in trainer.obj.log_names()]
    return ordered[0] if len(ordered) == 1 else ordered


def predict(
    model, steps_fn, params, rest, x, batch_size=None, verbose="auto", steps=None, callbacks=None
):
    """See :meth:`nbkeras.Model.predict`."""
    verbose = _resolve_verbose(verbose)
    adapter = _data.adapt(x, None, None, batch_size, steps)
    cbs = CallbackList(
        callbacks,
        model=model,
        add_progbar=True,
        verbose=verbose,
        steps=getattr(adapter, "steps", None),
        epochs=1,
        mode="predict",
        batch_size=getattr(adapter, "batch_size", None),
    )
    cbs.on_predict_begin()
    outs, sizes = [], []
    t0 = time.perf_counter()
    for i, batch in enumerate(_host_batches(adapter)):
        cbs.on_predict_batch_begin(i)
        outs.append(steps_fn(params, rest, batch.data[0]))
        sizes.append(batch.size)
        cbs.on_predict_batch_end(i, {"outputs": outs[-1]} if cbs.needs_batch_logs else {})
    del t0
    host = jax.device_get(outs)
    result = jax.tree.map(
        lambda *parts: np.concatenate([p[:s] for p, s in zip(parts, sizes)]), *host
    )
    cbs.on_predict_end()
    return result
