"""Only ``nbkeras/train/`` touches training state; everything else uses its public API
(``model.training_state``: sync_to_model, optimizer_state, set_learning_rate, ...)."""

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "nbkeras"
FORBIDDEN = re.compile(r"""_trainer|\._live\b|\[["']opt["']\]|trainer\._""")


def test_no_private_training_state_access_outside_train():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "train":
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if FORBIDDEN.search(line):
                offenders.append(f"nbkeras/{rel}:{lineno}: {line.strip()}")
    assert not offenders, "private training state used outside nbkeras/train/:\n" + "\n".join(
        offenders
    )


def test_the_check_would_catch_an_offender():
    samples = ['t = model._trainer', "if trainer._live:", 'opt = st["opt"]', "trainer._plan"]
    assert all(FORBIDDEN.search(s) for s in samples)
    assert not FORBIDDEN.search("state = model.training_state")
