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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from chatkit.logs.columns import bucket_width, iso_ms, status_label

if TYPE_CHECKING:
    from chatkit.logs.columns import Columns

__all__ = ["Incident", "Window", "event_windows", "find_incidents"]

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
    rows: np.ndarray  # indices of the requests inside the window


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


def _buckets(cols: Columns) -> tuple[np.ndarray, int, float, float]:
    """(bucket index per request, -1 where no time; bucket count; origin ms; width ms)."""
    cached = getattr(cols, "_buckets", None)
    if cached is None:
        cached = cols._buckets = _compute_buckets(cols)  # type: ignore[attr-defined]
    return cached


def _compute_buckets(cols: Columns) -> tuple[np.ndarray, int, float, float]:
    valid = ~np.isnan(cols.ts)
    if not valid.any():
        return np.full(cols.n, -1, dtype=np.int64), 0, 0.0, 1.0
    lo, hi = float(np.nanmin(cols.ts)), float(np.nanmax(cols.ts))
    width = bucket_width(hi - lo, int(valid.sum())) * 1000.0
    origin = math.floor(lo / width) * width
    index = np.full(cols.n, -1, dtype=np.int64)
    index[valid] = ((cols.ts[valid] - origin) // width).astype(np.int64)
    return index, int(index.max()) + 1, origin, width


def event_windows(cols: Columns, events: np.ndarray, *, among: np.ndarray | None = None
                  ) -> list[Window]:
    """Hot windows for a boolean ``events`` array (e.g. ``cols.failed``).

    ``among`` restricts the requests counted (e.g. only those of one model).
    """
    index, count, _, _ = _buckets(cols)
    if count == 0:
        return []
    pool = index >= 0 if among is None else (index >= 0) & among
    n_b = np.bincount(index[pool], minlength=count)
    k_b = np.bincount(index[pool & events], minlength=count)
    busy = n_b > 0
    if not busy.any():
        return []
    threshold = _ALPHA / max(int(busy.sum()), 1)
    hot = np.zeros(count, dtype=bool)
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
    return _windows(cols, index, hot, pool, events)


def _latency_hot(cols: Columns, index: np.ndarray, count: int) -> np.ndarray:
    latency = cols.latency
    ok = ~np.isnan(latency) & (index >= 0) & (latency > 0)
    if ok.sum() < _LATENCY_MIN_REQUESTS:
        return np.zeros(count, dtype=bool)
    norm = latency.copy()  # each request relative to its own model's median
    codes, _ = cols.codes("model")
    for _, rows in [*cols.groups("model"), ("", np.flatnonzero(codes < 0))]:
        values = latency[rows]
        usable = values[(values > 0) & ~np.isnan(values)]
        norm[rows] = values / np.median(usable) if usable.size else np.nan
    hot = np.zeros(count, dtype=bool)
    values, buckets = norm[ok], index[ok]
    if buckets.size > 1 and (np.diff(buckets) < 0).any():  # logs are usually in time order
        order = np.argsort(buckets, kind="stable")
        values, buckets = values[order], buckets[order]
    starts = np.searchsorted(buckets, np.arange(count))
    ends = np.searchsorted(buckets, np.arange(count), side="right")
    for b in range(count):
        if ends[b] - starts[b] >= _LATENCY_MIN_REQUESTS and \
                np.median(values[starts[b]:ends[b]]) >= _LATENCY_FACTOR:
            hot[b] = True
    return hot


def _windows(cols: Columns, index: np.ndarray, hot: np.ndarray, pool: np.ndarray,
             events: np.ndarray) -> list[Window]:
    """Merge hot buckets (one cold bucket allowed between) and trim to the first/last event."""
    out: list[Window] = []
    hot_buckets = np.flatnonzero(hot)
    if hot_buckets.size == 0:
        return out
    groups: list[list[int]] = [[int(hot_buckets[0])]]
    for b in hot_buckets[1:]:
        if b - groups[-1][-1] <= 2:
            groups[-1].append(int(b))
        else:
            groups.append([int(b)])
    for group in groups:
        inside = pool & (index >= group[0]) & (index <= group[-1])
        hits = inside & events
        times = cols.ts[hits] if hits.any() else cols.ts[inside]
        start, end = float(np.min(times)), float(np.max(times))
        rows = np.flatnonzero(pool & (cols.ts >= start) & (cols.ts <= end))
        out.append(Window(start, end, int(rows.size), int(events[rows].sum()), rows))
    return out


def find_incidents(cols: Columns) -> list[Incident]:
    """Incident windows: error rate or latency far above the log's baseline, in time order.

    Errors are counted per call, not per attempt (:mod:`chatkit.logs.calls`): a call is placed
    at its first attempt and counts as failed when its last attempt failed, so the retries of
    one failed call are one failure, and a call that a retry rescued is no failure at all.
    """
    index, count, _, _ = _buckets(cols)
    if count == 0:
        return []
    calls = cols.calls
    first = np.zeros(cols.n, dtype=bool)
    first[calls.first] = True
    failed_call = np.zeros(cols.n, dtype=bool)
    failed_call[calls.first] = calls.failed
    windows = [(w, "errors") for w in event_windows(cols, failed_call, among=first)]
    slow = _windows(cols, index, _latency_hot(cols, index, count), index >= 0,
                    np.ones(cols.n, dtype=bool))
    for w in slow:  # a slow period inside an error incident is the same incident
        if not any(e.start_ms <= w.end_ms and w.start_ms <= e.end_ms for e, _ in windows):
            windows.append((w, "latency"))
    incidents = []
    for window, kind in sorted(windows, key=lambda p: p[0].start_ms):
        if kind == "errors":  # window rows are first attempts: widen to every attempt
            ids = calls.of_row[window.rows]
            n_calls, bad = int(ids.size), calls.failed[ids]
            ends = calls.last[ids]
            statuses = cols.code[ends][bad] if bad.any() else cols.code[ends]
            rows = calls.rows_of(ids)
            rate = round(float(bad.mean()), 4) if n_calls else 0.0
        else:
            rows = window.rows
            n_calls = int(rows.size)
            statuses = cols.code[rows][cols.failed[rows]] if cols.failed[rows].any() \
                else cols.code[rows]
            rate = round(float(cols.failed[rows].mean()), 4) if rows.size else 0.0
        labels, counts = np.unique(statuses, return_counts=True)
        top = labels[np.argmax(counts)] if labels.size else -1
        incidents.append(Incident(
            start=iso_ms(window.start_ms) or "", end=iso_ms(window.end_ms) or "",
            requests=n_calls, error_rate=rate,
            top_status=status_label(np.nan if top < 0 else top), kind=kind, rows=rows))
    return incidents
