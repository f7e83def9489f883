"""The one jitted predict step of a model, compiled or not, and batch grouping.

``predict``/``predict_on_batch`` of any model go through :func:`predict_step`: one
``jax.jit`` per model graph (cached per model, so repeated calls do not recompile),
fed with the running fit's device variables when called from a callback.

Grouping: ``predict`` may run ``k`` batches of the same shape in one dispatch, the
forward ``vmap``-ped over ``k`` stacked batches - each batch computed as it would be
alone (``vmap`` keeps per-batch semantics, even for a layer that mixes samples). XLA then
multiplies larger matrices: measured on this project's 2-core CPU, the benchmark MLP and
LSTM predict ~1.1-1.15x faster with 8 batches per dispatch - but the convnet ~6x slower
per batch under ``vmap`` and the tiny model and a transformer block not faster. So
:func:`run_batches` decides by measurement, once per model graph and batch shape, in a
``predict`` with enough batches: single dispatches are timed, then groups of ``k``
(sized to ~``GROUP_TARGET_S``), alternately, and groups are kept only if clearly faster.
A ``predict`` too short to finish measuring runs single dispatches and leaves the
decision to the next one.
"""

from __future__ import annotations

import itertools
import math
import time
import weakref

import jax
import numpy as np
from flax import nnx

from nbkeras import variables as _vars

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


GROUP_TARGET_S = 0.02  # a group's dispatch is sized to about this long
MAX_GROUP = 16
MIN_GAIN = 0.95  # groups must take < 95 % of the single dispatches' time per batch
SINGLE_TIMED = 8  # at least this many single dispatches timed (after one warm-up)
GROUPS_TIMED = 2  # at least this many group dispatches timed (after one that compiles)
MIN_TIMING_S = 0.01  # and each measurement lasts at least this long


class _Entry:
    __slots__ = ("graphdef", "fn", "grouped", "plans", "traces")

    def __init__(self, graphdef):
        self.graphdef = graphdef
        self.traces = 0
        self.plans: dict = {}  # batch signature -> GroupPlan

        def run(params, rest, x):
            self.traces += 1  # runs at trace time only
            return nnx.merge(graphdef, params, rest)(x, training=False)

        self.fn = jax.jit(run)
        self.grouped = jax.jit(jax.vmap(run, in_axes=(None, None, 0)))


class GroupPlan:
    """How many same-shaped batches one predict dispatch runs (see the module doc).

    Attributes:
        k: Batches per dispatch (1 until decided, and when groups did not pay).
        decided: Whether the measurement is done.
        report: ``{"single": s, "grouped": s, "candidate": k, "k": k}`` (seconds per
            batch), or ``{"error": ...}`` if the grouped forward failed to run.
    """

    def __init__(self):
        self.k = 1
        self.decided = False
        self.report: dict = {}

    def decide(self, k: int) -> None:
        self.k, self.decided = k, True
        self.report["k"] = k


def group_plan(model, x) -> GroupPlan | None:
    """The grouping plan of ``model``'s predict step for batches shaped like ``x``."""
    entry = _CACHE.get(model)
    if entry is None:
        return None
    signature = tuple((np.shape(a), np.result_type(a).str) for a in jax.tree.leaves(x))
    return entry.plans.setdefault(signature, GroupPlan())


def predict_arrays(model, params, rest, adapter, callbacks):
    """``predict`` over in-memory arrays (``data.ArrayData``) without user callbacks:
    batches may run several per dispatch (:func:`run_batches`); ``callbacks`` (the
    progress bar) see every batch index, with the outputs of its dispatch."""
    batches = adapter.host_batches()
    first = next(batches)
    plan = group_plan(model, first.data[0])

    def on_batch(i, outputs):
        callbacks.on_predict_batch_begin(i)
        callbacks.on_predict_batch_end(i, {"outputs": outputs})

    total = len(range(0, adapter.n, adapter.batch_size))
    dispatched = run_batches(
        model, params, rest, itertools.chain([first], batches), plan, on_batch, total)
    host = jax.device_get([o for o, _, _ in dispatched])
    parts, sizes = [], []
    for h, (_, batch_sizes, grouped) in zip(host, dispatched):
        for j, size in enumerate(batch_sizes):
            parts.append(jax.tree.map(lambda a, j=j: a[j], h) if grouped else h)
            sizes.append(size)
    return jax.tree.map(lambda *ps: np.concatenate([p[:s] for p, s in zip(ps, sizes)]), *parts)


def run_batches(model, params, rest, batches, plan: GroupPlan | None, on_batch, total=None):
    """Dispatch the predict step over ``batches``, grouping them as ``plan`` decides.

    Args:
        model: The model (its :func:`predict_step` entry must exist).
        params, rest: Its variables.
        batches: Iterable of ``data.Batch`` of one padded shape.
        plan: A :class:`GroupPlan` (measured here if undecided), or None: one batch per
            dispatch.
        on_batch: ``on_batch(index, outputs)`` after each batch is dispatched (for a
            grouped dispatch, ``outputs`` are the whole group's).
        total: The number of batches, if known (measuring needs it).

    Returns:
        ``[(outputs, sizes, grouped)]`` in order: device outputs, the real sizes of the
        batches they hold, and whether they are stacked ``(k, batch, ...)``.
    """
    entry = _CACHE[model]
    batches = iter(batches)
    out: list = []
    count = 0  # batches dispatched

    def single(batch):
        nonlocal count
        o = entry.fn(params, rest, batch.data[0])
        out.append((o, [batch.size], False))
        on_batch(count, o)
        count += 1
        return o

    def grouped(chunk):
        nonlocal count
        xs = jax.tree.map(lambda *a: np.stack(a), *[b.data[0] for b in chunk])
        o = entry.grouped(params, rest, xs)
        out.append((o, [b.size for b in chunk], True))
        for _ in chunk:
            on_batch(count, o)
            count += 1
        return o

    def take(n):
        return list(itertools.islice(batches, n))

    if plan is not None and not plan.decided and total is not None:
        _measure(plan, take, single, grouped, total)
    k = plan.k if plan is not None and plan.decided else 1
    while chunk := take(k):
        if len(chunk) == k > 1:
            grouped(chunk)
        else:
            for batch in chunk:
                single(batch)
    return out


def _measure(plan, take, single, grouped, total) -> None:
    """Time single dispatches and groups, alternately; decide. A ``predict`` of too few
    batches (``total``) to finish measuring stays undecided and compiles nothing more."""
    warm = take(1)
    if not warm:
        return
    jax.block_until_ready(single(warm[0]))  # compile / first run excluded
    used = [1]

    def counted(n):
        chunk = take(n)
        used[0] += len(chunk)
        return chunk

    per_batch = _time(counted, single, 1, SINGLE_TIMED)
    if per_batch is None:
        return
    k = int(min(MAX_GROUP, 2 ** round(math.log2(max(2.0, GROUP_TARGET_S / per_batch)))))
    while k > 2 and _batches_needed(k, per_batch) > total - used[0]:
        k //= 2  # fit the measurement into this predict
    plan.report.update(single=per_batch, candidate=k)
    if _batches_needed(k, per_batch) > total - used[0]:
        return
    chunk = counted(k)
    try:
        jax.block_until_ready(grouped(chunk))  # compiles
    except Exception as err:  # a model vmap cannot batch (e.g. a callback without vmap_method)
        plan.report["error"] = f"{type(err).__name__}: {err}"
        plan.decide(1)
        for batch in chunk:
            single(batch)
        return
    # Alternate (groups, singles, groups) and keep each one's best: timings drift.
    per_batch_grouped = _time(counted, grouped, k, GROUPS_TIMED, leftover=single)
    again = per_batch_grouped and _time(counted, single, 1, SINGLE_TIMED)
    last = again and _time(counted, grouped, k, GROUPS_TIMED, leftover=single)
    if not last:
        plan.decide(1)  # (not expected: sized above) the compile is paid; stop measuring
        return
    per_batch, per_batch_grouped = min(per_batch, again), min(per_batch_grouped, last)
    plan.report.update(single=per_batch, grouped=per_batch_grouped)
    plan.decide(k if per_batch_grouped < MIN_GAIN * per_batch else 1)


def _batches_needed(k, per_batch) -> int:
    """Batches the rest of a measurement takes: a warm group, two timed rounds of groups
    and one of singles (each >= MIN_TIMING_S; x2 for the doubling of checkpoints)."""
    singles = max(SINGLE_TIMED, math.ceil(MIN_TIMING_S / per_batch))
    groups = max(GROUPS_TIMED, math.ceil(MIN_TIMING_S / (k * per_batch)))
    return k + 2 * (2 * groups * k) + 2 * singles


def _time(take, dispatch, k, minimum, leftover=None):
    """Seconds per batch over >= ``minimum`` dispatches of ``k`` batches lasting >=
    ``MIN_TIMING_S`` (blocking only at 1x, 2x, 4x ... ``minimum`` dispatches, so the queue
    stays full); None when the data ran out first (what was taken still ran)."""
    t0, batches, dispatches, check = time.perf_counter(), 0, 0, minimum
    while True:
        chunk = take(k)
        if len(chunk) < k:
            for batch in chunk:
                (leftover or dispatch)(batch)
            return None
        o = dispatch(chunk if k > 1 else chunk[0])
        batches, dispatches = batches + k, dispatches + 1
        if dispatches == check:
            jax.block_until_ready(o)
            elapsed = time.perf_counter() - t0
            if elapsed >= MIN_TIMING_S:
                return elapsed / batches
            check *= 2


def predict_step(model, variables=None):
    """``(fn, params, rest)`` with ``fn(params, rest, x) -> outputs`` jitted.

    Args:
        model: A built model.
        variables: ``(params, rest)`` to use instead of the model's own (a running fit's
            device state).
    """
    if variables is None:
        graphdef, params, rest = nnx.split(model, _vars.is_trainable, ...)
    else:
        graphdef = nnx.graphdef(model)
        params, rest = variables
    entry = _CACHE.get(model)
    if entry is None or entry.graphdef != graphdef:
        old = 0 if entry is None else entry.traces
        entry = _Entry(graphdef)
        entry.traces = old
        _CACHE[model] = entry
    return entry.fn, params, rest


def trace_count(model) -> int:
    """How many times ``model``'s predict step was traced."""
    entry = _CACHE.get(model)
    return 0 if entry is None else entry.traces
