"""Import hygiene: every module imports on its own, packages depend on each other one way.

The package graph has a node per first-level part of nbkeras (``nbkeras.layers``,
``nbkeras.models``, ``nbkeras.activations``...) and an edge A -> B when a module of A
imports a module of B, at module level or inside a function.  It must have no cycle.
"""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "nbkeras"

# Imports allowed to point "up": notebook display hooks, looked up by IPython only.
REPR_HOOKS = {"_repr_html_", "_repr_mimebundle_", "_repr_png_", "_repr_svg_"}

# Edges that still close a cycle, each named with the reason and who removes it.  The test
# fails if one of them disappears (so the list only shrinks) or a new cycle appears.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _imports(path: pathlib.Path):
    """(imported module, line, enclosing function names) for each nbkeras import."""
    module = _module_name(path)
    tree = ast.parse(path.read_text())
    out = []

    def visit(node, funcs):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, (*funcs, child.name))
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    out.append((alias.name, child.lineno, funcs))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = module.split(".")
                    if path.name != "__init__.py":
                        base = base[:-1]
                    base = base[: len(base) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module
                # ``from nbkeras import layers`` imports the subpackage nbkeras.layers
                names = [f"{target}.{a.name}" for a in child.names] if target == "nbkeras" else [target]
                for name in names:
                    out.append((name, child.lineno, funcs))
            visit(child, funcs)

    visit(tree, ())
    return [(name, line, funcs) for name, line, funcs in out if name.split(".")[0] == "nbkeras"]


def package_edges() -> dict[tuple[str, str], list[str]]:
    packages = {_package(_module_name(p)) for p in ROOT.rglob("*.py")}
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        for name, line, funcs in _imports(path):
            if REPR_HOOKS & set(funcs):
                continue
            target = _package(name) if name != "nbkeras" else "nbkeras"
            source = _package(module) if module != "nbkeras" else "nbkeras"
            if target != source and (target in packages or target == "nbkeras"):
                edges.setdefault((source, target), []).append(f"{module}:{line}")
    return edges


def _cycles(edges) -> list[list[str]]:
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def strongconnect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return found


def test_package_import_graph_has_no_cycle():
    edges = package_edges()
    for edge in KNOWN_EXCEPTIONS:
        assert edge in edges, f"{edge} no longer exists: remove it from KNOWN_EXCEPTIONS"
    kept = {k: v for k, v in edges.items() if k not in KNOWN_EXCEPTIONS}
    cycles = _cycles(kept)
    detail = {
        " -> ".join(k): v for k, v in kept.items() if any(k[0] in c and k[1] in c for c in cycles)
    }
    assert not cycles, f"import cycles between packages {cycles}; edges: {json.dumps(detail, indent=1)}"


def test_cycle_finder_finds_a_cycle():
    assert _cycles({("a", "b"): [], ("b", "c"): [], ("c", "a"): [], ("c", "d"): []}) == [
        ["a", "b", "c"]
    ]
    assert _cycles({("a", "b"): [], ("b", "c"): []}) == []


_IMPORT_ALL = """
import importlib, json, pkgutil, sys
import nbkeras
failed = {}
for info in pkgutil.walk_packages(nbkeras.__path__, "nbkeras."):
    try:
        importlib.import_module(info.name)
    except Exception as e:
        failed[info.name] = repr(e)
print(json.dumps(failed))
"""


def _fresh(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_every_module_imports_in_a_fresh_interpreter():
    assert json.loads(_fresh(_IMPORT_ALL)) == {}


def test_import_nbkeras_does_not_load_the_saving_stack():
    code = (
        "import sys, json, nbkeras; "
        "print(json.dumps(['h5py' in sys.modules, "
        "sorted(m for m in sys.modules if m.startswith('nbkeras.saving'))]))"
    )
    assert json.loads(_fresh(code)) == [False, []]
    code = (
        "import json, nbkeras; from nbkeras.models import load_model; "
        "print(json.dumps([load_model is nbkeras.saving.load_model, "
        "nbkeras.models.save_model is nbkeras.saving.save_model]))"
    )
    assert json.loads(_fresh(code)) == [True, True]
