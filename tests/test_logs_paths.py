"""Every way of reading a JSONL log gives the same frame and the same summary.

A big plain file is read by DuckDB and its columns prepared on two threads; a small one by
Arrow's reader; a block Arrow refuses, line by line. The log here has what the summary looks
at — failures, retries, a 429 burst, an outage — written with the timestamps other programs
write (``isoformat()`` offsets and whole seconds, ``Z``, a space and no zone), and every path
must give the same frame, value for value, and the same summary, field by field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from chatkit.logs import SUMMARY_COLUMNS, arrow_frame, load, readers_jsonl, summarize
from chatkit.logs.readers import Skipped, source_of
from chatkit.sim import generate_log

ROWS = 20_000


def odd_stamp(stamp: str, row: int) -> str:
    """chatkit's ``2026-03-02T08:00:00.454Z`` as another program would write it."""
    day, clock = stamp.rstrip("Z").split("T")
    shape = row % 5
    if shape == 0:
        return f"{day}T{clock}000+00:00"  # isoformat() of an aware datetime
    if shape == 1:
        return f"{day}T{clock.split('.')[0]}+00:00"  # isoformat() on a whole second
    if shape == 2:
        return f"{day} {clock}"  # no zone: read as UTC, and counted
    if shape == 3:
        return f"{day}T{clock}+01:00".replace(f"T{clock[:2]}",
                                              f"T{(int(clock[:2]) + 1) % 24:02d}")
    return stamp


@pytest.fixture(scope="module")
def foreign_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("paths")
    generated = folder / "sim.jsonl"
    generate_log(generated, requests=ROWS, seed=1)
    path = folder / "foreign.jsonl"
    with generated.open() as lines, path.open("w") as out:
        for row, line in enumerate(lines):
            record = json.loads(line)
            if not record["ts"].startswith("2026-03-02T23"):  # +01:00 would roll the day
                record["ts"] = odd_stamp(record["ts"], row)
            record["user"] = {"id": row % 97}  # a field of the app's own
            out.write(json.dumps(record) + "\n")
    return path


def read(path: Path, monkeypatch: pytest.MonkeyPatch, *, duckdb: bool, threads: bool
         ) -> pd.DataFrame:
    with monkeypatch.context() as patch:
        patch.setattr(readers_jsonl, "DUCKDB_MIN_BYTES", 0 if duckdb else 1 << 62)
        patch.setattr(arrow_frame, "_THREADED_ROWS", 0 if threads else 1 << 62)
        return load(path, columns=SUMMARY_COLUMNS)


def by_line(path: Path) -> pd.DataFrame:
    """The slow path every line Arrow refuses takes: one json.loads per line."""
    skipped = Skipped()
    source = source_of(path)
    frame = readers_jsonl._frame_from_records(
        readers_jsonl._lines(source.data(), 1), SUMMARY_COLUMNS, None, skipped, source.name,
        kind="jsonl", what="line")
    frame.attrs = {"skipped": skipped.count, "ts_assumed_utc": skipped.assumed_utc,
                   "ts_unreadable": skipped.bad_ts}
    return frame


def assert_same_summary(expected: dict[str, Any], got: dict[str, Any]) -> None:
    assert list(got) == list(expected)
    for key in expected:
        assert got[key] == expected[key], key


def test_every_path_gives_the_same_frame_and_summary(
        foreign_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    duckdb_threaded = read(foreign_log, monkeypatch, duckdb=True, threads=True)
    assert duckdb_threaded.attrs["parsed_by_line"] == 0
    assert duckdb_threaded.attrs["ts_assumed_utc"] == pytest.approx(ROWS / 5, rel=0.05)
    expected = summarize(duckdb_threaded)
    checks = {f["check"] for f in expected["findings"]}
    assert {"log.failures", "log.incident", "log.reading"} <= checks  # something to agree on
    assert any(a > 0 for a in duckdb_threaded["attempt"].dropna())  # retries
    others = {
        "duckdb": read(foreign_log, monkeypatch, duckdb=True, threads=False),
        "arrow threaded": read(foreign_log, monkeypatch, duckdb=False, threads=True),
        "arrow": read(foreign_log, monkeypatch, duckdb=False, threads=False),
        "by line": by_line(foreign_log),
    }
    for name, frame in others.items():
        pd.testing.assert_frame_equal(frame, duckdb_threaded, check_categorical=False,
                                      obj=name)
        for column in ("host", "endpoint", "model", "error_code"):
            expected_order = list(duckdb_threaded[column].cat.categories)  # first seen, first
            if name == "by line":  # records go through conform(): categories sorted
                expected_order.sort()
            assert list(frame[column].cat.categories) == expected_order, (name, column)
        assert_same_summary(expected, summarize(frame))


def test_the_summary_is_the_same_on_two_threads(
        foreign_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chatkit.logs import analyze

    frame = load(foreign_log, columns=SUMMARY_COLUMNS)
    with monkeypatch.context() as patch:
        patch.setattr(analyze, "_THREADED_ROWS", 1 << 62)
        serial = summarize(frame)
    with monkeypatch.context() as patch:
        patch.setattr(analyze, "_THREADED_ROWS", 0)
        assert_same_summary(serial, summarize(frame))


def test_numpy_huge_page_advice_is_restored_after_the_analysis(foreign_log: Path) -> None:
    import numpy as np

    from chatkit.logs.columns import small_pages

    setter = np._core.multiarray._set_madvise_hugepage
    initial = setter(True)
    try:
        expected = summarize(load(foreign_log, columns=SUMMARY_COLUMNS))
        for advice in (True, False):
            setter(advice)
            assert summarize(load(foreign_log, columns=SUMMARY_COLUMNS)) == expected
            with small_pages():
                assert setter(False) is False  # off inside
            assert setter(advice) is advice  # as it was, after
    finally:
        setter(initial)


def test_arrow_memory_pool_is_restored_after_the_conversion(foreign_log: Path) -> None:
    import pyarrow as pa

    before = pa.default_memory_pool().backend_name
    frame = load(foreign_log, columns=SUMMARY_COLUMNS)
    assert pa.default_memory_pool().backend_name == before
    assert len(frame) == ROWS


def test_a_process_switch_is_restored_when_overlapping_blocks_leave_in_any_order() -> None:
    import threading

    from chatkit.logs.columns import ProcessSwitch

    setting = {"value": "original"}

    def switch() -> str:
        before, setting["value"] = setting["value"], "switched"
        return before

    blocks = ProcessSwitch(switch, lambda before: setting.update(value=before))
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen_after_first_left: list[str] = []

    def first() -> None:
        with blocks():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with blocks():
            second_in.set()
            first_out.wait(5)
            seen_after_first_left.append(setting["value"])

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert first_out.is_set() and second_in.is_set()
    assert seen_after_first_left == ["switched"]  # the second block still held it
    assert setting["value"] == "original"

    @blocks()
    def nested() -> str:
        with blocks():
            return setting["value"]

    assert nested() == "switched"
    assert setting["value"] == "original"
