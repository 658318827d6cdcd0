"""Rate-limit headers: what budget is left, and when it comes back.

OpenAI sends ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}`` on API answers; the
reset values are Go duration strings (``6m0s``, ``1s``, ``12ms``). Azure OpenAI may send
integer seconds, ``0`` or ``-1``; everything is parsed defensively and an unreadable value
becomes None rather than an error.

``Retry-After`` (or ``retry-after-ms``) is read by :func:`parse_retry_after` exactly as
openai-python reads it, for the knowledge table's wait and for chatkit's retry policy alike.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from chatkit.findings import Finding

__all__ = [
    "RETRY_AFTER_CAP",
    "go_duration",
    "parse_rate_limits",
    "parse_retry_after",
    "rate_limit_finding",
]

#: openai-python's MAX_RETRY_AFTER_DELAY: a longer wait asked by the server means no retry.
RETRY_AFTER_CAP = 120.0
# The spellings float() reads as infinity on purpose (anything else that overflows is a
# number too large, which openai-python treats as an excessive wait).
_INFINITY = frozenset({"inf", "+inf", "infinity", "+infinity"})

_GO_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)")
_GO_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def go_duration(text: str | None) -> float | None:
    """Seconds in a Go duration (``1h2m3.5s``, ``20ms``) or a plain number of seconds."""
    if text is None:
        return None
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return number if number >= 0 else None
    parts = _GO_PART.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        return None
    return sum(float(number) * _GO_UNITS[unit] for number, unit in parts)


def _int(text: str | None) -> int | None:
    try:
        return int(float(text)) if text is not None else None
    except ValueError:
        return None


def parse_rate_limits(headers: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """``{"requests": {...}, "tokens": {...}}`` with limit, remaining, reset (as sent) and
    reset_s (seconds); a budget the headers do not mention is left out."""
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    budgets: dict[str, dict[str, Any]] = {}
    for what in ("requests", "tokens"):
        limit = _int(lower.get(f"x-ratelimit-limit-{what}"))
        remaining = _int(lower.get(f"x-ratelimit-remaining-{what}"))
        reset = lower.get(f"x-ratelimit-reset-{what}")
        if limit is None and remaining is None and reset is None:
            continue
        budgets[what] = {"limit": limit, "remaining": remaining, "reset": reset,
                         "reset_s": go_duration(reset)}
    return budgets


def parse_retry_after(headers: Mapping[str, str], *,
                      now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds, or an HTTP date in
    any zone), read exactly as openai-python's ``_parse_retry_after_header`` reads them;
    None when absent or unreadable. A number too large for a float is an excessive wait
    (``RETRY_AFTER_CAP + 1``), not infinity; ``now`` is the wall clock dates are measured from."""
    lower = {k.lower(): v for k, v in headers.items()}
    for name, divisor in (("retry-after-ms", 1000), ("retry-after", 1)):
        value = lower.get(name)
        if value is None:
            continue
        try:
            delay = float(value)
        except ValueError:
            continue
        if delay == math.inf and value.strip().lower() not in _INFINITY:
            return RETRY_AFTER_CAP + 1
        return delay / divisor
    try:
        parsed = email.utils.parsedate_tz(lower.get("retry-after"))
        if parsed is None:
            return None
        return float(email.utils.mktime_tz(parsed) - now())
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _describe(what: str, budget: Mapping[str, Any]) -> str:
    reset = budget.get("reset_s")
    when = f", full again in {budget['reset']}" if reset is not None else ""
    return f"{budget.get('remaining')} of {budget.get('limit')} {what} left{when}"


def rate_limit_finding(headers: Mapping[str, str], *, check: str = "api.rate_limits",
                       low: float = 0.1) -> Finding:
    """A Finding on the budget in ``headers``: ok, warn when less than ``low`` of a limit is
    left, info when the API sends no rate-limit headers."""
    budgets = parse_rate_limits(headers)
    if not budgets:
        return Finding(check=check, status="info", title="no rate-limit headers in the answer",
                       cause="this endpoint or gateway does not report its limits",
                       evidence={"rate_limits": {}})
    short = [what for what, b in budgets.items()
             if b["limit"] and b["remaining"] is not None and b["remaining"] < low * b["limit"]]
    text = "; ".join(_describe(what, b) for what, b in budgets.items())
    if short:
        return Finding(
            check=check, status="warn", category="account",
            title=f"rate-limit budget low: {text}",
            cause=f"less than {low:.0%} of the {' and '.join(short)} budget is left; the next "
                  "requests may get 429 rate_limit_exceeded",
            remedy="slow down until the reset time shown (x-ratelimit-reset-*), spread requests "
                   "evenly, lower max_tokens (tokens are reserved up front), or move to a "
                   "higher usage tier for larger limits",
            evidence={"rate_limits": budgets}, retryable=True,
        )
    return Finding(check=check, status="ok", title=f"rate limits: {text}",
                   evidence={"rate_limits": budgets})
