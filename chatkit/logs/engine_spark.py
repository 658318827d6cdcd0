"""Spark as the summary's engine: the same SQL, where a fleet's logs live.

Needs the ``spark`` extra (pyspark) and a Java runtime. By default a local session
(``local[*]``, or ``CHATKIT_SPARK_MASTER``) with the UI off and the session time zone UTC;
an active session (``SparkSession.getActiveSession()``, as on a cluster's notebook) is used
as it is. Percentiles use Spark's exact ``percentile`` (linear interpolation, as numpy), never
``percentile_approx``: exact costs memory per group on the executors, and is what makes the
numbers equal the other engines'.

Everything is aggregated on the executors (:mod:`chatkit.logs.engine_facts`, the same SQL
text as DuckDB's); the driver collects the aggregates and the rows a finding may quote (those
that failed or noted an error), as Arrow. Driver memory: 4 GB by default (``memory_limit``),
half of which may be results. Times are parsed by chatkit's parser in the Python workers
(``mapInArrow``) unless the files hold them typed.

Rows keep the log's order through a number taken per file (the file's place among the sorted
names, then ``monotonically_increasing_id`` within it): the findings quote a failure's first
row, as pandas does.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from chatkit.errors import UsageError
from chatkit.logs.engine_sql import column_type, parse_size, timestamp_parts
from chatkit.logs.schema import SUMMARY_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

    from chatkit.logs.engines import Inputs

__all__ = ["SparkLog", "local_session", "spark_type"]

_CORRUPT = "_corrupt_record"


def spark_type(column: str) -> str:
    """The Spark SQL type a contract column is read as."""
    return column_type(column, "STRING")


def local_session(*, memory_limit: str | None = None, temp_dir: str | None = None) -> Any:
    """A local Spark session as chatkit starts one: UI off, UTC, Arrow on, quiet logs."""
    from pyspark.sql import SparkSession

    driver = parse_size(memory_limit or "4GB")
    builder = (SparkSession.builder
               .master(os.environ.get("CHATKIT_SPARK_MASTER", "local[*]"))
               .appName("chatkit")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "8")
               .config("spark.driver.memory", f"{driver >> 20}m")
               # the rows a finding may quote are collected on the driver: half its memory
               .config("spark.driver.maxResultSize", f"{driver >> 21}m")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    if temp_dir:
        builder = builder.config("spark.local.dir", temp_dir)
    with _quiet():
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkLog:
    """A log as the temporary view ``log`` in a Spark session."""

    dialect = "spark"

    def __init__(self, inputs: Inputs, *, memory_limit: str | None = None,
                 temp_dir: str | None = None, columns: Sequence[str] = SUMMARY_COLUMNS
                 ) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise UsageError("--engine spark needs pyspark and Java: pip install "
                             "'chatkit[spark]'") from None
        self.spark = SparkSession.getActiveSession()
        self._owned = self.spark is None
        if self.spark is None:
            try:
                self.spark = local_session(memory_limit=memory_limit, temp_dir=temp_dir)
            except Exception as exc:  # pyspark raises its own errors when the JVM won't start
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
                raise UsageError(f"--engine spark could not start Spark ({first}); it needs "
                                 "Java 17 or later (apt-get install default-jre-headless)"
                                 ) from None
        self.skipped = 0
        self._kept: list[Any] = []
        with _quiet():
            self._frame = self._open(inputs, columns)

    def _open(self, inputs: Inputs, columns: Sequence[str]) -> Any:
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        assert self.spark is not None
        reader = self.spark.read
        if inputs.kind == "jsonl":
            ddl = ", ".join([*(f"`{c}` {spark_type(c)}" for c in columns),
                             f"`{_CORRUPT}` STRING"])
            frame = (reader.schema(ddl).option("mode", "PERMISSIVE")
                     .option("columnNameOfCorruptRecord", _CORRUPT).json(list(inputs.files)))
        elif inputs.hive and len(inputs.roots) == 1:  # partition columns from the folders
            frame = reader.option("basePath", inputs.roots[0]).parquet(*inputs.files)
        else:
            frame = reader.parquet(*inputs.files)
        frame = frame.withColumn("_file", F.input_file_name()) \
            .withColumn("_mid", F.monotonically_increasing_id())
        present = set(frame.columns)
        picked = [(F.col(c) if c == "ts" else F.col(c).cast(spark_type(c))).alias(c)
                  if c in present else F.lit(None).cast(spark_type(c)).alias(c)
                  for c in columns]
        if _CORRUPT in present:
            frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
            self.skipped = frame.filter(F.col(_CORRUPT).isNotNull()).count()
            frame = frame.filter(F.col(_CORRUPT).isNull())
        base = frame.select(*picked, "_file", "_mid")
        # the log's order as one number: the file's place in the sorted names, then the row's
        # id within its file (Spark numbers rows in file order within a file)
        firsts = [("", 0)] if len(inputs.files) == 1 else sorted(
            (r[0], r[1]) for r in base.groupBy("_file").agg(F.min("_mid")).collect())
        shift = 62 - max(len(firsts), 1).bit_length()
        starts = self.spark.createDataFrame(
            [(name, i << shift, first) for i, (name, first) in enumerate(firsts)],
            "_file STRING, _base LONG, _first LONG")
        if len(inputs.files) == 1:  # one file: the id alone keeps its order
            base = base.withColumn("_file", F.lit(""))
        base = base.join(F.broadcast(starts), "_file").withColumn(
            "_row", F.col("_base") + F.col("_mid") - F.col("_first")).drop(
            "_file", "_mid", "_base", "_first")
        kind = dict(base.dtypes).get("ts", "string")
        if kind in ("timestamp", "timestamp_ntz"):  # typed: no parsing, a zone assumed if none
            base = base.withColumn("ts_ms", F.expr(
                "unix_millis(ts)" if kind == "timestamp" else
                "unix_millis(CAST(ts AS TIMESTAMP))")).withColumn(
                "ts_flag", F.when(F.col("ts").isNotNull(), 1 if kind != "timestamp" else 0))
        else:
            schema = (f"{', '.join(f'`{n}` {t}' for n, t in base.dtypes)}, "
                      "ts_ms BIGINT, ts_flag TINYINT")
            base = base.mapInArrow(_with_times, schema)
        base.createOrReplaceTempView("log")
        return frame

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        assert self.spark is not None
        with _quiet():
            return [tuple(row) for row in self.spark.sql(sql).collect()]

    def batches(self, sql: str) -> Iterator[pa.RecordBatch]:
        assert self.spark is not None
        with _quiet():
            table = self.spark.sql(sql).toArrow()
        yield from table.to_batches()

    def keep(self, name: str, sql: str) -> None:
        """The query's rows kept (memory, then disk) as the temporary view ``name``."""
        from pyspark import StorageLevel

        assert self.spark is not None
        kept = self.spark.sql(sql).persist(StorageLevel.MEMORY_AND_DISK)
        kept.createOrReplaceTempView(name)
        self._kept.append(kept)

    def close(self) -> None:
        for kept in self._kept:
            kept.unpersist()
        if self._frame is not None and self._frame.is_cached:
            self._frame.unpersist()
        if self._owned and self.spark is not None:
            self.spark.stop()


def _with_times(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Each batch with its time parsed (ts_ms, ts_flag) by the parser every engine uses."""
    import pyarrow as pa

    for batch in batches:
        parts = timestamp_parts(batch.column("ts"))
        yield pa.RecordBatch.from_arrays(
            [*batch.columns, parts.field("ms"), parts.field("flag")],
            names=[*batch.schema.names, "ts_ms", "ts_flag"])


@contextmanager
def _quiet() -> Iterator[None]:
    """pyspark warns that it does not fully support pandas 3; the paths used here go
    through Arrow."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark(\.|$)")
        yield
