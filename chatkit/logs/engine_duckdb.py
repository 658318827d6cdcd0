"""DuckDB as the summary's engine: logs bigger than memory, Parquet, globs, hive directories.

DuckDB runs with a memory limit (``memory_limit``, default ``CHATKIT_DUCKDB_MEMORY`` or 1GB)
and spills what does not fit to a temporary directory (``temp_dir``, default under
``CHATKIT_TEMP`` or the system's). chatkit JSONL is parsed once, into a table in a database
file in that directory (columnar and compressed, so every later query reads a fraction of the
JSON); Parquet is queried where it lies. Other formats never come here (they are summarised in
memory, :mod:`chatkit.logs.engines`). A JSONL line that is no JSON object becomes a row of
nulls in DuckDB's reader; those rows are counted as skipped, as ``load()`` counts them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from chatkit.errors import InputError
from chatkit.logs.engine_sql import column_type, timestamp_parts
from chatkit.logs.schema import SUMMARY_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

    from chatkit.logs.engines import Inputs

__all__ = ["DuckDBLog", "duckdb_type"]

_BATCH_ROWS = 1 << 20
_MAX_LINE = 16 << 20  # as load(): longer lines are not read


def duckdb_type(column: str) -> str:
    """The DuckDB type a contract column is read as."""
    return column_type(column, "VARCHAR")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _files(files: Sequence[str]) -> str:
    return "[" + ", ".join(_literal(os.path.abspath(f)) for f in files) + "]"


def _parts(values: Any) -> Any:
    """timestamp_parts for DuckDB, which evaluates a UDF's annotations (pyarrow's are not
    imported here)."""
    return timestamp_parts(values)


class DuckDBLog:
    """A log as the view ``log`` in a DuckDB database with bounded memory."""

    dialect = "duckdb"

    def __init__(self, inputs: Inputs, *, memory_limit: str | None = None,
                 temp_dir: str | None = None, columns: Sequence[str] = SUMMARY_COLUMNS
                 ) -> None:
        import duckdb

        self._tmp = tempfile.TemporaryDirectory(prefix="chatkit-duckdb-",
                                                dir=temp_dir or os.environ.get("CHATKIT_TEMP"))
        limit = memory_limit or os.environ.get("CHATKIT_DUCKDB_MEMORY") or "1GB"
        self.limit = limit
        self.con = duckdb.connect(os.path.join(self._tmp.name, "log.duckdb"), config={
            "memory_limit": limit,
            "temp_directory": os.path.join(self._tmp.name, "spill"),
            "preserve_insertion_order": True,
        })
        self._run("SET enable_progress_bar = false")  # it would write into the summary's output
        self.skipped = 0
        try:
            self._open(inputs, columns)
        except duckdb.Error as exc:
            self.close()
            raise InputError(f"DuckDB could not read {inputs.files[0]}"
                             f"{' and others' if len(inputs.files) > 1 else ''}: "
                             f"{str(exc).splitlines()[0]}; check the files, or try "
                             "--engine pandas") from None

    def _open(self, inputs: Inputs, columns: Sequence[str]) -> None:
        parts = "STRUCT(ms BIGINT, flag TINYINT)"
        if inputs.kind == "jsonl":
            spec = "{" + ", ".join(f"{_literal(c)}: {_literal(duckdb_type(c))}"
                                   for c in columns) + "}"
            self.con.create_function("chatkit_ts", _parts, ["VARCHAR"], parts,
                                     type="arrow")  # type: ignore[call-overload]
            self._run(
                f"CREATE TABLE raw AS SELECT *, chatkit_ts(ts) AS _tsp FROM read_json("
                f"{_files(inputs.files)}, format='newline_delimited', columns={spec}, "
                f"ignore_errors=true, maximum_object_size={_MAX_LINE}, "
                f"compression={_literal('gzip' if inputs.gzipped else 'none')})")
            empty = " AND ".join(f"{c} IS NULL" for c in columns)
            self.skipped = int(self.rows(f"SELECT count(*) FROM raw WHERE {empty}")[0][0])
            self._run(f"CREATE VIEW log AS SELECT rowid AS _row, {', '.join(columns)}, "
                      f"_tsp.ms AS ts_ms, _tsp.flag AS ts_flag FROM raw WHERE NOT ({empty})")
        else:  # Parquet, queried where it lies; _row = the file's place, then the row's
            scan = (f"read_parquet({_files(inputs.files)}, union_by_name=true, "
                    f"hive_partitioning={'true' if inputs.hive else 'false'}, "
                    "filename=true, file_row_number=true)")
            present = {row[0]: row[1] for row in self.rows(f"DESCRIBE SELECT * FROM {scan}")}
            picked = [(c if c == "ts" else f"CAST({c} AS {duckdb_type(c)})") + f" AS {c}"
                      if c in present else f"CAST(NULL AS {duckdb_type(c)}) AS {c}"
                      for c in columns]
            place = (f"(list_position({_files(inputs.files)}, filename) - 1) * {1 << 40} "
                     "+ file_row_number")
            self._run(f"CREATE VIEW scan AS SELECT {', '.join(picked)}, {place} AS _row "
                      f"FROM {scan}")
            kind = present.get("ts", "VARCHAR")
            if kind.startswith("TIMESTAMP"):  # typed: no parsing, a zone assumed if none
                naive = "WITH TIME ZONE" not in kind
                self._run(f"CREATE VIEW log AS SELECT *, epoch_ms(ts) AS ts_ms, CASE WHEN ts "
                          f"IS NOT NULL THEN {int(naive)} END AS ts_flag FROM scan")
                return
            self.con.create_function("chatkit_ts", _parts, [kind], parts,
                                     type="arrow")  # type: ignore[call-overload]
            self._run("CREATE VIEW log AS SELECT * EXCLUDE (_tsp), _tsp.ms AS ts_ms, "
                      "_tsp.flag AS ts_flag FROM (SELECT *, chatkit_ts(ts) AS _tsp FROM scan)")

    def _run(self, sql: str) -> None:
        with self._room():
            self.con.sql(sql)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self._room():
            return self.con.sql(sql).fetchall()

    def batches(self, sql: str) -> Iterator[pa.RecordBatch]:
        with self._room():
            relation = self.con.sql(sql)
            # DuckDB 2 renamed the relation's fetch_arrow_reader to to_arrow_reader
            reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
            yield from reader(_BATCH_ROWS)

    @contextmanager
    def _room(self) -> Iterator[None]:
        """DuckDB's out-of-memory error as one line that says which setting to raise."""
        import duckdb

        try:
            yield
        except duckdb.OutOfMemoryException:
            raise InputError(f"DuckDB needs more memory than its limit ({self.limit}) for this "
                             "log (exact percentiles hold every latency); raise it, e.g. "
                             "CHATKIT_DUCKDB_MEMORY=4GB") from None

    def keep(self, name: str, sql: str) -> None:
        """The query's rows as a temporary table (DuckDB spills it past the memory limit)."""
        self._run(f"CREATE TEMP TABLE {name} AS {sql}")

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            self._tmp.cleanup()
