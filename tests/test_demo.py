"""``python -m nbkeras.demo`` trains, writes a model and its graph, and says what is next."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_runs_and_says_what_it_wrote(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-m", "nbkeras.demo", "--epochs", "2", "--output-dir", "out"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "test accuracy" in out
    assert "Epoch 2/2" in out and re.search(r" \d+(s|ms|us)/step", out)
    assert not re.search(r" 0ms/step", out)  # below 1 ms Keras prints us/step
    model_path = tmp_path / "out" / "digits_mlp.keras"
    assert f"Wrote {os.path.join('out', 'digits_mlp.keras')}" in out
    assert "What next:" in out and "jupyter lab notebooks/" in out and "bash .ci/run" in out
    assert (tmp_path / "out" / "model.png").read_bytes()[:4] == b"\x89PNG"
    import nbkeras

    model = nbkeras.models.load_model(str(model_path))
    assert model.name == "digits_mlp"
