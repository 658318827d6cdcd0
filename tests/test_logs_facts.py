"""The numpy facts and call grouping equal a row-by-row reading of the same log.

:mod:`chatkit.logs.calls` and :class:`~chatkit.logs.facts.FrameFacts` work on whole columns
(retries found without looking at every row, bucket medians from one sort, status counts
without a sort). Hypothesis writes small logs where that is easy to get wrong — rows out of
time order, equal times, rows without a time, retries exactly ten minutes after the row
before them, null hosts and models, zero and missing latencies — and each result is compared
with a plain Python loop over the rows.
"""

from __future__ import annotations

import math
import statistics
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkit.logs.columns import Columns
from chatkit.logs.facts import FrameFacts, medians_of_parts, share, status_histogram
from chatkit.logs.schema import conform

START = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
GAP_MS = 600_000  # a retry more than this after the row before it starts a call of its own

# offsets that land on, just before and just after the ten-minute gap, and equal times
OFFSETS = st.one_of(st.none(), st.integers(0, 4).map(lambda k: k * GAP_MS),
                    st.integers(0, 4).map(lambda k: k * GAP_MS + 1),
                    st.integers(0, 3_000_000), st.sampled_from([0, 1, 999, 1000]))


@st.composite
def logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    # what ties attempts: attempt numbers alone, idempotency keys too, or request ids (which
    # tie only where no row has an attempt number)
    ties = draw(st.sampled_from(["attempts", "attempts", "keys", "ids"]))
    keys = [None, None, None, "k-1", "k-2"] if ties == "keys" else [None]
    ids = [None, "", "req_a", "req_b", "req_c", "req_d"]
    for _ in range(draw(st.integers(1, 60))):
        offset = draw(OFFSETS)
        rows.append({
            "request_id": draw(st.sampled_from(ids)) if ties != "attempts" else None,
            "idempotency_key": draw(st.sampled_from(keys)),
            "ts": None if offset is None else (START + timedelta(milliseconds=offset)).isoformat(),
            "attempt": draw(st.sampled_from([None, 0, 0, 1, 1, 2, 3])),
            "status": draw(st.sampled_from([None, 200, 200, 429, 500, 503, 1500])),
            # mostly one route, so that retries have rows before them to join
            "host": draw(st.sampled_from([None, *["api.openai.com"] * 6, "gw.example"])),
            "endpoint": draw(st.sampled_from(["/v1/chat/completions"] * 6 + ["/v1/responses"])),
            "model": draw(st.sampled_from([None, *["gpt-4.1"] * 6, "gpt-4.1-mini"])),
            "latency_ms": draw(st.sampled_from([None, 0.0, 120.0, 800.0, 950.5, 4000.0])),
            "ttft_ms": draw(st.sampled_from([None, 90.0, 300.0]))})
        if ties == "ids":
            rows[-1]["attempt"] = None
    return rows


def reference_chains(cols: Columns) -> list[int]:
    """Row by row in time order: a retry joins the row before it on its route. The calls are
    numbered in the order their first rows appear in the log."""
    ts = [None if math.isnan(t) else t for t in cols.ts.tolist()]
    route = list(zip(*(cols.codes(name)[0].tolist() for name in ("host", "endpoint", "model")),
                     strict=True))
    order = sorted(range(cols.n), key=lambda i: (math.inf if ts[i] is None else ts[i], i))
    chain: list[int] = [-1] * cols.n
    before: dict[tuple[int, ...], int] = {}
    count = 0
    for i in order:
        prev = before.get(route[i])
        attempt = cols.attempt[i]
        t, t0 = ts[i], None if prev is None else ts[prev]
        if attempt > 0 and prev is not None and t is not None and t0 is not None \
                and t - t0 <= GAP_MS:
            chain[i] = chain[prev]
        else:
            chain[i], count = count, count + 1
        before[route[i]] = i
    # an idempotency key is one call; so is a request id seen twice, where no row is numbered
    frame = cols.frame
    ids = frame["request_id"].tolist() if "request_id" in frame else [None] * cols.n
    keys = frame["idempotency_key"].tolist() if "idempotency_key" in frame else [None] * cols.n
    numbered = any(a >= 0 for a in cols.attempt.tolist())
    seen = Counter(i for i in ids if isinstance(i, str) and i)
    call: list[tuple[str, Any]] = []
    for i in range(cols.n):
        if isinstance(keys[i], str) and keys[i]:
            call.append(("key", keys[i]))
        elif not numbered and isinstance(ids[i], str) and ids[i] and seen[ids[i]] > 1:
            call.append(("id", ids[i]))
        else:
            call.append(("chain", chain[i]))
    first: dict[tuple[str, Any], int] = {}
    for i in order:
        first.setdefault(call[i], i)
    renumber = {c: k for k, c in enumerate(sorted(first, key=first.__getitem__))}
    return [renumber[c] for c in call]  # numbered in the order their first rows appear


@settings(max_examples=300, deadline=None)
@given(logs())
def test_calls_equal_a_row_by_row_reading(rows: list[dict[str, Any]]) -> None:
    cols = Columns(conform(pd.DataFrame(rows)))
    calls = cols.calls
    chain = reference_chains(cols)
    assert calls.of_row.tolist() == chain
    in_time = sorted(range(cols.n), key=lambda i: (math.inf if np.isnan(cols.ts[i])
                                                   else cols.ts[i], i))
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i in in_time:
        first.setdefault(chain[i], i)
        last[chain[i]] = i
    assert calls.first.tolist() == [first[c] for c in range(len(first))]
    assert calls.last.tolist() == [last[c] for c in range(len(last))]
    assert calls.failed.tolist() == [bool(cols.failed[last[c]]) for c in range(len(last))]
    assert calls.attempts.tolist() == [chain.count(c) for c in range(len(first))]


@settings(max_examples=300, deadline=None)
@given(logs())
def test_buckets_and_latency_medians_equal_a_row_by_row_reading(
        rows: list[dict[str, Any]]) -> None:
    cols = Columns(conform(pd.DataFrame(rows)))
    facts = FrameFacts(cols)
    grid = facts.grid()
    if grid is None:
        assert all(row["ts"] is None for row in rows)
        return
    bucket = [None if math.isnan(t) else int((t - grid.origin) // grid.width)
              for t in cols.ts.tolist()]
    pool, events = facts.buckets("limited")
    assert pool.tolist() == [bucket.count(b) for b in range(grid.count)]
    assert events.tolist() == [sum(1 for i, b in enumerate(bucket) if b == k
                                   and cols.code[i] == 429) for k in range(grid.count)]
    models = cols.codes("model")[0].tolist()
    latency = cols.latency.tolist()
    usual = {}
    for model in set(models):
        usable = [v for v, m in zip(latency, models, strict=True) if m == model and v > 0]
        if usable:
            usual[model] = statistics.median(usable)
    sizes, medians = facts.latency_buckets()
    for k in range(grid.count):
        ratios = [latency[i] / usual[models[i]] for i in range(cols.n)
                  if bucket[i] == k and latency[i] > 0]
        assert sizes[k] == len(ratios)
        if ratios:
            assert medians[k] == pytest.approx(statistics.median(ratios), rel=1e-12)
        else:
            assert math.isnan(medians[k])
    with ThreadPoolExecutor(1) as worker:  # the same facts with half of them on a thread
        shared = FrameFacts(cols, worker=worker)
    np.testing.assert_array_equal(shared.latency_buckets()[0], sizes)
    np.testing.assert_array_equal(shared.latency_buckets()[1], medians)  # NaN equal to NaN
    assert (shared.ttft_p95, shared.ts_lo, shared.ts_hi) == (facts.ttft_p95, facts.ts_lo,
                                                             facts.ts_hi)
    assert shared.latency_median == facts.latency_median or (
        math.isnan(shared.latency_median) and math.isnan(facts.latency_median))
    spans = [(grid.origin, grid.origin + grid.width * grid.count)]
    [stats] = facts.window_stats("all", spans)
    timed = cols.code[~np.isnan(cols.ts)].tolist()
    assert stats.statuses == {c: timed.count(c) for c in sorted(set(timed))}


@pytest.mark.parametrize("codes", [[], [200], [-1, 200, 200, 503, 429, -1], [-7, 200, 1500],
                                   [1023, 0, 1024]])
def test_status_histogram_counts_every_code_in_order(codes: list[int]) -> None:
    values, counts = np.unique(np.array(codes, dtype=np.int64), return_counts=True)
    expected = {int(v): int(c) for v, c in zip(values, counts, strict=True)}
    got = status_histogram(np.array(codes, dtype=np.int64))
    assert got == expected and list(got) == list(expected)


@st.composite
def failures(draw: st.DrawFn) -> list[dict[str, Any]]:
    # "timeout" is both an exception and an error code: the two read the same
    detail = st.sampled_from([None, None, "timeout", "rate_limit_exceeded", "server_error"])
    return [{"ts": START.isoformat(), "status": draw(st.sampled_from([None, 200, 429, 500])),
             "exception": draw(st.sampled_from([None, None, "timeout", "ReadTimeout"])),
             "error_type": draw(detail), "error_code": draw(detail)}
            for _ in range(draw(st.integers(1, 40)))]


def reference_label(row: dict[str, Any]) -> str:
    detail = [row[c] for c in ("exception", "error_type", "error_code") if row[c] is not None]
    status = "" if row["status"] is None else str(row["status"])
    return f"{status} {detail[-1] if detail else ''}".strip() or "no response"


@settings(max_examples=200, deadline=None)
@given(failures())
def test_failure_groups_equal_grouping_the_label_texts(rows: list[dict[str, Any]]) -> None:
    from chatkit.logs.labels import failure_groups, labels, top_group

    cols = Columns(conform(pd.DataFrame(rows)))
    texts = [reference_label(row) for row in rows]
    every = np.arange(len(rows))
    assert labels(cols, every).tolist() == texts
    failed = [i for i in every.tolist() if rows[i]["status"] not in (200,)]
    groups: dict[str, list[int]] = {}
    for i in failed:
        groups.setdefault(texts[i], []).append(i)
    expected = sorted(groups.items(), key=lambda g: (-len(g[1]), g[0]))
    got = [(label, members.tolist()) for label, members in failure_groups(cols)]
    assert got == expected
    if failed:
        label, members = top_group(cols, np.array(failed))
        assert (label, members.tolist()) == expected[0]


def test_share_gives_results_in_order_and_runs_what_the_worker_has_not_started() -> None:
    ran: list[tuple[int, str]] = []
    free = threading.Event()

    def task(i: int) -> Any:
        def run() -> int:
            ran.append((i, threading.current_thread().name))
            if i == 0:
                free.set()  # the last the caller takes back: the worker may go on
            return i * 10
        return run

    with ThreadPoolExecutor(1, thread_name_prefix="worker") as worker:
        worker.submit(free.wait)  # the worker is busy until the caller has taken every task
        results = share(worker, [task(i) for i in range(3)])
        assert results() == [0, 10, 20]
        assert ran == [(2, "MainThread"), (1, "MainThread"), (0, "MainThread")]
        ran.clear()
        results = share(worker, [task(i) for i in range(3)])
        assert results() == [0, 10, 20] and sorted(i for i, _ in ran) == [0, 1, 2]
    assert share(None, [task(i) for i in range(3)])() == [0, 10, 20]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.one_of(st.floats(min_value=0, max_value=1e12),
                                   st.sampled_from([0.5, 2.0, math.inf])),
                         max_size=12), max_size=8),
       st.booleans())
def test_medians_of_parts_equal_numpys_median_bit_for_bit(parts: list[list[float]],
                                                          nan: bool) -> None:
    if nan and parts and parts[0]:
        parts[0][0] = math.nan
    values = np.array([v for part in parts for v in part], dtype=np.float64)
    bounds = np.cumsum([0, *(len(part) for part in parts)])
    expected = [np.median(np.array(part)) if part else math.nan for part in parts]
    np.testing.assert_array_equal(medians_of_parts(values, bounds), expected)


@settings(max_examples=100, deadline=None)
@given(logs())
def test_the_summary_is_the_same_on_two_threads_for_any_log(rows: list[dict[str, Any]]) -> None:
    from chatkit.logs import analyze

    frame = conform(pd.DataFrame(rows))
    threshold = analyze._THREADED_ROWS
    try:
        analyze._THREADED_ROWS = 1 << 62
        serial = analyze.summarize(frame)
        analyze._THREADED_ROWS = 0
        assert analyze.summarize(frame) == serial
    finally:
        analyze._THREADED_ROWS = threshold
