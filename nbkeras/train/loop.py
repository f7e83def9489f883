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
    return None if tree is None else jax.tree.map(jax.numpy.asarray, tree)


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
    )
    model.stop_training = False
    rng = np.random.default_rng(_shuffle_seed())
    resident = None
    if isinstance(train_data, _data.ArrayData):
        resident = _device_tree(train_data.arrays)
    k = max(1, int(steps_per_execution or 1))
    trainer.start()
    logs = {}
    cbs.on_train_begin()
    try:
        for epoch in range(initial_epoch, epochs):
            trainer.reset_metrics()
            cbs.on_epoch_begin(epoch)
            for _step, _n_steps in _run_epoch(trainer, train_data, resident, shuffle, rng, k, cbs):
                if model.stop_training and cbs.needs_batch_logs:
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
    from nbkeras import _rng

    return _rng.next_seed()


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


def _batch_logs(trainer, cbs):
    if cbs.needs_batch_logs:
        trainer.sync()
        return to_python_logs(trainer.train_logs())
    return LazyLogs(lambda: to_python_logs(trainer.train_logs()))


def _run_epoch(trainer, adapter, resident, shuffle, rng, k, cbs):
    """Yield after each dispatched execution (``k`` steps) with batch callbacks run."""
    steps = trainer.steps
    if resident is not None:
        idx, mask = adapter.epoch_indices(shuffle is True or shuffle == "batch", rng)
        n = len(idx)
        for start in range(0, n, k):
            stop = min(start + k, n)
            cbs.on_train_batch_begin(start)
            trainer.apply_pending()
            if k == 1:
                trainer.state = steps.train_indexed(
                    trainer.state, resident, idx[start], mask[start]
                )
            else:
                bi, bm = idx[start:stop], mask[start:stop]
                if stop - start < k:  # pad with all-padding (no-op) steps
                    pad = k - (stop - start)
                    bi = np.concatenate([bi, np.zeros((pad, bi.shape[1]), bi.dtype)])
                    bm = np.concatenate([bm, np.zeros((pad, bm.shape[1]), bm.dtype)])
                trainer.state = steps.train_multi(trainer.state, resident, bi, bm)
            cbs.on_train_batch_end(stop - 1, _batch_logs(trainer, cbs))
            yield stop - 1, n
            if trainer.model.stop_training and cbs.needs_batch_logs:
                return
        return
    for i, batch in enumerate(_host_batches(adapter)):
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
    metrics = trainer.obj.init_state()
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
