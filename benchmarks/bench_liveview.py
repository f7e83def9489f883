"""Live view overhead: training throughput with the notebook live view vs ``verbose=0``.

The MLP workload of ``benchmarks/workloads.py`` (784-512-512-10, batch 128) is trained
after a warm-up fit (compilation excluded), alternating runs A (``verbose=0``) and B
(``verbose=0`` plus :class:`nbkeras.notebook.LiveView`, its display messages serialized
to JSON as a kernel would) and keeping the best time of each.  Prints the ratio B/A of
wall time and of process CPU time (all threads); on a busy machine the CPU-time ratio is
the steadier of the two.

Run: ``python benchmarks/bench_liveview.py [--rounds 4] [--epochs 6] [--size full|tiny]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--size", choices=("full", "tiny"), default="full")
    args = parser.parse_args(argv)

    from workloads import keras_model, sizes, synthetic

    import nbkeras as keras
    from nbkeras.notebook.live import LiveView, RecordingSink

    _, batch, n = sizes("mlp", args.size)
    x, y = synthetic("mlp", args.size)
    nval = max(n // 10, batch)
    val = (x[:nval], y[:nval])
    keras.utils.set_random_seed(0)
    model = keras_model(keras, "mlp")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, validation_data=val)  # compile

    def run(live: bool):
        sink = RecordingSink() if live else None
        cbs = [LiveView(sink=sink)] if live else []
        t, c = time.perf_counter(), time.process_time()
        model.fit(x, y, batch_size=batch, epochs=args.epochs, verbose=0,
                  validation_data=val, callbacks=cbs)
        return time.perf_counter() - t, time.process_time() - c, sink

    best = {"A": float("inf"), "B": float("inf")}
    cpu = {"A": float("inf"), "B": float("inf")}
    sink = None
    for _ in range(args.rounds):
        for kind in ("A", "B"):
            dt, dc, s = run(kind == "B")
            best[kind] = min(best[kind], dt)
            cpu[kind] = min(cpu[kind], dc)
            sink = s or sink
    steps = args.epochs * -(-n // batch)
    ratio = best["B"] / best["A"]
    cpu_ratio = cpu["B"] / cpu["A"]
    print(f"MLP {n} samples, batch {batch}, {args.epochs} epochs ({steps} steps), "
          f"best of {args.rounds} alternating runs")
    print(f"A verbose=0:  wall {best['A']:.3f} s ({steps / best['A']:.0f} steps/s), "
          f"cpu {cpu['A']:.3f} s")
    print(f"B live view:  wall {best['B']:.3f} s ({steps / best['B']:.0f} steps/s), "
          f"cpu {cpu['B']:.3f} s")
    print(f"display updates in B: {sum(sink.count.values())}, {sink.bytes_sent / 1024:.1f} KB")
    print(f"ratio B/A: wall {ratio:.3f} ({100 * (ratio - 1):+.1f}%), "
          f"cpu {cpu_ratio:.3f} ({100 * (cpu_ratio - 1):+.1f}%)")
    return {"A": best["A"], "B": best["B"], "ratio": ratio, "cpu_ratio": cpu_ratio,
            "updates": sink.count}


if __name__ == "__main__":
    main()
