"""The SQL that DuckDB and Spark SQL share, one text for both.

Each query reads a view named ``log`` holding the contract's columns; a request *failed* unless
its status is 100-399 (no status = failed), as :func:`chatkit.logs.columns.failed` says.

:func:`detail_sql` is the narrow projection the summary reads: every row's time, status,
latency, TTFT, attempt and the few-valued text columns, and the long text (error message,
request id) only where a finding can quote it (a row that failed or noted an error) or the call
grouping needs it (a request id seen on more than one row).

:func:`parse_size` reads the memory settings the engines take (``2GB``, ``512MB``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from chatkit.errors import UsageError
from chatkit.logs.schema import FLOATS, INTEGERS
from chatkit.logs.timestamps import parse_timestamps

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "column_type",
    "detail_sql",
    "parse_size",
    "repeated_ids_sql",
    "timestamp_parts",
]

# a time zone at the end of a timestamp, as chatkit.logs.timestamps recognises one
ZONE = r"(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"


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


FAILED = "NOT (coalesce(status, -1) >= 100 AND coalesce(status, -1) < 400)"
# a row a finding may quote: it failed, or it answered with an error noted (an incomplete
# Responses answer is a 200 with error_type "incomplete")
NOTED = (f"({FAILED} OR error_type IS NOT NULL OR error_code IS NOT NULL "
         "OR exception IS NOT NULL)")


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


def timestamp_parts(values: pa.Array | pa.ChunkedArray) -> pa.StructArray:
    """``{ms, flag}`` per value, as :func:`~chatkit.logs.timestamps.parse_timestamps` reads
    it: ``ms`` since the epoch (null where none), ``flag`` 1 where a zone was assumed (UTC),
    2 where the value could not be read, else 0; the engines sum the flags for the summary's
    reading findings. Vectorised: the engines call it on chunks of a column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parsed = parse_timestamps(values)
    ms = parsed.values.cast(pa.int64()).combine_chunks()
    valid = pc.is_valid(values)
    flag = pa.array(np.zeros(len(ms), dtype=np.int8))
    if parsed.assumed_utc:
        read = pc.is_valid(ms)
        if parsed.assumed_utc < int(pc.sum(read).as_py() or 0):  # some had a zone
            zoned = pc.fill_null(pc.match_substring_regex(values, ZONE), False)
            read = pc.and_(read, pc.invert(zoned))
        flag = pc.if_else(read, np.int8(1), flag)
    if parsed.unreadable:
        lost = pc.and_(valid, pc.invert(pc.is_valid(ms)))
        flag = pc.if_else(lost, np.int8(2), flag)
    if isinstance(flag, pa.ChunkedArray):
        flag = flag.combine_chunks()
    return pa.StructArray.from_arrays([ms, flag], names=["ms", "flag"])
