"""validate_request: each problem of a chat-completions request is a Finding naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from chatkit.errors import InputError
from chatkit.knowledge.validation import validate_request

GOOD = {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "Be brief."},
                                             {"role": "user", "content": "Hi"}]}
HEADERS = {"Authorization": "Bearer sk-test-0123456789", "Content-Type": "application/json"}


def _fields(payload: Any, **kw: Any) -> list[str]:
    return [f.evidence["param"] for f in validate_request(payload, **kw)]


def test_a_good_request_has_no_problems() -> None:
    assert validate_request(GOOD, headers=HEADERS) == []
    assert validate_request('{"model": "gpt-4o", "messages": [{"role": "user", '
                            '"content": [{"type": "text", "text": "hi"}]}]}') == []


@pytest.mark.parametrize(("change", "field", "kind"), [
    ({"model": None}, "model", "invalid_request"),
    ({"messages": []}, "messages", "invalid_request"),
    ({"messages": [{"role": "bot", "content": "x"}]}, "messages[0].role", "invalid_request"),
    ({"messages": [{"role": "user"}]}, "messages[0].content", "missing_parameter"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content", "invalid_request"),
    ({"messages": [{"role": "user", "content": [{"type": "txt"}]}]},
     "messages[0].content[0].type", "invalid_request"),
    ({"messages": [{"role": "tool", "content": "42"}]}, "messages[0].tool_call_id",
     "missing_parameter"),
    ({"temperature": 3}, "temperature", "invalid_request"),
    ({"top_p": "high"}, "top_p", "invalid_request"),
    ({"max_tokens": 0}, "max_tokens", "invalid_request"),
    ({"max_tokens": 100_000}, "max_tokens", "invalid_request"),
    ({"model": "o4-mini", "max_tokens": 50}, "max_tokens", "invalid_request"),
    ({"stream": "yes"}, "stream", "invalid_request"),
    ({"stream_options": {"include_usage": True}}, "stream_options", "invalid_request"),
    ({"tools": [{"type": "function", "function": {"name": "get weather"}}]},
     "tools[0].function.name", "invalid_request"),
    ({"response_format": {"type": "json_object"}}, "messages", "invalid_request"),
])
def test_each_problem_names_its_field(change: dict[str, Any], field: str, kind: str) -> None:
    found = validate_request({**GOOD, **change})
    assert [f.evidence["param"] for f in found] == [field]
    assert found[0].evidence["kind"] == kind
    assert found[0].status == "fail" and field in found[0].title
    assert found[0].remedy


def test_missing_fields() -> None:
    assert _fields({}) == ["model", "messages"]


def test_unknown_argument_is_a_warning() -> None:
    found = validate_request({**GOOD, "temprature": 0.2})
    assert [(f.status, f.evidence["param"]) for f in found] == [("warn", "temprature")]


def test_bad_json_text() -> None:
    found = validate_request('{"model": "gpt-4o",}')
    assert found[0].evidence["kind"] == "bad_json" and found[0].evidence["param"] == "body"


@pytest.mark.parametrize(("headers", "kind"), [
    ({"Content-Type": "application/json"}, "missing_api_key"),
    ({"Authorization": "sk-test-0123456789"}, "authentication_failed"),
    ({"Authorization": "Bearer sk-test-0123456789\n"}, "client_protocol_error"),
    ({"Authorization": "Bearer 'sk-test-0123456789'"}, "invalid_api_key"),
    ({"Authorization": "Bearer Bearer sk-test-0123456789"}, "invalid_api_key"),
    ({"Authorization": "Bearer sk\u2013test\u20130123456789"}, "client_protocol_error"),
    ({**HEADERS, "Content-Type": "text/plain"}, "unsupported_content_type"),
])
def test_header_problems(headers: dict[str, str], kind: str) -> None:
    found = validate_request(GOOD, headers=headers)
    assert [f.evidence["kind"] for f in found] == [kind]
    assert found[0].evidence["param"].startswith("headers.")


def test_azure_api_key_header_is_accepted() -> None:
    assert validate_request(GOOD, headers={"api-key": "0123456789abcdef"}) == []


def test_not_a_request() -> None:
    with pytest.raises(InputError, match="dict or JSON text"):
        validate_request([1, 2])  # type: ignore[arg-type]
