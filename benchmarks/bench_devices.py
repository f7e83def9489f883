"""Training samples/s on 1 vs N simulated CPU devices (``DataParallel``).

Each measurement runs in a fresh subprocess (the device count is fixed when JAX
starts); contenders alternate (1, N, 1, N, ...) and each keeps its best epoch time,
because this machine is noisy.

    python benchmarks/bench_devices.py --devices 8 --repeats 2

What it says: the cost of SPMD partitioning (splitting each batch, all-reducing
gradients, per-device dispatch) relative to one device *on the same CPU cores*.
Simulated devices share the host's cores, so no speedup is possible here; on real
accelerators each device brings its own compute and memory bandwidth.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLES = {"mlp": 128 * 24, "convnet": 128 * 6}


def _worker(workload: str, devices: int, epochs: int) -> dict:
    import numpy as np
    from workloads import CLASSES, keras_model, sizes

    import nbkeras as keras
    from nbkeras import distribution as D

    shape, batch, _ = sizes(workload, "tiny")
    n = SAMPLES[workload]
    rng = np.random.default_rng(0)
    x = rng.random((n, *shape), dtype=np.float32)
    y = rng.integers(0, CLASSES, size=n).astype(np.int32)
    if devices > 1:
        D.set_distribution(D.DataParallel())
    model = keras_model(keras, workload)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # compile + warm up
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        times.append(time.perf_counter() - t0)
    return {"samples_per_s": n / min(times), "devices": keras.distribution.get_device_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--workloads", default="mlp,convnet")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker[0], int(args.worker[1]), args.epochs)))
        return
    best: dict = {}
    for _ in range(args.repeats):
        for workload in args.workloads.split(","):
            for n in (1, args.devices):
                env = dict(os.environ, JAX_PLATFORMS="cpu", JAX_NUM_CPU_DEVICES=str(n),
                           PYTHONPATH=os.pathsep.join([str(HERE), str(HERE.parent),
                                                       os.environ.get("PYTHONPATH", "")]))
                out = subprocess.run(
                    [sys.executable, __file__, "--epochs", str(args.epochs), "--worker",
                     workload, str(n)], env=env, capture_output=True, text=True, check=True)
                result = json.loads(out.stdout.strip().splitlines()[-1])
                assert result["devices"] == n, result
                key = (workload, n)
                best[key] = max(best.get(key, 0.0), result["samples_per_s"])
    print(f"{'workload':10s} {'devices':>7s} {'samples/s':>10s} {'vs 1':>6s}")
    for workload in args.workloads.split(","):
        for n in (1, args.devices):
            rate = best[(workload, n)]
            print(f"{workload:10s} {n:7d} {rate:10.0f} {rate / best[(workload, 1)]:6.2f}")


if __name__ == "__main__":
    main()
