"""When to retry and how long to wait: the openai client's policy, minus what cannot succeed.

:class:`RetryPolicy` makes the decisions openai-python makes in ``_base_client.py``
(``_should_retry``, ``_calculate_retry_timeout``, ``_parse_retry_after_header``): only an
error status is ever retried (408, 409, 429, >= 500, or whatever ``x-should-retry`` says);
``retry-after-ms`` / ``retry-after`` (seconds, floats, HTTP dates in any zone) are honoured up
to 120 s, and a longer wait means no retry; otherwise exponential backoff from 0.5 s to 8 s
less up to 25 % jitter; connection failures and timeouts are retried; 2 retries.

Where chatkit departs, on purpose (tests/test_client_policy.py has a row for each):

* a 2xx or 3xx is never retried, ``x-should-retry: true`` or not (the SDK would send a 3xx it
  did not follow through ``_should_retry``; chatkit sits below redirect-following and never
  repeats an answer the server gave);
* what :func:`chatkit.knowledge.classifier.classify` says cannot succeed is not retried: an
  ``insufficient_quota`` 429, a request larger than the tokens-per-minute limit, an untrusted
  certificate, a proxy asking for credentials;
* ``max_retry_after`` can be set (the SDK's cap is fixed at 120 s).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from chatkit.errors import UsageError
from chatkit.knowledge.classifier import classify
from chatkit.knowledge.recognize import RETRY_AFTER_CAP, parse_retry_after

__all__ = ["NO_RETRY", "RetryPolicy"]

_RETRY_STATUSES = frozenset({408, 409, 429})


def _default_retry(status: int) -> bool:
    """The statuses openai-python retries when the server says nothing."""
    return status in _RETRY_STATUSES or status >= 500


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry and how long to wait, as the openai client does (``_base_client.py``),
    minus the retries that cannot succeed. ``random`` and ``now`` (the wall clock HTTP dates
    are measured from) can be replaced in tests."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = RETRY_AFTER_CAP  # a longer Retry-After means: do not retry
    jitter: float = 0.25  # the wait is reduced by up to this share
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)
    now: Callable[[], float] = field(default=time.time, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise UsageError("max_retries must be 0 or more")

    def retry_after(self, headers: Mapping[str, str] | None) -> float | None:
        """The wait the server asked for, in seconds, as openai-python reads it."""
        return parse_retry_after(headers, now=self.now) if headers else None

    def backoff(self, retries_taken: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds to wait before retry number ``retries_taken + 1``."""
        after = self.retry_after(headers)
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
        if status is None or status < 400:
            return False  # an answer, not an error: never sent twice
        lower = {k.lower(): v for k, v in (headers or {}).items()}
        after = self.retry_after(lower)
        if after is not None and math.isfinite(after) and after > self.max_retry_after:
            return False
        should = lower.get("x-should-retry")
        if should == "false":
            return False
        if _default_retry(status) and classify(status=status, headers=lower,
                                               body=body or "").retryable is False:
            return False  # e.g. insufficient_quota: the openai client would retry it in vain
        return should == "true" or _default_retry(status)

    def might_retry(self, status: int, should_retry: str | None = None) -> bool:
        """Cheap pre-check on the status line and ``x-should-retry``: could this answer be
        retried (so that its body is worth reading to decide)? Never for a 2xx or 3xx."""
        if status < 400 or should_retry == "false":
            return False
        return should_retry == "true" or _default_retry(status)


NO_RETRY = RetryPolicy(max_retries=0)
