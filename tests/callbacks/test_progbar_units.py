"""The terminal progress bar prints time per step in Keras's units (s, ms, us)."""

import io
import re
import time

from nbkeras.callbacks.progbar import ProgbarLogger
from nbkeras.utils.progbar import per_unit


def test_per_unit_matches_keras_format():
    assert per_unit(0.0004) == "400us/step"
    assert per_unit(0.0123) == "12ms/step"
    assert per_unit(3.2) == "3s/step"
    assert per_unit(0) == "0s/step"


def test_bar_prints_microseconds_for_fast_steps():
    bar = ProgbarLogger(verbose=1, stream=io.StringIO())
    line = bar._bar(1000, 1000, {"loss": 0.5}, time.perf_counter() - 0.3)  # 0.3 ms/step
    assert re.search(r" [23]\d\dus/step - loss: 0.5000$", line), line
    line = bar._bar(10, 10, {}, time.perf_counter() - 0.05)
    assert line.endswith(" 5ms/step"), line
