"""Timestamps as real logs write them, parsed by Arrow with no Python object per row.

Accepted: ISO-8601 with 0 to 9 fractional digits, ``Z`` or any offset (``+02:00``, ``-0530``,
``+05``) or no zone at all, a space instead of ``T``, minutes without seconds; and epoch
numbers in seconds or milliseconds. A number above 1e11 is taken as milliseconds: as seconds
it would lie after the year 5000, as milliseconds it lies after 1973. A timestamp without a
zone is read as UTC, and how many were is counted so that the summary can say so.

Values none of these shapes fit become null and are counted as unreadable; the rows stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["EPOCH_MS_ABOVE", "Parsed", "parse_timestamps", "series_to_utc"]

EPOCH_MS_ABOVE = 1e11
_ZONE = r"(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"


@dataclass(frozen=True, slots=True)
class Parsed:
    """Timestamps as ``timestamp[ms, UTC]``, with what had to be assumed or given up."""

    values: pa.ChunkedArray
    assumed_utc: int  # values without a zone, read as UTC
    unreadable: int  # values that are not a timestamp in any accepted shape (now null)


def parse_timestamps(values: pa.Array | pa.ChunkedArray) -> Parsed:
    """Parse a string, number or timestamp array into ``timestamp[ms, UTC]``."""
    import pyarrow as pa

    if isinstance(values, pa.Array):
        values = pa.chunked_array([values], type=values.type)
    kind = values.type
    target = pa.timestamp("ms", tz="UTC")
    if pa.types.is_timestamp(kind):
        if kind.tz is None:
            import pyarrow.compute as pc

            local = pc.assume_timezone(values, "UTC")
            return Parsed(local.cast(target, safe=False), len(values) - values.null_count, 0)
        return Parsed(values.cast(target, safe=False), 0, 0)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return Parsed(_epoch(values), 0, 0)
    if pa.types.is_null(kind):
        return Parsed(values.cast(target), 0, 0)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return Parsed(pa.nulls(len(values), target).cast(target), 0,
                      len(values) - values.null_count)
    return _strings(values)


def _strings(values: pa.ChunkedArray) -> Parsed:
    import pyarrow as pa
    import pyarrow.compute as pc

    target = pa.timestamp("ms", tz="UTC")
    utc = pa.timestamp("ns", tz="UTC")

    def all_zoned() -> Parsed:  # every value carries Z or an offset
        return Parsed(values.cast(utc).cast(target, safe=False), 0, 0)

    def all_naive() -> Parsed:  # none does (a naive timestamp cast to a zoned one is taken as UTC)
        return Parsed(values.cast(pa.timestamp("ns")).cast(utc).cast(target, safe=False),
                      len(values) - values.null_count, 0)

    # Each cast refuses the other shape, so the order only saves time: a log is written one
    # way, and the first value's shape is tried first (a refused cast costs a third of one).
    first = values[0].as_py() if len(values) and values[0].is_valid else None
    zoneless = isinstance(first, str) and re.search(_ZONE, first.rstrip()) is None
    for cast in (all_naive, all_zoned) if zoneless else (all_zoned, all_naive):
        try:
            return cast()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    if values.null_count < len(values) and pc.all(pc.match_substring_regex(
            values, r"^-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?$")).as_py():
        return Parsed(_epoch(values.cast(pa.float64())), 0, 0)  # epoch numbers read as text
    valid = pc.is_valid(values)
    zoned = pc.fill_null(pc.match_substring_regex(values, _ZONE), False)
    assumed = int(pc.sum(pc.and_(valid, pc.invert(zoned))).as_py() or 0)
    fixed = pc.if_else(zoned, values, pc.binary_join_element_wise(values, "Z", ""))
    try:
        return Parsed(fixed.cast(utc).cast(target, safe=False), assumed, 0)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # Some values are no timestamp at all: parse one by one in C (pandas), nulls for those.
    import pandas as pd

    series = pd.Series(fixed.to_pandas(), dtype="object")
    parsed = pd.to_datetime(series, utc=True, errors="coerce", format="ISO8601")
    read = parsed.notna().to_numpy()
    unreadable = int((~read & series.notna().to_numpy()).sum())
    assumed = int((read & ~zoned.to_numpy(zero_copy_only=False)).sum())
    array = pa.chunked_array([pa.array(parsed.dt.as_unit("ms"), type=target)])
    return Parsed(array, assumed, unreadable)


def _epoch(values: pa.ChunkedArray) -> pa.ChunkedArray:
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = values.cast(pa.float64())
    finite = pc.and_(pc.is_finite(numbers), pc.less(pc.abs(numbers), 1e16))
    numbers = pc.if_else(finite, numbers, None)
    ms = pc.if_else(pc.greater(pc.abs(numbers), EPOCH_MS_ABOVE), numbers,
                    pc.multiply(numbers, 1000.0))
    return pc.round(ms).cast(pa.int64()).cast(pa.timestamp("ms", tz="UTC"))


def series_to_utc(series: pd.Series) -> tuple[pd.Series, int, int]:
    """A pandas column of timestamps (text, epoch numbers, datetimes, or a mix) as
    ``datetime64[ms, UTC]``, with the counts of values read as UTC and of unreadable ones."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    dtype = pd.DatetimeTZDtype(unit="ms", tz="UTC")
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = parse_timestamps(pa.array(series))
        return _to_series(parsed, series.index, dtype), parsed.assumed_utc, 0
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        parsed = parse_timestamps(pa.array(series.astype("float64"), from_pandas=True))
        return _to_series(parsed, series.index, dtype), 0, 0
    objects = series.astype("object").where(series.notna(), None)
    number = np.array([isinstance(v, (int, float)) and not isinstance(v, bool)
                       for v in objects], dtype=bool) if objects.map(type).nunique() > 1 \
        else np.zeros(len(objects), dtype=bool)
    out = pd.Series(pd.NaT, index=series.index, dtype=dtype)
    assumed = unreadable = 0
    if number.any():
        epoch = parse_timestamps(pa.array(objects[number].astype("float64"), from_pandas=True))
        out[number] = _to_series(epoch, series.index[number], dtype)
    text = ~number & objects.notna().to_numpy()
    if text.any():
        strings = pa.array(objects[text].map(str), type=pa.string())
        parsed = parse_timestamps(strings)
        out[text] = _to_series(parsed, series.index[text], dtype)
        assumed, unreadable = parsed.assumed_utc, parsed.unreadable
    return out, assumed, unreadable


def _to_series(parsed: Parsed, index: pd.Index, dtype: pd.DatetimeTZDtype) -> pd.Series:
    import pandas as pd

    return pd.Series(parsed.values.to_pandas().to_numpy(), index=index).astype(dtype)
