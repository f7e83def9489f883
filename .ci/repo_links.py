"""Derive every repository link from one place: ``[project.urls] Repository`` in pyproject.

Rewrites, in README.md and notebooks/*.ipynb, the text between ``<!-- links -->`` and
``<!-- /links -->`` (Binder and Colab badges), the ``git clone`` line of the README, and
the ``git+https://...`` URL of each notebook's install cell.

    python .ci/repo_links.py           # rewrite the files
    python .ci/repo_links.py --check   # exit 1 and list the files that are out of date
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = re.compile(r"<!-- links -->.*?<!-- /links -->", re.S)


def repository() -> tuple[str, str]:
    """``(url, "owner/name")`` from pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        url = tomllib.load(f)["project"]["urls"]["Repository"].rstrip("/")
    path = urllib.parse.urlsplit(url).path.strip("/")
    if urllib.parse.urlsplit(url).netloc != "github.com" or path.count("/") != 1:
        raise SystemExit(f"Repository must be https://github.com/<owner>/<name>, got {url!r}")
    return url, path


def badges(slug: str, notebook: str, branch: str = "main") -> str:
    binder = (f"https://mybinder.org/v2/gh/{slug}/HEAD?labpath="
              + urllib.parse.quote(f"notebooks/{notebook}", safe=""))
    colab = f"https://colab.research.google.com/github/{slug}/blob/{branch}/notebooks/{notebook}"
    return (f"<!-- links -->[![Binder](https://mybinder.org/badge_logo.svg)]({binder}) "
            f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab})<!-- /links -->")


def _title(nb: dict) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            first = "".join(cell["source"]).splitlines()[0]
            return first.lstrip("# ").strip()
    return ""


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def readme_text(text: str, url: str, slug: str) -> str:
    text = re.sub(r"git clone \S+ nbkeras", f"git clone {url} nbkeras", text)
    text = MARK.sub(lambda _: badges(slug, "01_quickstart.ipynb"), text)  # before the table
    rows = []
    for path in notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        rows.append(f"| [{path.name}](notebooks/{path.name}) | {_title(nb)} | "
                    f"{badges(slug, path.name)} |")
    table = ("<!-- notebooks -->\n| notebook | what it teaches | open |\n|---|---|---|\n"
             + "\n".join(rows) + "\n<!-- /notebooks -->")
    text = re.sub(r"<!-- notebooks -->.*?<!-- /notebooks -->", lambda _: table, text,
                  flags=re.S)
    return text


def notebook_text(text: str, url: str, slug: str, name: str) -> str:
    nb = json.loads(text)
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        new = MARK.sub(lambda _: badges(slug, name), src)
        new = re.sub(r"git\+https://[^\"'\s]+", f"git+{url}", new)
        if new != src:
            cell["source"] = new.splitlines(keepends=True)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    url, slug = repository()
    stale = []
    targets = [(ROOT / "README.md", lambda t: readme_text(t, url, slug))]
    targets += [(p, lambda t, p=p: notebook_text(t, url, slug, p.name)) for p in notebooks()]
    for path, rewrite in targets:
        old = path.read_text(encoding="utf-8")
        new = rewrite(old)
        if new != old:
            stale.append(str(path.relative_to(ROOT)))
            if "--check" not in argv:
                path.write_text(new, encoding="utf-8")
    if stale and "--check" in argv:
        print("Out of date (run python .ci/repo_links.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
