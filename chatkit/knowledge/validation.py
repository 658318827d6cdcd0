"""Check a chat-completions request before sending it: each problem a Finding naming the field.

:func:`validate_request` catches locally what the API would answer with a 400 (and what an
HTTP client refuses to send at all, such as a key with a trailing newline), so a notebook
user sees ``messages[2].role`` named instead of a round trip and a stack trace::

    problems = chatkit.validate_request(payload, headers=headers)
    for finding in problems: print(finding.title)

The rules follow the API reference for ``POST /v1/chat/completions``; model limits are
listed only where published (:data:`MODEL_LIMITS`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from chatkit.errors import InputError
from chatkit.findings import Finding
from chatkit.knowledge.classifier import explain
from chatkit.knowledge.validation_responses import looks_like_responses, responses_body_problems

__all__ = ["MODEL_LIMITS", "validate_request"]

#: model -> (context window, maximum output tokens), from the model pages of the API docs.
MODEL_LIMITS: dict[str, tuple[int, int]] = {
    "gpt-4o": (128_000, 16_384),
    "gpt-4o-mini": (128_000, 16_384),
    "gpt-4.1": (1_047_576, 32_768),
    "gpt-4.1-mini": (1_047_576, 32_768),
    "gpt-4.1-nano": (1_047_576, 32_768),
    "o3": (200_000, 100_000),
    "o3-mini": (200_000, 100_000),
    "o4-mini": (200_000, 100_000),
    "gpt-4-turbo": (128_000, 4_096),
    "gpt-4": (8_192, 8_192),
    "gpt-3.5-turbo": (16_385, 4_096),
}

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
PART_TYPES = ("text", "image_url", "input_audio", "file", "refusal")
# Documented request body fields; the API answers 400 "Unrecognized request argument" to others.
KNOWN_FIELDS = frozenset({
    "model", "messages", "audio", "frequency_penalty", "function_call", "functions",
    "logit_bias", "logprobs", "max_completion_tokens", "max_tokens", "metadata", "modalities",
    "n", "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key",
    "reasoning_effort", "response_format", "safety_identifier", "seed", "service_tier", "stop",
    "store", "stream", "stream_options", "temperature", "tool_choice", "tools", "top_logprobs",
    "top_p", "user", "verbosity", "web_search_options",
})
_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0, 2), "top_p": (0, 1), "presence_penalty": (-2, 2),
    "frequency_penalty": (-2, 2), "top_logprobs": (0, 20),
}
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_REASONING = re.compile(r"^o\d")  # o1, o3, o4-mini...: max_completion_tokens only


def _problem(kind: str, field: str, message: str, check: str, status: str = "fail") -> Finding:
    return explain(kind, check=check, status=status, title=f"{field}: {message}",
                   evidence={"param": field, "message": message})


def validate_request(payload: Mapping[str, Any] | str | bytes, *,
                     headers: Mapping[str, str] | None = None,
                     check: str = "api.request", api: str | None = None) -> list[Finding]:
    """The problems in a request body for chat completions or the Responses API (and its
    headers, when given).

    ``payload`` is the body as a dict or as the JSON text about to be sent. ``api`` is
    ``"chat"`` or ``"responses"``; None tells them apart by the body (``input``,
    ``instructions``, ``max_output_tokens``, ``previous_response_id``, ``reasoning`` and no
    ``messages`` make a Responses body). Returns one Finding per problem (``fail`` for what the API
    rejects, ``warn`` for what it may reject or silently ignore); an empty list means nothing
    was found.
    """
    if api not in (None, "chat", "responses"):
        raise InputError(f"validate_request(api=...) takes 'chat' or 'responses', not {api!r}")
    found: list[Finding] = []
    if headers is not None:
        found += _check_headers(headers, check)
    if isinstance(payload, (str, bytes)):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            return [*found, explain("bad_json", check=check, title=f"body: not JSON ({exc})",
                                    evidence={"param": "body", "message": str(exc)})]
    if not isinstance(payload, Mapping):
        raise InputError("validate_request() takes the request body as a dict or JSON text; "
                         f"got {type(payload).__name__}")
    if api == "responses" or (api is None and looks_like_responses(payload)):
        model = payload.get("model")
        return [*found, *responses_body_problems(payload, check),
                *_check_numbers(payload, check),
                *_check_limits(payload, model if isinstance(model, str) else None, check)]
    found += _check_body(payload, check)
    return found


def _check_headers(headers: Mapping[str, str], check: str) -> list[Finding]:
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    found: list[Finding] = []
    auth = lower.get("authorization")
    key = lower.get("api-key")
    if auth is None and key is None:
        found.append(_problem("missing_api_key", "headers.Authorization",
                              "missing (send Authorization: Bearer <key>)", check))
    if auth is not None:
        scheme, _, token = auth.partition(" ")
        if scheme != "Bearer" or not token.strip():
            found.append(_problem("authentication_failed", "headers.Authorization",
                                  "must be 'Bearer <key>'", check))
        key = token or None
    if key is not None:
        if key != key.strip() or "\n" in key or "\r" in key:
            found.append(_problem("client_protocol_error", "headers.Authorization",
                                  "the key has surrounding whitespace or a newline", check))
        elif key.startswith(("'", '"')) or key.endswith(("'", '"')):
            found.append(_problem("invalid_api_key", "headers.Authorization",
                                  "the key is wrapped in quotes", check))
        elif key.lower().startswith("bearer "):
            found.append(_problem("invalid_api_key", "headers.Authorization",
                                  "'Bearer' appears twice (the key variable already holds it)",
                                  check))
        elif not key.isascii():
            found.append(_problem("client_protocol_error", "headers.Authorization",
                                  "the key has non-ASCII characters (copied with a typographic "
                                  "dash or space?)", check))
    ctype = lower.get("content-type")
    if ctype is not None and ctype.split(";")[0].strip().lower() != "application/json":
        found.append(_problem("unsupported_content_type", "headers.Content-Type",
                              f"is {ctype!r}, must be application/json", check))
    return found


def _check_body(body: Mapping[str, Any], check: str) -> list[Finding]:
    found: list[Finding] = []
    model = body.get("model")
    if "model" not in body:
        found.append(_problem("missing_parameter", "model", "required", check))
    elif not isinstance(model, str) or not model.strip():
        found.append(_problem("invalid_request", "model", "must be a non-empty string", check))
    messages = body.get("messages")
    if "messages" not in body:
        found.append(_problem("missing_parameter", "messages", "required", check))
    elif not isinstance(messages, list) or not messages:
        found.append(_problem("invalid_request", "messages", "must be a non-empty list", check))
    else:
        for index, message in enumerate(messages):
            found += _check_message(f"messages[{index}]", message, check)
    for name in sorted(set(body) - KNOWN_FIELDS):
        found.append(_problem("invalid_request", name, "unrecognized request argument", check,
                              status="warn"))
    found += _check_numbers(body, check)
    found += _check_limits(body, model if isinstance(model, str) else None, check)
    found += _check_options(body, messages if isinstance(messages, list) else [], check)
    return found


def _check_message(where: str, message: Any, check: str) -> list[Finding]:
    if not isinstance(message, Mapping):
        return [_problem("invalid_request", where, "must be an object with role and content",
                         check)]
    found: list[Finding] = []
    role = message.get("role")
    if role not in ROLES:
        found.append(_problem("invalid_request", f"{where}.role",
                              f"{role!r} is not one of {', '.join(ROLES)}", check))
    content = message.get("content")
    if "content" not in message and not (role == "assistant" and message.get("tool_calls")):
        found.append(_problem("missing_parameter", f"{where}.content", "required", check))
    elif isinstance(content, list):
        for index, part in enumerate(content):
            kind = part.get("type") if isinstance(part, Mapping) else None
            if kind not in PART_TYPES:
                found.append(_problem("invalid_request", f"{where}.content[{index}].type",
                                      f"{kind!r} is not one of {', '.join(PART_TYPES)}", check))
            elif kind == "text" and not isinstance(part.get("text"), str):
                found.append(_problem("invalid_request", f"{where}.content[{index}].text",
                                      "must be a string", check))
    elif content is not None and not isinstance(content, str):
        found.append(_problem("invalid_request", f"{where}.content",
                              f"must be a string or a list of parts, not "
                              f"{type(content).__name__}", check))
    elif content is None and role != "assistant":
        found.append(_problem("invalid_request", f"{where}.content", "must not be null", check))
    if role == "tool" and not message.get("tool_call_id"):
        found.append(_problem("missing_parameter", f"{where}.tool_call_id",
                              "required for role 'tool'", check))
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_numbers(body: Mapping[str, Any], check: str) -> list[Finding]:
    found: list[Finding] = []
    for name, (low, high) in _RANGES.items():
        if name in body and body[name] is not None:
            value = body[name]
            if not _is_number(value) or not low <= value <= high:
                found.append(_problem("invalid_request", name,
                                      f"{value!r} is not a number from {low:g} to {high:g}",
                                      check))
    for name in ("max_tokens", "max_completion_tokens", "n"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 1):
            found.append(_problem("invalid_request", name, f"{value!r} is not an integer >= 1",
                                  check))
    for name in ("stream", "logprobs", "store", "parallel_tool_calls"):
        if name in body and body[name] is not None and not isinstance(body[name], bool):
            found.append(_problem("invalid_request", name, "must be true or false", check))
    return found


def _check_limits(body: Mapping[str, Any], model: str | None, check: str) -> list[Finding]:
    found: list[Finding] = []
    if model and _REASONING.match(model) and "max_tokens" in body:
        found.append(_problem("invalid_request", "max_tokens",
                              f"not supported with {model}; use max_completion_tokens", check))
    limits = MODEL_LIMITS.get(model or "")
    name = next((n for n in ("max_completion_tokens", "max_tokens", "max_output_tokens")
                 if n in body), "max_tokens")
    wanted = body.get(name)
    if limits and isinstance(wanted, int) and wanted > limits[1]:
        found.append(_problem("invalid_request", name,
                              f"{wanted} is more than {model}'s output limit of {limits[1]}",
                              check))
    return found


def _check_options(body: Mapping[str, Any], messages: list[Any], check: str) -> list[Finding]:
    found: list[Finding] = []
    if body.get("stream_options") is not None and not body.get("stream"):
        found.append(_problem("invalid_request", "stream_options",
                              "only allowed when stream is true", check))
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            found.append(_problem("invalid_request", "tools", "must be a list", check))
        else:
            for index, tool in enumerate(tools):
                function = tool.get("function") if isinstance(tool, Mapping) else None
                name = function.get("name") if isinstance(function, Mapping) else None
                if not isinstance(name, str) or not _TOOL_NAME.match(name):
                    found.append(_problem("invalid_request", f"tools[{index}].function.name",
                                          "must be 1-64 letters, digits, _ or -", check))
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping) and response_format.get("type") == "json_object":
        text = json.dumps(messages).lower()
        if "json" not in text:
            found.append(_problem("invalid_request", "messages",
                                  "must mention 'json' when response_format is json_object",
                                  check))
    return found
