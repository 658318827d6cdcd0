"""Which attempts belong to one call: retries are not independent requests.

A client that retries writes one log row per attempt, so a single call that failed and was
retried twice looks like three failures. What ties attempts together, strongest first:

1. an idempotency key (``idempotency_key`` column, from the ``Idempotency-Key`` header): the
   same key is the same call;
2. attempt numbers: per host, endpoint and model, in time order, an attempt above 0 belongs
   to the call whose first attempt came last before it. With calls in flight at once a retry
   may be tied to a neighbour's call of the same route; the count of calls and of failed
   calls is what the analysis needs, and it stays right. A row without a time, or more than
   ten minutes after the row before it, starts a call of its own;
3. where a log has no attempt numbers, a request id that repeats (a client-side id such as
   ``X-Client-Request-Id`` is reused on every retry; a server's ``x-request-id`` never
   repeats, so it ties nothing).

A call *failed* when its last attempt failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from chatkit.logs.columns import Columns

__all__ = ["Calls", "group_calls"]

_MAX_GAP_MS = 600_000.0  # a retry comes within minutes of the attempt before it


@dataclass(frozen=True, slots=True)
class Calls:
    """Rows grouped into calls."""

    of_row: np.ndarray  # call number per row (0..n-1, in the order calls first appear)
    first: np.ndarray  # per call: the row of its first attempt
    last: np.ndarray  # per call: the row of its last attempt
    failed: np.ndarray  # per call: its last attempt failed

    @property
    def n(self) -> int:
        return int(self.first.size)

    @property
    def attempts(self) -> np.ndarray:
        """Per call: how many attempts (counted when asked)."""
        return np.bincount(self.of_row, minlength=self.n)

    def count(self, rows: np.ndarray) -> int:
        """How many distinct calls the given rows belong to."""
        return int(np.unique(self.of_row[rows]).size) if rows.size else 0

    def rows_of(self, calls: np.ndarray) -> np.ndarray:
        """Every row (attempt) of the given calls."""
        return np.flatnonzero(np.isin(self.of_row, calls))


def group_calls(cols: Columns) -> Calls:
    """The calls of a log (see the module docstring for what ties attempts together),
    numbered in the order their first attempts appear in the log."""
    n = cols.n
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Calls(empty, empty, empty, np.zeros(0, dtype=bool))
    order = _time_order(cols)
    rows, heads = _joins(cols, order)
    starts = np.ones(n, dtype=bool)
    starts[rows] = False
    key = np.cumsum(starts)  # the chains, in the order of their first rows
    key -= 1
    key[rows] = key[heads]
    tied = False
    # request ids tie attempts only where attempt numbers do not (a client-side id reused on
    # every retry); idempotency keys always do
    numbered = bool((cols.attempt >= 0).any())
    for column in ("request_id", "idempotency_key"):  # later ones win
        if column in cols.frame and (column != "request_id" or not numbered):
            codes = _repeated_codes(cols.frame[column], everything=column != "request_id")
            if codes is not None:
                key = np.where(codes >= 0, codes + int(key.max()) + 1, key)
                tied = True
    if not tied:
        first_rows = np.flatnonzero(starts)
        last_rows = first_rows.copy()
        last_rows[key[rows]] = rows  # a chain's rows come in time order: the last write wins
        return Calls(key, first_rows, last_rows, cols.failed[last_rows])
    _, key = np.unique(key, return_inverse=True)
    key = key.astype(np.int64).reshape(-1)
    calls = int(key.max()) + 1
    in_time, rows_in_time = (key, np.arange(n)) if order is None else (key[order], order)
    first_rows = np.empty(calls, dtype=np.int64)
    last_rows = np.empty(calls, dtype=np.int64)
    last_rows[in_time] = rows_in_time  # the last write for each call wins: its last row
    first_rows[in_time[::-1]] = rows_in_time[::-1]  # reversed: its first row wins
    renumber = np.empty(calls, dtype=np.int64)  # in the order of their first rows
    renumber[np.argsort(first_rows)] = np.arange(calls)
    first_rows[renumber], last_rows[renumber] = first_rows.copy(), last_rows.copy()
    return Calls(renumber[key], first_rows, last_rows, cols.failed[last_rows])


def _time_order(cols: Columns) -> np.ndarray | None:
    """The rows in time order (rows without a time last), or None when that is row order."""
    ts = cols.ts
    if ts.size < 2 or bool((ts[1:] >= ts[:-1]).all()):  # a NaN anywhere compares False
        return None  # logs are usually in time order
    if np.isnan(ts).any():  # rows without a time go last
        ts = np.where(np.isnan(ts), np.inf, ts)
    return np.argsort(ts, kind="stable")


def _joins(cols: Columns, order: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The rows that continue a chain, and the first row of the chain each one continues.

    Only a retry (attempt above 0, with a time) continues a chain: that of the row before it
    on its route (host, endpoint, model) in time order, if that row has a time at most ten
    minutes earlier. Retries are few, so only their rows are compared.
    """
    retry = (cols.attempt > 0) & ~np.isnan(cols.ts)
    if not retry.any():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    route = _routes(cols)
    # time order within each route (a stable sort of small codes is a radix sort)
    by_route = np.argsort(route if order is None else route[order], kind="stable")
    if order is not None:
        by_route = order[by_route]
    at = np.flatnonzero(retry[by_route])  # where the retries are in that order
    at = at[at > 0]
    rows, before = by_route[at], by_route[at - 1]
    # a NaN time before compares False: no join
    at = at[(route[rows] == route[before]) & (cols.ts[rows] - cols.ts[before] <= _MAX_GAP_MS)]
    # a chain is a run in by_route order: its first row, then retries that each joined the
    # row before them
    run = np.ones(at.size, dtype=bool)
    run[1:] = at[1:] != at[:-1] + 1
    opened = np.maximum.accumulate(np.where(run, np.arange(at.size), 0))
    return by_route[at], by_route[at[opened] - 1]


def _routes(cols: Columns) -> np.ndarray:
    """A route code per row from host, endpoint and model (null is a value of its own), as
    uint16 when the codes fit."""
    parts = [cols.codes(name) for name in ("host", "endpoint", "model")]
    size = 1
    for _, names in parts:
        size *= len(names) + 1
    dtype = np.uint16 if size < 1 << 16 else np.int64
    route = np.zeros(cols.n, dtype=dtype)
    for codes, names in parts:
        route = route * (len(names) + 1) + (codes + 1).astype(dtype)
    return route


def _repeated_codes(values: pd.Series, *, everything: bool) -> np.ndarray | None:
    """A code per row for the ids that tie rows (-1 elsewhere), or None when none tie.

    Request ids tie only when they repeat (a server's never do); idempotency keys tie
    whatever their count (``everything``).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.chunked_array(pa.array(values.array)) if not isinstance(
            values.array, pa.ChunkedArray) else values.array
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        array = pa.chunked_array([pa.array(values.astype("object").where(values.notna(), None)
                                           .map(str, na_action="ignore"), type=pa.string())])
    if array.type != pa.string():
        array = array.cast(pa.string())
    array = pc.if_else(pc.equal(array, ""), None, array)
    valid = len(array) - array.null_count
    if valid == 0 or (not everything and pc.count_distinct(array).as_py() == valid):
        return None
    encoded = array.combine_chunks().dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    codes = np.where(encoded.is_valid().to_numpy(zero_copy_only=False), codes, -1).astype(
        np.int64)
    if not everything:  # keep only the ids seen on more than one row
        counts = np.bincount(codes[codes >= 0], minlength=len(encoded.dictionary))
        codes = np.where((codes >= 0) & (counts[np.maximum(codes, 0)] > 1), codes, -1)
    return codes
