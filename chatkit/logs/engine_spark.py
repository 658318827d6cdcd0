"""Spark as the summary's engine: the same SQL, where a fleet's logs live.

Needs the ``spark`` extra (pyspark) and a Java runtime. By default a local session
(``local[*]``, or ``CHATKIT_SPARK_MASTER``) with the UI off and the session time zone UTC;
an active session (``SparkSession.getActiveSession()``, as on a cluster's notebook) is used
as it is. Percentiles use Spark's exact ``percentile`` (linear interpolation, as numpy), never
``percentile_approx``: exact costs memory per group on the executors, and is what makes the
numbers equal the other engines'.

The aggregates run on the executors; the narrow projection the incident and finding pass
reads (:mod:`chatkit.logs.engines`) is collected on the driver as Arrow, so the driver needs
memory in proportion to the rows, about 115 bytes a row serialized: 4 GB by default
(``memory_limit``), half of which may be results, which holds 10M rows in local mode.

Rows keep the log's order through a row number taken per file (``input_file_name`` then
``monotonically_increasing_id``): the findings quote a failure's first row, as pandas does.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from chatkit.errors import UsageError
from chatkit.logs.engine_sql import column_type, detail_sql, parse_size, repeated_ids_sql
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
               # the projection is collected on the driver: half its memory may arrive
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
            .withColumn("_row", F.monotonically_increasing_id())
        present = set(frame.columns)
        picked = [(F.col(c) if c == "ts" else F.col(c).cast(spark_type(c))).alias(c)
                  if c in present else F.lit(None).cast(spark_type(c)).alias(c)
                  for c in columns]
        if _CORRUPT in present:
            frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
            self.skipped = frame.filter(F.col(_CORRUPT).isNotNull()).count()
            frame = frame.filter(F.col(_CORRUPT).isNull())
        self._base = frame.select(*picked, "_file", "_row")
        self._base.createOrReplaceTempView("log")
        return frame

    def detail(self, columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
        assert self.spark is not None
        repeated = None
        if "request_id" in columns:
            ids = self.spark.sql(repeated_ids_sql())
            if ids.limit(1).count():
                self.spark.sql(f"SELECT log.*, r.request_id IS NOT NULL AS _repeated FROM log "
                               f"LEFT JOIN ({repeated_ids_sql()}) r USING (request_id)"
                               ).createOrReplaceTempView("log_repeated")
                repeated = "_repeated"
        source = "log_repeated" if repeated else "log"
        projection = detail_sql(columns, repeated=repeated, source=source)
        ordered = self.spark.sql(projection.replace(" FROM ", ", _file, _row FROM ", 1)) \
            .orderBy("_file", "_row").select(*columns)
        with _quiet():
            table = ordered.toArrow()
        yield from table.to_batches()

    def close(self) -> None:
        if self._frame is not None and self._frame.is_cached:
            self._frame.unpersist()
        if self._owned and self.spark is not None:
            self.spark.stop()


@contextmanager
def _quiet() -> Iterator[None]:
    """pyspark warns that it does not fully support pandas 3; the paths used here go
    through Arrow."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark(\.|$)")
        yield
