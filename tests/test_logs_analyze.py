"""summarize(): the summary contract's numbers against values computed here from the raw
lines, incident detection on logs with and without a known outage, and the findings."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from chatkit.logs import breakdown, load, summarize, timeline
from chatkit.logs.schema import empty_frame
from chatkit.sim import generate_log

SAMPLE = Path(__file__).parents[1] / "chatkit" / "data" / "sample_requests.jsonl"
KEYS = {"requests", "skipped", "start", "end", "latency_ms", "ttft_ms", "status_counts",
        "error_rate", "by_model", "incidents", "findings"}


def generated(requests: int, seed: int, **kw: object) -> bytes:
    out = io.StringIO()
    generate_log(out, requests=requests, seed=seed, **kw)
    return out.getvalue().encode()


def ms(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    return [json.loads(line) for line in SAMPLE.read_text().splitlines()]


@pytest.fixture(scope="module")
def summary() -> dict:
    return summarize(load(SAMPLE))


def test_summary_has_exactly_the_contract_keys(summary: dict) -> None:
    assert set(summary) == KEYS
    assert set(summary["latency_ms"]) == {"p50", "p90", "p95", "p99", "max", "mean"}
    for incident in summary["incidents"]:
        assert set(incident) == {"start", "end", "requests", "error_rate", "top_status"}
    for stats in summary["by_model"].values():
        assert set(stats) == {"requests", "error_rate", "p50_ms", "p95_ms"}
    json.dumps(summary)  # JSON-ready


def test_summary_numbers_match_an_independent_computation(raw: list[dict],
                                                          summary: dict) -> None:
    latency = np.array([r["latency_ms"] for r in raw if r["latency_ms"] is not None])
    ttft = np.array([r["ttft_ms"] for r in raw if r["ttft_ms"] is not None])
    assert summary["requests"] == len(raw)
    for key, q in (("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99)):
        assert summary["latency_ms"][key] == pytest.approx(np.percentile(latency, q), abs=0.06)
        assert summary["ttft_ms"][key] == pytest.approx(np.percentile(ttft, q), abs=0.06)
    assert summary["latency_ms"]["max"] == pytest.approx(latency.max(), abs=0.06)
    assert summary["latency_ms"]["mean"] == pytest.approx(latency.mean(), abs=0.06)
    counts = Counter("no_response" if r["status"] is None else str(r["status"]) for r in raw)
    assert summary["status_counts"] == dict(counts)
    failed = [r["status"] is None or r["status"] >= 400 for r in raw]
    assert summary["error_rate"] == pytest.approx(sum(failed) / len(raw), abs=1e-4)
    assert summary["start"] == min(r["ts"] for r in raw)
    assert summary["end"] == max(r["ts"] for r in raw)
    by_model: dict[str, list[dict]] = {}
    for r in raw:
        if r["model"] is not None:  # requests without a model (GET /models) have no row
            by_model.setdefault(r["model"], []).append(r)
    assert list(summary["by_model"]) == sorted(by_model, key=lambda m: -len(by_model[m]))
    for model, rows in by_model.items():
        stats = summary["by_model"][model]
        values = [r["latency_ms"] for r in rows if r["latency_ms"] is not None]
        assert stats["requests"] == len(rows)
        assert stats["p95_ms"] == pytest.approx(np.percentile(values, 95), abs=0.06)
        errors = sum(r["status"] is None or r["status"] >= 400 for r in rows)
        assert stats["error_rate"] == pytest.approx(errors / len(rows), abs=1e-4)


def test_incidents_cover_the_known_outage_and_burst() -> None:
    # 3000 rows over 6000 s: burst at 30-33% (1800-1980 s), outage at 70-72% (4200-4320 s);
    # windows are found at the resolution of the time buckets (60 s here): within two of them
    frame = load(generated(3000, seed=7))
    incidents = summarize(frame)["incidents"]
    assert len(incidents) == 2
    origin = ms("2026-03-02T08:00:00Z")
    burst, outage = incidents
    assert 1800 - 120 <= (ms(burst["start"]) - origin) / 1000 <= 1800 + 120
    assert (ms(burst["end"]) - origin) / 1000 <= 1980 + 120
    assert burst["top_status"] == "429"
    assert 4200 - 120 <= (ms(outage["start"]) - origin) / 1000 <= 4200 + 120
    assert (ms(outage["end"]) - origin) / 1000 <= 4320 + 120
    assert outage["top_status"] in {"500", "502", "503", "no_response"}
    assert outage["error_rate"] > 0.3


@pytest.mark.parametrize("seed", range(6))
def test_quiet_logs_have_no_incidents_waves_or_storms(seed: int) -> None:
    summary = summarize(load(generated(3000, seed=seed, outage=None, burst=None)))
    assert summary["incidents"] == []
    checks = {f["check"] for f in summary["findings"]}
    assert not checks & {"log.incident", "log.rate_limit", "log.retries"}
    assert 0 < summary["error_rate"] < 0.03  # the background noise is there, just not hot


def test_a_429_burst_is_one_finding() -> None:
    """The wave, the retries it caused and the failure count it makes are one story."""
    summary = summarize(load(generated(3000, seed=3, outage=None)))
    about = [f for f in summary["findings"]
             if f["evidence"].get("label") == "429 rate_limit_exceeded"]
    (wave,) = about
    assert wave["check"] == "log.rate_limit" and wave is summary["findings"][0]
    assert wave["evidence"]["kind"] == "rate_limit" and "on gpt-4.1" in wave["title"]
    assert wave["title"].startswith("429 wave 08:3")
    assert wave["evidence"]["retries"]["max_attempt"] >= 1
    assert wave["evidence"]["failures"]["failures"] >= 1


def test_all_failures_one_kind_says_so() -> None:
    rows = [{"ts": f"2026-03-02T08:00:{i:02d}Z", "model": "gpt-4o", "status": 200,
             "latency_ms": 100.0} for i in range(50)]
    for i in (5, 20, 41):
        rows[i].update(status=429, error_type="insufficient_quota",
                       error_code="insufficient_quota",
                       error_message="You exceeded your current quota")
    summary = summarize(load("\n".join(map(json.dumps, rows)).encode()))
    (top,) = [f for f in summary["findings"] if f["check"] == "log.failures"]
    assert top["title"] == "All 3 failures are 429 insufficient_quota"
    assert top["category"] == "account" and top["retryable"] is False
    assert top["evidence"]["kind"] == "insufficient_quota"
    assert "billing" in top["cause"] or "billing" in top["remedy"]


def test_ttft_outlier_model() -> None:
    summary = summarize(load(SAMPLE))
    (slow,) = [f for f in summary["findings"] if f["check"] == "log.ttft"]
    assert slow["title"].startswith("TTFT p95 is ") and slow["title"].endswith("on o4-mini only")
    assert slow["evidence"]["ttft_p95_ms"] > 2 * slow["evidence"]["others_max_p95_ms"]


def test_healthy_log_gets_one_ok_finding() -> None:
    rows = [{"ts": f"2026-03-02T08:00:{i:02d}Z", "model": "gpt-4o", "status": 200,
             "latency_ms": 100.0 + i} for i in range(30)]
    summary = summarize(load("\n".join(map(json.dumps, rows)).encode()))
    assert [(f["check"], f["status"]) for f in summary["findings"]] == [("log.summary", "ok")]
    assert summary["ttft_ms"] is None and summary["error_rate"] == 0.0


def test_empty_frame_summary() -> None:
    summary = summarize(empty_frame())
    assert summary["requests"] == 0 and summary["latency_ms"] is None
    assert summary["start"] is None and summary["incidents"] == [] and summary["findings"] == []


def test_breakdowns_and_timeline(raw: list[dict]) -> None:
    frame = load(SAMPLE)
    by_class = breakdown(frame, "status_class")
    assert by_class.loc["2xx", "requests"] == sum(
        r["status"] is not None and r["status"] < 300 for r in raw)
    assert by_class.loc["no_response", "error_rate"] == 1.0
    by_endpoint = breakdown(frame, "endpoint")
    assert by_endpoint["requests"].sum() == len(raw)
    assert by_endpoint.index[0] == "/v1/chat/completions"
    line = timeline(frame)
    assert line["requests"].sum() == len(raw)
    assert line["errors"].sum() == sum(r["status"] is None or r["status"] >= 400 for r in raw)
    assert 20 <= len(line) <= 150
    assert timeline(frame, "10min")["requests"].sum() == len(raw)
    with pytest.raises(Exception, match="cannot break down"):
        breakdown(frame, "colour")


def test_skipped_lines_reach_the_summary() -> None:
    data = SAMPLE.read_bytes()[:5000].rsplit(b"\n", 1)[0] + b"\n{broken\n"
    summary = summarize(load(data))
    assert summary["skipped"] == 1
    assert summary["requests"] == data.count(b"\n") - 1


def test_times_are_utc_iso(summary: dict) -> None:
    start = datetime.fromisoformat(summary["start"].replace("Z", "+00:00"))
    assert start.tzinfo == timezone.utc and summary["start"].endswith("Z")


def test_a_hand_built_frame_is_converted_first() -> None:
    import pandas as pd

    frame = pd.DataFrame({"ts": ["2026-03-02T08:00:00Z", "2026-03-02T08:00:01Z"],
                          "status": [200.0, None], "latency_ms": ["10", "20"],
                          "model": ["a", "b"]})
    summary = summarize(frame)
    assert summary["status_counts"] == {"200": 1, "no_response": 1}
    assert summary["latency_ms"]["max"] == 20.0 and summary["start"] == "2026-03-02T08:00:00.000Z"


def test_a_log_without_timestamps_still_summarises() -> None:
    csv = (b"status,model,latency_ms,attempt\n" + b"429,gpt-4o,10,1\n" * 20
           + b"200,gpt-4o,12,0\n" * 20)
    summary = summarize(load(csv))
    assert summary["start"] is None and summary["incidents"] == []
    assert [f["title"] for f in summary["findings"]] == [
        "All 20 failures are 429",
        "<bytes>: no timestamp column among status, model, latency_ms, attempt, so no incidents "
        "or timeline; name it with --map 'Their name=ts'"]
    assert summary["status_counts"] == {"200": 20, "429": 20}
