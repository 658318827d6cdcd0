"""Server-sent event streams of chat completions and of the Responses API, timed as they arrive.

:class:`StreamMeter` is fed the raw bytes of a streamed answer as they come off the wire
(by the API stream check, and by the recording transport while the caller consumes the
stream) and keeps the times that make the usual LLM benchmark metrics, with vLLM's
definitions (``vllm bench serve``): time to first token (first chunk with ``choices``),
inter-token latencies (gaps between later token chunks), end-to-end time (the last token
chunk; the trailing usage chunk excluded), time per output token, and tokens per second.
It also notes whether the stream ended cleanly (``data: [DONE]``) or carried an error event.

A Responses stream (typed events, each with a ``type``) is measured with the same
definitions: a token is an ``response.output_text.delta`` (or a refusal / function-arguments
delta), the first chunk is the first output item, and the usage comes from the terminal
event. It ends with ``response.completed`` (clean), ``response.incomplete`` (``status`` and
``incomplete_reason`` say why) or ``response.failed`` (its error), and has no ``[DONE]``;
an ``error`` event is an error in either of its shapes (flat ``code``/``message``, or nested
under ``error``).
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
    #: Responses API only: the terminal status (completed, incomplete, failed) and why.
    status: str | None = None
    incomplete_reason: str | None = None
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
        kind = event.get("type")
        if isinstance(kind, str) and (kind.startswith("response.") or kind == "error"):
            self._typed(kind, event, now)
            return
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

    def _typed(self, kind: str, event: dict[str, Any], now: float) -> None:
        """One event of the Responses API."""
        if kind == "error":
            error = event.get("error")
            self.error = error if isinstance(error, dict) else {
                k: event.get(k) for k in ("type", "code", "message", "param") if k in event}
            return
        if kind in _DELTAS:
            if self.first_chunk_at is None:
                self.first_chunk_at = now
            if event.get("delta"):
                if self.first_content_at is None:
                    self.first_content_at = now
                self.token_times.append(now)
            return
        if kind == "response.output_item.added" and self.first_chunk_at is None:
            self.first_chunk_at = now
        response = event.get("response")
        if not isinstance(response, dict):
            return
        self.model = self.model or response.get("model")
        if isinstance(response.get("usage"), dict):
            self.usage = response["usage"]
        if kind in _TERMINAL:
            self.done = True
            self.status = str(response.get("status") or kind.split(".", 1)[1])
            details = response.get("incomplete_details")
            if isinstance(details, dict) and details.get("reason"):
                self.incomplete_reason = str(details["reason"])
            self.finish_reason = self.incomplete_reason or self.status
            if kind == "response.failed":
                error = response.get("error")
                self.error = error if isinstance(error, dict) else {
                    "message": "the response failed (response.failed without an error)"}

    # --- the metrics --------------------------------------------------------------------

    @property
    def ttft_ms(self) -> float | None:
        at = self.first_content_at or self.first_chunk_at
        return None if at is None else (at - self.started) * 1000

    @property
    def output_tokens(self) -> int:
        """``usage.completion_tokens`` (Responses: ``output_tokens``) when the server sent
        it, else the token chunks seen."""
        for name in ("completion_tokens", "output_tokens"):
            if self.usage and isinstance(self.usage.get(name), int):
                return int(self.usage[name])
        return len(self.token_times)

    @property
    def input_tokens(self) -> int | None:
        """``usage.prompt_tokens`` (Responses: ``input_tokens``), None when not sent."""
        for name in ("prompt_tokens", "input_tokens"):
            if self.usage and isinstance(self.usage.get(name), int):
                return int(self.usage[name])
        return None

    @property
    def itl_ms(self) -> list[float]:
        times = self.token_times
        return [(b - a) * 1000 for a, b in itertools.pairwise(times)]

    @property
    def clean(self) -> bool:
        """Ended with ``[DONE]`` (Responses: ``response.completed``) and no error event."""
        return self.done and self.error is None and self.status in (None, "completed")

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
            **({"status": self.status, "incomplete_reason": self.incomplete_reason}
               if self.status is not None else {}),
        }


#: Responses events that carry output as it is made (the "tokens").
_DELTAS = frozenset({"response.output_text.delta", "response.refusal.delta",
                     "response.function_call_arguments.delta"})
#: The events that end a Responses stream.
_TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
