"""validate_request on Responses API bodies: one Finding per problem, naming the field."""

from __future__ import annotations

import pytest

from chatkit.errors import InputError
from chatkit.knowledge.validation import validate_request


def _params(body: dict, **kw: object) -> list[str]:
    return [f.evidence["param"] for f in validate_request(body, **kw)]  # type: ignore[arg-type]


def test_good_bodies_have_no_findings() -> None:
    assert validate_request({"model": "gpt-4.1", "input": "hi"}) == []
    assert validate_request({
        "model": "o4-mini", "instructions": "Be brief.", "max_output_tokens": 500,
        "reasoning": {"effort": "low", "summary": "auto"}, "store": False, "stream": True,
        "previous_response_id": "resp_689a0b2545288193953c892439b42e28",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                  {"type": "function_call_output", "call_id": "call_1", "output": "42"}],
        "tools": [{"type": "function", "name": "get_weather", "parameters": {}},
                  {"type": "web_search"}],
        "text": {"format": {"type": "json_schema", "name": "answer", "schema": {}}},
    }) == []


def test_chat_habits_are_named_with_the_responses_word() -> None:
    found = validate_request({"model": "gpt-4o", "input": "hi", "max_tokens": 50,
                              "response_format": {"type": "json_object"}})
    by_param = {f.evidence["param"]: f for f in found}
    assert set(by_param) == {"max_tokens", "response_format"}
    assert "max_output_tokens" in by_param["max_tokens"].title
    assert "text.format" in by_param["response_format"].title


def test_input_items_are_checked_one_by_one() -> None:
    body = {"model": "gpt-4o", "input": [
        {"role": "robot", "content": "hi"},
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {"type": "nonsense"},
        {"content": "no type, no role"},
        {"type": "function_call_output", "output": "x"},
    ]}
    found = validate_request(body)
    assert [f.evidence["param"] for f in found] == [
        "input[0].role", "input[1].content[0].type", "input[2].type", "input[3].type",
        "input[4].call_id"]
    assert "'input_text'" in found[1].title
    assert {found[2].evidence["kind"], found[3].evidence["kind"]} == {"invalid_input_item"}
    assert all(f.status == "fail" for f in found)


def test_a_reasoning_item_needs_its_follower() -> None:
    found = validate_request({"model": "o4-mini", "input": [
        {"role": "user", "content": "hi"}, {"type": "reasoning", "id": "rs_1", "summary": []}]})
    assert [(f.evidence["param"], f.evidence["kind"]) for f in found] == [
        ("input[1]", "reasoning_item_orphaned")]


@pytest.mark.parametrize(("body", "param"), [
    ({"input": "hi"}, "model"),
    ({"model": "gpt-4o", "input": "hi", "max_output_tokens": 8}, "max_output_tokens"),
    ({"model": "gpt-4o", "input": "hi", "max_output_tokens": 20_000}, "max_output_tokens"),
    ({"model": "gpt-4o", "input": 5}, "input"),
    ({"model": "gpt-4o", "input": "x", "instructions": ["a"]}, "instructions"),
    ({"model": "o3", "input": "x", "reasoning": {"effort": "extreme"}}, "reasoning.effort"),
    ({"model": "gpt-4o", "input": "x", "previous_response_id": "@results.ress"},
     "previous_response_id"),
    ({"model": "gpt-4o", "input": "x", "store": "yes"}, "store"),
    ({"model": "gpt-4o", "input": "x", "temperature": 3}, "temperature"),
    ({"model": "gpt-4o", "input": "x", "tools": [{"type": "function",
                                                  "function": {"name": "f"}}]}, "tools[0].name"),
    ({"model": "gpt-4o", "input": "x", "text": {"format": {"type": "xml"}}},
     "text.format.type"),
    ({"model": "gpt-4o", "input": "x", "text": {"format": {"type": "json_object"}}}, "input"),
    ({"model": "gpt-4o", "input": "x", "stream_options": {"include_obfuscation": False}},
     "stream_options"),
])
def test_one_finding_per_problem_naming_the_field(body: dict, param: str) -> None:
    assert _params(body) == [param]


def test_soft_problems_are_warnings() -> None:
    found = validate_request({"model": "gpt-4o", "reasoning": {"effort": "low"},
                              "frobnicate": 1})
    assert {(f.evidence["param"], f.status) for f in found} == {
        ("input", "warn"), ("reasoning", "warn"), ("frobnicate", "warn")}


def test_the_api_is_told_or_guessed() -> None:
    assert _params({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}) == []
    assert _params({"model": "gpt-4o"}, api="responses") == ["input"]
    assert _params({"model": "gpt-4o", "input": "x"}, api="chat")[0] == "messages"
    with pytest.raises(InputError):
        validate_request({"model": "gpt-4o"}, api="completions")
