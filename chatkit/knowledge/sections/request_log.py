"""Patterns only a request log shows: slow first tokens, latency spikes."""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

ROWS: tuple[Cause, ...] = (
    Cause("slow_first_token", "service",
          "the time to first token of {model} is far above the other models' ({detail})",
          "expect it from reasoning models (o-series) or large prompts: stream the answer, lower "
          "reasoning effort or prompt size, or use a faster model where latency matters",
          None, "slow first token"),
    Cause("latency_spike", "service",
          "requests took {factor}x their usual time for a period while still succeeding",
          "compare the window with the provider's status page; if it was local, look for "
          "network congestion or a saturated proxy; set client timeouts above the slow period",
          True, "latency spike"),
)
