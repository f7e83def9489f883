"""Shared test setup: Keras on JAX, headless matplotlib, and fixtures used across packages."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("MPLBACKEND", "Agg")
# Kernels, notebooks (nbval) and subprocesses the tests start import nbkeras from this
# checkout, wherever an editable install of nbkeras points (another clone or worktree).
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (REPO_ROOT, os.environ.get("PYTHONPATH")) if p)

from html.parser import HTMLParser  # noqa: E402

import pytest  # noqa: E402


class HtmlDoc(HTMLParser):
    """An HTML fragment as tests read it: tags, texts, tables and attributes by CSS class.

    Attributes:
        tags: ``(tag, attrs)`` in document order.
        text: Text chunks in document order (``all_text`` joins them).
        tables: Each table as rows of whitespace-normalised cell texts.
        by_class: For each CSS class, the attributes of its first element.
    """

    def __init__(self, html: str):
        super().__init__()
        self.tags, self.text, self.tables, self.by_class = [], [], [], {}
        self._stack, self._cell = [], None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        for c in (a.get("class") or "").split():
            self.by_class.setdefault(c, a)
        if tag == "table":
            self._stack.append([])
            self.tables.append(self._stack[-1])
        elif tag == "tr" and self._stack:
            self._stack[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._stack:
            self._stack[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._stack:
            self._stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="session")
def parse_html():
    """``parse_html(html) -> HtmlDoc``."""
    return HtmlDoc


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """A private home, Jupyter/IPython dirs and TMPDIR for a real kernel started by the test;
    returns the working directory (``tmp_path``)."""
    for var in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                "IPYTHONDIR", "TMPDIR", "MPLCONFIGDIR"):
        d = tmp_path / var.lower()
        d.mkdir()
        monkeypatch.setenv(var, str(d))
    return tmp_path
