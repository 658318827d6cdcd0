"""What a value found in the code means: the checks both readers share, and the Finding shape.

A reader (:mod:`~chatkit.scan.python`, :mod:`~chatkit.scan.javascript`) finds *where* a model
name, a key, an api-version or a client call sits and reports a :class:`Hit`; the functions
here judge the value against the knowledge (retired models, Azure versions, key shapes) and
:func:`to_finding` turns a hit into a Finding whose cause and remedy come from the
``scan_*`` rows of the knowledge table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from chatkit.findings import Finding, Status
from chatkit.knowledge.classifier import explain
from chatkit.knowledge.retired import (
    RETIRED_MODELS,
    azure_version_problem,
    current_replacement,
    misspelling_of,
)
from chatkit.redaction.rules import is_secret_field
from chatkit.redaction.scrub import redact_text
from chatkit.targets import mask_key

__all__ = ["Hit", "azure_hits", "key_hits", "looks_like_key_name", "model_hits", "to_finding"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One thing found at one line: the knowledge row's kind, its status and its values."""

    kind: str
    line: int
    status: Status
    values: dict[str, Any] = field(default_factory=dict)


def to_finding(hit: Hit, path: str, source_line: str, *, cell: int | None = None) -> Finding:
    """The Finding of ``hit`` in file ``path`` (in a notebook: in its ``cell``, counted from
    1, and ``line`` within it); the line's text is shown redacted."""
    check = "scan." + hit.kind.removeprefix("scan_")
    base = explain(hit.kind, check=check, status=hit.status, evidence=hit.values)
    where = {"file": path, "line": hit.line} if cell is None else \
        {"file": path, "cell": cell, "line": hit.line}
    evidence = {"kind": hit.kind, **where, "code": redact_text(source_line.strip())[:200],
                **hit.values}
    place = path if cell is None else f"{path} cell {cell}"
    return base.replace(title=f"{place}:{hit.line}: {base.title}", evidence=evidence)


# --- models -------------------------------------------------------------------------------

def model_hits(name: str, line: int, today: date) -> Iterator[Hit]:
    """A retired, retiring or misspelt model name."""
    row = RETIRED_MODELS.get(name)
    if row is not None:
        retired = row.shutdown <= today
        yield Hit("scan_retired_model" if retired else "scan_retiring_model", line,
                  "fail" if retired else "warn",
                  {"model": name, "shutdown": row.shutdown.isoformat(),
                   "replacement": current_replacement(name, today) if retired
                   else row.replacement, "announced": row.announced})
        return
    meant = misspelling_of(name)
    if meant is not None:
        suggestion = meant
        gone = RETIRED_MODELS.get(meant)
        if gone is not None and gone.shutdown <= today:
            suggestion = (f"{current_replacement(meant, today)} ({meant} itself was shut down "
                          f"on {gone.shutdown.isoformat()})")
        yield Hit("scan_misspelt_model", line, "warn", {"model": name, "suggestion": suggestion})


# --- Azure api-version --------------------------------------------------------------------

_API_VERSION_IN_URL = re.compile(r"api-version=([0-9]{4}-[0-9]{2}-[0-9]{2}(?:-preview)?)")


def azure_hits(text: str, line: int) -> Iterator[Hit]:
    """An Azure api-version (a bare value, or ``api-version=`` in a URL) that is too old."""
    found = _API_VERSION_IN_URL.findall(text) or [text]
    for version in found:
        problem = azure_version_problem(version)
        if problem is not None:
            status, why = problem
            yield Hit("scan_azure_api_version", line, status,  # type: ignore[arg-type]
                      {"version": version, "why": why})


# --- keys ---------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(
    r"^$|x{4,}|\*{3,}|\.\.\.|<[^>]*>|\{[^}]*\}|your|here|replace|insert|example|dummy|fake|"
    r"placeholder|changeme|todo|api[_ -]?key", re.IGNORECASE)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def looks_like_key_name(name: str) -> bool:
    """True for a variable, attribute or argument name that holds an API key or token
    (``api_key``, ``OPENAI_API_KEY``, ``apiKey``, ``access_token``; not ``key`` alone)."""
    lowered = name.lower()
    if any(word in lowered for word in ("env", "name", "var", "header", "path", "file")):
        return False
    squashed = re.sub(r"[^a-z0-9]", "", lowered)
    return is_secret_field(name) and ("apikey" in squashed or squashed.endswith(
        ("token", "secret")))


def _random(value: str) -> bool:
    """Long, unbroken, letters and digits mixed: how a key looks, and a label does not."""
    return (len(value) >= 20 and " " not in value and any(c.isdigit() for c in value)
            and any(c.isalpha() for c in value))


def key_hits(value: str, line: int, *, named: bool) -> Iterator[Hit]:
    """A key written in the code: ``value`` sits under a key-like name (``named``), or is a
    string of a key's shape wherever it is. Shown only masked (first 3 and last 4
    characters)."""
    shaped = " " not in value.strip() and redact_text(value) != value
    placeholder = bool(_PLACEHOLDER.search(value))
    if not shaped and not (named and (placeholder or _random(value))):
        return  # prose that mentions a key, or a value that is not one
    if _ENV_NAME.match(value) and not shaped:
        return  # a variable's name (os.environ["OPENAI_API_KEY"]), not a key
    if placeholder:
        shown = "an empty string" if not value else (mask_key(value) or "***")
        yield Hit("scan_placeholder_key", line, "warn", {"key": shown})
    else:
        yield Hit("scan_key_in_code", line, "fail", {"key": mask_key(value) or "***"})
