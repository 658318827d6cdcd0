"""Check a Responses API request body (``POST /v1/responses``): one Finding per problem, naming
the field, as :func:`chatkit.knowledge.validation.validate_request` does for chat completions.

The rules follow openai-python's ``ResponseCreateParams`` and the API's answers (its 400s for
``max_output_tokens`` below 16, for input items of an unknown type, for a reasoning item sent
back without the item after it). Most mistakes here come from moving chat-completions code:
``messages``, ``max_tokens``, ``response_format``, parts of type ``text``, tools with their
name under ``function``; each is named with the Responses API's own word for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from chatkit.findings import Finding
from chatkit.knowledge.classifier import explain

__all__ = ["KNOWN_FIELDS", "looks_like_responses", "responses_body_problems"]

#: Top-level fields of ``ResponseCreateParams`` (openai-python), plus ``stream``.
KNOWN_FIELDS = frozenset({
    "background", "context_management", "conversation", "include", "input", "instructions",
    "max_output_tokens", "max_tool_calls", "metadata", "model", "moderation",
    "parallel_tool_calls", "previous_response_id", "prompt", "prompt_cache_key",
    "prompt_cache_options", "prompt_cache_retention", "reasoning", "safety_identifier",
    "service_tier", "store", "stream", "stream_options", "temperature", "text", "tool_choice",
    "tools", "top_logprobs", "top_p", "truncation", "user",
})
#: Chat-completions fields and what the Responses API calls them.
CHAT_FIELDS = {"messages": "input", "max_tokens": "max_output_tokens",
               "max_completion_tokens": "max_output_tokens", "response_format": "text.format",
               "reasoning_effort": "reasoning.effort", "n": None, "stop": None}
ITEM_TYPES = (
    "message", "file_search_call", "computer_call", "computer_call_output", "web_search_call",
    "function_call", "function_call_output", "tool_search_call", "tool_search_output",
    "additional_tools", "reasoning", "compaction", "image_generation_call",
    "code_interpreter_call", "local_shell_call", "local_shell_call_output", "shell_call",
    "shell_call_output", "apply_patch_call", "apply_patch_call_output", "mcp_list_tools",
    "mcp_approval_request", "mcp_approval_response", "mcp_call", "custom_tool_call_output",
    "custom_tool_call", "compaction_trigger", "item_reference", "program", "program_output",
)
ROLES = ("user", "assistant", "system", "developer")
INPUT_PARTS = ("input_text", "input_image", "input_file")
OUTPUT_PARTS = ("output_text", "refusal")
CHAT_PARTS = {"text": "input_text", "image_url": "input_image", "file": "input_file"}
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
SUMMARIES = ("auto", "concise", "detailed")
FORMATS = ("text", "json_schema", "json_object")
MIN_OUTPUT_TOKENS = 16
_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_REASONING_MODEL = re.compile(r"^(o\d|gpt-5|codex)")
# Fields only the Responses API has: a body with one of them (and no messages) is one.
_MARKERS = ("input", "instructions", "max_output_tokens", "previous_response_id",
            "conversation", "prompt", "reasoning", "text")


def looks_like_responses(body: Mapping[str, Any]) -> bool:
    """Whether a body is meant for ``/v1/responses`` rather than chat completions."""
    return "messages" not in body and any(name in body for name in _MARKERS)


def _problem(kind: str, field: str, message: str, check: str, status: str = "fail") -> Finding:
    return explain(kind, check=check, status=status, title=f"{field}: {message}",
                   evidence={"param": field, "message": message, "api": "responses"})


def responses_body_problems(body: Mapping[str, Any], check: str) -> list[Finding]:
    """The problems of a Responses API body (numbers and model limits are checked by the
    caller, as for chat completions)."""
    found: list[Finding] = []
    model = body.get("model")
    if "model" not in body:
        found.append(_problem("missing_parameter", "model", "required", check))
    elif not isinstance(model, str) or not model.strip():
        found.append(_problem("invalid_request", "model", "must be a non-empty string", check))
    found += _check_input(body, check)
    for name, instead in CHAT_FIELDS.items():
        if name in body:
            hint = f"use {instead}" if instead else "the Responses API has no such parameter"
            found.append(_problem("invalid_request", name,
                                  f"a chat-completions parameter; {hint}", check))
    for name in sorted(set(body) - KNOWN_FIELDS - set(CHAT_FIELDS)):
        found.append(_problem("invalid_request", name, "unrecognized request argument", check,
                              status="warn"))
    found += _check_options(body, model if isinstance(model, str) else "", check)
    found += _check_tools(body.get("tools"), check)
    found += _check_format(body, check)
    return found


def _check_input(body: Mapping[str, Any], check: str) -> list[Finding]:
    value = body.get("input")
    if value is None:
        if any(body.get(k) for k in ("previous_response_id", "conversation", "prompt")):
            return []
        return [_problem("missing_parameter", "input", "missing: the model gets nothing to "
                         "answer (give input, previous_response_id, conversation or prompt)",
                         check, status="warn")]
    if isinstance(value, str):
        return []
    if not isinstance(value, list):
        return [_problem("invalid_request", "input", "must be a string or a list of input "
                         "items", check)]
    found: list[Finding] = []
    for index, item in enumerate(value):
        found += _check_item(f"input[{index}]", item, check)
        if isinstance(item, Mapping) and item.get("type") == "reasoning":
            after = value[index + 1] if index + 1 < len(value) else None
            kind = after.get("type", "message") if isinstance(after, Mapping) else None
            if kind in (None, "reasoning"):
                found.append(_problem("reasoning_item_orphaned", f"input[{index}]",
                                      "a reasoning item must be followed by the item it led "
                                      "to (a message or a function call)", check))
    return found


def _check_item(where: str, item: Any, check: str) -> list[Finding]:
    if not isinstance(item, Mapping):
        return [_problem("invalid_request", where, "must be an object (an input item)", check)]
    kind = item.get("type", "message" if "role" in item else None)
    if kind is None:
        return [_problem("invalid_input_item", f"{where}.type", "missing: give 'message' (with "
                         "role and content) or another input item type", check)]
    if kind not in ITEM_TYPES:
        return [_problem("invalid_input_item", f"{where}.type",
                         f"{kind!r} is not an input item type", check)]
    if kind == "function_call_output":
        return [_problem("missing_parameter", f"{where}.{name}", "required", check)
                for name in ("call_id", "output") if name not in item]
    if kind != "message":
        return []
    found: list[Finding] = []
    role = item.get("role")
    if role not in ROLES:
        found.append(_problem("invalid_request", f"{where}.role",
                              f"{role!r} is not one of {', '.join(ROLES)}", check))
    content = item.get("content")
    if "content" not in item:
        found.append(_problem("missing_parameter", f"{where}.content", "required", check))
    elif isinstance(content, list):
        allowed = OUTPUT_PARTS if role == "assistant" else INPUT_PARTS
        for index, part in enumerate(content):
            part_type = part.get("type") if isinstance(part, Mapping) else None
            field = f"{where}.content[{index}]"
            if part_type not in allowed:
                hint = (f"; the Responses API calls it {CHAT_PARTS[part_type]!r}"
                        if part_type in CHAT_PARTS else "")
                found.append(_problem("invalid_request", f"{field}.type",
                                      f"{part_type!r} is not one of {', '.join(allowed)}{hint}",
                                      check))
            elif part_type in ("input_text", "output_text") and not isinstance(
                    part.get("text"), str):
                found.append(_problem("invalid_request", f"{field}.text", "must be a string",
                                      check))
    elif not isinstance(content, str):
        found.append(_problem("invalid_request", f"{where}.content",
                              "must be a string or a list of content parts", check))
    return found


def _check_options(body: Mapping[str, Any], model: str, check: str) -> list[Finding]:
    found: list[Finding] = []
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        found.append(_problem("invalid_request", "instructions", "must be a string", check))
    limit = body.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)
                              or limit < MIN_OUTPUT_TOKENS):
        found.append(_problem("invalid_request", "max_output_tokens",
                              f"{limit!r} is not an integer >= {MIN_OUTPUT_TOKENS}", check))
    previous = body.get("previous_response_id")
    if previous is not None and (not isinstance(previous, str) or not _ID.match(previous)):
        found.append(_problem("invalid_request", "previous_response_id",
                              f"{previous!r} is not a response id (letters, digits, _ and -, "
                              "e.g. resp_...)", check))
    reasoning = body.get("reasoning")
    if reasoning is not None:
        if not isinstance(reasoning, Mapping):
            found.append(_problem("invalid_request", "reasoning",
                                  "must be an object such as {'effort': 'low'}", check))
        else:
            for name, allowed in (("effort", EFFORTS), ("summary", SUMMARIES)):
                value = reasoning.get(name)
                if value is not None and value not in allowed:
                    found.append(_problem("invalid_request", f"reasoning.{name}",
                                          f"{value!r} is not one of {', '.join(allowed)}",
                                          check))
            if model and not _REASONING_MODEL.match(model):
                found.append(_problem("invalid_request", "reasoning",
                                      f"{model} is not a reasoning model; the API rejects "
                                      "reasoning settings for it", check, status="warn"))
    if body.get("stream_options") is not None and not body.get("stream"):
        found.append(_problem("invalid_request", "stream_options",
                              "only allowed when stream is true", check))
    return found


def _check_tools(tools: Any, check: str) -> list[Finding]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        return [_problem("invalid_request", "tools", "must be a list", check)]
    found: list[Finding] = []
    for index, tool in enumerate(tools):
        where = f"tools[{index}]"
        if not isinstance(tool, Mapping) or not isinstance(tool.get("type"), str):
            found.append(_problem("invalid_request", f"{where}.type", "required", check))
            continue
        if tool["type"] != "function":
            continue
        name = tool.get("name")
        if name is None and isinstance(tool.get("function"), Mapping):
            found.append(_problem("invalid_request", f"{where}.name",
                                  "missing: the Responses API takes name, description and "
                                  "parameters at the top of the tool, not under 'function'",
                                  check))
        elif not isinstance(name, str) or not _TOOL_NAME.match(name):
            found.append(_problem("invalid_request", f"{where}.name",
                                  "must be 1-64 letters, digits, _ or -", check))
    return found


def _check_format(body: Mapping[str, Any], check: str) -> list[Finding]:
    text = body.get("text")
    if text is None:
        return []
    if not isinstance(text, Mapping):
        return [_problem("invalid_request", "text", "must be an object such as "
                         "{'format': {'type': 'text'}}", check)]
    fmt = text.get("format")
    if fmt is None:
        return []
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    if not isinstance(fmt, Mapping) or kind not in FORMATS:
        return [_problem("invalid_request", "text.format.type",
                         f"{kind!r} is not one of {', '.join(FORMATS)}", check)]
    found: list[Finding] = []
    if kind == "json_schema":
        if "json_schema" in fmt:
            found.append(_problem("invalid_request", "text.format.json_schema",
                                  "the Responses API takes name and schema directly in "
                                  "text.format, not under json_schema", check))
        for name in ("name", "schema"):
            if name not in fmt and "json_schema" not in fmt:
                found.append(_problem("missing_parameter", f"text.format.{name}", "required",
                                      check))
    elif kind == "json_object":
        said = json.dumps([body.get("input"), body.get("instructions")]).lower()
        if "json" not in said:
            found.append(_problem("invalid_request", "input",
                                  "must mention 'json' when text.format is json_object",
                                  check))
    return found
