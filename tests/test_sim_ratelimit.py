"""The simulator's token bucket and its x-ratelimit-* headers."""

from __future__ import annotations

import re

import httpx
import pytest

from chatkit.sim import DEFAULT_KEY, SimServer
from chatkit.sim.ratelimit import RateLimiter, go_duration

AUTH = {"Authorization": f"Bearer {DEFAULT_KEY}"}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}

_GO = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$")


def parse_go(text: str) -> float:
    """Seconds in a Go duration string, parsed independently of the code under test."""
    match = _GO.match(text)
    assert match and text, text
    hours, minutes, seconds, millis = match.groups()
    return (int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)
            + int(millis or 0) / 1000)


@pytest.mark.parametrize(("seconds", "text"), [
    (360, "6m0s"), (1, "1s"), (0.012, "12ms"), (0, "0s"), (61.5, "1m1.5s"),
    (3600, "1h0m0s"), (8.64, "8.64s"), (0.0004, "0s"),
])
def test_go_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text
    assert parse_go(text) == pytest.approx(round(seconds, 3))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_refills_continuously() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rpm=60, tpm=6000, clock=clock)
    first = limiter.take("k", 100)
    assert first.allowed
    assert first.headers["x-ratelimit-remaining-requests"] == "59"
    assert first.headers["x-ratelimit-remaining-tokens"] == "5900"
    assert first.headers["x-ratelimit-reset-requests"] == "1s"  # one request back per second
    assert first.headers["x-ratelimit-reset-tokens"] == "1s"    # 100 tokens at 100/s
    clock.now += 0.5
    assert limiter.peek("k")["x-ratelimit-reset-tokens"] == "500ms"
    clock.now += 10
    assert limiter.peek("k")["x-ratelimit-remaining-requests"] == "60"
    assert limiter.peek("other")["x-ratelimit-remaining-requests"] == "60"  # per key


def test_token_limit_and_too_large() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rpm=100, tpm=1000, clock=clock)
    assert limiter.take("k", 900).allowed
    refused = limiter.take("k", 200)
    assert not refused.allowed and refused.exceeded == "tokens"
    assert refused.retry_after_s == pytest.approx(100 / (1000 / 60))
    huge = limiter.take("k", 5000)
    assert not huge.allowed and huge.too_large


def test_remaining_decreases_then_real_429() -> None:
    with SimServer(rpm=3) as sim, httpx.Client(base_url=sim.base_url, headers=AUTH) as client:
        remaining = []
        for _ in range(3):
            response = client.post("/chat/completions", json=CHAT)
            assert response.status_code == 200
            remaining.append(int(response.headers["x-ratelimit-remaining-requests"]))
            assert parse_go(response.headers["x-ratelimit-reset-requests"]) > 0
            assert parse_go(response.headers["x-ratelimit-reset-tokens"]) >= 0
        assert remaining == [2, 1, 0]
        limited = client.post("/chat/completions", json=CHAT)
    assert limited.status_code == 429
    error = limited.json()["error"]
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")
    assert error["message"].startswith(
        "Rate limit reached for gpt-4o-mini in organization org-chatkitsim on requests per min "
        "(RPM): Limit 3, Used 3, Requested 1. Please try again in ")
    # 3 RPM refills one request every 20 s
    retry_ms = int(limited.headers["retry-after-ms"])
    assert 19_000 < retry_ms <= 20_000
    assert limited.headers["retry-after"] == "20"
    assert limited.headers["x-ratelimit-remaining-requests"] == "0"
    assert 19 < parse_go(limited.headers["x-ratelimit-reset-requests"]) <= 60


def test_tokens_429_and_request_too_large() -> None:
    with SimServer(tpm=30) as sim, httpx.Client(base_url=sim.base_url, headers=AUTH) as client:
        first = client.post("/chat/completions", json=CHAT)
        assert first.status_code == 200
        second = client.post("/chat/completions", json=CHAT)
        assert second.status_code == 429
        assert second.json()["error"]["type"] == "tokens"
        assert "on tokens per min (TPM)" in second.json()["error"]["message"]
        big = {**CHAT, "messages": [{"role": "user", "content": "x" * 2000}]}
        too_large = client.post("/chat/completions", json=big)
    assert too_large.status_code == 429
    assert too_large.json()["error"]["message"].startswith("Request too large for gpt-4o-mini")


def test_keys_have_separate_buckets() -> None:
    with SimServer(rpm=1, keys=("sk-sim-a-0000000", "sk-sim-b-0000000")) as sim:
        for key in ("sk-sim-a-0000000", "sk-sim-b-0000000"):
            response = httpx.post(sim.base_url + "/chat/completions", json=CHAT,
                                  headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 200
