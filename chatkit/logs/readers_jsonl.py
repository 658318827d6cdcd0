"""JSON Lines and JSON-array request logs: chatkit's own contract, and gateway exports.

chatkit's own JSONL (what the recorder and the simulator write) goes through Arrow's JSON
reader with an explicit schema: it parses blocks in C++ on all cores, builds only the columns
asked for, and never materialises a Python object per row, which is what makes a
million-row log load in about a second. Timestamps are read as text (or as numbers, for epoch
logs) and parsed by :mod:`chatkit.logs.timestamps`, which takes every shape other programs
write. When that fast path meets something it cannot take —
a junk or half-written line, invalid UTF-8, a field whose type changes (``"code": 429`` in one
line and ``"rate_limit_exceeded"`` in the next) — the file is re-read in blocks: blocks Arrow
accepts stay fast, and only the failing blocks are parsed line by line, so one bad line costs
one block, never the good rows around it.

Records of other tools (LiteLLM, Langfuse, Helicone, Portkey) are mapped one by one through
:mod:`chatkit.logs.readers_gateway`; those exports are small.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chatkit.errors import InputError
from chatkit.logs.arrow_frame import arrow_to_frame
from chatkit.logs.detect import lines_kind
from chatkit.logs.readers_gateway import GATEWAYS, gateway_of
from chatkit.logs.schema import (
    CATEGORICAL,
    COLUMNS,
    FLOATS,
    INTEGERS,
    arrow_schema,
    conform,
    empty_frame,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from chatkit.logs.readers import Skipped, Source

__all__ = ["DUCKDB_MIN_BYTES", "MAX_LINE_BYTES", "arrow_to_frame", "read_json_array",
           "read_jsonl"]

_BLOCK = 8 << 20  # bytes per block on the tolerant path
#: Plain files from this size on are read by DuckDB's JSON reader when it can (smaller ones:
#: Arrow's, which starts faster).
DUCKDB_MIN_BYTES = 16 << 20
_DUCKDB_TYPES = {**{c: "BIGINT" for c in INTEGERS}, **{c: "DOUBLE" for c in FLOATS},
                 "stream": "BOOLEAN", "ts": "VARCHAR"}
#: Lines longer than this are skipped unread, which bounds the memory a hostile file can take:
#: about three times this above what the rows need, whatever the line (a 200 MB line: +50 MB).
MAX_LINE_BYTES = 16 << 20


def read_jsonl(source: Source, columns: Sequence[str], mapping: Mapping[str, str] | None,
               skipped: Skipped, kind: str | None = None) -> pd.DataFrame:
    """Read a JSON Lines log: the contract's fast path, or gateway records one by one.

    ``kind`` is what format detection found (a gateway's name); without it (``format="jsonl"``
    forced) the first lines are looked at the same way detection does.
    """
    if kind is None:
        kind = lines_kind(source.head().lstrip())
    if kind not in (None, "jsonl", "otel"):
        return _read_records(source, columns, mapping, skipped, kind)
    frame = _read_duckdb(source, columns, mapping, skipped)
    if frame is not None:
        return frame
    try:
        frame = _read_fast(source, columns, mapping, skipped)
    except _ArrowFailure:
        frame = _read_tolerant(source, columns, mapping, skipped)
    return frame


def read_json_array(source: Source, columns: Sequence[str], mapping: Mapping[str, str] | None,
                    skipped: Skipped) -> pd.DataFrame:
    """Read a JSON array of records (a gateway's "export as JSON"), also wrapped in an API
    page (``{"data": [...]}``) or a Langfuse trace download (``{"trace": ..., "observations":
    [...]}``)."""
    try:
        records = json.loads(source.text())
    except RecursionError:
        raise InputError(f"{source.name}: JSON nested deeper than can be read; check that "
                         "this is a log export") from None
    except ValueError as exc:
        raise InputError(f"{source.name}: not valid JSON ({exc}); check that the export "
                         "finished") from None
    if isinstance(records, dict):  # a page of an API ({"data": [...]}), a trace download
        records = records.get("data", records.get("observations"))
    if not isinstance(records, list):
        raise InputError(f"{source.name}: expected a JSON array of records")
    return _frame_from_records(_enumerated(records), columns, mapping, skipped, source.name,
                               kind=None, what="record")


# --- the fast path ----------------------------------------------------------------------------

class _ArrowFailure(Exception):
    pass


def _read_fast(source: Source, columns: Sequence[str], mapping: Mapping[str, str] | None,
               skipped: Skipped) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.json as pj

    failure = ""
    for ts_type in _ts_types():  # timestamps as text, else as epoch numbers
        schema, rename = _schema(columns, mapping, ts_type)
        options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
        with source.open(progress=True) as stream:
            try:
                # The streaming reader (pyarrow >= 20) reads ahead on a second thread and,
                # measured on the 1M-line benchmark, costs ~15% less CPU than read_json for the
                # same wall time on two cores; both read through the stream counting progress.
                read = pj.ReadOptions(block_size=4 << 20)
                if hasattr(pj, "open_json"):
                    batches = list(pj.open_json(stream, parse_options=options,
                                                read_options=read))
                    table = pa.Table.from_batches(batches, schema=schema)
                else:
                    table = pj.read_json(stream, parse_options=options, read_options=read)
            except (pa.ArrowException, ValueError, OSError, EOFError) as exc:
                failure = str(exc)
                if "changed from string to number" not in failure:
                    break  # not the time column's type: the tolerant path takes it
                continue
        if rename:
            table = table.rename_columns([rename.get(n, n) for n in table.column_names])
        return arrow_to_frame(table, columns, skipped)
    raise _ArrowFailure(failure)


def _read_duckdb(source: Source, columns: Sequence[str], mapping: Mapping[str, str] | None,
                 skipped: Skipped) -> pd.DataFrame | None:
    """A big plain file through DuckDB's JSON reader, or None to leave it to Arrow's.

    DuckDB's reader (yyjson) takes about half the CPU of Arrow's for the same projection, and
    it takes what Arrow refuses within a valid file (a code written as a number in one line
    and as text in the next). A file it cannot read whole (a torn line, a value of the wrong
    kind) returns None: the Arrow path then reads it, block by block, skipping and counting.
    """
    path = source.plain_file
    if path is None or (source.size or 0) < DUCKDB_MIN_BYTES:
        return None
    import duckdb

    theirs = {contract: their for their, contract in (mapping or {}).items()}
    spec = ", ".join(f"{_quoted(theirs.get(c, c))}: '{_DUCKDB_TYPES.get(c, 'VARCHAR')}'"
                     for c in columns)
    # Floats come with NaN where they were null, as pandas holds them: Arrow then hands the
    # values over without filling a copy.
    select = ", ".join(f"coalesce({_name(theirs.get(c, c))}, 'NaN'::DOUBLE) AS "
                       f"{_name(theirs.get(c, c))}" if c in FLOATS else _name(theirs.get(c, c))
                       for c in columns)
    query = (f"SELECT {select} FROM read_json({_quoted(str(path))}, "
             f"format='newline_delimited', columns={{{spec}}}, "
             f"maximum_object_size={MAX_LINE_BYTES})")
    con = duckdb.connect()
    con.sql("SET enable_progress_bar = false")  # it writes to stdout, into `analyze --json`
    try:
        table = con.sql(query).to_arrow_table()
    except duckdb.Error:
        return None
    finally:
        con.close()
    rename = {theirs[c]: c for c in columns if c in theirs}
    if rename:
        table = table.rename_columns([rename.get(n, n) for n in table.column_names])
    return arrow_to_frame(table, columns, skipped)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _name(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _ts_types() -> tuple[Any, ...]:
    import pyarrow as pa

    return (pa.string(), pa.float64())


def _schema(columns: Sequence[str], mapping: Mapping[str, str] | None, ts_type: Any = None
            ) -> tuple[pa.Schema, dict[str, str]]:
    import pyarrow as pa

    theirs = {contract: their for their, contract in (mapping or {}).items()}
    schema = arrow_schema(columns, ts=ts_type)
    if not theirs:
        return schema, {}
    fields = [pa.field(theirs.get(f.name, f.name), f.type) for f in schema]
    rename = {theirs[c]: c for c in columns if c in theirs}
    return pa.schema(fields), rename


# --- the tolerant path ------------------------------------------------------------------------

def _read_tolerant(source: Source, columns: Sequence[str], mapping: Mapping[str, str] | None,
                   skipped: Skipped) -> pd.DataFrame:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.json as pj

    frames: list[pd.DataFrame] = []
    for first_line, block in _blocks(source, skipped):
        for ts_type in _ts_types():
            schema, rename = _schema(columns, mapping, ts_type)
            options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
            try:
                table = pj.read_json(pa.BufferReader(block), parse_options=options)
            except (pa.ArrowException, ValueError):
                continue
            if rename:
                table = table.rename_columns([rename.get(n, n) for n in table.column_names])
            frames.append(arrow_to_frame(table, columns, skipped))
            break
        else:
            skipped.by_line += block.count(b"\n") + (not block.endswith(b"\n"))
            frames.append(_frame_from_records(
                _lines(block, first_line), columns, mapping, skipped, source.name,
                kind="jsonl", what="line"))
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_frame(columns)
    return conform(pd.concat(frames, ignore_index=True), columns, keep_extra=False)


def _blocks(source: Source, skipped: Skipped) -> Iterator[tuple[int, bytes]]:
    """(number of the block's first line, block of whole lines) over the whole file.

    A line longer than :data:`MAX_LINE_BYTES` is skipped unread (counted, with a warning):
    memory stays bounded by that and the block size, whatever the file holds.
    """
    line = 1
    rest = b""
    dropping = False  # inside a line too long to keep
    with source.open(progress=True) as stream:
        while True:
            chunk = _read_some(stream, _BLOCK)
            if not chunk:
                break
            if dropping:
                end = chunk.find(b"\n")
                if end < 0:
                    continue
                chunk, dropping, line = chunk[end + 1:], False, line + 1
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:  # no line ends here: the current line goes on
                if len(rest) + len(chunk) > MAX_LINE_BYTES:
                    _too_long(source, skipped, line)
                    rest, dropping = b"", True
                else:
                    rest += chunk
                continue
            block, rest = rest + chunk[:cut], chunk[cut:]
            yield line, block
            line += block.count(b"\n")
    if rest.strip() and not dropping:
        yield line, rest


def _too_long(source: Source, skipped: Skipped, line: int) -> None:
    skipped.add(f"{source.name}:{line}")
    skipped.warn(f"{source.name}: line {line} is longer than {MAX_LINE_BYTES >> 20} MiB and "
                 "was skipped unread")


def _read_some(stream: Any, size: int) -> bytes:
    """Up to ``size`` bytes, in 1 MiB steps, so that a truncated .gz keeps all it decoded."""
    parts: list[bytes] = []
    got = 0
    read = getattr(stream, "read1", stream.read)
    while got < size:
        try:
            part = read(min(1 << 20, size - got))
        except (OSError, EOFError):  # the compressed stream ends early: stop here
            break
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _lines(block: bytes, first_line: int) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON or an exception) for each non-blank line of a block."""
    for offset, raw in enumerate(block.split(b"\n")):
        if not raw.strip():
            continue
        try:
            yield first_line + offset, json.loads(raw)
        except (ValueError, RecursionError) as exc:  # also UnicodeDecodeError
            yield first_line + offset, exc


def _enumerated(records: list[Any]) -> Iterator[tuple[int, Any]]:
    for i, record in enumerate(records):
        yield i + 1, record


def _frame_from_records(records: Iterator[tuple[int, Any]], columns: Sequence[str],
                        mapping: Mapping[str, str] | None, skipped: Skipped, name: str, *,
                        kind: str | None, what: str) -> pd.DataFrame:
    import pandas as pd

    mapper = GATEWAYS[kind].to_row if kind in GATEWAYS else None
    rows: list[dict[str, Any]] = []
    for number, record in records:
        if not isinstance(record, dict):
            skipped.add(f"{name}:{what} {number}" if what != "line" else f"{name}:{number}")
            continue
        if mapping:
            record = {mapping.get(k, k): v for k, v in record.items()}
        if kind is None:  # a JSON array: decide from the first record
            kind = gateway_of(record) or "jsonl"
            mapper = GATEWAYS[kind].to_row if kind in GATEWAYS else None
        try:
            row = mapper(record) if mapper else record
        except (KeyError, TypeError, ValueError, AttributeError):
            skipped.add(f"{name}:{what} {number}" if what != "line" else f"{name}:{number}")
            continue
        if row is None:
            skipped.not_requests += 1  # a span or event beside the model calls
        else:
            rows.append(row)
    if not rows:
        return empty_frame(columns)
    frame = pd.DataFrame.from_records(rows)
    return conform(frame, columns, keep_extra=False, stats=skipped)


def _read_records(source: Source, columns: Sequence[str], mapping: Mapping[str, str] | None,
                  skipped: Skipped, kind: str) -> pd.DataFrame:
    import pandas as pd

    frames = [_frame_from_records(_lines(block, first), columns, mapping, skipped, source.name,
                                  kind=kind, what="line")
              for first, block in _blocks(source, skipped)]
    frames = [f for f in frames if len(f)]
    if len(frames) <= 1:
        return frames[0] if frames else empty_frame(columns)
    return conform(pd.concat(frames, ignore_index=True), columns, keep_extra=False)


assert set(CATEGORICAL) <= set(COLUMNS)
