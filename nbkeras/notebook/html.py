"""HTML helpers shared by the reprs and the live view (inline styles only).

GitHub and sanitizing front ends drop ``<style>`` blocks, so every element carries its
own ``style`` attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from html import escape

BOX = (
    "font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:13px;"
    "line-height:1.35;color:#222"
)
TABLE = "border-collapse:collapse;margin:4px 0;font-size:12.5px"
TH = (
    "text-align:left;padding:3px 10px;border-bottom:2px solid #888;background:#f3f3f3;"
    "white-space:nowrap"
)
TD = "text-align:left;padding:3px 10px;border-bottom:1px solid #ddd;vertical-align:top"
TDR = TD + ";text-align:right;font-variant-numeric:tabular-nums"
MUTED = "color:#777"


def esc(x) -> str:
    """HTML-escaped ``str(x)``."""
    return escape(str(x))


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    right: Iterable[int] = (),
    css_class: str = "nbk-table",
    raw: bool = False,
) -> str:
    """A table; cells are escaped unless ``raw`` (then they are trusted HTML)."""
    right = set(right)
    head = "".join(f'<th style="{TH}">{esc(h)}</th>' for h in headers)
    body = []
    for r in rows:
        cells = "".join(
            f'<td style="{TDR if i in right else TD}">{c if raw else esc(c)}</td>'
            for i, c in enumerate(r)
        )
        body.append(f"<tr>{cells}</tr>")
    return (
        f'<table class="{css_class}" style="{TABLE}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def kv_table(pairs: Iterable[tuple[str, object]], css_class: str = "nbk-kv") -> str:
    """A two-column key/value table (values escaped)."""
    rows = "".join(
        f'<tr><th style="{TH};border-bottom:1px solid #ddd;background:none">{esc(k)}</th>'
        f'<td style="{TD}">{esc(v)}</td></tr>'
        for k, v in pairs
    )
    return f'<table class="{css_class}" style="{TABLE}"><tbody>{rows}</tbody></table>'


def box(inner: str, css_class: str) -> str:
    return f'<div class="{css_class}" style="{BOX}">{inner}</div>'


def fallback(obj) -> str:
    """The escaped text repr in a ``<pre>`` (never raises)."""
    try:
        text = repr(obj)
    except Exception:
        text = object.__repr__(obj)
    return f"<pre>{esc(text)}</pre>"


def safe(render: Callable[[object], str], obj) -> str:
    """``render(obj)``, or the escaped text repr if rendering fails for any reason."""
    try:
        return render(obj)
    except Exception:
        return fallback(obj)
