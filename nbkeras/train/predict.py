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
(sized to ~``GROUP_TARGET_S``), and groups are kept only if clearly faster.
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
SINGLE_TIMED = 8  # single dispatches timed (after one warm-up)
GROUPS_TIMED = 2  # group dispatches timed (after one warm-up, which compiles)


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


def run_batches(model, params, rest, batches, plan: GroupPlan | None, on_batch):
    """Dispatch the predict step over ``batches``, grouping them as ``plan`` decides.

    Args:
        model: The model (its :func:`predict_step` entry must exist).
        params, rest: Its variables.
        batches: Iterable of ``data.Batch`` of one padded shape.
        plan: A :class:`GroupPlan` (measured here if undecided), or None: one batch per
            dispatch.
        on_batch: ``on_batch(index, outputs)`` after each batch is dispatched (for a
            grouped dispatch, ``outputs`` are the whole group's).

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

    if plan is not None and not plan.decided:
        _measure(plan, take, single, grouped)
    k = plan.k if plan is not None and plan.decided else 1
    while chunk := take(k):
        if len(chunk) == k > 1:
            grouped(chunk)
        else:
            for batch in chunk:
                single(batch)
    return out


def _measure(plan, take, single, grouped) -> None:
    """Time single dispatches, then groups; decide. Too few batches: stay undecided."""
    warm = take(1)
    if not warm:
        return
    jax.block_until_ready(single(warm[0]))  # compile / first run excluded
    timed = take(SINGLE_TIMED)
    t0 = time.perf_counter()
    for batch in timed:
        o = single(batch)
    if len(timed) < SINGLE_TIMED:
        return
    jax.block_until_ready(o)
    per_batch = (time.perf_counter() - t0) / len(timed)
    k = int(min(MAX_GROUP, 2 ** round(math.log2(max(2.0, GROUP_TARGET_S / per_batch)))))
    chunks = [take(k) for _ in range(1 + GROUPS_TIMED)]
    if any(len(c) < k for c in chunks):
        for batch in itertools.chain(*chunks):
            single(batch)
        return
    plan.report.update(single=per_batch, candidate=k)
    try:
        jax.block_until_ready(grouped(chunks[0]))  # compiles
    except Exception as err:  # a model vmap cannot batch (e.g. a callback without vmap_method)
        plan.report["error"] = f"{type(err).__name__}: {err}"
        plan.decide(1)
        for batch in itertools.chain(*chunks):
            single(batch)
        return
    t0 = time.perf_counter()
    for chunk in chunks[1:]:
        o = grouped(chunk)
    jax.block_until_ready(o)
    plan.report["grouped"] = (time.perf_counter() - t0) / (k * GROUPS_TIMED)
    plan.decide(k if plan.report["grouped"] < MIN_GAIN * per_batch else 1)


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
