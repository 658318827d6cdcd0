"""Latency summaries the way ping and dnsping print them: min/avg/max/stddev and loss.

Shared by the checks that repeat a measurement (DNS queries, TCP connects). ``stddev`` is the
sample standard deviation (``statistics.stdev``, as dnsdiag uses), 0 with fewer than two
replies; loss counts the attempts that got no reply.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import TypedDict

__all__ = ["LatencySummary", "summarize_latency"]


class LatencySummary(TypedDict):
    sent: int
    received: int
    loss_pct: float
    min_ms: float | None
    avg_ms: float | None
    max_ms: float | None
    stddev_ms: float | None


def summarize_latency(samples_ms: Sequence[float | None]) -> LatencySummary:
    """Summarise attempts; ``None`` is an attempt that got no reply (a loss)."""
    replies = [s for s in samples_ms if s is not None]
    sent = len(samples_ms)
    if not replies:
        return {"sent": sent, "received": 0, "loss_pct": 100.0 if sent else 0.0,
                "min_ms": None, "avg_ms": None, "max_ms": None, "stddev_ms": None}
    return {
        "sent": sent,
        "received": len(replies),
        "loss_pct": round(100.0 * (sent - len(replies)) / sent, 1),
        "min_ms": round(min(replies), 3),
        "avg_ms": round(statistics.fmean(replies), 3),
        "max_ms": round(max(replies), 3),
        "stddev_ms": round(statistics.stdev(replies), 3) if len(replies) > 1 else 0.0,
    }
