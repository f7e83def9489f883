"""The one jitted predict step of a model, compiled or not, and batch grouping.

``predict``/``predict_on_batch`` of any model go through :func:`predict_step`: one
``jax.jit`` per model graph (cached per model, so repeated calls do not recompile),
fed with the running fit's device variables when called from a callback.

Grouping: ``predict`` may run ``k`` batches of the same shape in one dispatch. A model
known to compute each sample on its own at inference (``layers._sample_wise``: built-in
layers and element-wise ops only) runs them as one batch ``k`` times larger ("merge");
any other model runs its forward ``vmap``-ped over ``k`` stacked batches, each batch
computed as it would be alone (``vmap`` keeps per-batch semantics, even for a layer that
mixes samples). Measured on this project's 2-core CPU: the benchmark MLP and LSTM predict
~1.1-1.15x faster with 8 batches per dispatch, the convnet ~1.1-1.17x with 2-4 batches
merged (but 0.9x with 8, and ~6x slower per batch under ``vmap``), a transformer block not
faster. So :func:`run_batches` decides by measurement, once per model graph and batch
shape: single dispatches are timed, then groups of ``k`` (sized to ~``GROUP_TARGET_S``),
alternately, and groups are kept only if clearly faster. The measurement goes on across
``predict`` calls (a short ``predict`` does what fits and leaves the rest to the next one);
the grouped forward is compiled only by a ``predict`` with enough batches left to time it.
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
from nbkeras.layers._sample_wise import sample_wise

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


GROUP_TARGET_S = 0.02  # a group's dispatch is sized to about this long
MAX_GROUP = 16
MIN_GAIN = 0.95  # groups must take < 95 % of the single dispatches' time per batch
SINGLE_TIMED = 8  # at least this many single dispatches timed (after one warm-up)
GROUPS_TIMED = 2  # at least this many group dispatches timed (after one that compiles)
MIN_TIMING_S = 0.01  # and each measurement lasts at least this long
# The measurement, in order (kept in GroupPlan.phase across predict calls): time single
# dispatches, compile the grouped forward, then time groups and singles alternately (best
# of three each: a gain of ~10 % is within one timing's noise on a busy 2-core machine).
PHASES = ("single", "compile", "grouped", "single", "grouped", "single", "grouped")


class _Entry:
    """The jitted predict forward of one model graph: single batches and groups, each
    compiled per variables' tree structure (their leaves are passed as one flat list:
    flattening Flax variables on every dispatch cost ~0.1-0.3 ms of host time)."""

    __slots__ = ("graphdef", "mode", "plans", "traces", "_jitted")

    def __init__(self, graphdef, model):
        self.graphdef = graphdef
        self.traces = 0
        self.plans: dict = {}  # batch signature -> GroupPlan
        self.mode = "merge" if sample_wise(model) else "vmap"
        self._jitted: dict = {}  # variables' treedef -> (single, grouped)

    def jitted(self, treedef):
        """``(single, grouped)``: ``single(leaves, x)`` and ``grouped(leaves, xs)``, ``xs``
        holding ``k`` batches stacked ``(k, batch, ...)``."""
        if treedef not in self._jitted:
            graphdef = self.graphdef

            def run(leaves, x):
                self.traces += 1  # runs at trace time only
                params, rest = jax.tree.unflatten(treedef, leaves)
                return nnx.merge(graphdef, params, rest)(x, training=False)

            def merged(leaves, xs):  # (k, batch, ...) -> one batch of k * batch samples
                k, size = jax.tree.leaves(xs)[0].shape[:2]
                flat = jax.tree.map(lambda a: a.reshape(k * size, *a.shape[2:]), xs)
                return jax.tree.map(lambda a: _split_batch(a, k, size), run(leaves, flat))

            grouped = merged if self.mode == "merge" else jax.vmap(run, in_axes=(None, 0))
            self._jitted[treedef] = (jax.jit(run), jax.jit(grouped))
        return self._jitted[treedef]


class Step:
    """A model's predict forward bound to its variables: ``step(x) -> outputs``.

    Attributes:
        params, rest: The variables (``nnx.State``), as given.
        mode: How ``grouped`` runs several batches: ``"merge"`` or ``"vmap"``.
    """

    def __init__(self, entry: _Entry, params, rest):
        self.params, self.rest, self.mode = params, rest, entry.mode
        self._leaves, treedef = jax.tree.flatten((params, rest))
        self._single, self._grouped = entry.jitted(treedef)

    def __call__(self, x):
        return self._single(self._leaves, x)

    def grouped(self, xs):
        """Outputs of ``k`` batches stacked ``(k, batch, ...)``, stacked the same way."""
        return self._grouped(self._leaves, xs)


def _split_batch(a, k, size):
    if a.ndim == 0 or a.shape[0] != k * size:
        raise ValueError(
            f"A predict output of shape {a.shape} has no batch axis of {k * size} samples, "
            "so batches cannot be merged.")
    return a.reshape(k, size, *a.shape[1:])


class GroupPlan:
    """How many same-shaped batches one predict dispatch runs (see the module doc).

    Attributes:
        k: Batches per dispatch (1 until decided, and when groups did not pay).
        decided: Whether the measurement is done.
        phase: How far the measurement got (an index into ``PHASES``).
        report: ``{"single": s, "grouped": s, "candidate": k, "mode": m, "k": k}``
            (seconds per batch, best of the timings; ``mode`` "merge" or "vmap"), or with
            ``"error"`` if the grouped forward failed to run.
    """

    def __init__(self):
        self.k = 1
        self.decided = False
        self.phase = 0
        self.report: dict = {}

    def decide(self, k: int) -> None:
        self.k, self.decided = k, True
        self.report["k"] = k

    def timed(self, kind: str, per_batch: float) -> None:
        """Record a timing (best kept) and move to the next phase."""
        self.report[kind] = min(per_batch, self.report.get(kind, per_batch))
        self.phase += 1


def group_plan(model, x) -> GroupPlan | None:
    """The grouping plan of ``model``'s predict step for batches shaped like ``x``."""
    entry = _CACHE.get(model)
    if entry is None:
        return None
    signature = tuple((np.shape(a), np.result_type(a).str) for a in jax.tree.leaves(x))
    return entry.plans.setdefault(signature, GroupPlan())


def predict_arrays(model, step: Step, adapter, callbacks):
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
        step, itertools.chain([first], batches), plan, on_batch, total)
    host = jax.device_get([o for o, _, _ in dispatched])
    parts, sizes = [], []
    for h, (_, batch_sizes, grouped) in zip(host, dispatched):
        for j, size in enumerate(batch_sizes):
            parts.append(jax.tree.map(lambda a, j=j: a[j], h) if grouped else h)
            sizes.append(size)
    return jax.tree.map(lambda *ps: np.concatenate([p[:s] for p, s in zip(ps, sizes)]), *parts)


def run_batches(step: Step, batches, plan: GroupPlan | None, on_batch, total=None):
    """Dispatch the predict step over ``batches``, grouping them as ``plan`` decides.

    Args:
        step: The model's :func:`predict_step`.
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
    batches = iter(batches)
    out: list = []
    count = 0  # batches dispatched

    def single(batch):
        nonlocal count
        o = step(batch.data[0])
        out.append((o, [batch.size], False))
        on_batch(count, o)
        count += 1
        return o

    def grouped(chunk):
        nonlocal count
        xs = jax.tree.map(lambda *a: stack_batches(a), *[b.data[0] for b in chunk])
        o = step.grouped(xs)
        out.append((o, [b.size for b in chunk], True))
        for _ in chunk:
            on_batch(count, o)
            count += 1
        return o

    def take(n):
        return list(itertools.islice(batches, n))

    if plan is not None and not plan.decided and total is not None:
        plan.report.setdefault("mode", step.mode)
        _measure(plan, take, single, grouped, total)
    k = plan.k if plan is not None and plan.decided else 1
    while chunk := take(k):
        if len(chunk) == k > 1:
            grouped(chunk)
        else:
            for batch in chunk:
                single(batch)
    return out


def stack_batches(parts):
    """``np.stack(parts)``, without the copy when the batches are consecutive slices of
    one array (``predict``'s batches of an in-memory array are): a read-only view.

    Example:
        >>> import numpy as np
        >>> x = np.arange(12.0).reshape(6, 2)
        >>> view = stack_batches([x[0:2], x[2:4], x[4:6]])
        >>> view.shape, np.shares_memory(view, x)
        ((3, 2, 2), True)
    """
    first = parts[0]
    if isinstance(first, np.ndarray) and first.base is not None and first.flags.c_contiguous:
        start = first.__array_interface__["data"][0]
        if all(
            isinstance(p, np.ndarray) and p.base is first.base and p.shape == first.shape
            and p.dtype == first.dtype and p.flags.c_contiguous
            and p.__array_interface__["data"][0] == start + i * first.nbytes
            for i, p in enumerate(parts)
        ):
            # Every part lies inside the same owner at consecutive addresses: one view.
            return np.lib.stride_tricks.as_strided(
                first, (len(parts), *first.shape), (first.nbytes, *first.strides),
                writeable=False)
    return np.stack(parts)


def _measure(plan, take, single, grouped, total) -> None:
    """Go on with ``plan``'s measurement (``PHASES``) as far as this ``predict``'s
    ``total`` batches allow; decide at the end. Every batch taken is dispatched."""
    used = [0]

    def counted(n):
        chunk = take(n)
        used[0] += len(chunk)
        return chunk

    if "single" not in plan.report:  # the first dispatch compiles: not timed
        warm = counted(1)
        if not warm:
            return
        jax.block_until_ready(single(warm[0]))
    while plan.phase < len(PHASES):
        kind = PHASES[plan.phase]
        if kind == "compile":
            if not _compile(plan, counted, single, grouped, total - used[0]):
                return
            continue
        k = 1 if kind == "single" else plan.report["candidate"]
        per_batch = _time(counted, single if k == 1 else grouped, k,
                          SINGLE_TIMED if k == 1 else GROUPS_TIMED, leftover=single)
        if per_batch is None:
            return  # out of batches: the next predict goes on
        plan.timed(kind, per_batch)
        if "candidate" not in plan.report:
            plan.report["candidate"] = _candidate(per_batch, total)
    if plan.report["grouped"] < MIN_GAIN * plan.report["single"]:
        plan.decide(plan.report["candidate"])
    else:
        plan.decide(1)


def _candidate(per_batch, total) -> int:
    """The group size to try: ~GROUP_TARGET_S per dispatch, a power of two <= MAX_GROUP,
    halved until compiling and timing it fits into a predict of ``total`` batches."""
    k = int(min(MAX_GROUP, 2 ** round(math.log2(max(2.0, GROUP_TARGET_S / per_batch)))))
    while k > 2 and _batches_needed(k, per_batch) > total:
        k //= 2
    return k


def _compile(plan, take, single, grouped, left) -> bool:
    """Compile the grouped forward with one group, if this predict has enough batches
    ``left`` to time it too; False when it had not (nothing compiled) or it failed."""
    k = plan.report["candidate"]
    if _batches_needed(k, plan.report["single"]) > left:
        return False
    chunk = take(k)
    try:
        jax.block_until_ready(grouped(chunk))
    except Exception as err:  # e.g. a callback without vmap_method, an output w/o batch
        plan.report["error"] = f"{type(err).__name__}: {err}"
        plan.decide(1)
        for batch in chunk:
            single(batch)
        return False
    plan.phase += 1
    return True


def _batches_needed(k, per_batch) -> int:
    """Batches a compile and one timing of groups take (estimated from the single
    dispatches' ``per_batch``): a warm group, then GROUPS_TIMED groups, doubled until they
    would last MIN_TIMING_S (if the estimate was short, the timing finishes next time)."""
    groups = GROUPS_TIMED
    while groups * k * per_batch < MIN_TIMING_S:
        groups *= 2
    return k + groups * k


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


def predict_step(model, variables=None) -> Step:
    """The jitted predict forward of ``model``, bound to its variables.

    Args:
        model: A built model.
        variables: ``(params, rest)`` to use instead of the model's own (a running fit's
            device state, or variables placed on a mesh).

    Example:
        >>> import numpy as np, nbkeras as keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> step = predict_step(model)
        >>> step(np.ones((4, 3), "float32")).shape
        (4, 2)
    """
    if variables is None:
        graphdef, params, rest = nnx.split(model, _vars.is_trainable, ...)
    else:
        graphdef = nnx.graphdef(model)
        params, rest = variables
    entry = _CACHE.get(model)
    if entry is None or entry.graphdef != graphdef:
        old = 0 if entry is None else entry.traces
        entry = _Entry(graphdef, model)
        entry.traces = old
        _CACHE[model] = entry
    return Step(entry, params, rest)


def trace_count(model) -> int:
    """How many times ``model``'s predict step was traced."""
    entry = _CACHE.get(model)
    return 0 if entry is None else entry.traces
