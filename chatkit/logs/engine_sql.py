"""The summary's heavy aggregates as SQL, one text for DuckDB and Spark SQL.

Each query reads a view named ``log`` holding the contract's columns. The definitions are the
ones :func:`chatkit.logs.analyze.summarize` computes with numpy, written down once here:

* a request *failed* unless its status is 100-399 (no status = failed);
* percentiles interpolate linearly between the two nearest values (numpy's default): DuckDB's
  ``quantile_cont`` and Spark's exact ``percentile``, never an approximate sketch;
* ``status_counts`` counts statuses 0-999 by value, and null or negative ones as
  ``no_response``;
* ``by_model`` leaves out rows without a model.

:func:`detail_sql` is the narrow projection the incident and finding code reads: every row's
time, status, latency, TTFT, attempt and the few-valued text columns, and the long text
(error message, request id) only where a finding can quote it (a row that failed or noted an
error) or the call grouping needs it (a request id seen on more than one row).

:func:`parse_size` reads the memory settings the engines take (``2GB``, ``512MB``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chatkit.errors import UsageError
from chatkit.logs.schema import FLOATS, INTEGERS

__all__ = [
    "DIALECTS",
    "aggregate_sql",
    "by_model_sql",
    "column_type",
    "detail_sql",
    "parse_size",
    "repeated_ids_sql",
    "status_sql",
]


def column_type(column: str, text: str) -> str:
    """The SQL type a contract column is read as, ``text`` being the dialect's string type
    (``ts`` stays text, parsed in Python)."""
    if column == "stream":
        return "BOOLEAN"
    if column in INTEGERS:
        return "BIGINT"
    if column in FLOATS:
        return "DOUBLE"
    return text

DIALECTS = ("duckdb", "spark")
_QUANTILES = (0.5, 0.9, 0.95, 0.99)
FAILED = "NOT (coalesce(status, -1) >= 100 AND coalesce(status, -1) < 400)"
# a row a finding may quote: it failed, or it answered with an error noted (an incomplete
# Responses answer is a 200 with error_type "incomplete")
NOTED = (f"({FAILED} OR error_type IS NOT NULL OR error_code IS NOT NULL "
         "OR exception IS NOT NULL)")


def _quantiles(column: str, qs: Sequence[float], dialect: str) -> str:
    values = ", ".join(str(q) for q in qs)
    valid = f"{column} IS NOT NULL AND NOT isnan({column})"
    if dialect == "duckdb":
        return f"quantile_cont({column}, [{values}]) FILTER (WHERE {valid})"
    return f"percentile(CASE WHEN {valid} THEN {column} END, array({values}))"


def _valid(column: str) -> str:
    return f"CASE WHEN {column} IS NOT NULL AND NOT isnan({column}) THEN {column} END"


def aggregate_sql(dialect: str) -> str:
    """One row: requests, failed requests, latency and TTFT percentiles, max, mean, counts."""
    parts = ["count(*) AS requests", f"sum(CASE WHEN {FAILED} THEN 1 ELSE 0 END) AS failed"]
    for column in ("latency_ms", "ttft_ms"):
        parts += [f"{_quantiles(column, _QUANTILES, dialect)} AS {column}_q",
                  f"max({_valid(column)}) AS {column}_max",
                  f"avg({_valid(column)}) AS {column}_mean",
                  f"count({_valid(column)}) AS {column}_n"]
    return "SELECT " + ",\n       ".join(parts) + "\nFROM log"


def status_sql() -> str:
    """(status or -1 for no response, requests) per status, in status order."""
    return ("SELECT CASE WHEN status IS NULL OR status < 0 THEN -1 ELSE status END AS code, "
            "count(*) AS n FROM log WHERE status IS NULL OR status < 1000 "
            "GROUP BY 1 ORDER BY 1")


def by_model_sql(dialect: str) -> str:
    """Requests, failed requests and latency p50/p95 per model, the busiest first."""
    return (f"SELECT model, count(*) AS requests, "
            f"sum(CASE WHEN {FAILED} THEN 1 ELSE 0 END) AS failed, "
            f"{_quantiles('latency_ms', (0.5, 0.95), dialect)} AS q "
            "FROM log WHERE model IS NOT NULL GROUP BY model "
            "ORDER BY requests DESC, model")


def repeated_ids_sql() -> str:
    """The request ids that occur on more than one row (a client's id reused by retries)."""
    return ("SELECT request_id FROM log WHERE request_id IS NOT NULL "
            "GROUP BY request_id HAVING count(*) > 1")


def detail_sql(columns: Sequence[str], *, repeated: str | None, source: str = "log") -> str:
    """The narrow projection, in the row order of ``source``. ``repeated`` is a condition
    true on rows whose request id repeats (None when no id does)."""
    picked = []
    for column in columns:
        if column == "error_message":
            picked.append(f"CASE WHEN {NOTED} THEN error_message END AS error_message")
        elif column == "request_id":
            keep = NOTED + (f" OR {repeated}" if repeated else "")
            picked.append(f"CASE WHEN {keep} THEN request_id END AS request_id")
        else:
            picked.append(column)
    return "SELECT " + ", ".join(picked) + f" FROM {source}"


def parse_size(text: str | int) -> int:
    """Bytes from ``2GB``, ``512MB``, ``1.5G`` or a plain number."""
    if isinstance(text, int):
        return text
    match = re.fullmatch(r"\s*([\d.]+)\s*([kmgt]?)i?b?\s*", text.lower())
    if not match:
        raise UsageError(f"cannot read {text!r} as a size; write it like 2GB or 512MB")
    number, unit = float(match.group(1)), match.group(2)
    return int(number * 1024 ** " kmgt".index(unit or " "))
