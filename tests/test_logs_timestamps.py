"""Every timestamp shape real logs carry takes the fast path, with the right value.

A hypothesis test writes JSON Lines logs the way other programs do (any key order, extra
fields, odd whitespace, CRLF) with timestamps in randomly chosen shapes — ISO-8601 with 0-9
fractional digits, ``Z``/offsets/no zone, ``T`` or a space, epoch seconds or milliseconds — and
checks each value and that Arrow read every line (``parsed_by_line == 0``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from chatkit.logs import load
from chatkit.logs.timestamps import parse_timestamps

MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60)  # minutes east of UTC


@st.composite
def iso_stamp(draw: st.DrawFn) -> tuple[str, int, bool]:
    """(text, expected epoch ms, has a zone) for one ISO-8601 timestamp."""
    moment = draw(MOMENTS)  # naive: the wall-clock time written
    digits = draw(st.integers(0, 9))
    fraction = f"{moment.microsecond:06d}" + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=3, max_size=3)))
    text = moment.strftime("%Y-%m-%d") + draw(st.sampled_from("T ")) + moment.strftime("%H:%M:%S")
    if digits:
        text += "." + fraction[:digits]
    zone = draw(st.sampled_from(["Z", "colon", "compact", "hours", "none"]))
    offset = 0 if zone in ("Z", "none") else draw(OFFSETS)
    if zone == "hours":
        offset = offset // 60 * 60
    sign, minutes = ("-" if offset < 0 else "+"), abs(offset)
    text += {"Z": "Z", "none": "", "colon": f"{sign}{minutes // 60:02d}:{minutes % 60:02d}",
             "compact": f"{sign}{minutes // 60:02d}{minutes % 60:02d}",
             "hours": f"{sign}{minutes // 60:02d}"}[zone]
    kept_us = int(fraction[:min(digits, 6)].ljust(6, "0")) if digits else 0
    wall = moment.replace(microsecond=kept_us, tzinfo=timezone.utc)
    utc = wall - timedelta(minutes=offset)
    return text, _ms(utc), zone != "none"


@st.composite
def epoch_stamp(draw: st.DrawFn, unit: str) -> tuple[float | int, int, bool]:
    moment = draw(MOMENTS).replace(tzinfo=timezone.utc)
    ms = _ms(moment)
    if unit == "ms":
        return ms, ms, True
    if draw(st.booleans()):
        return ms // 1000, ms // 1000 * 1000, True  # whole seconds, as an int
    return ms / 1000, ms, True


def _ms(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


EXTRA = st.dictionaries(st.text("abcdefgh_", min_size=1, max_size=6).map(lambda k: "x_" + k),
                        st.recursive(st.none() | st.integers() | st.text(max_size=8),
                                     lambda inner: st.lists(inner, max_size=3)
                                     | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                                     max_leaves=6),
                        max_size=3)


@st.composite
def log(draw: st.DrawFn) -> tuple[bytes, list[int], int]:
    """(file, expected ms per line, timestamps without a zone)."""
    kind = draw(st.sampled_from(["iso", "epoch_s", "epoch_ms"]))
    stamp = iso_stamp() if kind == "iso" else epoch_stamp(kind.removeprefix("epoch_"))
    n = draw(st.integers(1, 25))
    lines, expected, zoneless = [], [], 0
    for i in range(n):
        value, ms, zoned = draw(stamp)
        zoneless += not zoned
        record = {"ts": value, "status": draw(st.sampled_from([200, 429, 500])),
                  "latency_ms": float(i), "model": "gpt-4o-mini", "attempt": 0,
                  **draw(EXTRA)}
        keys = draw(st.permutations(list(record)))
        space = draw(st.sampled_from(["", " ", "  ", "\t"]))
        body = ("," + space).join(f"{json.dumps(k)}:{space}{json.dumps(record[k])}" for k in keys)
        lines.append(space + "{" + body + "}" + space)
        expected.append(ms)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    data = newline.join(lines) + draw(st.sampled_from(["", newline]))
    return data.encode(), expected, zoneless


@settings(max_examples=150, deadline=None)
@given(log())
def test_every_timestamp_shape_takes_the_fast_path(case: tuple[bytes, list[int], int]) -> None:
    data, expected, zoneless = case
    frame = load(data, format="jsonl")
    assert frame.attrs["parsed_by_line"] == 0 and frame.attrs["skipped"] == 0
    assert str(frame["ts"].dtype) == "datetime64[ms, UTC]"
    got = frame["ts"].array.asi8.tolist()
    assert got == expected
    assert frame.attrs["ts_assumed_utc"] == zoneless
    assert frame["latency_ms"].tolist() == [float(i) for i in range(len(expected))]


def test_python_isoformat_and_whole_seconds_in_one_log() -> None:
    """What ``json.dumps`` + ``datetime.isoformat()`` writes: microseconds, except on a whole
    second, where isoformat() leaves the fraction out."""
    start = datetime(2026, 3, 2, 9, 0, 6, 559200, tzinfo=timezone.utc)
    moments = [start, start.replace(microsecond=0), start.replace(tzinfo=None)]
    data = "".join(json.dumps({"ts": m.isoformat(), "status": 200}) + "\n" for m in moments)
    frame = load(data.encode(), format="jsonl")
    assert frame.attrs["parsed_by_line"] == 0 and frame.attrs["ts_assumed_utc"] == 1
    assert [t.isoformat() for t in frame["ts"]] == [
        "2026-03-02T09:00:06.559000+00:00", "2026-03-02T09:00:06+00:00",
        "2026-03-02T09:00:06.559000+00:00"]


def test_a_value_that_is_no_timestamp_is_null_and_counted() -> None:
    data = (b'{"ts": "2026-03-02T09:00:00Z", "status": 200}\n'
            b'{"ts": "yesterday", "status": 200}\n{"ts": "2026-03-02 09:00:01", "status": 500}\n')
    frame = load(data, format="jsonl")
    assert len(frame) == 3 and frame.attrs["parsed_by_line"] == 0
    assert frame["ts"].isna().tolist() == [False, True, False]
    assert frame.attrs["ts_unreadable"] == 1 and frame.attrs["ts_assumed_utc"] == 1


def test_parse_timestamps_types() -> None:
    naive = pa.array([pd.Timestamp("2026-03-02 09:00:00").to_datetime64()])
    parsed = parse_timestamps(naive)
    assert parsed.assumed_utc == 1 and parsed.values.type == pa.timestamp("ms", tz="UTC")
    assert parse_timestamps(pa.array([None, None])).values.null_count == 2


@settings(max_examples=60, deadline=None)
@given(log())
def test_the_same_shapes_through_duckdbs_reader(case: tuple[bytes, list[int], int]) -> None:
    """Big plain files are read by DuckDB's JSON reader: the same values, no line by line."""
    import tempfile

    import chatkit.logs.readers_jsonl as readers_jsonl

    data, expected, zoneless = case
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/log.jsonl"
        with open(path, "wb") as out:
            out.write(data)
        before, readers_jsonl.DUCKDB_MIN_BYTES = readers_jsonl.DUCKDB_MIN_BYTES, 0
        try:
            frame = load(path, format="jsonl")
        finally:
            readers_jsonl.DUCKDB_MIN_BYTES = before
    assert frame.attrs["parsed_by_line"] == 0 and frame.attrs["skipped"] == 0
    assert frame["ts"].array.asi8.tolist() == expected
    assert frame.attrs["ts_assumed_utc"] == zoneless


def test_duckdb_takes_a_code_written_as_a_number_and_leaves_torn_files_to_arrow(
        tmp_path: Any, monkeypatch: Any) -> None:
    import chatkit.logs.readers_jsonl as readers_jsonl

    monkeypatch.setattr(readers_jsonl, "DUCKDB_MIN_BYTES", 0)
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"ts": "2026-03-02T09:00:00Z", "status": 429, "error_code": 429}\n'
                     '{"ts": "2026-03-02T09:00:01Z", "status": 429, "error_code": "rate"}\n')
    frame = load(mixed)
    assert frame["error_code"].tolist() == ["429", "rate"] and frame.attrs["parsed_by_line"] == 0
    torn = tmp_path / "torn.jsonl"
    torn.write_text('{"ts": "2026-03-02T09:00:00Z", "status": 200}\n{"ts": "2026-03-02T09:0\n'
                    '{"ts": "2026-03-02T09:00:02Z", "status": 500}\n')
    frame = load(torn)
    assert frame["status"].tolist() == [200, 500] and frame.attrs["skipped"] == 1
