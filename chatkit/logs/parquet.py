"""Request logs as Parquet: the contract's columns with their types, written in batches.

:func:`convert` turns logs of any format :func:`~chatkit.logs.load` reads into one Parquet
file. chatkit's own JSONL is streamed: Arrow parses it in blocks, each block's timestamps are
parsed by :mod:`chatkit.logs.timestamps` and the block is written as a row group, so memory
stays at a few blocks whatever the size of the log. A line the streaming parser cannot take
(junk, a field whose type changes) sends the rest of that file through ``load()``'s tolerant
reader, and other formats (HAR, CSV, gateway exports, which are small) are read whole by
``load()`` too.

:func:`read_parquet` is the reader ``load()`` uses for Parquet (recognised by its magic bytes,
``PAR1``): contract columns it finds are read, with their types made the contract's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatkit.errors import InputError, UsageError
from chatkit.logs.readers import PathLike, Source, detected, load, source_of
from chatkit.logs.readers_jsonl import arrow_to_frame
from chatkit.logs.schema import COLUMNS, arrow_schema
from chatkit.logs.timestamps import parse_timestamps

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from chatkit.logs.readers import Skipped

__all__ = ["MAGIC", "contract_schema", "convert", "read_parquet"]

MAGIC = b"PAR1"
_BLOCK = 8 << 20  # bytes of JSONL parsed per batch


def contract_schema() -> pa.Schema:
    """The Parquet schema of the request-log contract (``ts`` as ``timestamp[ms, UTC]``)."""
    import pyarrow as pa

    return arrow_schema(COLUMNS, ts=pa.timestamp("ms", tz="UTC"))


def convert(paths: PathLike | Iterable[PathLike], out: str | os.PathLike[str], *,
            format: str = "auto", compression: str = "zstd") -> int:
    """Write the logs at ``paths`` as one Parquet file at ``out``; return the rows written.

    The file is written next to ``out`` and renamed into place when complete, so a failed
    conversion leaves no half-written Parquet behind.
    """
    import pyarrow.parquet as pq

    items = [paths] if isinstance(paths, (str, bytes, os.PathLike)) else list(paths)
    if not items:
        raise UsageError("convert needs at least one log to read")
    target = Path(os.fspath(out)).expanduser()
    if any(isinstance(i, (str, os.PathLike)) and Path(os.fspath(i)).resolve() ==
           target.resolve() for i in items):
        raise UsageError(f"{target} is also an input; write the Parquet file elsewhere")
    partial = target.with_name(target.name + ".partial")
    rows = 0
    try:
        with pq.ParquetWriter(partial, contract_schema(), compression=compression) as writer:
            for item in items:
                for table in _tables(item, format):
                    writer.write_table(table)
                    rows += table.num_rows
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def _tables(item: PathLike, format: str) -> Iterator[pa.Table]:
    """The contract tables of one input, in order: streamed blocks for chatkit's JSONL."""
    import pyarrow as pa

    if hasattr(item, "read"):
        item = item.read()
        if isinstance(item, str):
            item = item.encode("utf-8")
    source = source_of(item)
    kind = format if format != "auto" else detected(source)
    done = 0
    if kind == "jsonl":
        try:
            for table in _stream_jsonl(source):
                done += table.num_rows
                yield table
            return
        except (pa.ArrowException, ValueError, OSError, EOFError):
            pass  # this file from row ``done`` on through the tolerant reader
    frame = load(item, format=kind)
    if len(frame) > done:
        yield _contract_table(frame.iloc[done:])


def _stream_jsonl(source: Source) -> Iterator[pa.Table]:
    import pyarrow as pa
    import pyarrow.json as pj

    options = pj.ParseOptions(explicit_schema=arrow_schema(COLUMNS),
                              unexpected_field_behavior="ignore")
    schema = contract_schema()
    with source.open() as stream:
        reader = pj.open_json(stream, parse_options=options,
                              read_options=pj.ReadOptions(block_size=_BLOCK))
        for batch in reader:
            table = pa.Table.from_batches([batch])
            ts = parse_timestamps(table.column("ts")).values
            table = table.set_column(table.schema.get_field_index("ts"), "ts", ts)
            yield table.select(list(COLUMNS)).cast(schema)


def _contract_table(frame: pd.DataFrame) -> pa.Table:
    import pyarrow as pa

    schema = contract_schema()
    arrays = []
    for field in schema:
        series = frame[field.name]
        if str(series.dtype) == "category":
            series = series.astype("object").where(series.notna(), None)
        arrays.append(pa.array(series, type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def read_parquet(source: Source, columns: Sequence[str], mapping: Mapping[str, str] | None,
                 skipped: Skipped) -> pd.DataFrame:
    """A Parquet log as a frame in the contract (contract columns it lacks are null)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    theirs = {contract: their for their, contract in (mapping or {}).items()}
    try:
        with source.open() as stream:
            handle = pq.ParquetFile(stream)
            names = set(handle.schema_arrow.names)
            wanted = [theirs.get(c, c) for c in columns if theirs.get(c, c) in names]
            table = handle.read(columns=wanted)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{source.name}: not a readable Parquet file ({exc}); check that "
                         "it was written completely") from None
    renamed = {their: contract for contract, their in theirs.items()}
    table = table.rename_columns([renamed.get(n, n) for n in table.column_names])
    return arrow_to_frame(_typed(table), columns, skipped)


def _typed(table: pa.Table) -> pa.Table:
    """Contract columns in the types the frame builder expects (dictionaries decoded)."""
    import pyarrow as pa

    want = {f.name: f.type for f in arrow_schema(COLUMNS)}
    for i, name in enumerate(table.column_names):
        column: Any = table.column(i)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if name != "ts" and name in want and column.type != want[name]:
            try:
                column = column.cast(want[name])
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                column = pa.nulls(len(column), want[name])
        table = table.set_column(i, name, column)
    return table
