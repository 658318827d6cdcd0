"""The Arrow table becomes the contract's frame: a text column of one value takes a shortcut
that must give what Arrow's dictionary encoding gives, chunk by chunk, nulls and offsets too."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from chatkit.logs import SUMMARY_COLUMNS, arrow_frame, load
from chatkit.logs.arrow_frame import _dictionary, arrow_to_frame
from chatkit.logs.readers import Skipped


def chunked(*chunks: list[str | None], string: pa.DataType | None = None) -> pa.ChunkedArray:
    """Chunks as readers make them, one of them a slice (its offset is not 0)."""
    string = string or pa.string()
    arrays = [pa.array(chunk, type=string) for chunk in chunks]
    if arrays and len(arrays[0]) > 2:
        arrays[0] = pa.concat_arrays([pa.array(["x"], type=string), arrays[0]]).slice(1)
    return pa.chunked_array(arrays, type=string)


def as_pandas(column: pa.ChunkedArray) -> pd.Series:
    return pa.table({"c": column}).to_pandas()["c"]


def took_the_shortcut(encoded: pa.ChunkedArray) -> bool:
    """The shortcut's chunks share one buffer of zeros for their indices; Arrow's encoding
    gives each chunk its own."""
    return len({chunk.indices.buffers()[1].address for chunk in encoded.chunks}) == 1


ONE_VALUE = [
    chunked(["api.openai.com"] * 5, ["api.openai.com", None], [None, None]),
    chunked([None, None, None], ["/v1/chat/completions"] * 3),
    chunked([""] * 4, [None, ""]),  # the empty text is a value too
    chunked(["é"] * 3, string=pa.large_string()),
]
SEVERAL_VALUES = [
    chunked(["gpt-4o", "gpt-4.1", "gpt-4o"], ["o4-mini"]),
    chunked(["a"] * 4, ["a", "b"]),  # the second value only in a later chunk
    chunked(["a"] * 4, ["a", None], ["A"]),
    chunked([None, None, None], [None]),  # no value at all
    chunked(),  # no rows
]


@pytest.mark.parametrize("column", ONE_VALUE + SEVERAL_VALUES)
def test_few_valued_text_is_encoded_as_arrow_encodes_it(column: pa.ChunkedArray) -> None:
    encoded = _dictionary(column)
    expected = column.dictionary_encode()
    assert encoded.type == expected.type
    assert encoded.to_pylist() == column.to_pylist()
    pd.testing.assert_series_equal(as_pandas(encoded), as_pandas(expected), check_exact=True)
    assert took_the_shortcut(encoded) == any(c is column for c in ONE_VALUE)


def test_the_frame_is_the_same_with_and_without_the_shortcut(
        monkeypatch: pytest.MonkeyPatch) -> None:
    table = pa.table({
        "ts": ["2026-03-02T09:00:06.5592+00:00", "2026-03-02 09:00:07", None, "junk"] * 3,
        "host": ["api.openai.com", None, "api.openai.com", "api.openai.com"] * 3,
        "endpoint": ["/v1/chat/completions"] * 12,
        "model": ["gpt-4o", "gpt-4.1", None, "gpt-4o"] * 3,
        "status": pa.array([200, 429, None, 500] * 3, type=pa.int64()),
    })
    table = pa.Table.from_batches(table.to_batches(max_chunksize=5))  # several chunks
    columns = [name for name in SUMMARY_COLUMNS if name in table.column_names]
    fast, slow = Skipped(), Skipped()
    frame = arrow_to_frame(table, columns, fast)
    with monkeypatch.context() as patch:
        patch.setattr(arrow_frame, "_dictionary", lambda column: column.dictionary_encode())
        expected = arrow_to_frame(table, columns, slow)
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    for name in ("host", "endpoint", "model"):
        assert frame[name].dtype == expected[name].dtype
        assert frame[name].cat.categories.dtype == expected[name].cat.categories.dtype
    assert (fast.assumed_utc, fast.bad_ts) == (slow.assumed_utc, slow.bad_ts) == (3, 3)
    assert list(frame["host"].cat.categories) == ["api.openai.com"]


def test_a_big_log_converted_on_two_threads_takes_the_shortcut_for_its_host(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chatkit.sim import generate_log

    path = tmp_path / "sim.jsonl"
    generate_log(path, requests=3000, seed=2)
    seen: dict[str, bool] = {}

    def watched(column: pa.ChunkedArray) -> pa.ChunkedArray:
        encoded = _dictionary(column)
        seen[str(column.chunk(0)[0]) if column.num_chunks else ""] = took_the_shortcut(encoded)
        return encoded

    with monkeypatch.context() as patch:
        patch.setattr(arrow_frame, "_THREADED_ROWS", 0)
        patch.setattr(arrow_frame, "_dictionary", watched)
        threaded = load(path, columns=SUMMARY_COLUMNS)
    with monkeypatch.context() as patch:
        patch.setattr(arrow_frame, "_THREADED_ROWS", 1 << 62)
        patch.setattr(arrow_frame, "_dictionary", lambda column: column.dictionary_encode())
        serial = load(path, columns=SUMMARY_COLUMNS)
    pd.testing.assert_frame_equal(threaded, serial, check_exact=True)
    assert seen[threaded["host"].iloc[0]] is True


def test_duckdb_hands_floats_over_with_nan_for_null_and_the_frame_is_arrows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chatkit.logs import readers_jsonl

    path = tmp_path / "floats.jsonl"
    path.write_text(
        '{"ts": "2026-03-02T09:00:00Z", "status": 200, "latency_ms": 12.5, "ttft_ms": null}\n'
        '{"ts": "2026-03-02T09:00:01Z", "status": 500, "latency_ms": null}\n'
        '{"ts": "2026-03-02T09:00:02Z", "status": 200, "latency_ms": 3, "ttft_ms": 1.25}\n')
    tables: list[pa.Table] = []

    def watched(table: pa.Table, columns: list[str], stats: Skipped | None = None
                ) -> pd.DataFrame:
        tables.append(table)
        return arrow_to_frame(table, columns, stats)

    with monkeypatch.context() as patch:
        patch.setattr(readers_jsonl, "DUCKDB_MIN_BYTES", 0)
        patch.setattr(readers_jsonl, "arrow_to_frame", watched)
        frame = load(path, columns=SUMMARY_COLUMNS)
    (table,) = tables
    assert table.column("latency_ms").null_count == table.column("ttft_ms").null_count == 0
    assert table.column("ttft_ms").to_pylist()[2] == 1.25
    assert frame.attrs["formats"] == ["jsonl"]
    by_arrow = load(path, columns=SUMMARY_COLUMNS)  # small: Arrow's reader
    pd.testing.assert_frame_equal(frame, by_arrow, check_exact=True)
    assert frame["ttft_ms"].isna().tolist() == [True, True, False]


def generic(column: pa.ChunkedArray) -> pd.Series:
    """Arrow's own conversion, with the contract's types."""
    from chatkit.logs.schema import pandas_type_of

    return pa.table({"c": column}).to_pandas(types_mapper=pandas_type_of)["c"]


@pytest.mark.parametrize("column", [
    *(_dictionary(column) for column in ONE_VALUE + SEVERAL_VALUES),
    pa.chunked_array([pa.array([f"m{i % 200}" for i in range(600)]).dictionary_encode()]),
    pa.chunked_array([pa.array([1, None, 3], pa.int64()), pa.array([], pa.int64()),
                      pa.array([9, 8, 7, 6], pa.int64()).slice(1)]),
    pa.chunked_array([pa.array([2**62, -5], pa.int64())]),
    pa.chunked_array([], type=pa.int64()),
    pa.chunked_array([pa.array([1.5, None])]),
], ids=lambda column: str(column.type))
def test_columns_built_for_pandas_are_what_arrow_gives(column: pa.ChunkedArray) -> None:
    from chatkit.logs.arrow_frame import _pandas

    got, expected = _pandas("c", column), generic(column)
    pd.testing.assert_series_equal(got, expected, check_exact=True)
    assert got.dtype == expected.dtype
    if isinstance(expected.dtype, pd.CategoricalDtype):
        assert got.cat.categories.dtype == expected.cat.categories.dtype
        assert got.cat.codes.dtype == expected.cat.codes.dtype
        assert list(got.cat.codes) == list(expected.cat.codes)
