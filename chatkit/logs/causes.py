"""Every distinct failure cause of a log, named, and ranked by the calls it hurt.

A *cause* is what failed attempts say: status and error code (``429 insufficient_quota``), an
exception (``ReadTimeout``), a browser net error. Each is counted in calls (the retries of one
call are one call, :mod:`chatkit.logs.calls`) and explained by the knowledge table.

A cause gets a finding of its own when it is one of the three biggest and hurt at least 15% of
the failing calls; and always, whatever its share, when it is one the user must fix and no retry
will (an account or integration cause that is not retryable: an invalid key, an exhausted quota,
an unknown model), or a browser net error. The causes left are one finding that lists each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from chatkit.findings import Finding
from chatkit.knowledge.classifier import classify
from chatkit.logs.labels import classify_rows, failure_groups, on_model, row_dict, when

if TYPE_CHECKING:
    from chatkit.logs.facts import LogFacts

__all__ = ["Cause", "cause_findings", "failure_causes"]

_MAX_OWN = 3
_MIN_SHARE = 0.15
_USER_FIXES = frozenset({"account", "integration"})
_LISTED = 8  # causes named in the title of the grouped finding (all are in its evidence)


@dataclass(frozen=True, slots=True)
class Cause:
    """One failure cause: its label, its failed attempts, the calls it hurt, what it means."""

    label: str
    rows: np.ndarray
    calls: int
    meaning: Finding  # the knowledge table's reading of one of its rows

    @property
    def user_must_fix(self) -> bool:
        return self.meaning.category in _USER_FIXES and self.meaning.retryable is False


def failure_causes(log: LogFacts, *, exclude: np.ndarray | None = None) -> list[Cause]:
    """The failure causes of a log, the one that hurt most calls first."""
    cols = log.cols
    out = []
    for label, rows in failure_groups(cols):
        if exclude is not None and exclude.size:
            rows = rows[~np.isin(rows, exclude)]
        if rows.size:
            meaning = classify(row_dict(cols, rows[0]), check="log.failures")
            out.append(Cause(label, rows, log.calls_of(rows), meaning))
    out.sort(key=lambda c: (-c.calls, -c.rows.size, c.label))
    return out


def cause_findings(log: LogFacts, causes: list[Cause]) -> list[Finding]:
    """A finding per major cause, then one listing the minor ones."""
    if not causes:
        return []
    failing = log.calls_of(np.flatnonzero(log.cols.failed))
    level = "fail" if log.failed / log.n >= 0.05 else "warn"
    out: list[Finding] = []
    minor: list[Cause] = []
    ranked = 0
    for cause in causes:
        share = cause.calls / failing
        big = ranked < _MAX_OWN and (ranked == 0 or share >= _MIN_SHARE)
        if not (big or cause.user_must_fix or "net::ERR_" in cause.label):
            minor.append(cause)
            continue
        ranked += big
        out.append(_own(log, cause, failing, level))
    if minor:
        out.append(_grouped(minor, failing))
    return out


def _count(cause: Cause, failing: int) -> str:
    if cause.calls == failing:
        return f"all {failing:,} failures are"
    return f"{cause.calls / failing:.0%} of failures ({cause.calls:,} of {failing:,}) are"


def _own(log: LogFacts, cause: Cause, failing: int, level: str) -> Finding:
    cols = log.cols
    title = (f"{_count(cause, failing)} {cause.label}{on_model(cols, cause.rows)}"
             f"{when(cols, cause.rows, log.span_ms())}")
    evidence = {"failures": cause.calls, "attempts": int(cause.rows.size),
                "share": round(cause.calls / failing, 4), "label": cause.label}
    return classify_rows(cols, cause.rows, "log.failures", level, title[0].upper() + title[1:],
                         evidence)


def _grouped(minor: list[Cause], failing: int) -> Finding:
    named = [f"{c.label} ({c.meaning.title}, {c.calls:,})" for c in minor[:_LISTED]]
    more = f" and {len(minor) - _LISTED} more" if len(minor) > _LISTED else ""
    calls = sum(c.calls for c in minor)
    title = (f"{len(minor)} smaller failure cause(s), {calls:,} of {failing:,} failures: "
             f"{'; '.join(named)}{more}")
    retryable = all(c.meaning.retryable for c in minor)
    return Finding(
        check="log.failures", status="warn", category=None, title=title,
        cause="; ".join(f"{c.label}: {c.meaning.cause}" for c in minor if c.meaning.cause),
        remedy=" / ".join(dict.fromkeys(c.meaning.remedy for c in minor if c.meaning.remedy)),
        retryable=retryable,
        evidence={"failures": calls, "causes": [
            {"label": c.label, "failures": c.calls, "attempts": int(c.rows.size),
             "title": c.meaning.title, "category": c.meaning.category,
             "retryable": c.meaning.retryable} for c in minor]})
