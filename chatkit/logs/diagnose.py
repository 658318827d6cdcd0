"""Findings from a request log: what failed, when, for whom, and what it means.

Each finding takes its cause and remedy from :mod:`chatkit.knowledge.classifier` (a representative
failed row goes through :func:`~chatkit.knowledge.classifier.classify`), and its title from this
log's
numbers: "61% of failures (1,234 of 2,020) are 429 rate_limit_exceeded on gpt-4.1 between
09:30 and 09:40 UTC".
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from chatkit.findings import Finding
from chatkit.knowledge.classifier import classify, explain
from chatkit.logs.browser import browser_findings, cors_rows
from chatkit.logs.incidents import event_windows

if TYPE_CHECKING:
    from chatkit.findings import Finding
    from chatkit.logs.columns import Columns
    from chatkit.logs.incidents import Incident

__all__ = ["failure_groups", "log_findings", "row_dict"]

_MAX_GROUPS = 3  # failure groups reported (more when they are browser net errors)
_MIN_GROUP_SHARE = 0.15
_SLOW_TTFT_MS = 2000.0


def row_dict(cols: Columns, i: int) -> dict[str, Any]:
    """Row ``i`` of the frame as a plain dict (nulls as None), the form classify() takes."""
    row = cols.frame.iloc[int(i)].to_dict()
    return {k: (None if _is_null(v) else v) for k, v in row.items()}


def _is_null(value: Any) -> bool:
    try:
        return bool(value is None or value != value or str(value) in ("<NA>", "NaT"))
    except (TypeError, ValueError):
        return False


def _labels(cols: Columns, rows: np.ndarray) -> np.ndarray:
    """'429 rate_limit_exceeded', '503 server_is_overloaded', 'ReadTimeout' ... per row.

    Built from integer keys (status x detail category), so only the distinct labels are
    formatted as text, however many rows there are.
    """
    status = cols.code[rows]
    detail = np.full(rows.size, -1, dtype=np.int64)
    names: list[str] = []
    for column in ("exception", "error_type", "error_code"):  # later ones win
        codes, categories = cols.codes(column)
        if categories:
            picked = codes[rows].astype(np.int64)
            detail = np.where(picked >= 0, picked + len(names), detail)
            names += categories
    key = (status + 1) * (len(names) + 1) + (detail + 1)
    keys, inverse = np.unique(key, return_inverse=True)
    texts = []
    for k in keys:
        code, d = divmod(int(k), len(names) + 1)
        text = f"{'' if code == 0 else code - 1} {names[d - 1] if d else ''}".strip()
        texts.append(text or "no response")
    return np.array(texts, dtype=object)[inverse.reshape(-1)]


def failure_groups(cols: Columns) -> list[tuple[str, np.ndarray]]:
    """Failed rows grouped by status and error code, the biggest first."""
    failed = np.flatnonzero(cols.failed)
    if failed.size == 0:
        return []
    labels = _labels(cols, failed)
    names, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return [(str(names[g]), failed[inverse == g]) for g in order]


def _span(cols: Columns) -> float:
    """Milliseconds from the first to the last request (0 when no row has a time)."""
    ts = cols.ts[~np.isnan(cols.ts)]
    return float(ts.max() - ts.min()) if ts.size else 0.0


def _clock(ms: float, span_ms: float) -> str:
    moment = datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M" if span_ms > 86_400_000 else "%H:%M")


def _when(cols: Columns, rows: np.ndarray) -> str:
    """' between 09:30 and 09:40 UTC' when the rows cluster in time, else ''."""
    ts = cols.ts[rows]
    ts = ts[~np.isnan(ts)]
    all_ts = cols.ts[~np.isnan(cols.ts)]
    if ts.size < 3 or all_ts.size == 0:
        return ""
    lo, hi = np.percentile(ts, (5, 95))
    span = float(all_ts.max() - all_ts.min())
    if span <= 0 or (hi - lo) > 0.5 * span:
        return ""
    return f" between {_clock(lo, span)} and {_clock(hi, span)} UTC"


def _on_model(cols: Columns, rows: np.ndarray) -> str:
    codes, names = cols.codes("model")
    if len(names) < 2:
        return ""
    picked = codes[rows]
    picked = picked[picked >= 0]
    if picked.size == 0:
        return ""
    values, counts = np.unique(picked, return_counts=True)
    top = int(np.argmax(counts))
    return f" on {names[values[top]]}" if counts[top] >= 0.8 * rows.size else ""


def _classify(cols: Columns, rows: np.ndarray, check: str, status: str, title: str,
              evidence: dict[str, Any]) -> Finding:
    row = row_dict(cols, rows[0])
    # a log keeps no response headers: the rate-limit remedy can only point at them
    wait = {"wait": "as long as the retry-after header says"} if row.get("status") == 429 else {}
    finding = classify(row, check=check, evidence={**wait, **evidence})
    return finding.replace(title=title, status=status,
                           evidence={**finding.evidence, **evidence})


def log_findings(cols: Columns, incidents: list[Incident]) -> list[Finding]:
    """Every finding for a log, most important first."""
    findings: list[Finding] = []
    findings += _failure_findings(cols)
    findings += _incident_findings(cols, incidents)
    findings += _wave_findings(cols)
    findings += _retry_findings(cols)
    findings += _ttft_findings(cols)
    if "user_agent" in cols.frame:
        findings += browser_findings(cols)
    if not findings and cols.n:
        findings.append(Finding(check="log.summary", status="ok",
                                title=f"{cols.n:,} requests, {cols.failed.mean():.1%} failed, "
                                "no incidents", evidence={"requests": cols.n}))
    return findings


def _failure_findings(cols: Columns) -> list[Finding]:
    groups = failure_groups(cols)
    total = sum(rows.size for _, rows in groups)
    if "user_agent" in cols.frame:  # a HAR: CORS blocks get their own browser finding

        cors = set(cors_rows(cols).tolist())
        groups = [(label, rows) for label, rows in groups if not set(rows.tolist()) <= cors]
    if not groups:
        return []
    level = "fail" if cols.failed.mean() >= 0.05 else "warn"
    out: list[Finding] = []
    for label, rows in groups:
        share = rows.size / total
        net_error = "net::ERR_" in label  # each browser net error is its own story
        if out and not net_error and (share < _MIN_GROUP_SHARE or len(out) >= _MAX_GROUPS):
            continue
        if len(out) >= 2 * _MAX_GROUPS:
            break
        what = f"all {total:,} failures are" if rows.size == total else \
            f"{share:.0%} of failures ({rows.size:,} of {total:,}) are"
        title = f"{what} {label}{_on_model(cols, rows)}{_when(cols, rows)}"
        out.append(_classify(cols, rows, "log.failures", level, title[0].upper() + title[1:],
                             {"failures": int(rows.size), "share": round(share, 4),
                              "label": label}))
    return out


def _incident_findings(cols: Columns, incidents: list[Incident]) -> list[Finding]:
    span = _span(cols)
    out = []
    for incident in incidents:
        rows = incident.rows
        start = datetime.fromisoformat(incident.start.replace("Z", "+00:00")).timestamp() * 1e3
        end = datetime.fromisoformat(incident.end.replace("Z", "+00:00")).timestamp() * 1e3
        when = f"{_clock(start, span)}–{_clock(end, span)} UTC"
        evidence = {**incident.to_dict(), "kind_of_incident": incident.kind}
        failed_rows = rows[cols.failed[rows]]
        if incident.kind == "errors" and failed_rows.size:
            groups = _top_group(cols, failed_rows)
            title = (f"Incident {when}: {incident.error_rate:.0%} of {incident.requests:,} "
                     f"requests failed, mostly {groups[0]}")
            out.append(_classify(cols, groups[1], "log.incident", "fail", title, evidence))
            continue
        usual = np.nanmedian(cols.latency)
        during = np.nanmedian(cols.latency[rows])
        factor = during / usual if usual and usual == usual and during == during else math.nan
        title = (f"Latency incident {when}: median {during / 1000:.1f} s over "
                 f"{incident.requests:,} requests ({factor:.0f}x usual)")
        out.append(explain("latency_spike", check="log.incident", status="warn", title=title,
                           evidence=evidence, factor=f"{factor:.0f}"))
    return out


def _top_group(cols: Columns, rows: np.ndarray) -> tuple[str, np.ndarray]:
    labels = _labels(cols, rows)
    names, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    top = int(np.argmax(counts))
    return str(names[top]), rows[inverse == top]


def _wave_findings(cols: Columns) -> list[Finding]:
    limited = cols.code == 429
    if limited.sum() < 3:
        return []
    span = _span(cols)
    out = []
    for wave in event_windows(cols, limited):
        rows = wave.rows[limited[wave.rows]]
        label, members = _top_group(cols, rows)
        title = (f"429 wave {_clock(wave.start_ms, span)}–{_clock(wave.end_ms, span)} UTC: "
                 f"{wave.events:,} of {wave.requests:,} requests rate-limited "
                 f"({label}{_on_model(cols, rows)}) — back off as the headers say")
        out.append(_classify(cols, members, "log.rate_limit", "warn", title,
                             {"limited": wave.events, "requests": wave.requests}))
    return out


def _retry_findings(cols: Columns) -> list[Finding]:
    retries = cols.attempt > 0
    if retries.sum() < 3:
        return []
    span = _span(cols)
    out = []
    for storm in event_windows(cols, retries):
        failed_rows = storm.rows[cols.failed[storm.rows]]
        if failed_rows.size == 0:
            continue
        label, members = _top_group(cols, failed_rows)
        deepest = int(np.nanmax(cols.attempt[storm.rows]))
        title = (f"Retry storm {_clock(storm.start_ms, span)}–{_clock(storm.end_ms, span)} UTC: "
                 f"{storm.events:,} of {storm.requests:,} requests were retries (up to attempt "
                 f"{deepest}) after {label}")
        out.append(_classify(cols, members, "log.retries", "warn", title,
                             {"retries": storm.events, "requests": storm.requests,
                              "max_attempt": deepest}))
    return out


def _ttft_findings(cols: Columns) -> list[Finding]:
    codes, names = cols.codes("model")
    p95: dict[str, float] = {}
    for code, name in enumerate(names):
        values = cols.ttft[(codes == code) & ~np.isnan(cols.ttft)]
        if values.size >= 20:
            p95[name] = float(np.percentile(values, 95))
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
