"""The SQL that DuckDB and Spark SQL share, one text for both.

Each query reads a view named ``log`` holding the contract's columns; a request *failed* unless
its status is 100-399 (no status = failed), as :func:`chatkit.logs.columns.failed` says.

``NOTED`` picks the rows a finding may quote (:mod:`chatkit.logs.engine_facts` hands only those
to Python), :func:`timestamp_parts` is the time parser both engines call on chunks of a column.

:func:`parse_size` reads the memory settings the engines take (``2GB``, ``512MB``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from chatkit.errors import UsageError
from chatkit.logs.schema import FLOATS, INTEGERS
from chatkit.logs.timestamps import parse_timestamps

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "column_type",
    "parse_size",
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
