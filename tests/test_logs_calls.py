"""Retries belong to their call: incidents count calls, not attempts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pytest

from chatkit.logs import summarize
from chatkit.logs.columns import Columns
from chatkit.logs.schema import conform

START = datetime(2026, 3, 2, tzinfo=timezone.utc)


def _row(at: datetime, status: int | None, attempt: int | None = 0, **extra: Any
         ) -> dict[str, Any]:
    return {"ts": at.isoformat(), "status": status, "attempt": attempt, "latency_ms": 800.0,
            "host": "api.openai.com", "endpoint": "/v1/chat/completions", "model": "gpt-4.1",
            "error_code": None if status in (200, None) else "server_is_overloaded", **extra}


def _quiet(hours: int, failing: set[int]) -> list[dict[str, Any]]:
    """One call a minute; the calls in minutes ``failing`` fail, each retried twice."""
    rows = []
    for m in range(hours * 60):
        at = START + timedelta(minutes=m)
        if m not in failing:
            rows.append(_row(at, 200))
            continue
        for attempt, delay in enumerate((0.0, 0.6, 1.9)):  # backoff between the attempts
            rows.append(_row(at + timedelta(seconds=delay), 503, attempt))
    return rows


@pytest.mark.parametrize("hours", [24, 72, 7 * 24])
def test_a_retried_failure_in_a_quiet_log_raises_no_incident(hours: int) -> None:
    summary = summarize(conform(pd.DataFrame(_quiet(hours, {hours * 30}))))
    assert summary["requests"] == hours * 60 + 2
    assert summary["incidents"] == []
    assert not [f for f in summary["findings"] if f["check"] == "log.incident"]


def test_the_retries_are_one_call() -> None:
    cols = Columns(conform(pd.DataFrame(_quiet(24, {720}))))
    calls = cols.calls
    assert calls.n == 24 * 60
    assert int(calls.failed.sum()) == 1 and int(calls.attempts.max()) == 3


def test_a_call_rescued_by_a_retry_did_not_fail() -> None:
    rows = [_row(START, 503, 0), _row(START + timedelta(seconds=1), 200, 1),
            _row(START + timedelta(minutes=1), 200, 0)]
    calls = Columns(conform(pd.DataFrame(rows))).calls
    assert calls.n == 2 and calls.failed.tolist() == [False, False]


def test_an_outage_of_calls_is_still_an_incident() -> None:
    rows = _quiet(24, set(range(360, 400)))  # 40 calls in a row fail, each after 3 attempts
    summary = summarize(conform(pd.DataFrame(rows)))
    [incident] = summary["incidents"]
    assert incident["requests"] == 40 and incident["error_rate"] == 1.0
    assert incident["start"] == "2026-03-02T06:00:00.000Z"
    assert incident["top_status"] == "503"


def test_request_ids_and_idempotency_keys_tie_attempts_without_attempt_numbers() -> None:
    rows = [_row(START, 503, None, request_id="client-1"),
            _row(START + timedelta(seconds=1), 503, None, request_id="client-1"),
            _row(START + timedelta(seconds=2), 200, None, request_id="client-2"),
            _row(START + timedelta(seconds=3), 429, None, idempotency_key="k-9"),
            _row(START + timedelta(seconds=4), 200, None, idempotency_key="k-9")]
    frame = conform(pd.DataFrame(rows))
    calls = Columns(frame).calls
    assert calls.n == 3
    assert calls.failed.tolist() == [True, False, False]
    assert calls.attempts.tolist() == [2, 1, 2]


def test_idempotency_keys_tie_attempts_even_beside_attempt_numbers() -> None:
    rows = [_row(START, 429, 0, idempotency_key="k-1"),
            _row(START + timedelta(seconds=1), 429, 0, idempotency_key="k-1")]
    assert Columns(conform(pd.DataFrame(rows))).calls.n == 1


def test_server_request_ids_never_repeat_so_they_tie_nothing() -> None:
    rows = [_row(START + timedelta(minutes=m), 503, request_id=f"req_{m}") for m in range(3)]
    assert Columns(conform(pd.DataFrame(rows))).calls.n == 3


def test_a_har_ties_retries_by_the_sdks_headers(tmp_path: Any) -> None:
    """openai-node in a browser sends x-stainless-retry-count with each try; a client may send
    an Idempotency-Key shared by its retries."""
    import json

    from chatkit.logs import load

    def entry(second: int, status: int, headers: dict[str, str]) -> dict[str, Any]:
        return {"startedDateTime": f"2026-03-02T08:00:{second:02d}.000Z", "time": 80,
                "request": {"method": "POST", "url": "https://api.openai.com/v1/responses",
                            "headers": [{"name": k, "value": v} for k, v in headers.items()]},
                "response": {"status": status, "headers": [], "content": {}}, "timings": {}}

    har = {"log": {"version": "1.2", "creator": {"name": "WebInspector"}, "entries": [
        entry(0, 503, {"x-stainless-retry-count": "0"}),
        entry(1, 503, {"x-stainless-retry-count": "1"}),
        entry(3, 200, {"x-stainless-retry-count": "2"}),
        entry(9, 429, {"Idempotency-Key": "stainless-node-retry-7"}),
        entry(10, 429, {"Idempotency-Key": "stainless-node-retry-7"})]}}
    path = tmp_path / "retries.har"
    path.write_text(json.dumps(har))
    frame = load(path)
    assert frame["attempt"].tolist()[:3] == [0, 1, 2]
    calls = Columns(frame).calls
    assert calls.n == 2 and calls.failed.tolist() == [False, True]


def test_a_retry_joins_the_row_up_to_ten_minutes_before_it() -> None:
    rows = [_row(START, 503, 0), _row(START + timedelta(minutes=10), 503, 1),
            _row(START + timedelta(minutes=30), 503, 0),
            _row(START + timedelta(minutes=40, milliseconds=1), 200, 1)]
    calls = Columns(conform(pd.DataFrame(rows))).calls
    assert calls.of_row.tolist() == [0, 0, 1, 2]
    assert calls.failed.tolist() == [True, True, False]
