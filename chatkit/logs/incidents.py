"""Windows of time where something was far above the log's own baseline.

The log is cut into time buckets (:func:`~chatkit.logs.analyze.bucket_width`). For a kind of
event — a failed request, a 429, a retry — the baseline is the share of that event over the
buckets not found hot, re-estimated until it settles (so an outage does not raise its own
baseline, and a median over mostly-empty buckets does not pretend it is zero). A bucket is
*hot* when its count is both

* improbable under the baseline: the binomial tail P(X >= k) is below 0.001 divided by the
  number of buckets (a Bonferroni correction: on a quiet log the chance of *any* false window
  stays about 1 in 1000, however long the log), and
* large in effect: at least 3 events and a share at least twice the baseline plus 5 points.

Error incidents count calls, not attempts: the retries of one call are one trial.

Latency is judged on each request's latency divided by its model's median (so a bucket that
happens to hold more of a slow model is not an incident): a bucket is hot when the median of
that ratio is 3x or more, over at least 10 requests. Adjacent hot buckets (one quiet bucket
between them allowed) form one window, trimmed to its first and last event.

The decisions here read only counts (:mod:`chatkit.logs.facts`): per bucket, per window, and
the rows a finding may quote, so they give the same answer whether numpy counted every row
in memory or SQL counted them where the log lies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from chatkit.logs.columns import Columns, iso_ms, status_label
from chatkit.logs.facts import FrameFacts, LogFacts, WindowStats, status_histogram, top_status

__all__ = ["Incident", "Window", "bucket_groups", "event_windows", "find_incidents",
           "hot_buckets", "latency_hot"]

_ALPHA = 1e-3
_MIN_EVENTS = 3
_LATENCY_FACTOR = 3.0
_LATENCY_MIN_REQUESTS = 10


@dataclass(frozen=True, slots=True)
class Window:
    """A hot time window for one kind of event."""

    start_ms: float
    end_ms: float
    requests: int
    events: int
    rows: np.ndarray  # the rows of LogFacts.cols inside the window
    stats: WindowStats


@dataclass(frozen=True, slots=True)
class Incident:
    """A period of errors or latency far above the log's baseline (summary contract form)."""

    start: str
    end: str
    requests: int  # calls (for an error incident: retries of a call are one request)
    error_rate: float
    top_status: str
    kind: str  # "errors" or "latency"
    rows: np.ndarray
    latency_median: float = math.nan  # over the requests of the window

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "requests": self.requests,
                "error_rate": self.error_rate, "top_status": self.top_status}


def _binomial_tail(k: int, n: int, p: float) -> float:
    """An upper bound of P(X >= k), X ~ Binomial(n, p), for k above the mean.

    The terms after P(X = k) shrink at least geometrically by r = (n-k)p / ((k+1)(1-p)), so
    the tail is at most P(X = k) / (1 - r): tight enough to compare with a threshold, and
    constant time however many requests a bucket holds. Returns 1.0 when k is not above the
    mean (nothing unusual there).
    """
    if k <= 0 or p >= 1.0:
        return 1.0
    if p <= 0.0 or k > n:
        return 0.0
    ratio = (n - k) * p / ((k + 1) * (1 - p))
    if ratio >= 1.0:
        return 1.0
    log_first = (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                 + k * math.log(p) + (n - k) * math.log1p(-p))
    return min(math.exp(log_first) / (1.0 - ratio), 1.0)


def hot_buckets(n_b: np.ndarray, k_b: np.ndarray) -> np.ndarray:
    """Which buckets are hot, from the requests ``n_b`` and events ``k_b`` of each."""
    count = n_b.size
    hot = np.zeros(count, dtype=bool)
    busy = n_b > 0
    if not busy.any():
        return hot
    threshold = _ALPHA / max(int(busy.sum()), 1)
    for _ in range(4):  # baseline from the buckets not (yet) found hot, until it settles
        cold = busy & ~hot
        baseline = max(float(k_b[cold].sum() / max(n_b[cold].sum(), 1)), 0.001)
        found = np.zeros(count, dtype=bool)
        for b in np.flatnonzero(busy & (k_b >= _MIN_EVENTS)):
            share = k_b[b] / n_b[b]
            if share >= 2 * baseline + 0.05 and _binomial_tail(int(k_b[b]), int(n_b[b]),
                                                              baseline) < threshold:
                found[b] = True
        if (found == hot).all():
            break
        hot = found
    return hot


def latency_hot(counts: np.ndarray, medians: np.ndarray) -> np.ndarray:
    """Buckets whose median latency (each request over its model's median) is 3x or more,
    over at least 10 requests."""
    return (counts >= _LATENCY_MIN_REQUESTS) & (np.nan_to_num(medians) >= _LATENCY_FACTOR)


def bucket_groups(hot: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) bucket of each run of hot buckets, one cold bucket allowed between."""
    groups: list[list[int]] = []
    for b in np.flatnonzero(hot):
        if groups and b - groups[-1][1] <= 2:
            groups[-1][1] = int(b)
        else:
            groups.append([int(b), int(b)])
    return [(first, last) for first, last in groups]


def windows(log: LogFacts, kind: str, hot: np.ndarray) -> list[Window]:
    """The windows of hot buckets, each trimmed to its first and last event."""
    spans = [log.trimmed(kind, first, last) for first, last in bucket_groups(hot)]
    return [Window(start, end, stats.requests, stats.events,
                   log.rows_in(kind, start, end), stats)
            for (start, end), stats in zip(spans, log.window_stats(kind, spans), strict=True)]


def event_windows(log: LogFacts, kind: str) -> list[Window]:
    """Hot windows for one kind of event (:data:`chatkit.logs.facts.KINDS`)."""
    if log.grid() is None:
        return []
    return windows(log, kind, hot_buckets(*log.buckets(kind)))


def find_incidents(log: LogFacts | Columns) -> list[Incident]:
    """Incident windows: error rate or latency far above the log's baseline, in time order.

    Errors are counted per call, not per attempt (:mod:`chatkit.logs.calls`): a call is placed
    at its first attempt and counts as failed when its last attempt failed, so the retries of
    one failed call are one failure, and a call that a retry rescued is no failure at all.
    """
    if isinstance(log, Columns):
        log = FrameFacts(log)
    if log.grid() is None:
        return []
    cols = log.cols
    found = [(w, "errors") for w in event_windows(log, "calls")]
    for w in windows(log, "all", latency_hot(*log.latency_buckets())):
        # a slow period inside an error incident is the same incident
        if not any(e.start_ms <= w.end_ms and w.start_ms <= e.end_ms for e, _ in found):
            found.append((w, "latency"))
    incidents = []
    for window, kind in sorted(found, key=lambda p: p[0].start_ms):
        rows, stats = window.rows, window.stats
        if kind == "errors":  # every attempt of the calls that began in the window
            ends = rows[log.call_last[rows]]
            bad = ends[log.call_failed[ends]]
            statuses = status_histogram(cols.code[bad]) if bad.size else stats.statuses
            rate = round(stats.events / stats.requests, 4) if stats.requests else 0.0
        else:
            failed = rows[cols.failed[rows]]
            statuses = status_histogram(cols.code[failed]) if failed.size else stats.statuses
            rate = round(stats.failed / stats.requests, 4) if stats.requests else 0.0
        top = top_status(statuses)
        incidents.append(Incident(
            start=iso_ms(window.start_ms) or "", end=iso_ms(window.end_ms) or "",
            requests=stats.requests, error_rate=rate,
            top_status=status_label(np.nan if top < 0 else top), kind=kind, rows=rows,
            latency_median=stats.latency_median))
    return incidents

