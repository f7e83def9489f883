"""The ``>>>`` examples in nbkeras's docstrings run and print what they show.

Each example runs with its module's globals only (as ``pytest --doctest-modules`` would):
an example that uses a name its module does not define must import it.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import nbkeras

pytestmark = pytest.mark.slow



def _has_examples(info) -> bool:
    spec = info.module_finder.find_spec(info.name)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return False
    with open(spec.origin, encoding="utf-8") as f:
        return ">>>" in f.read()


MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(nbkeras.__path__, "nbkeras.")
    if not info.name.endswith("_make_bundled") and _has_examples(info)
)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module, name, globs=vars(module).copy()) if t.examples]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    tests = _examples(name)
    assert tests, f"{name} has '>>>' in its source but no example doctest can find"
    before = _global_state()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    failures = []
    for test in tests:
        runner.run(test, out=failures.append, clear_globs=True)
    assert not failures, "".join(failures)
    # Examples run in the test process: one that leaves a global setting changed breaks
    # later tests in the same worker (it happened: ``set_symbolic_dispatch(None)``).
    assert _global_state() == before, f"{name}'s examples changed global state"


def _global_state():
    import jax

    from nbkeras import config, distribution, dtype_policies, ops

    return (
        ops._SYMBOLIC_DISPATCH,
        dtype_policies._GLOBAL[0],  # an explicit "float32" policy differs from None:
        # it stops config.set_floatx from reaching new layers (CI failure, stop 17)
        config.compilation_cache_dir(),
        jax.config.jax_compilation_cache_max_size,
        jax.config.jax_persistent_cache_min_compile_time_secs,
        config.floatx(),
        config.epsilon(),
        config.image_data_format(),
        distribution.distribution(),
    )
