"""Gateway and observability exports as they are (tests/data/real/gateway_exports, SOURCES.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from chatkit.cli import main
from chatkit.errors import InputError
from chatkit.logs import load, summarize

REAL = Path(__file__).parent / "data" / "real" / "gateway_exports"
DATA = Path(__file__).parent / "data"


def _as_array(name: str) -> bytes:
    """A record saved as one JSON document, as the export API returns it: a JSON array."""
    return json.dumps([json.loads((REAL / name).read_text())]).encode()


def test_litellm_spend_logs_row_ttft_from_completion_start_time() -> None:
    frame = load(_as_array("litellm_spend_logs_payload.json"))
    (row,) = frame.to_dict("records")
    assert row["ts"] == pd.Timestamp("2025-01-24T09:20:46.847Z")  # no zone: read as UTC
    assert frame.attrs["ts_assumed_utc"] == 1
    assert row["latency_ms"] == pytest.approx(4.583)
    assert row["ttft_ms"] == pytest.approx(4.583)  # no stream field; completionStartTime is there
    assert row["status"] == 200 and row["model"] == "gpt-4o" and row["provider"] == "openai"
    assert row["request_id"] == "chatcmpl-2283081b-dc89-41f6-93e6-d4f914774027"
    summary = summarize(frame)
    assert summary["ttft_ms"] is not None and summary["ttft_ms"]["p50"] == 4.6
    assert "1 timestamp(s) had no time zone and were read as UTC" in [
        f["title"] for f in summary["findings"]]


def test_litellm_standard_logging_payload() -> None:
    frame = load(_as_array("litellm_standard_logging_payload.json"))
    (row,) = frame.to_dict("records")
    assert bool(row["stream"]) and row["ttft_ms"] == pytest.approx(4.583)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (10, 20)


def test_langfuse_observations_only_generations_are_calls() -> None:
    frame = load(REAL / "langfuse_observations.json")
    assert frame.attrs["formats"] == ["json_array"] and frame.attrs["not_requests"] == 2
    (row,) = frame.to_dict("records")
    assert row["model"] == "gemini-2.5-flash"
    assert row["latency_ms"] == 7878.0 and row["ttft_ms"] == 6322.0  # seconds in the export
    assert (row["prompt_tokens"], row["completion_tokens"]) == (24, 378)
    assert row["ts"] == pd.Timestamp("2026-04-04T06:21:09.835Z")


def test_helicone_rows() -> None:
    frame = load(REAL / "helicone_requests.jsonl")
    assert frame.attrs["formats"] == ["helicone"] and frame.attrs["ts_assumed_utc"] == 4
    assert frame["status"].tolist() == [400, 200, 200, 200]
    # delay_ms is 0 in these rows: the latency comes from request and response times
    assert frame["latency_ms"].tolist() == [285.0, 1500.0, 500.0, 600.0]
    assert frame["ttft_ms"].isna().all()  # 0 means not measured
    assert set(frame["provider"]) == {"openai"}
    assert frame["endpoint"].tolist()[:2] == ["/v1/chat/completions", "/v1/chat/completions"]


def test_a_csv_mapping_without_a_status_column_is_one_error_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    csv = DATA / "requests_other_columns.csv"
    with pytest.raises(InputError, match="no status column among When, Code, Engine"):
        load(csv, mapping={"Took (ms)": "latency_ms", "When": "ts"})
    code = main(["analyze", str(csv), "--map", "Took (ms)=latency_ms", "--map", "When=ts"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == (f"Error: {csv}: no status column among When, Code, Engine, Took (ms), Req, "
                   "Attempt; name the one with the HTTP status (--map 'Their name=status', or "
                   "mapping={'Their name': 'status'})\n")
    code = main(["analyze", str(csv), "--map", "Took (ms)=latency_ms", "--map", "When=ts",
                 "--map", "Code=status", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["status_counts"] == {"200": 2, "429": 1, "500": 1,
                                                      "no_response": 1}


def test_a_record_longer_than_the_first_peek_is_still_recognised() -> None:
    """Gateway records carry prompts and answers: the first line can pass 64 KB."""
    record = json.loads((REAL / "litellm_standard_logging_payload.json").read_text())
    record["messages"][0]["content"] = "word " * 40_000  # 200 KB of prompt
    data = (json.dumps(record) + "\n" + json.dumps(record) + "\n").encode()
    frame = load(data)
    assert frame.attrs["formats"] == ["litellm"] and len(frame) == 2


def test_langfuse_trace_download_and_api_pages() -> None:
    """The trace JSON Langfuse's UI downloads, and a {"data": [...]} page of an API."""
    frame = load(REAL / "langfuse_trace.json")
    assert frame.attrs["formats"] == ["json_array"] and len(frame) == 1
    assert frame["model"].tolist() == ["gemini-2.5-flash"]
    page = {"data": [json.loads((REAL / "litellm_spend_logs_payload.json").read_text())],
            "total": 1, "page": 1, "page_size": 50, "total_pages": 1}
    frame = load(json.dumps(page).encode())
    assert frame.attrs["formats"] == ["json_array"] and frame["model"].tolist() == ["gpt-4o"]
