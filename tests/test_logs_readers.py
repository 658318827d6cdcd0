"""chatkit.load: every reader on files it did not write, bad input, and the frame's dtypes."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chatkit.errors import EmptyInput, InputError, UsageError
from chatkit.logs import COLUMNS, SUMMARY_COLUMNS, detect_format, load

DATA = Path(__file__).parent / "data"
SAMPLE = Path(__file__).parents[1] / "chatkit" / "data" / "sample_requests.jsonl"


def row(**values: object) -> dict:
    base = {"ts": "2026-03-02T08:00:00.000Z", "method": "POST", "host": "api.openai.com",
            "endpoint": "/v1/chat/completions", "model": "gpt-4o", "status": 200,
            "latency_ms": 100.0, "attempt": 0}
    return {**base, **values}


def jsonl(*rows: dict) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


# --- the contract's JSONL ---------------------------------------------------------------------

def test_sample_log_has_contract_columns_and_dtypes() -> None:
    frame = load(SAMPLE)
    assert list(frame.columns) == list(COLUMNS)
    assert str(frame["ts"].dtype) == "datetime64[ms, UTC]"
    assert str(frame["status"].dtype) == "Int64"
    assert str(frame["attempt"].dtype) == "Int64"
    assert frame["model"].dtype == "category"
    assert frame["latency_ms"].dtype == np.float64
    assert str(frame["stream"].dtype) == "boolean"
    raw = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    assert len(frame) == len(raw)
    assert frame.attrs["skipped"] == 0
    # spot-check values against the file itself
    nulls = sum(r["status"] is None for r in raw)
    assert int(frame["status"].isna().sum()) == nulls
    assert frame["request_id"].iloc[17] == raw[17]["request_id"]
    assert frame["ts"].iloc[0] == pd.Timestamp(raw[0]["ts"])


def test_columns_option_reads_only_those() -> None:
    frame = load(SAMPLE, columns=SUMMARY_COLUMNS)
    assert list(frame.columns) == [c for c in COLUMNS if c in SUMMARY_COLUMNS]
    with pytest.raises(UsageError, match="unknown log column"):
        load(SAMPLE, columns=["ts", "latency"])


def test_missing_fields_are_null_and_extra_fields_ignored() -> None:
    frame = load(jsonl(row(extra_field="x"), {"ts": "2026-03-02T08:00:01Z", "status": 503}))
    assert len(frame) == 2
    assert pd.isna(frame["latency_ms"].iloc[1])
    assert frame["model"].isna().iloc[1]
    assert "extra_field" not in frame.columns


def test_bad_lines_are_skipped_with_line_numbers_and_good_rows_kept() -> None:
    good = [row(request_id=f"req_{i}") for i in range(6)]
    data = (jsonl(*good[:2]) + b"this is not json\n" + jsonl(good[2]) + b'{"ts": "2026-\xff\xfe"}\n'
            + jsonl(*good[3:5]) + b"[1, 2]\n" + jsonl(good[5]) + b'{"ts": "2026-03-02T08:0')
    frame = load(data)
    assert list(frame["request_id"]) == [f"req_{i}" for i in range(6)]
    assert frame.attrs["skipped"] == 4
    assert frame.attrs["skipped_at"] == ["<bytes>:3", "<bytes>:5", "<bytes>:8", "<bytes>:10"]


def test_codes_written_as_numbers_still_load() -> None:
    # pyarrow's typed fast path rejects a number where text was expected; nothing is lost
    frame = load(jsonl(row(status=429, error_code="rate_limit_exceeded"),
                       row(status=429, error_code=429), row(status="503")))
    assert list(frame["error_code"].astype("object").fillna("-")) == [
        "rate_limit_exceeded", "429", "-"]
    assert list(frame["status"]) == [429, 429, 503]
    assert frame.attrs["skipped"] == 0


def test_gzip_bom_several_files_and_file_objects(tmp_path: Path) -> None:
    plain = jsonl(row(request_id="a"), row(request_id="b"))
    gz = tmp_path / "log.jsonl.gz"
    gz.write_bytes(gzip.compress(jsonl(row(request_id="c"))))
    bom = tmp_path / "bom.log"  # the extension says nothing; the content does
    bom.write_bytes(b"\xef\xbb\xbf" + jsonl(row(request_id="d")))
    frame = load([io.BytesIO(plain), gz, str(bom)])
    assert list(frame["request_id"]) == ["a", "b", "c", "d"]
    assert frame.attrs["formats"] == ["jsonl", "jsonl", "jsonl"]
    assert frame["model"].dtype == "category"


def test_progress_reports_bytes_up_to_the_file_size(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(SAMPLE.read_bytes())
    seen: list[tuple[int, int | None]] = []
    load(path, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (path.stat().st_size, path.stat().st_size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.parametrize(("content", "error", "message"), [
    (b"", EmptyInput, "is empty"),
    (b"\n\n  \n", EmptyInput, "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", InputError, "not a log chatkit can read"),
    (b"Dear diary, today the API was slow.\n", InputError, "not a log chatkit can read"),
])
def test_empty_and_wrong_kind_are_one_clear_error(tmp_path: Path, content: bytes,
                                                  error: type, message: str) -> None:
    path = tmp_path / "thing.jsonl"
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        load(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="is a directory"):
        load(tmp_path)
    with pytest.raises(UsageError, match="unknown log format"):
        load(SAMPLE, format="xml")


def test_detect_format() -> None:
    assert detect_format(SAMPLE.read_bytes()[:4096]) == "jsonl"
    assert detect_format((DATA / "har_chrome.har").read_bytes()[:4096]) == "har"
    assert detect_format((DATA / "otel_genai.json").read_bytes()[:4096]) == "otel"
    assert detect_format((DATA / "openai_debug.log").read_bytes()[:4096]) == "openai_log"
    assert detect_format((DATA / "requests_other_columns.csv").read_bytes()) == "csv"
    assert detect_format((DATA / "litellm_payloads.jsonl").read_bytes()[:4096]) == "litellm"
    assert detect_format(b"hello world") is None


# --- CSV --------------------------------------------------------------------------------------

def test_csv_with_a_mapping_and_a_broken_row() -> None:
    frame = load(DATA / "requests_other_columns.csv", mapping={
        "When": "ts", "Code": "status", "Engine": "model", "Took (ms)": "latency_ms",
        "Req": "request_id"})
    assert list(frame["request_id"]) == [f"req_csv_{i}" for i in (1, 2, 3, 4, 5)]
    assert list(frame["status"].astype("object").fillna(-1)) == [200, 429, 200, -1, 500]
    assert frame["latency_ms"].tolist()[:3] == [812.5, 95.0, 1210.0]
    assert pd.isna(frame["latency_ms"].iloc[3])  # "n/a" in a numeric column
    assert list(frame["attempt"]) == [0, 0, 1, 0, 0]  # "Attempt" matched case-insensitively
    assert frame["ts"].iloc[0] == pd.Timestamp("2026-03-02T09:00:00Z")
    assert frame.attrs["skipped"] == 1
    assert frame.attrs["skipped_at"] == [f"{DATA / 'requests_other_columns.csv'}:5"]


def test_csv_aliases_and_mapping_errors() -> None:
    csv = (b"timestamp,status_code,model,duration_ms,url\n"
           b"2026-03-02 08:00:00,200,gpt-4o,120,https://api.openai.com/v1/chat/completions\n")
    frame = load(csv)
    assert frame["status"].iloc[0] == 200 and frame["latency_ms"].iloc[0] == 120.0
    assert frame["host"].iloc[0] == "api.openai.com"
    assert frame["endpoint"].iloc[0] == "/v1/chat/completions"
    with pytest.raises(InputError, match="no column named 'When'"):
        load(csv, mapping={"When": "ts"})
    with pytest.raises(InputError, match="none of its columns"):
        load(b"a,b\n1,2\n")


# --- OpenTelemetry, gateways, the openai debug log --------------------------------------------

def test_otel_genai_spans() -> None:
    frame = load(DATA / "otel_genai.json")
    assert len(frame) == 3  # the HTTP child span of the timed-out call is not counted twice
    ok, limited, timeout = (frame.iloc[i] for i in range(3))
    assert ok["model"] == "gpt-4o-mini-2024-07-18" and ok["status"] == 200
    assert ok["latency_ms"] == 1250.0 and ok["ttft_ms"] == 420.0
    assert (ok["prompt_tokens"], ok["completion_tokens"]) == (52, 31)
    assert ok["ts"] == pd.Timestamp("2026-03-02T08:00:00Z") and bool(ok["stream"])
    assert limited["status"] == 429 and limited["error_type"] == "RateLimitError"
    assert pd.isna(timeout["status"]) and timeout["exception"] == "timeout"
    assert timeout["latency_ms"] == 10_000.0


def test_litellm_payloads_units_and_a_broken_last_line() -> None:
    frame = load(DATA / "litellm_payloads.jsonl")
    assert frame.attrs["formats"] == ["litellm"]
    assert frame.attrs["skipped"] == 1 and frame.attrs["skipped_at"][0].endswith(":4")
    assert frame["latency_ms"].round(3).tolist() == [1500.0, 3000.0, 200.0]  # seconds -> ms
    assert frame["ttft_ms"].iloc[1] == 750.0 and pd.isna(frame["ttft_ms"].iloc[0])
    assert frame["status"].tolist() == [200, 200, 429]
    assert frame["error_type"].iloc[2] == "RateLimitError"
    assert frame["endpoint"].iloc[0] == "/v1/chat/completions"
    assert frame["ts"].iloc[0] == pd.Timestamp("2026-03-02T08:00:00Z")


def test_other_gateway_exports() -> None:
    records = [
        {"trace_id": "t", "type": "GENERATION", "start_time": "2026-03-02 08:00:00.000000",
         "end_time": "2026-03-02 08:00:02.000000", "provided_model_name": "gpt-4o",
         "latency": 2.0, "time_to_first_token": 0.25, "level": "DEFAULT",
         "usage_details": {"input": 10, "output": 5}, "id": "lf-1"},
        {"trace_id": "t", "type": "GENERATION", "start_time": "2026-03-02 08:00:03.000000",
         "provided_model_name": "gpt-4o", "latency": 0.5, "level": "ERROR",
         "status_message": "429 rate limit", "id": "lf-2"},
    ]
    frame = load(jsonl(*records))
    assert frame.attrs["formats"] == ["langfuse"]
    assert frame["latency_ms"].tolist() == [2000.0, 500.0]  # Langfuse gives seconds
    assert frame["ttft_ms"].iloc[0] == 250.0
    assert frame["status"].iloc[0] == 200 and pd.isna(frame["status"].iloc[1])
    portkey = {"created_at": "2026-03-02T08:00:00Z", "ai_model": "gpt-4o",
               "response_status_code": 503, "response_time": 830, "cost": 0.12,
               "request_url": "https://api.openai.com/v1/chat/completions", "req_units": 3}
    helicone = {"request_created_at": "2026-03-02T08:00:00Z", "response_status": 200,
                "delay_ms": 420, "time_to_first_token": 90, "model": "gpt-4o-mini",
                "request_id": "h-1", "target_url": "https://api.openai.com/v1/chat/completions"}
    both = load([jsonl(portkey), json.dumps([helicone]).encode()])
    assert both.attrs["formats"] == ["portkey", "json_array"]
    assert both["latency_ms"].tolist() == [830.0, 420.0]  # both already in ms
    assert both["status"].tolist() == [503, 200]
    assert both["ttft_ms"].iloc[1] == 90.0 and both["request_id"].iloc[1] == "h-1"


def test_urls_are_redacted_whatever_wrote_the_log() -> None:
    key = "AIzaSy" + "B" * 33
    csv = (b"ts,status,url,error_message\n"
           b"2026-03-02T08:00:00Z,200,https://generativelanguage.googleapis.com/v1/models?key="
           + key.encode() + b",\n2026-03-02T08:00:01Z,500,https://bob:hunter2@gw.example/v1,"
           b"upstream refused key " + key.encode() + b"\n"
           b"2026-03-02T08:00:02Z,200,https://api.openai.com/v1/models,\n")
    frame = load(csv)
    assert frame.attrs["formats"] == ["csv"]
    text = " ".join(frame["url"].tolist()) + frame["error_message"].iloc[1]
    assert key not in text and "hunter2" not in text and "bob" not in text
    assert frame["error_message"].iloc[1].startswith("upstream refused key [REDACTED:")
    assert frame["url"].iloc[2] == "https://api.openai.com/v1/models"  # nothing to remove
    assert frame["host"].tolist() == ["generativelanguage.googleapis.com", "gw.example",
                                      "api.openai.com"]


def test_openai_debug_log() -> None:
    frame = load(DATA / "openai_debug.log")
    # httpx and the SDK both log each answer: one row per attempt, not two
    assert frame["status"].astype("object").fillna(-1).tolist() == [429, 200, -1, 200]
    assert frame["request_id"].astype("object").fillna("").tolist() == [
        "req_dbg_429", "req_dbg_ok", "", "req_dbg_main"]
    assert frame["attempt"].tolist() == [0, 1, 0, 0]  # the retry after the 429
    assert frame["exception"].iloc[2] == "ReadTimeout"
    assert frame["endpoint"].iloc[3] == "/v1/embeddings"
    assert frame["ts"].iloc[0] == pd.Timestamp("2026-03-02T09:15:01Z")
    with pytest.raises(EmptyInput, match="no HTTP status lines"):
        load(b"[2026-03-02 09:15:00 - openai._base_client:482 - DEBUG] Request options: {}\n")


def test_truncated_gzip_keeps_what_was_written() -> None:
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    packed = gzip.compress(b"".join(lines))
    frame = load(packed[: len(packed) * 6 // 10])  # a download cut off mid-way
    assert 1000 < len(frame) < len(lines)
    assert frame.attrs["skipped"] <= 1  # at most the half-written last line
    expected = [json.loads(line)["request_id"] for line in lines[: len(frame)]]
    assert frame["request_id"].tolist() == expected


def test_json_array_with_nested_records() -> None:
    records = [{"request_created_at": "2026-03-02T08:00:00Z", "response_status": 429,
                "delay_ms": 88, "model": "gpt-4o", "request_id": "h-1",
                "properties": {"team": {"name": "search"}},
                "response_body": json.dumps({"error": {"type": "requests",
                                                       "code": "rate_limit_exceeded",
                                                       "message": "Rate limit reached"}})}]
    frame = load(json.dumps(records, indent=2).encode())
    assert frame.attrs["formats"] == ["json_array"]
    assert frame["error_code"].iloc[0] == "rate_limit_exceeded"
    assert frame["latency_ms"].iloc[0] == 88.0


def test_a_junk_first_line_does_not_hide_the_log() -> None:
    frame = load(b"# exported by ops at 09:00\n" + jsonl(row(status=200), row(status=503)))
    assert frame["status"].tolist() == [200, 503]
    assert frame.attrs["skipped_at"] == ["<bytes>:1"]


@pytest.mark.parametrize("format", ["auto", "litellm", "jsonl"])
def test_a_junk_first_line_does_not_hide_a_gateway_export(format: str) -> None:
    # detection looks past the junk line; the reader used to look only at the first line
    # and read the LiteLLM records as chatkit's own, leaving every status and latency null
    litellm = (DATA / "litellm_payloads.jsonl").read_bytes()
    clean = load(litellm)
    frame = load(b"# exported by litellm\n" + litellm, format=format)
    assert frame.attrs["formats"] == [format if format != "auto" else "litellm"]
    assert frame["status"].tolist() == clean["status"].tolist() == [200, 200, 429]
    assert frame["latency_ms"].tolist() == clean["latency_ms"].tolist()


def test_litellm_spend_logs_export() -> None:
    # LiteLLM_SpendLogs rows (the proxy's DB/UI export): ISO times, duration already in ms
    rows = [{"request_id": "sl-1", "call_type": "acompletion", "spend": 0.0002,
             "startTime": "2026-03-02T08:00:00.000Z", "endTime": "2026-03-02T08:00:01.000Z",
             "request_duration_ms": 980, "model": "gpt-4o", "status": "success",
             "api_base": "https://api.openai.com/v1", "prompt_tokens": 5,
             "completion_tokens": 7},
            {"request_id": "sl-2", "call_type": "aembedding", "startTime":
             "2026-03-02T08:00:02.000Z", "endTime": "2026-03-02T08:00:02.500Z",
             "model": "text-embedding-3-small", "status": "failure",
             "api_base": "https://api.openai.com/v1"}]
    frame = load(json.dumps(rows).encode())
    assert frame["latency_ms"].tolist() == [980.0, 500.0]
    assert frame["endpoint"].tolist() == ["/v1/chat/completions", "/v1/embeddings"]
    assert frame["status"].iloc[0] == 200 and pd.isna(frame["status"].iloc[1])
    assert frame["request_id"].tolist() == ["sl-1", "sl-2"]
