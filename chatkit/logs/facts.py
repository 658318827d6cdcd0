"""What the incident and finding decisions read of a log: counts per time bucket and per
window, a few numbers over the whole log, and the rows a finding may quote.

The decisions (which buckets are hot, how they merge into windows, what a finding says) are
written once, in :mod:`chatkit.logs.incidents` and :mod:`chatkit.logs.diagnose`, on a
:class:`LogFacts`. Two classes compute those facts:

* :class:`FrameFacts`, with numpy, from every row of a frame in memory;
* :class:`chatkit.logs.engine_facts.SQLFacts`, with SQL in DuckDB or Spark, which hands Python
  only the aggregates and the rows a finding may quote (those that failed or noted an error),
  so its memory follows the failures, not the rows.

Kinds of event counted per bucket (``kind`` below), each over its *pool* of requests:

* ``calls``: the pool is the calls (each placed at its first attempt), the events the calls
  that failed (:mod:`chatkit.logs.calls`);
* ``limited``: every request with a time; the events are the 429s;
* ``retries``: every request with a time; the events are the attempts above 0;
* ``all``: every request with a time, each an event (the latency windows).

:attr:`LogFacts.cols` holds the rows a finding may quote, with their call, in log order:
every row for :class:`FrameFacts`. :meth:`LogFacts.rows_in` gives those of a window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from chatkit.logs.columns import bucket_width

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from concurrent.futures import Executor

    from chatkit.logs.columns import Columns

__all__ = ["KINDS", "FrameFacts", "Grid", "LogFacts", "WindowStats", "grid_of",
           "medians_of_parts", "share", "status_histogram", "top_status"]

KINDS = ("calls", "limited", "retries", "all")


@dataclass(frozen=True, slots=True)
class Grid:
    """The time buckets: bucket b holds origin + b*width <= ts < origin + (b+1)*width."""

    origin: float
    width: float
    count: int


@dataclass(frozen=True, slots=True)
class WindowStats:
    """What a window holds, counted over its kind's pool of requests."""

    requests: int
    events: int
    failed: int
    max_attempt: float  # NaN when no row has an attempt number
    latency_median: float  # NaN when no row has a latency
    statuses: dict[int, int]  # requests per status, -1 = no response


def grid_of(lo: float, hi: float, count: int) -> Grid | None:
    """The buckets for times from ``lo`` to ``hi`` (ms), ``count`` of them set."""
    if count == 0:
        return None
    width = bucket_width(hi - lo, count) * 1000.0
    origin = math.floor(lo / width) * width
    return Grid(origin, width, int((hi - origin) // width) + 1)


def status_histogram(codes: np.ndarray) -> dict[int, int]:
    """Rows per status code (-1 = no response), in code order."""
    if codes.size and codes.min() >= -1 and codes.max() < 1024:  # counted without a sort
        counts = np.bincount(codes + 1)
        return {int(c) - 1: int(counts[c]) for c in np.flatnonzero(counts)}
    values, counts = np.unique(codes, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts, strict=True)}


def share(worker: Executor | None, tasks: Sequence[Callable[[], Any]]
          ) -> Callable[[], list[Any]]:
    """Queues ``tasks`` on ``worker`` and returns what gives their results, in order.

    Asked for them, it first takes back the tasks the worker has not started, the last first,
    and runs them on the calling thread, so neither thread waits while work is queued. The
    tasks must not depend on one another. Without a worker, every task runs when asked.
    """
    if worker is None:
        return lambda: [task() for task in tasks]
    futures = [worker.submit(task) for task in tasks]

    def results() -> list[Any]:
        taken = {i: tasks[i]() for i in reversed(range(len(tasks))) if futures[i].cancel()}
        return [taken[i] if i in taken else futures[i].result() for i in range(len(tasks))]

    return results


def medians_of_parts(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """``np.median(values[bounds[i]:bounds[i + 1]])`` for each i (NaN where a part is empty),
    equal to it bit for bit; each part of ``values`` is reordered in place.

    Without NaN among the values, each part is partitioned around its middle once, without
    np.median's checks per call: over hundreds of small parts those cost more than the work.
    """
    out = np.full(bounds.size - 1, np.nan)
    plain = not np.isnan(values).any()  # else np.median's own rule: NaN in, NaN out
    for b in np.flatnonzero(np.diff(bounds)):
        part = values[bounds[b]:bounds[b + 1]]
        if not plain:
            out[b] = np.median(part, overwrite_input=True)
            continue
        half = part.size // 2
        if part.size % 2:
            part.partition(half)
            out[b] = part[half]
        else:  # the mean of the two middle values, as np.median takes it
            part.partition((half - 1, half))
            out[b] = (part[half - 1] + part[half]) / 2
    return out


def top_status(statuses: dict[int, int]) -> int:
    """The commonest status (-1 = no response; ties to the lowest code), -1 when none."""
    if not statuses:
        return -1
    return max(sorted(statuses), key=lambda code: statuses[code])


class LogFacts:
    """The facts of a log; subclasses fill in the numbers and the per-bucket counts."""

    cols: Columns  # the rows a finding may quote (see the module docstring)
    call_id: np.ndarray  # per row of cols: its call (any number, the same for one call)
    call_start: np.ndarray  # per row: the time (ms) of its call's first attempt, NaN if none
    call_last: np.ndarray  # per row: it is its call's last attempt
    call_failed: np.ndarray  # per row: its call failed (its last attempt failed)
    n: int  # requests
    failed: int  # requests that failed
    limited: int  # 429s
    retries: int  # attempts above 0
    ts_lo: float  # first time, ms (NaN when no row has one)
    ts_hi: float
    ts_count: int  # rows with a time
    latency_median: float  # over every request with a latency
    ttft_p95: dict[str, float]  # per model with 20 TTFTs or more, in order of appearance

    def grid(self) -> Grid | None:
        return grid_of(self.ts_lo, self.ts_hi, self.ts_count)

    def span_ms(self) -> float:
        """Milliseconds from the first request to the last (0 when none has a time)."""
        return self.ts_hi - self.ts_lo if self.ts_count else 0.0

    def calls_of(self, rows: np.ndarray) -> int:
        """How many distinct calls the given rows belong to."""
        return int(np.unique(self.call_id[rows]).size) if rows.size else 0

    def rows_in(self, kind: str, start: float, end: float) -> np.ndarray:
        """The rows of :attr:`cols` in a window: for ``calls`` every attempt of the calls
        that began inside it, else the rows whose time is inside it."""
        ts = self.call_start if kind == "calls" else self.cols.ts
        return np.flatnonzero((ts >= start) & (ts <= end))

    def buckets(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """(pool requests, events) per bucket."""
        raise NotImplementedError

    def latency_buckets(self) -> tuple[np.ndarray, np.ndarray]:
        """Per bucket: requests with a latency above 0, and the median of their latency
        divided by their model's median latency (NaN where none)."""
        raise NotImplementedError

    def trimmed(self, kind: str, first: int, last: int) -> tuple[float, float]:
        """The first and last time of an event in buckets ``first``..``last`` (of a request
        of the pool when no event is there)."""
        raise NotImplementedError

    def window_stats(self, kind: str, spans: list[tuple[float, float]]) -> list[WindowStats]:
        """The counts of each window (start, end in ms, both inside)."""
        raise NotImplementedError


class FrameFacts(LogFacts):
    """The facts of a frame in memory, computed with numpy from every row."""

    def __init__(self, cols: Columns, *, worker: Executor | None = None) -> None:
        """``worker``: an executor on which the facts of time and latency, which do not
        depend on the calls, are computed meanwhile (see :func:`share`)."""
        self.cols = cols
        self._pools: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._timed_counts: np.ndarray | None = None
        self._latency: tuple[np.ndarray, np.ndarray] | None = None
        timed = share(worker, [partial(self._time_facts, buckets=worker is not None),
                               self._latency_median, self._ttft_p95])
        self.n, self.failed = cols.n, int(cols.failed.sum())
        self.limited = int((cols.code == 429).sum())
        self.retries = int((cols.attempt > 0).sum())
        calls = cols.calls
        self.call_id = calls.of_row
        self.call_start = cols.ts[calls.first][calls.of_row] if cols.n else cols.ts
        self.call_last = np.zeros(cols.n, dtype=bool)
        self.call_last[calls.last] = True
        self.call_failed = calls.failed[calls.of_row]
        _, self.latency_median, self.ttft_p95 = timed()

    def _time_facts(self, *, buckets: bool) -> None:
        """The time span and each row's bucket (and the latency buckets if ``buckets``)."""
        cols = self.cols
        valid = ~np.isnan(cols.ts)
        self.ts_count = int(valid.sum())
        timed = cols.ts if self.ts_count == cols.n else cols.ts[valid]
        self.ts_lo = float(timed.min()) if self.ts_count else math.nan
        self.ts_hi = float(timed.max()) if self.ts_count else math.nan
        grid = self.grid()
        self._index = np.full(cols.n, -1, dtype=np.int64)
        if grid is not None:
            # the origin is at or before every time, so the quotient is not negative and
            # truncating it is its floor: floor((ts - origin) / width), as the SQL engines
            # compute it
            quotient = timed - grid.origin
            quotient /= grid.width
            index = quotient.astype(np.int64)
            if self.ts_count == cols.n:
                self._index = index
            else:
                self._index[valid] = index
        self._timed = self._index >= 0
        if buckets:
            self.latency_buckets()

    def _latency_median(self) -> float:
        latency = self.cols.latency[~np.isnan(self.cols.latency)]
        return float(np.median(latency, overwrite_input=True)) if latency.size else math.nan

    def _ttft_p95(self) -> dict[str, float]:
        cols, out = self.cols, {}
        for name, rows in cols.groups("model"):  # in code order, as the models appeared
            values = cols.ttft[rows]
            values = values[~np.isnan(values)]
            if values.size >= 20:
                out[name] = float(np.percentile(values, 95, overwrite_input=True))
        return out

    def _pool(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        if kind not in self._pools:
            self._pools[kind] = self._pool_of(kind)
        return self._pools[kind]

    def _pool_of(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        cols, timed = self.cols, self._timed
        if kind == "calls":
            first = np.zeros(cols.n, dtype=bool)
            first[cols.calls.first] = True
            pool = timed & first
            return pool, pool & self.call_failed
        if kind == "limited":
            return timed, timed & (cols.code == 429)
        if kind == "retries":
            return timed, timed & (cols.attempt > 0)
        return timed, timed

    def buckets(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        grid = self.grid()
        count = grid.count if grid else 0
        pool, events = self._pool(kind)
        if pool is self._timed:  # the same pool for every kind but calls: counted once
            if self._timed_counts is None:
                self._timed_counts = np.bincount(self._index[pool], minlength=count)
            return self._timed_counts, np.bincount(self._index[events], minlength=count)
        return (np.bincount(self._index[pool], minlength=count),
                np.bincount(self._index[events], minlength=count))

    def latency_buckets(self) -> tuple[np.ndarray, np.ndarray]:
        if self._latency is None:
            self._latency = self._latency_buckets()
        return self._latency

    def _latency_buckets(self) -> tuple[np.ndarray, np.ndarray]:
        cols, grid = self.cols, self.grid()
        count = grid.count if grid else 0
        latency = cols.latency
        codes, names = cols.codes("model")
        usual = np.full(len(names) + 1, np.nan)  # each model's median latency, no model last
        for _, rows in [*cols.groups("model"), ("", np.flatnonzero(codes < 0))]:
            values = latency[rows]
            usable = values[(values > 0) & ~np.isnan(values)]
            if usable.size:
                usual[int(codes[rows[0]])] = np.median(usable, overwrite_input=True)
        # each request relative to its own model's median (code -1 wraps to the last)
        ratio = np.take(usual, codes, mode="wrap")
        np.divide(latency, ratio, out=ratio)
        ok = ~np.isnan(latency) & (self._index >= 0) & (latency > 0)
        values, buckets = ratio[ok], self._index[ok]
        sizes = np.bincount(buckets, minlength=count)
        if buckets.size > 1 and (buckets[1:] < buckets[:-1]).any():  # usually in time order
            # a bucket's median does not depend on the order of its values, so any sort by
            # bucket will do, and one of small codes is a radix sort
            keys = buckets.astype(np.uint16) if count <= 1 << 16 else buckets
            values = values[np.argsort(keys, kind="stable")]
        # values is a copy: each bucket's part may be reordered
        return sizes, medians_of_parts(values, np.concatenate(([0], np.cumsum(sizes))))

    def trimmed(self, kind: str, first: int, last: int) -> tuple[float, float]:
        pool, events = self._pool(kind)
        inside = pool & (self._index >= first) & (self._index <= last)
        hits = inside & events
        times = self.cols.ts[hits] if hits.any() else self.cols.ts[inside]
        return float(np.min(times)), float(np.max(times))

    def window_stats(self, kind: str, spans: list[tuple[float, float]]) -> list[WindowStats]:
        cols = self.cols
        pool, events = self._pool(kind)
        out = []
        for start, end in spans:
            rows = np.flatnonzero(pool & (cols.ts >= start) & (cols.ts <= end))
            attempts = cols.attempt[rows]
            attempts = attempts[~np.isnan(attempts)]
            latency = cols.latency[rows]
            latency = latency[~np.isnan(latency)]
            out.append(WindowStats(
                requests=int(rows.size), events=int(events[rows].sum()),
                failed=int(cols.failed[rows].sum()),
                max_attempt=float(attempts.max()) if attempts.size else math.nan,
                latency_median=float(np.median(latency)) if latency.size else math.nan,
                statuses=status_histogram(cols.code[rows])))
        return out
