"""One contender on one workload, in a fresh process; prints one JSON line.

Run by ``benchmarks/run.py``; ``python benchmarks/_worker.py CONTENDER WORKLOAD SIZE``.
Contenders: ``nbkeras`` (``steps_per_execution="auto"``), ``nbkeras1`` (the default,
one step per dispatch), ``keras`` (Keras 3, JAX backend), ``hand`` (jitted Flax NNX +
optax step), ``scan`` (the same step under ``lax.scan`` over the epoch).
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time

CONTENDERS = ("nbkeras", "nbkeras1", "keras", "hand", "scan")
# ``base``: nbkeras from another checkout ($NBKERAS_BASE, e.g. ``git archive HEAD``),
# run with the same program as ``nbkeras1``; gives before/after numbers from one run.
EXTRA_CONTENDERS = ("base",)


def _import(contender: str):
    if contender == "base":
        sys.path.insert(0, os.environ["NBKERAS_BASE"])
    t0 = time.perf_counter()
    if contender.startswith("nbkeras") or contender == "base":
        mod = importlib.import_module("nbkeras")
    elif contender == "keras":
        os.environ["KERAS_BACKEND"] = "jax"
        mod = importlib.import_module("keras")
    else:
        import jax  # noqa: F401
        import optax  # noqa: F401
        from flax import nnx  # noqa: F401

        mod = None
    return mod, time.perf_counter() - t0


def _keras_style(K, contender, workload, size, x, y):
    from workloads import STEADY_EPOCHS, keras_model, sizes

    _, batch, n = sizes(workload, size)
    extra = {"steps_per_execution": "auto"} if contender == "nbkeras" else {}
    times = []

    class Timer(K.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            float(logs["loss"])  # make sure the epoch's work is done
            times.append(time.perf_counter() - self.t0)

    t_start = time.perf_counter()
    model = keras_model(K, workload)
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        **extra,
    )
    first = {}

    class First(K.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                float(logs["loss"])
                first["t"] = time.perf_counter() - t_start

    hist = model.fit(
        x,
        y,
        batch_size=batch,
        epochs=1 + STEADY_EPOCHS[size],
        verbose=0,
        callbacks=[Timer(), First()],
    )
    steady = min(times[1:])
    preds = []
    for _ in range(1 + _predict_repeats(size)):
        t0 = time.perf_counter()
        model.predict(x, batch_size=batch, verbose=0)
        preds.append(time.perf_counter() - t0)
    state = getattr(model, "training_state", None)
    plan = None if state is None else state.execution_report
    rerun = _rerun(K, workload, x, y, batch, extra)
    return {
        "first_epoch_s": first["t"],
        "rerun_s": rerun,
        "steady_sps": n / steady,
        "predict_sps": n / min(preds[1:]),
        "loss": float(hist.history["loss"][-1]),
        "steps_per_execution": None if plan is None else plan["k"],
        "auto_report": plan,
    }


def _rerun(K, workload, x, y, batch, extra) -> float:
    """Run the same cell again in this process (a new model of the same architecture,
    another learning rate): seconds from building it to the end of its first epoch.

    ``fit`` returns after converting the epoch's logs to Python floats: work is done.
    """
    from workloads import keras_model

    t0 = time.perf_counter()
    model = keras_model(K, workload)
    model.compile(
        optimizer=K.optimizers.Adam(5e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        **extra,
    )
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    return time.perf_counter() - t0


def _predict_repeats(size):
    from workloads import PREDICT_REPEATS

    return PREDICT_REPEATS[size]


def _hand(contender, workload, size, x, y):
    import jax
    import numpy as np
    from handloop import HandLoop
    from workloads import STEADY_EPOCHS, sizes

    _, batch, n = sizes(workload, size)
    rng = np.random.default_rng(1)
    t_start = time.perf_counter()
    loop = HandLoop(workload, fused=contender == "scan")
    x_dev, y_dev = jax.device_put(x), jax.device_put(y)
    loss = loop.fit_epoch(x_dev, y_dev, batch, rng)
    first = time.perf_counter() - t_start
    times = []
    # The scan-fused convnet is ~10x slower than the rest: one steady epoch is plenty.
    steady = 1 if (contender, workload) == ("scan", "convnet") else STEADY_EPOCHS[size]
    for _ in range(steady):
        t0 = time.perf_counter()
        loss = loop.fit_epoch(x_dev, y_dev, batch, rng)
        times.append(time.perf_counter() - t0)
    out = {"first_epoch_s": first, "steady_sps": n / min(times), "loss": loss}
    if contender == "hand":
        preds = []
        for _ in range(1 + _predict_repeats(size)):
            t0 = time.perf_counter()
            loop.predict(x, batch)
            preds.append(time.perf_counter() - t0)
        out["predict_sps"] = n / min(preds[1:])
    return out


def main(argv) -> None:
    contender, workload, size = argv[1:4]
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    sys.path.insert(1, os.path.dirname(here))
    mod, import_s = _import(contender)
    from workloads import synthetic

    x, y = synthetic(workload, size)
    if mod is not None:
        result = _keras_style(mod, contender, workload, size, x, y)
    else:
        result = _hand(contender, workload, size, x, y)
    result["import_s"] = import_s
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv)
