"""Spark gives the summary pandas and DuckDB give, on a million rows in local mode.

The input is written by DuckDB's own SQL (tests/foreign_logs.py), as Parquet. Needs the
``spark`` extra and a Java runtime; .ci/run installs both, and under CI=true a missing one
fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from foreign_logs import write_log
from test_engines import SAMPLE, assert_same

from chatkit.logs.engines import summarize_logs

ROWS = 1_000_000


def _missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark (pip install 'chatkit[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "a Java runtime (apt-get install default-jre-headless)"
    return None


MISSING = _missing()
pytestmark = pytest.mark.skipif(MISSING is not None and os.environ.get("CI") != "true",
                                reason=f"needs {MISSING}")


@pytest.fixture(scope="module", autouse=True)
def session() -> Iterator[None]:
    """One JVM for the module: the engine uses an active session as it is."""
    if MISSING is not None:
        yield
        return
    from chatkit.logs.engine_spark import local_session

    spark = local_session()
    yield
    spark.stop()


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_log(tmp_path_factory.mktemp("spark") / "million.parquet", ROWS)


def test_spark_is_installed() -> None:
    assert MISSING is None, f"needs {MISSING}"


def test_million_rows_spark_equals_duckdb_and_pandas(million: Path) -> None:
    duck = summarize_logs(million, engine="duckdb")
    assert duck["requests"] == ROWS
    assert len(duck["incidents"]) >= 2 and duck["status_counts"]["no_response"] > 0
    assert_same(duck, summarize_logs(million, engine="spark"))
    assert_same(duck, summarize_logs(million, engine="pandas"))


def test_sample_jsonl_spark_equals_pandas() -> None:
    assert_same(summarize_logs(SAMPLE, engine="pandas"), summarize_logs(SAMPLE, engine="spark"))


def test_unreadable_lines_are_skipped_alike(tmp_path: Path) -> None:
    lines = Path(SAMPLE).read_bytes().splitlines(keepends=True)
    path = tmp_path / "torn.jsonl"
    path.write_bytes(b"".join(lines[:100]) + b"not json\n" + b"".join(lines[100:]) + b"{\"ts\"")
    pandas = summarize_logs(path, engine="pandas")
    assert pandas["skipped"] == 2
    assert_same(pandas, summarize_logs(path, engine="spark"))


def test_hive_directory_spark_equals_duckdb(tmp_path: Path) -> None:
    import duckdb

    source = write_log(tmp_path / "all.parquet", 20_000)
    hive = tmp_path / "hive"
    duckdb.sql(f"COPY (SELECT *, minute(ts) // 10 AS slot FROM '{source}') TO '{hive}' "
               "(FORMAT parquet, PARTITION_BY (slot))")
    assert_same(summarize_logs(source, engine="duckdb"), summarize_logs(hive, engine="spark"))
