"""The stream meter on Responses API streams recorded from the live API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatkit.knowledge.sse import StreamMeter

REAL = Path(__file__).parent / "data" / "real" / "responses"


def _measure(name: str, *, cut_at: int | None = None) -> tuple[StreamMeter, list[str]]:
    """Feed the recording one event block per 10 ms; the event types in order."""
    blocks = (REAL / name).read_text().split("\n\n")
    meter = StreamMeter(started=0.0)
    kinds = []
    for index, block in enumerate(b for b in blocks if b.strip()):
        if cut_at is not None and index == cut_at:
            break
        meter.feed((block + "\n\n").encode(), (index + 1) / 100)
        data = next(line for line in block.splitlines() if line.startswith("data:"))
        kinds.append(json.loads(data[5:])["type"])
    meter.close(1.0)
    return meter, kinds


def test_a_completed_stream_is_clean_and_timed() -> None:
    meter, kinds = _measure("stream_text_gpt41.sse")
    first_delta = kinds.index("response.output_text.delta") + 1
    assert meter.clean and meter.done and meter.status == "completed"
    assert meter.ttft_ms == pytest.approx(first_delta * 10)
    assert meter.output_tokens == 3 and meter.input_tokens == 21  # response.completed usage
    assert meter.model == "gpt-4.1-2025-04-14"
    summary = meter.summary()
    assert summary["done"] is True and summary["status"] == "completed"
    assert summary["itl_mean_ms"] == pytest.approx(10)
    assert summary["tokens_per_s"] == pytest.approx(3 / (summary["e2e_ms"] / 1000), rel=0.01)


@pytest.mark.parametrize("name", ["stream_moderation.sse", "stream_background.sse"])
def test_the_first_token_is_the_first_text_delta(name: str) -> None:
    meter, kinds = _measure(name)
    assert meter.clean
    assert meter.ttft_ms == pytest.approx((kinds.index("response.output_text.delta") + 1) * 10)
    assert meter.first_chunk_at is not None and meter.first_chunk_at * 1000 <= meter.ttft_ms
    assert len(meter.token_times) == kinds.count("response.output_text.delta")


def test_a_cut_stream_is_not_done() -> None:
    meter, _ = _measure("stream_text_gpt41.sse", cut_at=6)
    assert not meter.done and not meter.clean and meter.error is None
    assert meter.ttft_ms is not None and meter.usage is None


@pytest.mark.parametrize(("name", "code"), [
    ("failed_rate_limit_exceeded.sse", "rate_limit_exceeded"),
    ("failed_context_length_exceeded.sse", "context_length_exceeded"),
    ("failed_insufficient_quota.sse", "insufficient_quota"),
])
def test_response_failed_carries_its_error(name: str, code: str) -> None:
    meter, _ = _measure(name)
    assert meter.done and not meter.clean and meter.status == "failed"
    assert meter.error is not None and meter.error["code"] == code
    assert meter.error["message"]


def test_error_events_in_both_shapes() -> None:
    nested = (REAL / "error_event_previous_response_not_found.json").read_text().strip()
    flat = json.dumps({"type": "error", "code": "server_error", "message": "boom",
                       "param": None, "sequence_number": 5})
    for payload, code in ((nested, "previous_response_not_found"), (flat, "server_error")):
        meter = StreamMeter(started=0.0)
        meter.feed(b"event: error\ndata: " + payload.encode() + b"\n\n", 0.1)
        assert meter.error is not None and meter.error["code"] == code
        assert not meter.clean


def test_incomplete_is_named_with_its_reason() -> None:
    text = (REAL / "stream_text_gpt41.sse").read_text()
    last = text.rstrip().splitlines()[-1]
    event = json.loads(last[5:])
    event["type"] = "response.incomplete"
    event["response"].update(status="incomplete",
                             incomplete_details={"reason": "content_filter"})
    body = text.replace(last, "data: " + json.dumps(event)).replace(
        "event: response.completed", "event: response.incomplete")
    meter = StreamMeter(started=0.0)
    meter.feed(body.encode(), 0.5)
    assert meter.done and not meter.clean and meter.error is None
    assert (meter.status, meter.incomplete_reason) == ("incomplete", "content_filter")
    assert meter.summary()["finish_reason"] == "content_filter"
    assert meter.output_tokens == 3


def test_chat_streams_are_measured_as_before() -> None:
    meter = StreamMeter(started=0.0)
    meter.feed(b'data: {"choices":[{"delta":{"content":"Hi"}}],"model":"m"}\n\n', 0.2)
    meter.feed(b'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
               0.3)
    assert meter.clean and meter.status is None and meter.finish_reason == "stop"
    assert "status" not in meter.summary()
