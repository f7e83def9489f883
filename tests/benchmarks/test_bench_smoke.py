"""The benchmark command runs end to end at tiny size (no timing assertions)."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.bench, pytest.mark.slow]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_benchmark_runs_at_tiny_size_and_prints_the_table(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, os.path.join(ROOT, "benchmarks", "run.py"), "--size", "tiny",
           "--workloads", "tiny", "--contenders", "nbkeras,keras,hand,scan",
           "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for text in ("steady samples/s", "first result (s)", "re-run result (s)",
                 "predict samples/s", "peak RSS (MB)", "import (s)", "nbkeras/keras",
                 "goals (issue 13)"):
        assert text in proc.stdout, proc.stdout
    result = json.loads(out.read_text())
    tiny = result["results"]["tiny"]
    assert set(tiny) == {"nbkeras", "keras", "hand", "scan"}
    for contender, metrics in tiny.items():
        assert metrics["steady_sps"] > 0 and metrics["first_epoch_s"] > 0, contender
        assert metrics["peak_rss_mb"] > 0 and metrics["import_s"] > 0, contender
        assert abs(metrics["loss"]) < 100, contender  # trained on real numbers
    assert tiny["nbkeras"]["predict_sps"] > 0 and "predict_sps" not in tiny["scan"]
    assert tiny["nbkeras"]["rerun_s"] > 0 and tiny["keras"]["rerun_s"] > 0
    assert {g["goal"] for g in result["goals"]} >= {
        "tiny: nbkeras steady samples/s >= 2x keras",
        "tiny: nbkeras re-run result <= 0.4x its first result",
    }
