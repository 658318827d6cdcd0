"""From the normalized frame to answers: the summary contract, breakdowns and a timeline.

Everything here works on whole columns with numpy (no Python loop per row), so summarising a
million requests takes a fraction of a second; that matters because ``chatkit analyze`` on a
big log is load + summarize, and loading is already fast.

A request *failed* when it has no response or an HTTP status of 400 or above (the summary
contract counts "requests without a 2xx/3xx response"; 1xx only appears as a WebSocket's 101
in HARs, which is a success).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from chatkit.errors import UsageError
from chatkit.findings import Finding
from chatkit.logs.columns import (
    PERCENTILES,
    Columns,
    bucket_width,
    failed,
    iso_ms,
    percentiles,
    round1,
    small_pages,
)
from chatkit.logs.diagnose import log_findings
from chatkit.logs.facts import FrameFacts, LogFacts, share
from chatkit.logs.incidents import Incident, find_incidents
from chatkit.logs.schema import COLUMNS, SUMMARY_COLUMNS, conform, pandas_dtype

if TYPE_CHECKING:
    from concurrent.futures import Executor

    import pandas as pd

__all__ = ["PERCENTILES", "Columns", "breakdown", "bucket_width", "failed", "summarize",
           "summary_of_facts", "timeline"]

_THREADED_ROWS = 100_000  # from this many rows on, summarize uses a second thread


@small_pages()  # dozens of fresh arrays: see small_pages
def summarize(frame: pd.DataFrame, *, skipped: int | None = None) -> dict[str, Any]:
    """The summary contract of DESIGN.md for a normalized frame (JSON-ready dict).

    ``skipped`` defaults to ``frame.attrs["skipped"]`` (what :func:`~chatkit.logs.load` could
    not read).
    """
    cols = Columns(_conformed(frame))
    skipped = skipped if skipped is not None else frame.attrs.get("skipped", 0)
    # For a big frame, a second thread takes the facts of time and latency while this one
    # groups the calls, then the head's parts while this one finds the incidents and findings,
    # and each thread takes what the other has not started (see share): each side's sorts
    # and partitions run without the GIL. Without the worker, share runs each task here.
    worker: Executor | None = None
    if cols.n >= _THREADED_ROWS:
        from concurrent.futures import ThreadPoolExecutor

        worker = ThreadPoolExecutor(1)
        cols.codes("model")  # cached before both threads read it
    with worker or nullcontext():
        facts = FrameFacts(cols, worker=worker)
        parts = share(worker, _head_parts(cols))
        verdicts = _verdicts(facts, frame.attrs)
        head = _head(*parts())
    return _summary(head, skipped, *verdicts)


def _head_parts(cols: Columns) -> list[Callable[[], Any]]:
    """What :func:`_head` is made of, each computed on its own, the longest first."""
    return [partial(_by_model, cols), partial(percentiles, cols.latency),
            partial(percentiles, cols.ttft), partial(_counts, cols)]


def _head(by_model: dict[str, Any], latency: dict[str, float] | None,
          ttft: dict[str, float] | None, counts: dict[str, Any]) -> dict[str, Any]:
    return {"requests": counts["requests"], "start": counts["start"], "end": counts["end"],
            "latency_ms": latency, "ttft_ms": ttft, "status_counts": counts["status_counts"],
            "error_rate": counts["error_rate"], "by_model": by_model}


def _counts(cols: Columns) -> dict[str, Any]:
    n = cols.n
    return {
        "requests": n,
        # fmin/fmax skip NaN (NaN only when every time is): no copy of the times
        "start": iso_ms(np.fmin.reduce(cols.ts)) if n else None,
        "end": iso_ms(np.fmax.reduce(cols.ts)) if n else None,
        "status_counts": status_counts(cols.code),
        "error_rate": round(float(cols.failed.mean()), 4) if n else 0.0,
    }


def summary_of_facts(head: dict[str, Any], log: LogFacts, attrs: dict[str, Any],
                     skipped: int) -> dict[str, Any]:
    """The summary contract from its numbers (``head``: requests, start, end, latency_ms,
    ttft_ms, status_counts, error_rate, by_model) and the log's facts, which the incidents and
    findings read (:mod:`chatkit.logs.facts`); the SQL engines give both their own way."""
    return _summary(head, skipped, *_verdicts(log, attrs))


def _verdicts(log: LogFacts, attrs: dict[str, Any]) -> tuple[list[Incident], list[Finding]]:
    incidents = find_incidents(log)
    return incidents, [*log_findings(log, incidents), *_reading_findings(attrs)]


def _summary(head: dict[str, Any], skipped: int, incidents: list[Incident],
             findings: list[Finding]) -> dict[str, Any]:
    return {"requests": head["requests"], "skipped": int(skipped),
            **{k: v for k, v in head.items() if k != "requests"},
            "incidents": [i.to_dict() for i in incidents],
            "findings": [f.to_dict() for f in findings]}


def _reading_findings(attrs: dict[str, Any]) -> list[Finding]:
    """What reading the log had to assume (info) or leave out (warn), after the findings."""
    out = [Finding(check="log.reading", status="warn", title=text,
                   evidence={"warning": text}) for text in attrs.get("warnings", ())]
    assumed = int(attrs.get("ts_assumed_utc") or 0)
    if assumed:
        out.append(Finding(check="log.reading", status="info",
                           title=f"{assumed:,} timestamp(s) had no time zone and were read as UTC",
                           evidence={"ts_assumed_utc": assumed}))
    unreadable = int(attrs.get("ts_unreadable") or 0)
    if unreadable:
        out.append(Finding(check="log.reading", status="warn",
                           title=f"{unreadable:,} timestamp(s) could not be read (left empty)",
                           evidence={"ts_unreadable": unreadable}))
    return out


def status_counts(code: np.ndarray) -> dict[str, int]:
    """{"200": n, ..., "no_response": n} from int status codes (-1 = none), in code order."""
    code = np.asarray(code)
    if code.dtype.kind == "f":  # float with NaN for "no response"
        code = np.where(np.isnan(code), -1, code).astype(np.int64)
    known = (code >= 0) & (code < 1000)
    counts = np.bincount(code[known], minlength=1000)
    out = {str(c): int(counts[c]) for c in np.flatnonzero(counts)}
    missing = int((code < 0).sum())
    if missing:
        out["no_response"] = missing
    return out


def _conformed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` in the contract's dtypes: as is when it came from load(), converted when a
    caller built it by hand (text timestamps, float statuses ...)."""
    if all(str(frame[c].dtype) == str(pandas_dtype(c)) for c in COLUMNS if c in frame):
        return frame
    converted = conform(frame, [c for c in COLUMNS if c in frame])
    converted.attrs = dict(frame.attrs)
    return converted


def _by_model(cols: Columns) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, rows in sorted(cols.groups("model"), key=lambda g: -g[1].size):
        latency = cols.latency[rows]
        latency = latency[~np.isnan(latency)]
        p50, p95 = (np.percentile(latency, (50, 95)) if latency.size else (np.nan, np.nan))
        out[name] = {
            "requests": int(rows.size),
            "error_rate": round(float(cols.failed[rows].mean()), 4),
            "p50_ms": None if p50 != p50 else round1(p50),
            "p95_ms": None if p95 != p95 else round1(p95),
        }
    return out


# --- breakdowns and the timeline --------------------------------------------------------------

def status_class(status: float) -> str:
    """2xx / 4xx / 5xx ... or "no_response"."""
    return "no_response" if status != status else f"{int(status) // 100}xx"


def breakdown(frame: pd.DataFrame, by: str = "model") -> pd.DataFrame:
    """Requests, error rate and latency/TTFT percentiles per model, endpoint, host,
    ``status_class`` or any other column; the busiest first."""
    import pandas as pd

    cols = Columns(frame)
    if by == "status_class":
        keys = pd.Series([status_class(s) for s in cols.status], index=frame.index)
    elif by in frame:
        keys = frame[by].astype("object").where(frame[by].notna(), "(none)")
    else:
        raise UsageError(f"cannot break down by {by!r}: no such column; try model, endpoint, "
                         "host or status_class")
    work = pd.DataFrame({"key": keys.to_numpy(), "failed": cols.failed,
                         "latency": cols.latency, "ttft": cols.ttft})
    grouped = work.groupby("key", sort=False, observed=True)
    out = pd.DataFrame({
        "requests": grouped.size(),
        "error_rate": grouped["failed"].mean().round(4),
        **{f"p{q}_ms": grouped["latency"].quantile(q / 100).round(1) for q in PERCENTILES},
        "ttft_p50_ms": grouped["ttft"].quantile(0.5).round(1),
        "ttft_p95_ms": grouped["ttft"].quantile(0.95).round(1),
    })
    out.index.name = by
    return out.sort_values("requests", ascending=False, kind="stable")


def timeline(frame: pd.DataFrame, freq: str | None = None) -> pd.DataFrame:
    """Requests, errors, error rate and latency percentiles per time bucket.

    ``freq`` is a pandas frequency (``"1min"``); by default one is chosen from the log's span
    (at most 150 buckets).
    """
    import pandas as pd

    cols = Columns(frame)
    valid = ~np.isnan(cols.ts)
    if not valid.any():
        return pd.DataFrame(columns=["requests", "errors", "error_rate", "p50_ms", "p95_ms",
                                     "p99_ms"])
    if freq is None:
        freq = f"{bucket_width(np.nanmax(cols.ts) - np.nanmin(cols.ts), int(valid.sum()))}s"
    ts = pd.to_datetime(cols.ts[valid], unit="ms", utc=True)
    work = pd.DataFrame({"failed": cols.failed[valid], "latency": cols.latency[valid]},
                        index=ts)
    grouped = work.resample(freq)
    out = pd.DataFrame({
        "requests": grouped.size(),
        "errors": grouped["failed"].sum().astype("int64"),
    })
    out["error_rate"] = (out["errors"] / out["requests"].where(out["requests"] > 0)).round(4)
    for q in (50, 95, 99):
        out[f"p{q}_ms"] = grouped["latency"].quantile(q / 100).round(1)
    out.index.name = "bucket"
    return out


# load(..., columns=SUMMARY_COLUMNS) keeps what summarize reads
assert {"ts", "status", "latency_ms", "ttft_ms", "model", "attempt"} <= set(SUMMARY_COLUMNS)
