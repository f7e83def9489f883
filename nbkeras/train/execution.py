"""How many train steps one dispatch runs: ``compile(steps_per_execution=k | "auto")``.

Fusing ``k`` steps in one ``lax.scan`` removes the per-dispatch overhead (~0.1 ms on
CPU), which dominates a tiny model's step, but on XLA:CPU a convolution inside a loop
body can run an order of magnitude slower.  ``"auto"`` therefore decides by
measurement, during the first epoch, on real training steps:

1. time single-step dispatches (after the first, which compiles);
2. if a step takes long enough that dispatch overhead is negligible, keep ``k = 1``
   (no extra compile);
3. otherwise compile a ``k``-step scan sized to ~10 ms per dispatch -- in a background
   thread (XLA releases the GIL), while single steps keep training -- time it, and keep
   it only if it is clearly faster per step.  When the rest of the epoch at the single
   step's speed is shorter than the compile is expected to take (a tiny model, whose
   epoch is over in a fraction of a second), the background compile could not be used
   before the next epoch anyway: compile in the foreground then, so the fused speed is
   measured and chosen within the first epoch.

The steps run while measuring are ordinary training steps, in order, so the result of
``fit`` does not depend on the choice beyond float rounding.
"""

from __future__ import annotations

import math
import threading
import time

import jax

FUSE_BELOW_S = 1e-3  # single steps slower than this: dispatch overhead is < ~10 %
TARGET_EXECUTION_S = 0.05  # size of a fused execution when trying one
MAX_K = 256
MIN_TIMING_S = {"time": 0.03, "time_fused": 0.01}  # per measurement, and >= 3 dispatches
BACKGROUND_COMPILE = True  # False: always compile the fused candidate before continuing
FUSED_COMPILE_FACTOR = 1.5  # a fused compile takes ~this times the single step's first call
MAX_MEASURED_EPOCHS = 5  # epochs too short to finish measuring: keep k = 1
MIN_GAIN = 0.9  # fused must take < 90 % of the single-step time per step


class ExecutionPlan:
    """The ``k`` of each dispatch; measures and decides when created with ``"auto"``.

    Args:
        requested: A positive int, or ``"auto"``.

    Attributes:
        k: The chosen steps per execution (1 while ``"auto"`` is still measuring).
        decided: False while ``"auto"`` is measuring.
        report: Measured seconds per step, ``{"single": t1, "fused": tk, "k": k}``.
    """

    def __init__(self, requested):
        self.requested = requested
        self.auto = requested == "auto"
        self.k = 1 if self.auto else max(1, int(requested))
        self.decided = not self.auto
        self.report: dict = {}
        self._phase = "warm"  # warm -> time -> (compile -> warm_fused -> time_fused) -> done
        self._compiler: threading.Thread | None = None
        self._compile_error: BaseException | None = None
        self._candidate = 1
        self._mark = 0.0
        self._count = 0
        self._dispatches = 0
        self._next_check = 3
        self._epochs = 0
        self._steps_per_epoch = MAX_K
        self._epoch_done = 0  # steps dispatched in this epoch
        self._warm_t0: float | None = None
        self.foreground = False  # the fused candidate compiled in the foreground

    @property
    def max_k(self) -> int:
        """The largest ``k`` this plan may dispatch (sizes the epoch's padding).

        Constant for a plan, so the index array's shape (and the compiled step) does
        not change once ``"auto"`` has decided.
        """
        return MAX_K if self.auto else self.k

    def epoch_begin(self, steps: int) -> None:
        """A new epoch of ``steps`` steps: timings do not straddle an epoch's end."""
        self._steps_per_epoch = steps
        self._epoch_done = 0
        if not self.decided:
            if self._phase != "compile":  # a compile in flight is not a failed measurement
                self._epochs += 1
            if self._epochs > MAX_MEASURED_EPOCHS or steps < 2 and self._phase == "warm":
                self._decide(1)
        if self._phase == "time":
            self._phase = "warm"
        elif self._phase == "time_fused":
            self._phase = "warm_fused"

    def next_k(self) -> int:
        """Steps to run in the next dispatch (the epoch's index array is padded for it)."""
        if self.decided:
            return self.k
        if self._phase == "warm" and self._warm_t0 is None:
            self._warm_t0 = time.perf_counter()  # the first single step: compile + run
        if self._phase == "compile" and self._compiler is not None:
            if not self._compiler.is_alive():
                if self._compile_error is not None:
                    self._decide(1)
                    return 1
                self._phase = "warm_fused"
        return self._candidate if self._phase in ("warm_fused", "time_fused") else 1

    @property
    def wants_compile(self) -> int:
        """The fused ``k`` to compile now (0 if none): see :meth:`compile_in_background`."""
        return self._candidate if self._phase == "compile" and self._compiler is None else 0

    def compile_in_background(self, jitted, args) -> None:
        """Lower ``jitted(*args)`` here, compile it in a thread (fills jit's cache)."""
        lowered = jitted.lower(*args)  # tracing stays on this thread

        def run():
            t0 = time.perf_counter()
            try:
                lowered.compile()
                self.report["compile_s"] = time.perf_counter() - t0
            except BaseException as err:  # pragma: no cover - surfaced as k = 1
                self._compile_error = err

        # Not a daemon: interpreter shutdown waits for the compile instead of killing it.
        self._compiler = threading.Thread(target=run, name="nbkeras-compile")
        self._compiler.start()
        if not BACKGROUND_COMPILE or self._compile_outlasts_epoch():
            self.foreground = True
            self.report["foreground"] = True
            self._compiler.join()

    def _compile_outlasts_epoch(self) -> bool:
        """Would a background compile finish only after this epoch's single steps?"""
        first_call = self.report.get("first_call")
        single = self.report.get("single")
        if first_call is None or single is None:
            return False
        left = max(self._steps_per_epoch - self._epoch_done, 0) * single
        return left < FUSED_COMPILE_FACTOR * first_call

    def after_dispatch(self, leaves, k: int) -> None:
        """Record a dispatch of ``k`` real steps that returned ``leaves`` (may block)."""
        self._epoch_done += k
        if self.decided or self._phase == "compile":
            return
        if self._phase in ("warm", "warm_fused"):
            jax.block_until_ready(leaves)  # compile / first run excluded from timing
            if self._phase == "warm" and self._warm_t0 is not None:
                self.report.setdefault("first_call", time.perf_counter() - self._warm_t0)
            self._phase = "time" if self._phase == "warm" else "time_fused"
            self._mark, self._count, self._dispatches = time.perf_counter(), 0, 0
            self._next_check = 3
            return
        self._count += k
        self._dispatches += 1
        if self._dispatches < self._next_check:
            return
        # Dispatch is asynchronous: only a block says how long the queued work took.
        # Blocking at 3, 6, 12, ... dispatches keeps the pipeline full in between.
        jax.block_until_ready(leaves)
        if time.perf_counter() - self._mark < MIN_TIMING_S[self._phase]:
            self._next_check *= 2
            return
        per_step = (time.perf_counter() - self._mark) / self._count
        if self._phase == "time":
            self.report["single"] = per_step
            if per_step >= FUSE_BELOW_S:
                self._decide(1)
                return
            k_try = 2 ** round(math.log2(max(2.0, TARGET_EXECUTION_S / per_step)))
            # Warm-up plus 3 timed dispatches must fit in one epoch.
            k_fit = 2 ** int(math.log2(max(2, self._steps_per_epoch // 4)))
            self._candidate = int(min(MAX_K, k_try, k_fit))
            self._phase = "compile"
        else:
            self.report["fused"] = per_step
            self.report["candidate"] = self._candidate
            gain = per_step < MIN_GAIN * self.report["single"]
            self._decide(self._candidate if gain else 1)

    def _decide(self, k: int) -> None:
        self.k = k
        self.report["k"] = k
        self.decided = True
        self._phase = "done"
