"""The one normalized frame every reader produces: the request-log contract's columns and dtypes.

DESIGN.md declares the columns; this module declares how they live in pandas and in Arrow, and
turns any frame a reader built into that shape with :func:`conform`. Dtypes are chosen for what
analysis does with them: UTC timestamps, nullable integers (a missing status is not 0), float
milliseconds with NaN for "not measured", and categoricals for the few-valued text columns
(model, host, endpoint ...) because grouping by them is what every breakdown does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from chatkit.errors import UsageError
from chatkit.logs.timestamps import series_to_utc
from chatkit.redaction.scrub import redact_text, redact_url

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from chatkit.logs.readers import Skipped

__all__ = [
    "CATEGORICAL",
    "COLUMNS",
    "FLOATS",
    "INTEGERS",
    "STRINGS",
    "SUMMARY_COLUMNS",
    "arrow_schema",
    "conform",
    "empty_frame",
    "pandas_dtype",
    "pandas_type_of",
]

# The contract, in its documented order (DESIGN.md, "Request log").
COLUMNS: tuple[str, ...] = (
    "ts", "method", "url", "host", "endpoint", "provider", "model", "stream", "attempt",
    "status", "error_type", "error_code", "error_message", "exception", "latency_ms", "ttfb_ms",
    "ttft_ms", "dns_ms", "connect_ms", "tls_ms", "request_bytes", "response_bytes",
    "prompt_tokens", "completion_tokens", "request_id",
)

# Few distinct values, grouped by often: categoricals are smaller and group faster.
CATEGORICAL: frozenset[str] = frozenset({
    "method", "host", "endpoint", "provider", "model", "error_type", "error_code", "exception",
})
# Many distinct values: plain nullable strings.
STRINGS: frozenset[str] = frozenset({"url", "error_message", "request_id"})
INTEGERS: frozenset[str] = frozenset({
    "attempt", "status", "request_bytes", "response_bytes", "prompt_tokens", "completion_tokens",
})
FLOATS: frozenset[str] = frozenset({
    "latency_ms", "ttfb_ms", "ttft_ms", "dns_ms", "connect_ms", "tls_ms",
})

# What summarize() reads; loading only these keeps big logs fast and small (every column
# costs parse time: the phase timings and the URL are for plots and notebooks). request_id
# and stream are here because the findings quote the request id a failure came with.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "ts", "host", "endpoint", "model", "stream", "attempt", "status", "error_type",
    "error_code", "error_message", "exception", "latency_ms", "ttft_ms", "request_id",
)


def pandas_dtype(column: str) -> Any:
    """The pandas dtype of a contract column."""
    import pandas as pd

    if column == "ts":
        return pd.DatetimeTZDtype(unit="ms", tz="UTC")
    if column == "stream":
        return pd.BooleanDtype()
    if column in INTEGERS:
        return pd.Int64Dtype()
    if column in FLOATS:
        return "float64"
    if column in CATEGORICAL:
        return "category"
    return pd.StringDtype()


def pandas_type_of(arrow_type: pa.DataType) -> Any:
    """The contract's nullable pandas dtype for an Arrow column type (``to_pandas``'s
    ``types_mapper``): text, integers and booleans keep their nulls; the rest as Arrow says."""
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def arrow_schema(columns: Iterable[str] = COLUMNS, *, ts: pa.DataType | None = None
                 ) -> pa.Schema:
    """The Arrow schema the fast JSONL reader parses with (codes always text).

    ``ts`` is read as text by default (:mod:`chatkit.logs.timestamps` parses every shape real
    logs write, which Arrow's own ``timestamp[ms]`` conversion does not); pass ``pa.float64()``
    for a log of epoch numbers.
    """
    import pyarrow as pa

    def arrow_type(column: str) -> pa.DataType:
        if column == "ts":
            return ts or pa.string()
        if column == "stream":
            return pa.bool_()
        if column in INTEGERS:
            return pa.int64()
        if column in FLOATS:
            return pa.float64()
        return pa.string()

    return pa.schema([(c, arrow_type(c)) for c in columns])


def select_columns(columns: Sequence[str] | None) -> tuple[str, ...]:
    """Validate a caller's column choice; ``None`` means all contract columns."""
    if columns is None:
        return COLUMNS

    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise UsageError(f"unknown log column(s) {', '.join(map(repr, unknown))}; "
                         f"choose from: {', '.join(COLUMNS)}")
    return tuple(c for c in COLUMNS if c in set(columns))


def empty_frame(columns: Sequence[str] = COLUMNS) -> pd.DataFrame:
    """A frame with no rows and the contract's columns and dtypes."""
    import pandas as pd

    return pd.DataFrame({c: pd.Series([], dtype=pandas_dtype(c)) for c in columns})


def conform(frame: pd.DataFrame, columns: Sequence[str] = COLUMNS, *,
            keep_extra: bool = True, stats: Skipped | None = None) -> pd.DataFrame:
    """Return ``frame`` with every contract column present and in the contract dtype.

    Values that cannot be converted become null (a reader of foreign files must not crash on
    a "n/a" in a numeric column); URLs and error messages converted here are redacted. Extra
    columns are kept after the contract's, unless ``keep_extra`` is false. Timestamps without
    a zone are read as UTC; ``stats`` counts them, and the ones that are no timestamp at all.
    """
    import numpy as np
    import pandas as pd

    out: dict[str, pd.Series] = {}
    index = frame.index
    for column in columns:
        dtype = pandas_dtype(column)
        if column not in frame.columns:
            missing = pd.NaT if column == "ts" else (np.nan if column in FLOATS else pd.NA)
            out[column] = pd.Series(missing, index=index, dtype=dtype)
            continue
        if column == "ts" and str(frame[column].dtype) != str(dtype):
            out[column], assumed, unreadable = series_to_utc(frame[column])
            if stats is not None:
                stats.timestamps(assumed, unreadable)
            continue
        out[column] = _convert(frame[column], column, dtype)
    if keep_extra:
        for column in frame.columns:
            if column not in out:
                out[column] = frame[column]
    return pd.DataFrame(out, index=index)


def _convert(series: pd.Series, column: str, dtype: Any) -> pd.Series:
    import pandas as pd

    if str(series.dtype) == str(dtype):
        return series
    if column == "stream":
        return series.map(_to_bool, na_action="ignore").astype(dtype)
    if column in INTEGERS:
        numbers = pd.to_numeric(series, errors="coerce")
        numbers = numbers.where(numbers.isna() | (numbers == numbers.round()))
        return numbers.astype("Float64").astype(dtype)
    if column in FLOATS:
        return pd.to_numeric(series, errors="coerce").astype("float64")
    text = series.astype("object").where(series.notna(), None)
    text = text.map(_text, na_action="ignore")
    converted = text.astype(dtype)
    return _redacted(converted, column) if column in ("url", "error_message") else converted


def _redacted(series: pd.Series, column: str) -> pd.Series:
    """url and error_message redacted, as the recorder writes them: an OpenTelemetry
    ``url.full``, a gateway export or a CSV can carry ``?key=...`` or ``user:pass@``, and some
    gateways echo a refused key in their error message. Each distinct value is redacted once
    (a log repeats a few endpoints and messages). chatkit's own JSONL, already in the
    contract's dtypes, was redacted when it was written and is not walked again."""

    redact = redact_url if column == "url" else redact_text
    changed = {value: clean for value in series.dropna().unique()
               if (clean := redact(value)) != value}
    return series.replace(changed) if changed else series


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code read as a number: 429.0 -> "429"
    return value if isinstance(value, str) else str(value)


def _to_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "y", "t"}:
        return True
    if text in {"false", "0", "no", "n", "f", ""}:
        return False
    return None
