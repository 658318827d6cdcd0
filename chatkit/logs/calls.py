"""Which attempts belong to one call: retries are not independent requests.

A client that retries writes one log row per attempt, so a single call that failed and was
retried twice looks like three failures. What ties attempts together, strongest first:

1. an idempotency key (``idempotency_key`` column, from the ``Idempotency-Key`` header): the
   same key is the same call;
2. a request id that repeats (a client-side id such as ``X-Client-Request-Id`` is reused on
   every retry; a server's ``x-request-id`` never repeats, so it ties nothing);
3. attempt numbers: per host, endpoint and model, in time order, an attempt above 0 belongs
   to the call whose first attempt came last before it. With calls in flight at once a retry
   may be tied to a neighbour's call of the same route; the count of calls and of failed
   calls is what the analysis needs, and it stays right. A row without a time, or more than
   ten minutes after the row before it, starts a call of its own.

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

    of_row: np.ndarray  # call number per row (0..n-1)
    first: np.ndarray  # per call: the row of its first attempt
    last: np.ndarray  # per call: the row of its last attempt
    failed: np.ndarray  # per call: its last attempt failed
    attempts: np.ndarray  # per call: how many attempts

    @property
    def n(self) -> int:
        return int(self.first.size)

    def count(self, rows: np.ndarray) -> int:
        """How many distinct calls the given rows belong to."""
        return int(np.unique(self.of_row[rows]).size) if rows.size else 0

    def rows_of(self, calls: np.ndarray) -> np.ndarray:
        """Every row (attempt) of the given calls."""
        return np.flatnonzero(np.isin(self.of_row, calls))


def group_calls(cols: Columns) -> Calls:
    """The calls of a log (see the module docstring for what ties attempts together)."""
    import pandas as pd

    n = cols.n
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Calls(empty, empty, empty, np.zeros(0, dtype=bool), empty)
    order = _time_order(cols)
    chain = _chains(cols, order)
    key = pd.Series("c" + pd.Series(chain).astype(str).to_numpy(), dtype="object")
    repeated = _repeated(cols.frame["request_id"]) if "request_id" in cols.frame else None
    if repeated is not None:
        key = key.where(repeated.isna(), "r" + repeated.astype("object").astype(str))
    if "idempotency_key" in cols.frame:
        idem = cols.frame["idempotency_key"].astype("object").reset_index(drop=True)
        idem = idem.where(idem.notna() & (idem.astype(str) != ""), None)
        key = key.where(idem.isna(), "k" + idem.astype(str))
    of_row, _ = pd.factorize(key)
    of_row = of_row.astype(np.int64)
    calls = int(of_row.max()) + 1
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)  # position in time order
    first = np.full(calls, n, dtype=np.int64)
    last = np.full(calls, -1, dtype=np.int64)
    np.minimum.at(first, of_row, rank)
    np.maximum.at(last, of_row, rank)
    first_rows, last_rows = order[first], order[last]
    attempts = np.bincount(of_row, minlength=calls)
    return Calls(of_row, first_rows, last_rows, cols.failed[last_rows], attempts)


def _time_order(cols: Columns) -> np.ndarray:
    ts = np.where(np.isnan(cols.ts), np.inf, cols.ts)
    return np.argsort(ts, kind="stable")


def _chains(cols: Columns, order: np.ndarray) -> np.ndarray:
    """A chain number per row from attempt numbers: a new chain at every first attempt."""
    route = np.zeros(cols.n, dtype=np.int64)
    for name in ("host", "endpoint", "model"):
        codes, names = cols.codes(name)
        route = route * (len(names) + 1) + (codes.astype(np.int64) + 1)
    by_route = order[np.argsort(route[order], kind="stable")]  # time order within each route
    attempt = cols.attempt[by_route]
    ts = cols.ts[by_route]
    starts = ~(attempt > 0) | np.isnan(ts)  # a first attempt, or nothing to chain it by
    starts[0] = True
    starts[1:] |= route[by_route][1:] != route[by_route][:-1]
    starts[1:] |= ~(np.diff(ts) <= _MAX_GAP_MS) | np.isnan(ts[:-1])
    chain = np.empty(cols.n, dtype=np.int64)
    chain[by_route] = np.cumsum(starts) - 1
    return chain


def _repeated(request_id: pd.Series) -> pd.Series | None:
    """The request ids that occur on more than one row (others null), or None if none do."""
    import pandas as pd

    ids = pd.Series(request_id).astype("object").reset_index(drop=True)
    ids = ids.where(ids.notna(), None)
    dup = ids.notna() & ids.duplicated(keep=False)
    if not dup.any():
        return None
    return ids.where(dup, None)
