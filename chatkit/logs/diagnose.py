"""Findings from a request log: what failed, when, for whom, and what it means.

Each finding takes its cause and remedy from :mod:`chatkit.knowledge.classifier` (a
representative failed row goes through :func:`~chatkit.knowledge.classifier.classify`), and its
title from this log's numbers: "61% of failures (1,234 of 2,020) are 429 rate_limit_exceeded on
gpt-4.1 between 09:30 and 09:40 UTC". Failure causes are named by :mod:`chatkit.logs.causes`.

One rate-limit burst is one finding: the 429 wave absorbs the failure-cause, retry-storm and
incident findings that tell the same story (same label, overlapping time), keeping their
numbers in its evidence.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chatkit.findings import SEVERITY, Finding
from chatkit.knowledge.classifier import explain
from chatkit.logs.answers import answer_findings
from chatkit.logs.browser import browser_findings, cors_rows
from chatkit.logs.causes import cause_findings, failure_causes
from chatkit.logs.columns import Columns
from chatkit.logs.facts import FrameFacts, LogFacts
from chatkit.logs.incidents import event_windows
from chatkit.logs.labels import classify_rows, clock, on_model, top_group

if TYPE_CHECKING:
    from chatkit.logs.incidents import Incident

__all__ = ["log_findings"]

_SLOW_TTFT_MS = 2000.0


def log_findings(log: LogFacts | Columns, incidents: list[Incident]) -> list[Finding]:
    """Every finding for a log, most important first.

    ``log`` holds its facts (:mod:`chatkit.logs.facts`); a :class:`Columns` is every row.
    """
    if isinstance(log, Columns):
        log = FrameFacts(log)
    cols = log.cols
    cors = cors_rows(cols) if "user_agent" in cols.frame else None  # own browser finding
    findings = cause_findings(log, failure_causes(log, exclude=cors))
    findings += _incident_findings(log, incidents)
    findings += _retry_findings(log)
    findings = _fold_into_waves(findings, _wave_findings(log))
    findings += _ttft_findings(log)
    findings += answer_findings(cols)
    if "user_agent" in cols.frame:
        findings += browser_findings(cols)
    if not findings and log.n:
        findings.append(Finding(check="log.summary", status="ok",
                                title=f"{log.n:,} requests, {log.failed / log.n:.1%} failed, "
                                "no incidents", evidence={"requests": log.n}))
    return findings


def _fold_into_waves(findings: list[Finding], waves: list[Finding]) -> list[Finding]:
    """Each 429 wave takes the place of the findings that tell its story (see module doc)."""
    out = list(findings)
    for wave in waves:
        label, lo, hi = wave.evidence["label"], wave.evidence["start_ms"], wave.evidence["end_ms"]
        folded: dict[str, Any] = {}
        at = len(out)
        status = wave.status
        for i in range(len(out) - 1, -1, -1):
            other = out[i]
            same = other.evidence.get("label") == label
            window = other.evidence.get("window_ms")
            overlaps = window is None or (window[0] <= hi and lo <= window[1])
            if same and overlaps and other.check in ("log.failures", "log.retries",
                                                     "log.incident"):
                folded[other.check.removeprefix("log.")] = {
                    k: v for k, v in other.evidence.items()
                    if k in ("failures", "attempts", "share", "retries", "max_attempt",
                             "requests", "error_rate", "start", "end")}
                if SEVERITY[other.status] < SEVERITY[status]:
                    status = other.status
                at = i
                del out[i]
        out.insert(min(at, len(out)), wave.replace(status=status,
                                                    evidence={**wave.evidence, **folded}))
    return out


def _incident_findings(log: LogFacts, incidents: list[Incident]) -> list[Finding]:
    cols, total = log.cols, log.span_ms()
    out = []
    for incident in incidents:
        rows = incident.rows
        start = datetime.fromisoformat(incident.start.replace("Z", "+00:00")).timestamp() * 1e3
        end = datetime.fromisoformat(incident.end.replace("Z", "+00:00")).timestamp() * 1e3
        when = f"{clock(start, total)}–{clock(end, total)} UTC"
        evidence = {**incident.to_dict(), "kind_of_incident": incident.kind}
        failed_rows = rows[cols.failed[rows]]
        if incident.kind == "errors" and failed_rows.size:
            label, members = top_group(cols, failed_rows)
            title = (f"Incident {when}: {incident.error_rate:.0%} of {incident.requests:,} "
                     f"calls failed, mostly {label}")
            out.append(classify_rows(cols, members, "log.incident", "fail", title,
                                     {**evidence, "label": label, "window_ms": [start, end]}))
            continue
        usual, during = log.latency_median, incident.latency_median
        factor = during / usual if usual and usual == usual and during == during else math.nan
        title = (f"Latency incident {when}: median {during / 1000:.1f} s over "
                 f"{incident.requests:,} requests ({factor:.0f}x usual)")
        out.append(explain("latency_spike", check="log.incident", status="warn", title=title,
                           evidence=evidence, factor=f"{factor:.0f}"))
    return out


def _wave_findings(log: LogFacts) -> list[Finding]:
    if log.limited < 3:
        return []
    cols, total = log.cols, log.span_ms()
    out = []
    for wave in event_windows(log, "limited"):
        rows = wave.rows[cols.code[wave.rows] == 429]
        label, members = top_group(cols, rows)
        title = (f"429 wave {clock(wave.start_ms, total)}–{clock(wave.end_ms, total)} UTC: "
                 f"{wave.events:,} of {wave.requests:,} requests rate-limited "
                 f"({label}{on_model(cols, rows)}) — back off as the headers say")
        out.append(classify_rows(cols, members, "log.rate_limit", "warn", title,
                                 {"limited": wave.events, "requests": wave.requests,
                                  "label": label, "start_ms": wave.start_ms,
                                  "end_ms": wave.end_ms}))
    return out


def _retry_findings(log: LogFacts) -> list[Finding]:
    if log.retries < 3:
        return []
    cols, total = log.cols, log.span_ms()
    out = []
    for storm in event_windows(log, "retries"):
        failed_rows = storm.rows[cols.failed[storm.rows]]
        if failed_rows.size == 0:
            continue
        label, members = top_group(cols, failed_rows)
        deepest = int(storm.stats.max_attempt)
        title = (f"Retry storm {clock(storm.start_ms, total)}–{clock(storm.end_ms, total)} UTC: "
                 f"{storm.events:,} of {storm.requests:,} requests were retries (up to attempt "
                 f"{deepest}) after {label}")
        out.append(classify_rows(cols, members, "log.retries", "warn", title,
                                 {"retries": storm.events, "requests": storm.requests,
                                  "max_attempt": deepest, "label": label,
                                  "window_ms": [storm.start_ms, storm.end_ms]}))
    return out


def _ttft_findings(log: LogFacts) -> list[Finding]:
    p95 = log.ttft_p95
    if len(p95) < 2:
        return []
    out = []
    for name, value in p95.items():
        others = [v for k, v in p95.items() if k != name]
        if value >= _SLOW_TTFT_MS and value >= 2 * max(others):
            detail = f"p95 {value / 1000:.1f} s, others at most {max(others) / 1000:.1f} s"
            out.append(explain("slow_first_token", check="log.ttft", status="warn",
                               title=f"TTFT p95 is {value / 1000:.1f} s on {name} only",
                               evidence={"model": name, "ttft_p95_ms": round(value, 1),
                                         "others_max_p95_ms": round(max(others), 1)},
                               detail=detail))
    return out
