"""Smoke test of benchmarks/bench_liveview.py (tiny size, one round)."""

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_liveview.py"


def test_bench_liveview_smoke(capsys):
    spec = importlib.util.spec_from_file_location("bench_liveview", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    result = mod.main(["--rounds", "1", "--epochs", "1", "--size", "tiny"])
    out = capsys.readouterr().out
    assert "ratio B/A:" in out
    assert result["A"] > 0 and result["B"] > 0 and result["ratio"] > 0
    assert result["updates"]["bar"] >= 2 and result["updates"]["plot"] >= 1
