"""Server-sent event streams of chat completions: read incrementally, timed as they arrive.

:class:`StreamMeter` is fed the raw bytes of a streamed answer as they come off the wire
(by the API stream check, and by the recording transport while the caller consumes the
stream) and keeps the times that make the usual LLM benchmark metrics, with vLLM's
definitions (``vllm bench serve``): time to first token (first chunk with ``choices``),
inter-token latencies (gaps between later token chunks), end-to-end time (the last token
chunk; the trailing usage chunk excluded), time per output token, and tokens per second.
It also notes whether the stream ended cleanly (``data: [DONE]``) or carried an error event.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["StreamMeter", "percentile"]


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation, as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class StreamMeter:
    """Accumulates one stream; ``feed(data, now)`` with each piece of the body as it arrives.

    Times are in seconds on the caller's clock; ``started`` is when the request was sent.
    """

    started: float
    first_chunk_at: float | None = None  # first event with "choices" (vLLM's TTFT)
    first_content_at: float | None = None  # first non-empty delta (llmperf's TTFT)
    token_times: list[float] = field(default_factory=list)
    done: bool = False
    finish_reason: str | None = None
    error: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    model: str | None = None
    events: int = 0
    _pending: bytes = b""

    def feed(self, data: bytes, now: float) -> None:
        """Take the next bytes of the body (any split, even mid-line)."""
        if b"\n" not in data:
            self._pending += data
            return
        lines = (self._pending + data).split(b"\n")
        self._pending = lines.pop()
        for line in lines:
            if line.startswith(b"data:"):
                self._event(line[5:].strip(), now)

    def close(self, now: float) -> None:
        """The body ended; a last line without its newline still counts."""
        if self._pending.startswith(b"data:"):
            self._event(self._pending[5:].strip(), now)
        self._pending = b""

    def _event(self, payload: bytes, now: float) -> None:
        if payload.startswith(b"[DONE]"):
            self.done = True
            return
        try:
            event = json.loads(payload)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's limit
            return
        if not isinstance(event, dict):
            return
        self.events += 1
        if event.get("error"):
            error = event["error"]
            self.error = error if isinstance(error, dict) else {"message": str(error)}
            return
        if isinstance(event.get("model"), str):
            self.model = self.model or event["model"]
        if isinstance(event.get("usage"), dict):
            self.usage = event["usage"]
        choices = event.get("choices")
        if not choices or not isinstance(choices, list):  # a gateway's own shape: not a chunk
            return
        if self.first_chunk_at is None:
            self.first_chunk_at = now
        choice = choices[0] if isinstance(choices[0], dict) else {}
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            delta = {}
        if delta.get("content") or delta.get("tool_calls") or delta.get("refusal"):
            if self.first_content_at is None:
                self.first_content_at = now
            self.token_times.append(now)
        if choice.get("finish_reason"):
            self.finish_reason = choice["finish_reason"]

    # --- the metrics --------------------------------------------------------------------

    @property
    def ttft_ms(self) -> float | None:
        at = self.first_content_at or self.first_chunk_at
        return None if at is None else (at - self.started) * 1000

    @property
    def output_tokens(self) -> int:
        """``usage.completion_tokens`` when the server sent it, else the token chunks seen."""
        if self.usage and isinstance(self.usage.get("completion_tokens"), int):
            return int(self.usage["completion_tokens"])
        return len(self.token_times)

    @property
    def itl_ms(self) -> list[float]:
        times = self.token_times
        return [(b - a) * 1000 for a, b in itertools.pairwise(times)]

    @property
    def clean(self) -> bool:
        """Ended with ``[DONE]`` and no error event."""
        return self.done and self.error is None

    def summary(self) -> dict[str, Any]:
        """The metrics as plain values (ms, tokens, tokens per second), None where unknown."""
        itl = self.itl_ms
        end = self.token_times[-1] if self.token_times else self.first_chunk_at
        e2e_ms = None if end is None else (end - self.started) * 1000
        tokens = self.output_tokens
        ttft = self.ttft_ms
        tpot = ((e2e_ms - ttft) / (tokens - 1) if e2e_ms is not None and ttft is not None
                and tokens > 1 else None)
        return {
            "ttft_ms": _round(ttft),
            "first_chunk_ms": _round(None if self.first_chunk_at is None
                                     else (self.first_chunk_at - self.started) * 1000),
            "itl_mean_ms": _round(sum(itl) / len(itl) if itl else None),
            "itl_p95_ms": _round(percentile(itl, 95)),
            "tpot_ms": _round(tpot),
            "e2e_ms": _round(e2e_ms),
            "output_tokens": tokens,
            "tokens_per_s": _round(tokens / (e2e_ms / 1000) if e2e_ms else None),
            "finish_reason": self.finish_reason,
            "done": self.done,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
