"""The engines agree: pandas and DuckDB give the same summary, field by field.

Inputs: the sample log shipped with chatkit, logs of the simulator's generator (failures,
retries, a 429 burst, an outage), logs written by DuckDB's own SQL (tests/foreign_logs.py),
the Parquet files ``chatkit convert`` writes, a glob and a hive-partitioned directory.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from foreign_logs import write_log

from chatkit.cli import main
from chatkit.logs import SUMMARY_COLUMNS, load, summarize
from chatkit.logs.engine_duckdb import DuckDBLog
from chatkit.logs.engines import choose_engine, parse_size, resolve, summarize_logs
from chatkit.logs.parquet import contract_schema, convert
from chatkit.sim import generate_log

SAMPLE = str(files("chatkit") / "data" / "sample_requests.jsonl")


def assert_same(expected: dict[str, Any], got: dict[str, Any]) -> None:
    """Every field of the summary equal (one assert per field, so a failure names it)."""
    assert list(got) == list(expected)
    for key in expected:
        assert got[key] == expected[key], key


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("generated")
    paths = []
    for seed, rows in ((1, 20_000), (7, 6_000)):
        path = folder / f"sim-{seed}.jsonl"
        generate_log(path, requests=rows, seed=seed)
        paths.append(path)
    return paths


def test_sample_log_pandas_equals_duckdb() -> None:
    pandas = summarize(load(SAMPLE, columns=SUMMARY_COLUMNS))
    assert pandas["incidents"] and pandas["findings"]  # something to agree on
    assert_same(pandas, summarize_logs(SAMPLE, engine="pandas"))
    assert_same(pandas, summarize_logs(SAMPLE, engine="duckdb"))


def test_generated_logs_pandas_equals_duckdb(generated: list[Path]) -> None:
    for path in generated:
        pandas = summarize_logs(path, engine="pandas")
        checks = {f["check"] for f in pandas["findings"]}
        assert {"log.failures", "log.incident"} <= checks, path
        assert_same(pandas, summarize_logs(path, engine="duckdb"))


def test_many_small_batches(monkeypatch: pytest.MonkeyPatch, generated: list[Path]) -> None:
    """The projection arrives in batches; columns null in a whole batch are united too."""
    import chatkit.logs.engine_duckdb

    pandas = summarize_logs(generated[1], engine="pandas")
    monkeypatch.setattr(chatkit.logs.engine_duckdb, "_BATCH_ROWS", 500)
    assert_same(pandas, summarize_logs(generated[1], engine="duckdb"))


def test_foreign_jsonl_and_parquet_agree(tmp_path: Path) -> None:
    jsonl = write_log(tmp_path / "foreign.jsonl", 30_000, fmt="jsonl")
    parquet = write_log(tmp_path / "foreign.parquet", 30_000)
    pandas = summarize_logs(jsonl, engine="pandas")
    assert len(pandas["incidents"]) >= 2 and pandas["status_counts"]["no_response"] > 0
    for path in (jsonl, parquet):
        for engine in ("pandas", "duckdb"):
            assert_same(pandas, summarize_logs(path, engine=engine))


def test_unreadable_lines_are_skipped_alike(tmp_path: Path, generated: list[Path]) -> None:
    lines = generated[1].read_bytes().splitlines(keepends=True)
    path = tmp_path / "torn.jsonl"
    path.write_bytes(b"".join(lines[:100]) + b"not json\n" + b"".join(lines[100:]) + b"{\"ts\"")
    pandas = summarize_logs(path, engine="pandas")
    assert pandas["skipped"] == 2
    assert_same(pandas, summarize_logs(path, engine="duckdb"))


def test_fields_of_the_wrong_type_become_null_alike(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text('{"ts":"2026-03-02T08:00:01Z","status":"abc","latency_ms":5,"model":"a"}\n'
                    '{"ts":"2026-03-02T08:00:02Z","status":200,"latency_ms":"x","model":"a"}\n'
                    '{"ts":"2026-03-02T08:00:03Z","status":"200","latency_ms":7,"model":"a"}\n')
    pandas = summarize_logs(path, engine="pandas")
    assert pandas["status_counts"] == {"200": 2, "no_response": 1} and pandas["skipped"] == 0
    assert_same(pandas, summarize_logs(path, engine="duckdb"))


def test_what_reading_assumed_is_said_alike(tmp_path: Path) -> None:
    path = tmp_path / "naive.jsonl"
    path.write_text('{"ts":"2026-03-02 08:00:01","status":200,"latency_ms":5,"model":"a"}\n'
                    '{"ts":"2026-03-02 08:00:02","status":500,"latency_ms":6,"model":"a"}\n'
                    '{"ts":"yesterday","status":200,"latency_ms":7,"model":"a"}\n')
    pandas = summarize_logs(path, engine="pandas")
    reading = [f["title"] for f in pandas["findings"] if f["check"] == "log.reading"]
    assert reading == ["2 timestamp(s) had no time zone and were read as UTC",
                       "1 timestamp(s) could not be read (left empty)"]
    assert_same(pandas, summarize_logs(path, engine="duckdb"))


def test_other_formats_are_summarised_in_memory_by_every_engine() -> None:
    """A HAR keeps its own columns (user agent, idempotency key) for the browser findings."""
    har = Path(__file__).parent / "data" / "har_chrome.har"
    pandas = summarize_logs(har, engine="pandas")
    assert_same(pandas, summarize_logs(har, engine="duckdb"))


def test_convert_writes_the_contract_types_and_load_reads_them(tmp_path: Path) -> None:
    out = tmp_path / "sample.parquet"
    assert convert(SAMPLE, out) == 3000
    assert pq.read_schema(out).remove_metadata() == contract_schema()
    assert out.read_bytes()[:4] == b"PAR1"
    original, back = load(SAMPLE), load(out)
    assert back.attrs["formats"] == ["parquet"]
    assert list(back.dtypes.astype(str)) == list(original.dtypes.astype(str))
    assert back.equals(original)


def test_convert_falls_back_when_a_field_changes_type(tmp_path: Path) -> None:
    log = tmp_path / "mixed.jsonl"
    log.write_text('{"ts":"2026-03-02T08:00:01Z","status":429,"error_code":429}\n'
                   '{"ts":"2026-03-02T08:00:02Z","status":429,"error_code":"rate_limit"}\n')
    convert(log, tmp_path / "mixed.parquet")
    frame = load(tmp_path / "mixed.parquet")
    assert frame["error_code"].astype(str).tolist() == ["429", "rate_limit"]


def test_glob_and_hive_directory(tmp_path: Path) -> None:
    """A directory partitioned by DuckDB's own writer (slot=, six of them), read as one log."""
    source = write_log(tmp_path / "all.parquet", 20_000)
    hive = tmp_path / "hive"
    duckdb.sql(f"COPY (SELECT *, minute(ts) // 10 AS slot FROM '{source}') TO '{hive}' "
               "(FORMAT parquet, PARTITION_BY (slot))")
    inputs = resolve(hive)
    assert inputs.hive and inputs.kind == "parquet" and len(inputs.files) > 1
    assert choose_engine(inputs) == "duckdb"
    whole = summarize_logs(source, engine="duckdb")
    assert_same(whole, summarize_logs(hive))
    assert_same(whole, summarize_logs(str(hive / "**" / "*.parquet"), engine="pandas"))


def test_engine_choice(tmp_path: Path, generated: list[Path]) -> None:
    small = resolve(generated[1])
    assert (small.kind, choose_engine(small)) == ("jsonl", "pandas")
    assert choose_engine(small, memory_budget=small.size - 1) == "duckdb"
    assert choose_engine(small, memory_budget="1GB") == "pandas"
    assert parse_size("2GB") == 2 << 30 and parse_size("512mb") == 512 << 20
    har = resolve(Path(__file__).parent / "data" / "har_firefox.har")
    assert har.kind == "other" and choose_engine(har) == "pandas"


def test_duckdb_memory_is_bounded_and_spills_to_the_temp_dir(tmp_path: Path,
                                                             generated: list[Path]) -> None:
    log = DuckDBLog(resolve(generated[0]), memory_limit="256MB", temp_dir=str(tmp_path))
    try:
        limit = log.rows("SELECT current_setting('memory_limit'), "
                         "current_setting('temp_directory')")[0]
        assert limit[0] in ("256.0 MiB", "244.1 MiB", "256.0MB") or "256" in limit[0] \
            or "244" in limit[0]
        assert limit[1].startswith(str(tmp_path))
    finally:
        log.close()
    assert not any(tmp_path.iterdir())  # the spill directory is removed


def test_cli_engines_print_the_same_json(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    outputs = []
    for engine in ("pandas", "duckdb"):
        assert main(["analyze", SAMPLE, "--json", "--engine", engine]) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    assert_same(outputs[0], outputs[1])
    out = tmp_path / "s.parquet"
    assert main(["convert", SAMPLE, "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote 3,000 requests to {out}\n"
    assert main(["analyze", str(out), "--json"]) == 0  # Parquet: DuckDB by default
    assert_same(outputs[0], json.loads(capsys.readouterr().out))


def test_cli_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["analyze", SAMPLE, "--engine", "duckdb", "--plots", str(tmp_path)]) == 2
    assert capsys.readouterr().err == ("Error: --plots works on a loaded frame; use --engine "
                                       "pandas with it\n")
    assert main(["analyze", str(tmp_path / "*.parquet")]) == 2
    assert capsys.readouterr().err == (f"Error: {tmp_path / '*.parquet'}: no file matches; "
                                       "check the pattern\n")
    assert main(["convert", SAMPLE, "-o", SAMPLE]) == 2
    assert capsys.readouterr().err == (f"Error: {Path(SAMPLE)} is also an input; write the "
                                       "Parquet file elsewhere\n")


def test_gzip_and_a_directory_of_jsonl(tmp_path: Path) -> None:
    """gzip is known by its content (no .gz needed); a folder of JSONL is one log."""
    import gzip

    data = Path(SAMPLE).read_bytes()
    (tmp_path / "log").write_bytes(gzip.compress(data))
    pandas = summarize_logs(SAMPLE, engine="pandas")
    assert_same(pandas, summarize_logs(tmp_path / "log", engine="duckdb"))
    folder = tmp_path / "folder"
    folder.mkdir()
    lines = data.splitlines(keepends=True)
    (folder / "a.jsonl").write_bytes(b"".join(lines[:1500]))
    (folder / "b.jsonl").write_bytes(b"".join(lines[1500:]))
    assert resolve(folder).kind == "jsonl"
    assert_same(pandas, summarize_logs(folder))


def test_spark_missing_is_one_error_line(capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # as if pyspark were not installed
    assert main(["analyze", SAMPLE, "--engine", "spark"]) == 2
    assert capsys.readouterr().err == ("Error: --engine spark needs pyspark and Java: pip "
                                       "install 'chatkit[spark]'\n")
