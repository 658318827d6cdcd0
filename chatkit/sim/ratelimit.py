"""A real token bucket per API key, with the ``x-ratelimit-*`` headers the API sends.

OpenAI limits requests per minute (RPM) and tokens per minute (TPM) separately; each is a
bucket that refills continuously at limit/60 per second. A request takes one request and its
estimated tokens. The ``x-ratelimit-reset-*`` headers say how long until the bucket is full
again, written as Go duration strings (``6m0s``, ``1s``, ``12ms``) because that is what the
API sends (research §4.2).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Decision", "RateLimiter", "go_duration"]


def go_duration(seconds: float) -> str:
    """Format a duration as Go's ``time.Duration.String()`` does, to the millisecond.

    >>> go_duration(360), go_duration(1), go_duration(0.012), go_duration(61.5)
    ('6m0s', '1s', '12ms', '1m1.5s')
    """
    ms = max(0, round(seconds * 1000))
    if ms == 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs = f"{rest / 1000:.3f}".rstrip("0").rstrip(".")
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


@dataclass(slots=True)
class _Bucket:
    capacity: float
    level: float
    updated: float

    @property
    def rate(self) -> float:
        return self.capacity / 60.0

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def seconds_until(self, amount: float) -> float:
        """How long until the bucket holds ``amount``."""
        return max(0.0, (amount - self.level) / self.rate)


@dataclass(frozen=True, slots=True)
class Decision:
    """The limiter's answer for one request: allowed or not, and the headers to send."""

    allowed: bool
    headers: dict[str, str]
    #: "requests" or "tokens" when refused, the ``error.type`` the API uses for the 429.
    exceeded: str | None = None
    retry_after_s: float = 0.0
    limit: int = 0
    used: int = 0
    requested: int = 0
    #: A single request larger than the whole TPM limit: retrying can never succeed.
    too_large: bool = False


@dataclass
class RateLimiter:
    """Requests- and tokens-per-minute buckets, one pair per API key. Thread-safe."""

    rpm: int
    tpm: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[_Bucket, _Bucket]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _pair(self, key: str, now: float) -> tuple[_Bucket, _Bucket]:
        pair = self._buckets.get(key)
        if pair is None:
            pair = (_Bucket(self.rpm, self.rpm, now), _Bucket(self.tpm, self.tpm, now))
            self._buckets[key] = pair
        return pair

    def take(self, key: str, tokens: int) -> Decision:
        """Take one request and ``tokens`` tokens from ``key``'s buckets, if both have room."""
        with self._lock:
            now = self.clock()
            requests, toks = self._pair(key, now)
            requests.refill(now)
            toks.refill(now)
            if requests.level < 1:
                wait = requests.seconds_until(1)
                return Decision(
                    False, self._headers(requests, toks), "requests", wait,
                    limit=self.rpm, used=self.rpm - math.floor(requests.level), requested=1,
                )
            if tokens > toks.capacity:
                return Decision(
                    False, self._headers(requests, toks), "tokens", 0.0,
                    limit=self.tpm, used=0, requested=tokens, too_large=True,
                )
            if toks.level < tokens:
                wait = toks.seconds_until(tokens)
                return Decision(
                    False, self._headers(requests, toks), "tokens", wait,
                    limit=self.tpm, used=self.tpm - math.floor(toks.level), requested=tokens,
                )
            requests.level -= 1
            toks.level -= tokens
            return Decision(True, self._headers(requests, toks))

    def peek(self, key: str) -> dict[str, str]:
        """The current headers for ``key`` without taking anything (for faults that 429)."""
        with self._lock:
            now = self.clock()
            requests, toks = self._pair(key, now)
            requests.refill(now)
            toks.refill(now)
            return self._headers(requests, toks)

    def _headers(self, requests: _Bucket, toks: _Bucket) -> dict[str, str]:
        return {
            "x-ratelimit-limit-requests": str(self.rpm),
            "x-ratelimit-limit-tokens": str(self.tpm),
            "x-ratelimit-remaining-requests": str(max(0, math.floor(requests.level))),
            "x-ratelimit-remaining-tokens": str(max(0, math.floor(toks.level))),
            "x-ratelimit-reset-requests": go_duration(requests.seconds_until(requests.capacity)),
            "x-ratelimit-reset-tokens": go_duration(toks.seconds_until(toks.capacity)),
        }
