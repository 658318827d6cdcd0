"""When to retry and how long to wait: the openai client's policy, minus what cannot succeed.

:class:`RetryPolicy` follows openai-python's ``_base_client.py`` (statuses 408, 409, 429,
>= 500 and connection failures; ``x-should-retry``; ``retry-after-ms`` / ``retry-after``;
exponential backoff from 0.5 s to 8 s less up to 25 % jitter; 2 retries) except that it never
retries what :func:`chatkit.knowledge.classifier.classify` says cannot succeed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from chatkit.errors import UsageError
from chatkit.knowledge.classifier import classify
from chatkit.knowledge.recognize import parse_retry_after

__all__ = ["NO_RETRY", "RetryPolicy"]

_RETRY_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry and how long to wait, as the openai client does (``_base_client.py``),
    minus the retries that cannot succeed."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 120.0  # a longer Retry-After means: do not retry at all
    jitter: float = 0.25  # the wait is reduced by up to this share
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise UsageError("max_retries must be 0 or more")

    def backoff(self, retries_taken: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds to wait before retry number ``retries_taken + 1``."""
        after = parse_retry_after(headers) if headers else None
        if after is not None and math.isfinite(after) and 0 < after <= self.max_retry_after:
            return after
        delay = min(self.initial_delay * 2.0 ** min(retries_taken, 1000), self.max_delay)
        return max(delay * (1 - self.jitter * self.random()), 0.0)

    def should_retry(self, *, status: int | None = None, headers: Mapping[str, str] | None
                     = None, body: str | bytes | None = None,
                     exception: BaseException | None = None) -> bool:
        """Whether a failed attempt is worth repeating (ignoring how many were made)."""
        if exception is not None:
            return classify(exception).retryable is not False
        if status is None:
            return False
        lower = {k.lower(): v for k, v in (headers or {}).items()}
        after = parse_retry_after(lower)
        if after is not None and math.isfinite(after) and after > self.max_retry_after:
            return False
        if status >= 400 and classify(status=status, headers=lower, body=body or "").retryable \
                is False and (status in _RETRY_STATUSES or status >= 500):
            return False  # e.g. insufficient_quota: the openai client would retry it in vain
        if lower.get("x-should-retry") == "true":
            return True
        if lower.get("x-should-retry") == "false":
            return False
        return status in _RETRY_STATUSES or status >= 500

    def might_retry(self, status: int, should_retry: str | None = None) -> bool:
        """Cheap pre-check on the status line (and ``x-should-retry``): is the body worth
        reading to decide?"""
        return status in _RETRY_STATUSES or status >= 500 or should_retry is not None


NO_RETRY = RetryPolicy(max_retries=0)
