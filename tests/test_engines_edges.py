"""Where counting in SQL could part from counting in memory: the engines still agree.

DuckDB computes the incident and finding facts in SQL (per time bucket, per window, calls tied
with window functions) and pandas with numpy; these logs sit on the seams: retry chains that
straddle a bucket edge or a ten-minute gap, an incident in the log's last bucket, a log without
times, ties (equal times, equal counts), request ids that tie retries where no attempt numbers
do, a slow period. Each is compared field by field, as JSON Lines and as the Parquet that
``chatkit convert`` writes.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from chatkit.logs.engines import summarize_logs
from chatkit.logs.parquet import convert

START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return (START + timedelta(seconds=seconds)).isoformat(timespec="milliseconds"
                                                          ).replace("+00:00", "Z")


def row(at: float | None, status: int | None = 200, *, model: str = "gpt-4o-mini",
        attempt: int | None = 0, latency: float = 800.0, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ts": _iso(at), "method": "POST", "host": "api.openai.com",
        "endpoint": "/v1/chat/completions", "provider": "openai", "model": model,
        "attempt": attempt, "status": status, "latency_ms": latency,
        "ttft_ms": latency / 3 if status == 200 else None}
    if status is not None and status >= 400:
        out.update(error_type="server_error" if status >= 500 else "rate_limit_exceeded",
                   error_message=f"HTTP {status} from the test")
    elif status is None:
        out["exception"] = "ReadTimeout"
    out.update(extra)
    return out


def steady(rng: random.Random, seconds: float, every: float = 3.0) -> list[dict[str, Any]]:
    """Calm traffic: two models, 1% failures, a retry now and then."""
    rows = []
    at = 0.0
    while at < seconds:
        model = "gpt-4o-mini" if rng.random() < 0.6 else "gpt-4.1"
        if rng.random() < 0.01:
            rows += [row(at, 500, model=model), row(at + 1.5, 200, model=model, attempt=1)]
        else:
            rows.append(row(at, 200, model=model, latency=rng.uniform(500, 1500)))
        at += rng.uniform(0.5, 2 * every - 0.5)
    return rows


def write(folder: Path, name: str, rows: list[dict[str, Any]]) -> list[Path]:
    """The rows, in time order where they have a time, as JSONL and as converted Parquet."""
    rows = sorted(rows, key=lambda r: r["ts"] or "")
    jsonl = folder / f"{name}.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    parquet = folder / f"{name}.parquet"
    convert([jsonl], parquet)
    return [jsonl, parquet]


def assert_engines_agree(paths: list[Path]) -> dict[str, Any]:
    pandas = summarize_logs(paths[0], engine="pandas")
    for path in paths:
        got = summarize_logs(path, engine="duckdb")
        assert list(got) == list(pandas)
        for key in pandas:
            assert got[key] == pandas[key], (path.name, key)
    return pandas


@pytest.fixture
def rng() -> random.Random:
    return random.Random(21)


def test_retry_chains_straddle_bucket_edges(tmp_path: Path, rng: random.Random) -> None:
    rows = steady(rng, 7200)
    for minute in range(40, 52):  # an outage: every call fails at the minute's end, retried
        for second in (5.0, 15.0, 25.0, 35.0, 45.0, 57.0, 58.5, 59.9):  # late ones: retried
            # in the next minute's bucket
            at = minute * 60 + second
            rows += [row(at, 503), row(at + 2.5, 503, attempt=1),
                     row(at + 6.0, 200 if second == 58.5 else 503, attempt=2)]
        at = minute * 60 + 30.0  # a retry at the very same time as its first attempt
        rows += [row(at, 503, model="gpt-4.1"), row(at, 503, model="gpt-4.1", attempt=1)]
    rows += [row(6000.0, 500), row(6000.0 + 700, 200, attempt=1)]  # > 10 min: its own call
    rows += [row(None, 500), row(None, 500, attempt=1)]  # no time: calls of their own
    summary = assert_engines_agree(write(tmp_path, "edges", rows))
    assert summary["incidents"] and summary["incidents"][0]["top_status"] == "503"
    checks = {f["check"] for f in summary["findings"]}
    assert {"log.incident", "log.failures", "log.retries"} <= checks


def test_incident_and_429_wave_at_the_end_of_the_log(tmp_path: Path,
                                                     rng: random.Random) -> None:
    rows = steady(rng, 3600)
    for i in range(60):  # the last two minutes: 429s, then the log stops
        rows.append(row(3600 + i * 2.0, 429 if i % 3 else 200))
    rows.append(row(3720.0, 429))
    summary = assert_engines_agree(write(tmp_path, "end", rows))
    assert summary["incidents"][-1]["end"] >= "2026-03-02T09:01:50"
    assert any(f["check"] == "log.rate_limit" for f in summary["findings"])


def test_a_log_without_times(tmp_path: Path, rng: random.Random) -> None:
    rows = [{**r, "ts": None} for r in steady(rng, 1800)]
    rows += [row(None, 401, error_type="invalid_request_error", error_code="invalid_api_key")
             for _ in range(5)]
    summary = assert_engines_agree(write(tmp_path, "timeless", rows))
    assert summary["start"] is None and summary["incidents"] == []
    assert any(f["check"] == "log.failures" for f in summary["findings"])
    unreadable = [{**r, "ts": "yesterday"} for r in rows[:50]]
    jsonl = tmp_path / "yesterday.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in unreadable))
    summary = assert_engines_agree([jsonl])
    assert summary["findings"][-1]["evidence"] == {"ts_unreadable": 50}


def test_ties_in_times_counts_and_statuses(tmp_path: Path) -> None:
    """Models with as many requests each (first seen first), an incident whose statuses
    are as many 500s as 503s (the lower code), requests at the very same millisecond."""
    rows = []
    for i in range(1200):
        at = float(i // 2)  # two requests per second, at the same time
        model = "zeta" if i % 2 == 0 else "alpha"
        status = 200
        if 600 <= i < 640:
            status = 500 if i % 4 < 2 else 503
        rows.append(row(at, status, model=model, latency=700.0 + (i % 7)))
    summary = assert_engines_agree(write(tmp_path, "ties", rows))
    assert list(summary["by_model"]) == ["zeta", "alpha"]
    assert summary["incidents"][0]["top_status"] == "500"


def test_request_ids_tie_retries_where_no_attempt_numbers_do(tmp_path: Path,
                                                             rng: random.Random) -> None:
    rows = []
    for i, r in enumerate(steady(rng, 3600)):
        rows.append({**r, "attempt": None, "request_id": f"req-{i}"})
    for i in range(120):  # an outage whose calls are retried under the same client id
        at = 1800 + i * 1.0
        rows += [row(at, 502, attempt=None, request_id=f"c-{i}"),
                 row(at + 1, 502 if i % 3 else 200, attempt=None, request_id=f"c-{i}")]
    rows += [row(100.0, 500, attempt=None, request_id=""),  # empty ids tie nothing
             row(101.0, 500, attempt=None, request_id="")]
    summary = assert_engines_agree(write(tmp_path, "ids", rows))
    incident = summary["incidents"][0]
    assert incident["error_rate"] < 1.0  # calls a retry rescued are no failure


def test_a_slow_period_is_a_latency_incident(tmp_path: Path, rng: random.Random) -> None:
    rows = steady(rng, 3600)
    rows = [{**r, "latency_ms": r["latency_ms"] * 6}
            if 1500 <= (datetime.fromisoformat(r["ts"]) - START).total_seconds() < 1800 else r
            for r in rows]
    summary = assert_engines_agree(write(tmp_path, "slow", rows))
    incidents = summary["incidents"]
    assert incidents and incidents[0]["error_rate"] < 0.2
    assert any(f["title"].startswith("Latency incident") for f in summary["findings"])


def test_duckdb_out_of_memory_is_one_error_line(tmp_path: Path, rng: random.Random,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from chatkit.cli import main

    path = write(tmp_path, "small", steady(rng, 7200))[1]
    monkeypatch.setenv("CHATKIT_DUCKDB_MEMORY", "2MB")
    assert main(["analyze", str(path), "--engine", "duckdb"]) == 2
    assert capsys.readouterr().err == (
        "Error: DuckDB needs more memory than its limit (2MB) for this log (exact percentiles "
        "hold every latency); raise it, e.g. CHATKIT_DUCKDB_MEMORY=4GB\n")
