"""Walking a folder of code: which files are read (notebooks cell by cell), and the Report
their findings make."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

from chatkit.errors import UsageError
from chatkit.findings import Finding, Report, utcnow_iso
from chatkit.scan.javascript import scan_javascript
from chatkit.scan.python import scan_python
from chatkit.scan.rules import Hit, to_finding

__all__ = ["SKIPPED_DIRS", "iter_sources", "notebook_cells", "render_text", "scan_code"]

PYTHON = (".py",)
NOTEBOOK = ".ipynb"
JAVASCRIPT = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
#: Folders that hold other people's code (installed packages, builds), never the user's.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv",
                          "env", "site-packages", "dist", "build", ".tox", ".mypy_cache",
                          ".ruff_cache", ".pytest_cache", ".next"})
_MAX_BYTES = 2_000_000  # a generated bundle, not code someone wrote


def iter_sources(root: Path) -> Iterator[Path]:
    """The Python files, notebooks, JavaScript and TypeScript files under ``root`` (or
    ``root`` itself)."""
    if root.is_file():
        yield root
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            if name.endswith((*PYTHON, NOTEBOOK, *JAVASCRIPT)) and not name.endswith(".min.js"):
                yield Path(folder) / name


def scan_code(path: str | os.PathLike[str], *, today: date | None = None) -> Report:
    """Integration mistakes in the code at ``path`` (a file or a folder), as a Report.

    Each finding's title starts with ``file:line`` (relative to ``path``); its evidence holds
    ``file``, ``line`` and the line's code, redacted. ``today`` decides which models have
    retired (default: the current date).
    """
    root = Path(path)
    if not root.exists():
        raise UsageError(f"{root}: no such file or folder; give the path of your code")
    day = today or date.today()
    started = utcnow_iso()
    findings: list[Finding] = []
    files = 0
    for file in iter_sources(root):
        try:
            if file.stat().st_size > _MAX_BYTES:
                continue
            source = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        files += 1
        shown = file.name if root.is_file() else file.relative_to(root).as_posix()
        if file.suffix == NOTEBOOK:  # one namespace: the cells are read as one module
            cells = list(notebook_cells(source))
            where = [(n, i) for n, code in cells for i in range(1, code.count("\n") + 2)]
            joined = "\n".join(code for _, code in cells)
            findings.extend(_findings(scan_python(joined, day), shown, joined, where))
        else:
            reader = scan_python if file.suffix in PYTHON else scan_javascript
            findings.extend(_findings(reader(source, day), shown, source, None))
    return Report(findings=tuple(findings), target={"path": str(root), "files": files},
                  started_at=started, finished_at=utcnow_iso())


def _findings(hits: list[Hit], shown: str, source: str,
              where: list[tuple[int, int]] | None) -> list[Finding]:
    """Findings of ``hits`` in ``source``; ``where`` maps a line of a notebook's joined cells
    to (cell, line in it)."""
    lines = source.splitlines()
    seen: set[tuple[str, int, str]] = set()
    out = []
    for hit in sorted(hits, key=lambda h: h.line):
        key = (hit.kind, hit.line, str(sorted(hit.values.items())))
        if key in seen:
            continue
        seen.add(key)
        code = lines[hit.line - 1] if 0 < hit.line <= len(lines) else ""
        if where is not None and 0 < hit.line <= len(where):
            cell, line = where[hit.line - 1]
            out.append(to_finding(replace(hit, line=line), shown, code, cell=cell))
        else:
            out.append(to_finding(hit, shown, code))
    return out


def notebook_cells(text: str) -> Iterator[tuple[int, str]]:
    """The code cells of a Jupyter notebook, numbered from 1 among all its cells, with IPython
    magics and shell lines (``%pip``, ``!ls``, ``%%time``) blanked so the rest parses."""
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        yield number, "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                                for line in source.split("\n"))


def render_text(report: Report) -> str:
    """The terminal listing: one block per finding, ``file:line`` first, then the fix."""
    blocks = []
    for f in report.findings:
        lines = [f"{f.status.upper():4}  {f.title}"]
        if f.cause:
            lines.append(f"      {f.cause}")
        if f.remedy:
            lines.append(f"      fix: {f.remedy}")
        blocks.append("\n".join(lines))
    s = report.summary
    files = report.target.get("files", 0)
    tail = (f"{len(report.findings)} finding(s) in {files} file(s): {s['fail']} fail, "
            f"{s['warn']} warn" if report.findings else
            f"no integration mistakes found in {files} file(s)")
    return "\n\n".join([*blocks, tail]) + "\n"
