"""generate_log: the log contract on every line, determinism, windows, the shipped sample."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from chatkit.sim import generate_log
from chatkit.sim.samplelog import FIELDS

CONTRACT = (
    "ts method url host endpoint provider model stream attempt status error_type error_code "
    "error_message exception latency_ms ttfb_ms ttft_ms dns_ms connect_ms tls_ms request_bytes "
    "response_bytes prompt_tokens completion_tokens request_id"
).split()
INTS = ("attempt", "status", "request_bytes", "response_bytes", "prompt_tokens",
        "completion_tokens")
FLOATS = ("latency_ms", "ttfb_ms", "ttft_ms", "dns_ms", "connect_ms", "tls_ms")
STRINGS = ("method", "url", "host", "endpoint", "provider", "model", "error_type", "error_code",
           "error_message", "exception", "request_id")


def _rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def _ts(row: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(row["ts"].replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    buffer = io.StringIO()
    assert generate_log(buffer, requests=3000, seed=0) == 3000
    return _rows(buffer.getvalue())


def test_fields_are_the_contract() -> None:
    assert list(FIELDS) == CONTRACT


def test_every_field_on_every_line_with_its_type(rows: list[dict[str, Any]]) -> None:
    assert len(rows) == 3000
    for row in rows:
        assert list(row) == CONTRACT
        assert row["ts"].endswith("Z") and len(row["ts"]) == 24
        assert isinstance(row["stream"], bool)
        for name in INTS:
            assert row[name] is None or type(row[name]) is int, (name, row)
        for name in FLOATS:
            assert row[name] is None or type(row[name]) is float, (name, row)
        for name in STRINGS:
            assert row[name] is None or isinstance(row[name], str), (name, row)
        assert row["error_message"] is None or len(row["error_message"]) <= 300
    assert [_ts(r) for r in rows] == sorted(_ts(r) for r in rows)


def test_rows_are_coherent(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        no_response = row["status"] is None
        assert no_response == (row["exception"] is not None)
        if row["ttft_ms"] is not None:
            assert row["stream"] and row["status"] == 200
            assert row["ttft_ms"] <= row["latency_ms"]
        if row["status"] == 200:
            assert row["request_id"].startswith("req_")
            stopped = (row["error_type"], row["error_code"], row["endpoint"]) == (
                "incomplete", "max_output_tokens", "/v1/responses")
            assert row["error_type"] is None or stopped
        if row["connect_ms"] is not None:
            assert row["dns_ms"] is not None
        assert row["latency_ms"] > 0 and (row["ttfb_ms"] is None or row["ttfb_ms"] > 0)
    streams = [r for r in rows if r["stream"] and r["status"] == 200]
    assert streams and all(r["ttft_ms"] is not None for r in streams)
    assert all(r["ttft_ms"] is None for r in rows if not r["stream"])
    with_phases = sum(r["dns_ms"] is not None for r in rows)
    assert 0 < with_phases < len(rows) / 4  # only the first request of a connection


def test_models_differ_in_latency(rows: list[dict[str, Any]]) -> None:
    def median_ttft(model: str) -> float:
        values = sorted(r["ttft_ms"] for r in rows if r["model"] == model and r["ttft_ms"])
        return values[len(values) // 2]

    assert median_ttft("gpt-4o-mini") < median_ttft("gpt-4.1") < median_ttft("o4-mini")
    assert {"gpt-4o-mini", "gpt-4.1", "o4-mini", "gpt-4o"} <= {r["model"] for r in rows}


def test_error_mix(rows: list[dict[str, Any]]) -> None:
    statuses = Counter(r["status"] for r in rows)
    assert statuses[200] > 2700
    for status in (429, 500, 502, 503, None):
        assert statuses[status] > 0, status
    codes = Counter(r["error_code"] for r in rows)
    assert codes["insufficient_quota"] >= 1 and codes["rate_limit_exceeded"] >= 5
    exceptions = Counter(r["exception"] for r in rows)
    assert set(exceptions) == {None, "ReadTimeout", "ConnectError"}


def test_retries_follow_failures(rows: list[dict[str, Any]]) -> None:
    retries = [r for r in rows if r["attempt"] > 0]
    assert retries and max(r["attempt"] for r in rows) <= 2
    for retry in retries:
        earlier = [r for r in rows if r["attempt"] == retry["attempt"] - 1
                   and r["model"] == retry["model"] and r["request_bytes"] == retry["request_bytes"]
                   and _ts(r) < _ts(retry)]
        assert earlier, retry
        assert any(r["status"] is None or r["status"] == 429 or r["status"] >= 500
                   for r in earlier)
    # never retried: insufficient_quota and 400s are final
    final = {(r["model"], r["request_bytes"]) for r in rows
             if r["error_code"] in ("insufficient_quota", "context_length_exceeded")}
    assert not any((r["model"], r["request_bytes"]) in final for r in retries)


def test_windows_are_where_configured() -> None:
    buffer = io.StringIO()
    span = 20_000.0
    generate_log(buffer, requests=10_000, seed=3, span_s=span, outage=(0.5, 0.55),
                 burst=(0.1, 0.2), burst_model="o4-mini", start="2026-01-05T00:00:00Z")
    rows = _rows(buffer.getvalue())
    origin = datetime.fromisoformat("2026-01-05T00:00:00+00:00")

    def at(fraction: float) -> datetime:
        return origin + timedelta(seconds=fraction * span)

    assert _ts(rows[0]) >= origin and _ts(rows[-1]) <= at(1.0) + timedelta(seconds=120)
    limited = [r for r in rows if r["error_code"] == "rate_limit_exceeded"]
    assert len(limited) > 50
    assert all(r["model"] == "o4-mini" for r in limited)
    # retries of a 429 may land a little after the window closes
    assert all(at(0.1) <= _ts(r) < at(0.2) + timedelta(seconds=90) for r in limited)
    outage = [r for r in rows if r["status"] in (502,) or r["exception"] is not None]
    assert len(outage) > 50
    assert all(at(0.5) <= _ts(r) < at(0.55) + timedelta(seconds=120) for r in outage)
    inside = [r for r in rows if at(0.5) <= _ts(r) < at(0.55)]
    failed = sum(r["status"] is None or r["status"] >= 500 for r in inside)
    assert failed / len(inside) > 0.4


def test_windows_can_be_left_out() -> None:
    buffer = io.StringIO()
    generate_log(buffer, requests=5000, seed=1, outage=None, burst=None)
    rows = _rows(buffer.getvalue())
    assert not any(r["error_code"] == "rate_limit_exceeded" for r in rows)
    assert not any(r["status"] == 502 or r["exception"] for r in rows)


def test_seeded_determinism(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    generate_log(a, requests=2000, seed=5)
    generate_log(str(b), requests=2000, seed=5)
    generate_log(c, requests=2000, seed=6)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_binary_file_and_empty() -> None:
    binary = io.BytesIO()
    assert generate_log(binary, requests=10) == 10
    assert len(binary.getvalue().splitlines()) == 10
    empty = io.StringIO()
    assert generate_log(empty, requests=0) == 0 and empty.getvalue() == ""
    with pytest.raises(ValueError):
        generate_log(io.StringIO(), requests=10, burst_model="gpt-2")


def test_shipped_sample_is_the_seed_0_log() -> None:
    shipped = files("chatkit").joinpath("data/sample_requests.jsonl").read_text("utf-8")
    rows = _rows(shipped)
    assert len(rows) == 3000 and all(list(r) == CONTRACT for r in rows)
    buffer = io.StringIO()
    generate_log(buffer, requests=3000, seed=0)
    # If this fails, regenerate: generate_log("chatkit/data/sample_requests.jsonl", seed=0)
    assert shipped == buffer.getvalue()



def test_model_calls_go_to_both_apis(rows: list[dict[str, Any]]) -> None:
    by_endpoint = Counter(r["endpoint"] for r in rows)
    assert set(by_endpoint) == {"/v1/chat/completions", "/v1/responses", "/v1/embeddings",
                                "/v1/models"}
    assert 0.05 < by_endpoint["/v1/responses"] / len(rows) < 0.2
    responses = [r for r in rows if r["endpoint"] == "/v1/responses"]
    assert all(r["model"] in ("gpt-4o-mini", "gpt-4.1", "o4-mini", "gpt-4o") for r in responses)
    assert any(r["ttft_ms"] for r in responses) and any(r["status"] == 429 for r in responses)
    stopped = [r for r in responses if r["error_type"] == "incomplete"]
    assert stopped and all(r["status"] == 200 and r["completion_tokens"] for r in stopped)
