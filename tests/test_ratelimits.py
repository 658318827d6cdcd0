"""Rate-limit headers: Go durations, budgets, and when to warn."""

from __future__ import annotations

import pytest

from chatkit.knowledge.ratelimits import go_duration, parse_rate_limits, rate_limit_finding


@pytest.mark.parametrize(("text", "seconds"), [
    ("6m0s", 360.0), ("1s", 1.0), ("12ms", 0.012), ("1h2m3.5s", 3723.5), ("250us", 0.00025),
    ("20", 20.0), ("0", 0.0), ("-1", None), ("soon", None), ("5x", None), (None, None),
])
def test_go_duration(text: str | None, seconds: float | None) -> None:
    assert go_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


HEADERS = {
    "x-ratelimit-limit-requests": "5000", "x-ratelimit-remaining-requests": "4999",
    "x-ratelimit-reset-requests": "12ms", "x-ratelimit-limit-tokens": "160000",
    "x-ratelimit-remaining-tokens": "159976", "x-ratelimit-reset-tokens": "9ms",
}


def test_parse() -> None:
    parsed = parse_rate_limits(HEADERS)
    assert parsed["requests"] == {"limit": 5000, "remaining": 4999, "reset": "12ms",
                                  "reset_s": pytest.approx(0.012)}
    assert parsed["tokens"]["remaining"] == 159976


def test_healthy_budget_is_ok() -> None:
    finding = rate_limit_finding(HEADERS)
    assert finding.status == "ok"
    assert "4999 of 5000 requests left" in finding.title


def test_low_budget_warns_and_says_when_it_resets() -> None:
    finding = rate_limit_finding({**HEADERS, "x-ratelimit-remaining-tokens": "1200",
                                  "x-ratelimit-reset-tokens": "6m0s"})
    assert finding.status == "warn" and "tokens" in (finding.cause or "")
    assert "full again in 6m0s" in finding.title
    assert finding.retryable is True


def test_no_headers() -> None:
    assert rate_limit_finding({"content-type": "application/json"}).status == "info"
