"""StreamMeter: stream metrics from bytes fed in any split, with a hand-driven clock."""

from __future__ import annotations

import json

from chatkit.knowledge.sse import StreamMeter, percentile


def _event(obj: object) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def _token(text: str) -> bytes:
    return _event({"model": "m", "choices": [{"delta": {"content": text},
                                              "finish_reason": None}]})


def test_metrics_with_vllm_definitions() -> None:
    meter = StreamMeter(started=10.0)
    meter.feed(_event({"choices": [{"delta": {"role": "assistant", "content": ""}}]}), 10.1)
    meter.feed(_token("Hel"), 10.2)
    meter.feed(_token("lo"), 10.3)
    meter.feed(_token("!"), 10.5)
    meter.feed(_event({"choices": [{"delta": {}, "finish_reason": "stop"}]}), 10.55)
    meter.feed(_event({"choices": [], "usage": {"completion_tokens": 3}}), 10.6)
    meter.feed(b"data: [DONE]\n\n", 10.61)
    summary = meter.summary()
    assert summary["first_chunk_ms"] == 100.0
    assert summary["ttft_ms"] == 200.0
    assert summary["itl_mean_ms"] == 150.0
    assert summary["e2e_ms"] == 500.0
    assert summary["tpot_ms"] == 150.0
    assert summary["output_tokens"] == 3
    assert summary["tokens_per_s"] == 6.0
    assert summary["finish_reason"] == "stop" and summary["done"] is True
    assert meter.clean and meter.model == "m"


def test_bytes_split_anywhere_and_comments_ignored() -> None:
    whole = b": ping\n\n" + _token("a") + _token("b") + b"data: [DONE]\n\n"
    meter = StreamMeter(started=0.0)
    for index in range(len(whole)):
        meter.feed(whole[index:index + 1], float(index))
    assert meter.done and meter.output_tokens == 2


def test_error_event_and_cut() -> None:
    meter = StreamMeter(started=0.0)
    meter.feed(_token("a") + _event({"error": {"message": "boom", "type": "server_error"}}), 1.0)
    assert meter.error == {"message": "boom", "type": "server_error"} and not meter.clean
    cut = StreamMeter(started=0.0)
    cut.feed(_token("a") + b'data: {"choices": [{"delta": {"content": "b"}}]}', 1.0)
    cut.close(2.0)
    assert cut.output_tokens == 2 and not cut.done


def test_percentile() -> None:
    assert percentile([], 95) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 95) == 5.0
