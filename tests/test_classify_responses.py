"""classify() on Responses API failures gathered from public sources (tests/data/real/responses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatkit.knowledge.classifier import classify
from chatkit.knowledge.table import KNOWLEDGE

REAL = Path(__file__).parent / "data" / "real" / "responses"
SSE = {"content-type": "text/event-stream; charset=utf-8"}


def _json(name: str) -> dict:
    return json.loads((REAL / name).read_text())


@pytest.mark.parametrize(("name", "kind"), [
    ("error_400_reasoning_item_without_following.json", "reasoning_item_orphaned"),
    ("error_400_message_without_reasoning.json", "reasoning_item_orphaned"),
    ("error_400_invalid_input_item_type.json", "invalid_input_item"),
    ("error_400_max_output_tokens_below_min.json", "invalid_request"),
    ("error_400_decimal_below_min_value.json", "invalid_request"),
])
def test_http_errors_of_the_responses_api(name: str, kind: str) -> None:
    found = classify(status=400, body=_json(name))
    assert found.evidence["kind"] == kind
    assert found.status == "fail" and found.retryable is False
    assert found.evidence["param"] == _json(name)["error"]["param"]


def test_unknown_previous_response_id_as_an_http_error_and_as_an_event() -> None:
    event = _json("error_event_previous_response_not_found.json")
    found = classify(status=400, body={"error": event["error"]})
    assert found.evidence["kind"] == "previous_response_not_found"
    assert "store=false" in (found.cause or "") and found.retryable is False
    streamed = classify(status=200, headers=SSE,
                        body="event: error\ndata: " + json.dumps(event) + "\n\n")
    assert streamed.evidence["kind"] == "previous_response_not_found"
    worded = classify(status=404, body={"error": {
        "message": event["error"]["message"], "type": "invalid_request_error"}})
    assert worded.evidence["kind"] == "previous_response_not_found"


@pytest.mark.parametrize(("name", "kind"), [
    ("failed_rate_limit_exceeded.sse", "rate_limit"),
    ("failed_context_length_exceeded.sse", "context_length_exceeded"),
    ("failed_insufficient_quota.sse", "insufficient_quota"),
])
def test_response_failed_events_are_read_by_their_code(name: str, kind: str) -> None:
    found = classify(status=200, headers=SSE, body=(REAL / name).read_text())
    assert found.evidence["kind"] == kind
    assert found.evidence["error_code"] == name.removeprefix("failed_").removesuffix(".sse")


def test_a_failed_event_with_another_code() -> None:
    body = (REAL / "failed_rate_limit_exceeded.sse").read_text().replace(
        "rate_limit_exceeded", "server_error")
    found = classify(status=200, headers=SSE, body=body)
    assert found.evidence["kind"] == "response_failed" and found.retryable is True


def test_recorded_streams_and_answers_are_healthy() -> None:
    for name in ("stream_text_gpt41.sse", "stream_moderation.sse", "stream_background.sse"):
        assert classify(status=200, headers=SSE, body=(REAL / name).read_text()).status == "ok"
    assert classify(status=200, body=_json("response_plain_gpt4o.json")).status == "ok"


@pytest.mark.parametrize(("reason", "kind"), [("max_output_tokens", "response_incomplete"),
                                              ("content_filter", "response_content_filter")])
def test_incomplete_answers_are_named_by_their_reason(reason: str, kind: str) -> None:
    plain = _json("response_plain_gpt4o.json") | {"status": "incomplete",
                                                   "incomplete_details": {"reason": reason}}
    assert classify(status=200, body=plain).evidence["kind"] == kind
    row = {"status": 200, "error_type": "incomplete", "error_code": reason,
           "error_message": f"the response is incomplete ({reason})", "exception": None}
    assert classify(row).evidence["kind"] == kind


def test_a_cut_responses_stream() -> None:
    text = (REAL / "stream_text_gpt41.sse").read_text()
    cut = text[: text.index("event: response.output_text.done")]
    assert classify(status=200, headers=SSE, body=cut).evidence["kind"] == "stream_cut"


def test_the_rows_read_as_a_document() -> None:
    for kind in ("previous_response_not_found", "invalid_input_item", "reasoning_item_orphaned",
                 "response_incomplete", "response_content_filter", "response_failed"):
        row = KNOWLEDGE[kind]
        assert row.cause and row.remedy and row.title
