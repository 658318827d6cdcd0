"""The facts of a log (:mod:`chatkit.logs.facts`) computed in SQL, by DuckDB or Spark.

The engine holds the log as the view ``log``: the contract's columns, ``_row`` (the log's
order) and the time parsed once as ``ts_ms`` / ``ts_flag`` (:func:`engine_sql.timestamp_parts`).
From it the engine keeps one narrow table, ``calls``: per row its time, status, attempt,
latency and model, and its call (retries tied to the call they retry, as
:func:`chatkit.logs.calls.group_calls` ties them, with window functions). Every number the
summary, the incidents and the findings read is an aggregate of that table: over the log, per
model, per time bucket, per window. Python receives those aggregates and the rows a finding
may quote (those that failed or noted an error), so its memory follows the failures, not the
rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from chatkit.logs.columns import Columns, iso_ms, round1
from chatkit.logs.engine_sql import FAILED, NOTED
from chatkit.logs.facts import Grid, LogFacts, WindowStats
from chatkit.logs.schema import (
    CATEGORICAL,
    SUMMARY_COLUMNS,
    conform,
    empty_frame,
    pandas_type_of,
)
from chatkit.logs.timestamps import parse_timestamps

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["Backend", "SQLFacts", "contract_frame"]

_GAP_MS = 600_000  # as chatkit.logs.calls: a retry comes within minutes of the attempt before
_ORDER = "ts_ms ASC NULLS LAST, _row ASC"
_ROUTE = "host, endpoint, model"
_KINDS = {  # kind: (pool, event), as chatkit.logs.facts defines them
    "calls": ("call_first AND ts_ms IS NOT NULL", "call_failed"),
    "limited": ("ts_ms IS NOT NULL", "coalesce(status = 429, false)"),
    "retries": ("ts_ms IS NOT NULL", "coalesce(attempt > 0, false)"),
    "all": ("ts_ms IS NOT NULL", "true"),
}
CALL_COLUMNS = ("call_id", "call_start", "call_last", "call_failed")


class Backend(Protocol):
    """What an SQL engine offers: the view ``log`` and a way to keep a query as a table."""

    skipped: int
    dialect: str  # "duckdb" or "spark"

    def rows(self, sql: str) -> list[tuple[Any, ...]]: ...

    def batches(self, sql: str) -> Iterator[pa.RecordBatch]: ...

    def keep(self, name: str, sql: str) -> None: ...

    def close(self) -> None: ...


def _quantiles(dialect: str, column: str, qs: Sequence[float]) -> str:
    """Exact quantiles interpolated as numpy does, as a list."""
    values = ", ".join(str(q) for q in qs)
    if dialect == "duckdb":
        return f"quantile_cont({column}, [{values}])"
    return f"percentile({column}, array({values}))"


def _median(dialect: str, column: str) -> str:
    return (f"quantile_cont({column}, 0.5)" if dialect == "duckdb"
            else f"percentile({column}, 0.5)")


def _valid(column: str) -> str:
    return f"CASE WHEN NOT isnan({column}) THEN {column} END"


def calls_sql(numbered: bool, retried: bool, repeated: bool) -> list[tuple[str, str]]:
    """The tables to keep, in order, the last one ``calls``: per row of ``log`` what the
    aggregates read, and its call (see :mod:`chatkit.logs.calls` for what ties attempts).

    Only the rows of calls with more than one attempt go through the window that numbers
    the calls; every other row is a call of its own.
    """
    base = (f"SELECT _row, ts_ms, ts_flag, status, {FAILED} AS failed, {NOTED} AS noted, "
            f"attempt, latency_ms, ttft_ms, {_ROUTE}"
            f"{', request_id' if repeated and not numbered else ''} FROM log")
    keep = "_row, ts_ms, ts_flag, status, failed, noted, attempt, latency_ms, ttft_ms, model"
    alone = (f"{keep}, _row AS call_id, ts_ms AS call_start, true AS call_first, "
             "true AS call_last, failed AS call_failed")
    whole = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
    if numbered and retried:  # chains of attempts per route, in time order
        route = f"PARTITION BY {_ROUTE} ORDER BY {_ORDER}"
        call = f"PARTITION BY {_ROUTE}, chain ORDER BY {_ORDER} {whole}"
        # opens: a call begins here; closes: the next row does not continue it. Only the rows
        # of calls with more than one attempt are kept (a narrow window: sorting every row
        # with its whole payload costs four times as much)
        steps = (
            "SELECT * FROM (SELECT *, CASE WHEN attempt > 0 AND ts_ms - lag(ts_ms) OVER "
            f"({route}) <= {_GAP_MS} THEN 0 ELSE 1 END AS opens, "
            f"CASE WHEN lead(attempt) OVER ({route}) > 0 AND lead(ts_ms) OVER ({route}) "
            f"- ts_ms <= {_GAP_MS} THEN 0 ELSE 1 END AS closes FROM (SELECT _row, ts_ms, "
            f"attempt, {FAILED} AS failed, {_ROUTE} FROM log) n) s "
            "WHERE opens = 0 OR closes = 0")
        tied = (f"SELECT *, sum(opens) OVER ({route} ROWS BETWEEN UNBOUNDED PRECEDING AND "
                "CURRENT ROW) AS chain FROM steps")
        chained = (f"SELECT _row, first_value(_row) OVER ({call}) AS call_id, "
                   f"first_value(ts_ms) OVER ({call}) AS call_start, opens = 1 AS call_first, "
                   f"closes = 1 AS call_last, last_value(failed) OVER ({call}) AS call_failed "
                   f"FROM ({tied}) t")
        picked = ", ".join(f"b.{c}" for c in keep.split(", "))
        one = "c._row IS NULL"
        return [("steps", steps), ("chained", chained), ("calls",
                 f"SELECT {picked}, CASE WHEN {one} THEN b._row ELSE c.call_id END AS call_id, "
                 f"CASE WHEN {one} THEN b.ts_ms ELSE c.call_start END AS call_start, "
                 f"{one} OR c.call_first AS call_first, {one} OR c.call_last AS call_last, "
                 f"CASE WHEN {one} THEN b.failed ELSE c.call_failed END AS call_failed "
                 f"FROM ({base}) b LEFT JOIN chained c ON b._row = c._row")]
    if not numbered and repeated:  # a client's request id reused by every retry
        call = f"PARTITION BY request_id ORDER BY {_ORDER}"
        backwards = "PARTITION BY request_id ORDER BY ts_ms DESC NULLS FIRST, _row DESC"
        return [("calls",
                 f"WITH b AS ({base}), r AS (SELECT request_id AS rid FROM b WHERE "
                 "request_id IS NOT NULL AND request_id <> '' GROUP BY request_id "
                 "HAVING count(*) > 1), "
                 "k AS (SELECT b.*, r.rid FROM b LEFT JOIN r ON b.request_id = r.rid) "
                 f"SELECT {alone} FROM k WHERE rid IS NULL UNION ALL "
                 f"SELECT {keep}, first_value(_row) OVER ({call} {whole}) AS call_id, "
                 f"first_value(ts_ms) OVER ({call} {whole}) AS call_start, "
                 f"row_number() OVER ({call}) = 1 AS call_first, "
                 f"row_number() OVER ({backwards}) = 1 AS call_last, "
                 f"last_value(failed) OVER ({call} {whole}) AS call_failed "
                 "FROM k WHERE rid IS NOT NULL")]
    return [("calls", f"SELECT {alone} FROM ({base}) b")]


class SQLFacts(LogFacts):
    """The facts and the summary's numbers of the log an SQL engine holds."""

    def __init__(self, backend: Backend) -> None:
        self.db, d = backend, backend.dialect
        numbered, retried = backend.rows(
            "SELECT count_if(attempt >= 0) > 0, count_if(attempt > 0) > 0 FROM log")[0]
        repeated = not numbered and backend.rows(  # request ids tie only where no attempts do
            "SELECT count(*) FROM (SELECT request_id FROM log WHERE request_id <> '' "
            "GROUP BY request_id HAVING count(*) > 1) r")[0][0] > 0
        for name, sql in calls_sql(bool(numbered), bool(retried), bool(repeated)):
            backend.keep(name, sql)
        lat, ttft = _valid("latency_ms"), _valid("ttft_ms")
        qs = (0.5, 0.9, 0.95, 0.99)
        row = backend.rows(
            "SELECT count(*), count_if(failed), count_if(status = 429), count_if(attempt > 0), "
            "min(ts_ms), max(ts_ms), count(ts_ms), count_if(ts_flag = 1), "
            f"count_if(ts_flag = 2), {_quantiles(d, lat, qs)}, max({lat}), avg({lat}), "
            f"{_quantiles(d, ttft, qs)}, max({ttft}), avg({ttft}) FROM calls")[0]
        (self.n, self.failed, self.limited, self.retries, lo, hi, self.ts_count,
         assumed, unreadable, lat_q, lat_max, lat_mean, ttft_q, ttft_max, ttft_mean) = row
        self.n, self.failed = int(self.n), int(self.failed or 0)
        self.limited, self.retries = int(self.limited or 0), int(self.retries or 0)
        self.ts_count = int(self.ts_count)
        self.ts_lo = math.nan if lo is None else float(lo)
        self.ts_hi = math.nan if hi is None else float(hi)
        self.attrs = {"ts_assumed_utc": int(assumed or 0), "ts_unreadable": int(unreadable or 0)}
        self.latency_median = float(lat_q[0]) if lat_q is not None else math.nan
        models = backend.rows(
            f"SELECT model, min(_row) AS first_row, count(*), count_if(failed), "
            f"{_quantiles(d, lat, (0.5, 0.95))}, count({ttft}), "
            f"{_quantiles(d, ttft, (0.95,))} FROM calls WHERE model IS NOT NULL "
            "GROUP BY model ORDER BY first_row")
        self.models = [str(m[0]) for m in models]
        self.ttft_p95 = {str(m[0]): float(m[6][0]) for m in models if m[5] >= 20}
        statuses = backend.rows(
            "SELECT CASE WHEN status IS NULL OR status < 0 THEN -1 ELSE status END AS code, "
            "count(*) FROM calls WHERE status IS NULL OR status < 1000 GROUP BY 1 ORDER BY 1")
        counts = {str(c): int(k) for c, k in statuses if c >= 0}
        if statuses and statuses[0][0] < 0:
            counts["no_response"] = int(statuses[0][1])
        by_model = {}
        for name, _, requests, failed, q, _, _ in sorted(models, key=lambda m: -m[2]):
            p50, p95 = q if q is not None else (None, None)
            by_model[str(name)] = {
                "requests": int(requests), "error_rate": round(int(failed) / int(requests), 4),
                "p50_ms": None if p50 is None else round1(p50),
                "p95_ms": None if p95 is None else round1(p95)}
        self.head = {
            "requests": self.n, "start": iso_ms(self.ts_lo), "end": iso_ms(self.ts_hi),
            "latency_ms": _percentiles(lat_q, lat_max, lat_mean),
            "ttft_ms": _percentiles(ttft_q, ttft_max, ttft_mean),
            "status_counts": counts,
            "error_rate": round(self.failed / self.n, 4) if self.n else 0.0,
            "by_model": by_model}
        self._buckets: dict[str, np.ndarray] = {}
        self._quotable()

    def _quotable(self) -> None:
        """The rows a finding may quote, with their call, as :attr:`cols`."""
        import pyarrow as pa

        names = [c for c in SUMMARY_COLUMNS if c != "ts"]
        sql = (f"SELECT c.ts_ms AS ts, {', '.join('l.' + c for c in names)}, "
               f"{', '.join('c.' + c for c in CALL_COLUMNS)} FROM "
               f"(SELECT _row, {', '.join(names)} FROM log WHERE {NOTED}) l JOIN "
               f"(SELECT * FROM calls WHERE noted) c ON l._row = c._row ORDER BY c._row")
        calls: list[pa.RecordBatch] = []

        def split() -> Iterator[pa.RecordBatch]:
            for batch in self.db.batches(sql):
                calls.append(batch.select(list(CALL_COLUMNS)))
                ts = batch.column("ts").cast(pa.int64()).cast(pa.timestamp("ms", tz="UTC"))
                yield pa.RecordBatch.from_arrays(
                    [ts, *batch.select(names).columns], names=["ts", *names])

        frame = contract_frame(split(), SUMMARY_COLUMNS)
        frame["model"] = frame["model"].cat.set_categories(self.models)
        frame.attrs = {}
        self.cols = Columns(frame)
        table = pa.Table.from_batches(calls) if calls else None

        def column(name: str, dtype: str, fill: Any) -> np.ndarray:
            if table is None:
                return np.zeros(0, dtype=dtype)
            return table.column(name).to_numpy().astype(dtype) if table.column(
                name).null_count == 0 else np.asarray(
                table.column(name).fill_null(fill).to_numpy(), dtype=dtype)

        self.call_id = column("call_id", "int64", -1)
        start = table.column("call_start") if table is not None else None
        self.call_start = (np.zeros(0) if start is None else
                           start.cast(pa.float64()).fill_null(math.nan).to_numpy())
        self.call_last = column("call_last", "bool", False)
        self.call_failed = column("call_failed", "bool", False)

    def _bucket(self, grid: Grid) -> str:
        return f"CAST(floor((ts_ms - {int(grid.origin)}) / {int(grid.width)}) AS BIGINT)"

    def _counts(self) -> dict[str, np.ndarray]:
        if self._buckets:
            return self._buckets
        grid = self.grid()
        assert grid is not None
        parts = []
        for kind, (pool, event) in _KINDS.items():
            parts += [f"count_if({pool}) AS {kind}_n", f"count_if({pool} AND {event}) AS {kind}_k"]
            for test, tag in ((pool, "p"), (f"{pool} AND {event}", "e")):
                parts += [f"min(CASE WHEN {test} THEN ts_ms END) AS {kind}_{tag}lo",
                          f"max(CASE WHEN {test} THEN ts_ms END) AS {kind}_{tag}hi"]
        relation = self.db.batches(
            f"SELECT {self._bucket(grid)} AS b, {', '.join(parts)} FROM calls "
            "WHERE ts_ms IS NOT NULL GROUP BY 1")
        import pyarrow as pa

        table = pa.Table.from_batches(list(relation))
        index = table.column("b").to_numpy()
        for name in table.column_names[1:]:
            values = np.full(grid.count, 0.0 if name.endswith(("_n", "_k")) else math.nan)
            values[index] = table.column(name).cast(pa.float64()).fill_null(
                math.nan).to_numpy()
            self._buckets[name] = values
        return self._buckets

    def buckets(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        counts = self._counts()
        return counts[f"{kind}_n"].astype(np.int64), counts[f"{kind}_k"].astype(np.int64)

    def latency_buckets(self) -> tuple[np.ndarray, np.ndarray]:
        grid, d = self.grid(), self.db.dialect
        assert grid is not None
        same = "IS NOT DISTINCT FROM" if d == "duckdb" else "<=>"
        usable = "latency_ms > 0 AND NOT isnan(latency_ms)"
        rows = self.db.rows(
            f"WITH m AS (SELECT model, {_median(d, 'latency_ms')} AS mm FROM calls "
            f"WHERE {usable} GROUP BY model) "
            f"SELECT {self._bucket(grid)} AS b, count(*), "
            f"{_median(d, 'latency_ms / m.mm')} FROM calls JOIN m ON calls.model {same} m.model "
            f"WHERE ts_ms IS NOT NULL AND {usable} GROUP BY 1")
        counts, medians = np.zeros(grid.count, dtype=np.int64), np.full(grid.count, math.nan)
        for b, k, median in rows:
            counts[b], medians[b] = k, median
        return counts, medians

    def trimmed(self, kind: str, first: int, last: int) -> tuple[float, float]:
        counts = self._counts()
        tag = "e" if counts[f"{kind}_k"][first:last + 1].sum() else "p"
        return (float(np.nanmin(counts[f"{kind}_{tag}lo"][first:last + 1])),
                float(np.nanmax(counts[f"{kind}_{tag}hi"][first:last + 1])))

    def window_stats(self, kind: str, spans: list[tuple[float, float]]) -> list[WindowStats]:
        if not spans:
            return []
        pool, event = _KINDS[kind]
        which = "CASE " + " ".join(f"WHEN ts_ms BETWEEN {int(s)} AND {int(e)} THEN {i}"
                                   for i, (s, e) in enumerate(spans)) + " END"
        inside = f"SELECT *, {which} AS w FROM calls WHERE {pool}"
        d = self.db.dialect
        lat = _valid("latency_ms")
        stats = {w: row for w, *row in self.db.rows(
            f"SELECT w, count(*), count_if({event}), count_if(failed), max(attempt), "
            f"{_median(d, lat)} FROM ({inside}) x WHERE w IS NOT NULL GROUP BY w")}
        statuses: dict[int, dict[int, int]] = {}
        for w, code, k in self.db.rows(
                "SELECT w, coalesce(status, -1), count(*) FROM "
                f"({inside}) x WHERE w IS NOT NULL GROUP BY 1, 2"):
            statuses.setdefault(w, {})[int(code)] = int(k)
        out = []
        for i in range(len(spans)):
            requests, events, failed, attempt, median = stats.get(i, (0, 0, 0, None, None))
            out.append(WindowStats(int(requests), int(events), int(failed),
                                   math.nan if attempt is None else float(attempt),
                                   math.nan if median is None else float(median),
                                   statuses.get(i, {})))
        return out


def _percentiles(q: list[float] | None, top: float | None, mean: float | None
                 ) -> dict[str, float] | None:
    """As :func:`chatkit.logs.columns.percentiles` gives them."""
    if q is None or top is None:
        return None
    out = {f"p{p}": round1(v) for p, v in zip((50, 90, 95, 99), q, strict=True)}
    out["max"] = round1(top)
    out["mean"] = round1(mean if mean is not None else math.nan)
    return out


def contract_frame(batches: Iterable[pa.RecordBatch], columns: Sequence[str]) -> pd.DataFrame:
    """Record batches of contract columns as a frame in the contract's dtypes.

    Each batch is converted as it arrives (timestamps parsed, few-valued text as categories)
    and let go, so neither the engine's buffers nor the text of a big log are held whole; the
    categories are united in order of appearance, as ``load()`` makes them.
    """
    import pandas as pd
    import pyarrow as pa
    from pandas.api.types import union_categoricals

    parts: list[pd.DataFrame] = []
    assumed = unreadable = 0
    for batch in batches:
        arrays = []
        for name, array in zip(batch.schema.names, batch.columns, strict=True):
            if name == "ts":
                parsed = parse_timestamps(array)
                array = parsed.values.combine_chunks()
                assumed += parsed.assumed_utc
                unreadable += parsed.unreadable
            elif name in CATEGORICAL:
                if pa.types.is_dictionary(array.type):
                    array = array.cast(array.type.value_type)
                array = array.cast(pa.string()).dictionary_encode()
            arrays.append(array)
        part = pa.Table.from_arrays(arrays, names=batch.schema.names)
        del batch, arrays
        parts.append(part.to_pandas(types_mapper=pandas_type_of))
    if not parts:
        return empty_frame(columns)
    combined: dict[str, Any] = {}
    for name in parts[0].columns:
        pieces = [part.pop(name) for part in parts]
        if isinstance(pieces[0].dtype, pd.CategoricalDtype):
            # a batch where the column is all null has categories of another dtype
            pieces = [p.cat.set_categories(p.cat.categories.astype(object)) for p in pieces]
            combined[name] = pd.Series(union_categoricals(pieces))
        else:
            combined[name] = pd.concat(pieces, ignore_index=True)
    frame = conform(pd.DataFrame(combined), columns, keep_extra=False)
    frame.attrs = {"ts_assumed_utc": assumed, "ts_unreadable": unreadable}  # as load() says
    return frame
