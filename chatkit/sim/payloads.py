"""What the simulator says: OpenAI-shaped error bodies, completions, stream chunks, model lists.

Every error body has the real shape ``{"error": {"message", "type", "param", "code"}}`` and,
where the research notes (``anchors-diagnostics.md`` §4.1) quote one, the real message, so
that chatkit's classifier is tested against the words it will meet in the wild.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

__all__ = [
    "API_ERROR_MESSAGES",
    "SSE_DONE",
    "StreamChunks",
    "chat_completion",
    "error_body",
    "mask_key",
    "model_list",
    "model_object",
    "prompt_token_estimate",
    "reply_tokens",
    "sse_error",
]

_KEYS_URL = "https://platform.openai.com/account/api-keys"
_RATE_URL = "https://platform.openai.com/account/rate-limits"

# The real wording, verbatim where the research doc quotes it.  ``{...}`` fields are filled in.
API_ERROR_MESSAGES: dict[str, str] = {
    "missing_key": (
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field "
        "(with blank username) if you're accessing the API from your browser and are prompted for "
        f"a username and password. You can obtain an API key from {_KEYS_URL}."
    ),
    "invalid_api_key": (
        "Incorrect API key provided: {masked}. You can find your API key at " + _KEYS_URL + "."
    ),
    "region": "Country, region, or territory not supported",
    "model_not_found": "The model `{model}` does not exist or you do not have access to it.",
    "invalid_url": "Invalid URL ({method} {path})",
    "bad_json": (
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
        "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
        "sent was not valid JSON. If you have trouble figuring out how to fix this, please contact "
        "us through our help center at help.openai.com.)"
    ),
    "content_type": (
        "Unsupported content type: '{ctype}'. This API method only accepts 'application/json' "
        "requests, but you specified the header 'Content-Type: {ctype}'. Please try again with a "
        "supported content type."
    ),
    "missing_param": "Missing required parameter: '{param}'.",
    "invalid_type": "Invalid type for '{param}': expected {expected}, but got {got} instead.",
    "empty_array": (
        "Invalid '{param}': empty array. Expected an array with minimum length 1, but got an "
        "empty array instead."
    ),
    "invalid_role": (
        "Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', "
        "'function', 'tool', and 'developer'."
    ),
    "rate_limit": (
        "Rate limit reached for {model} in organization {org} on {what} per min ({abbr}): "
        "Limit {limit}, Used {used}, Requested {requested}. Please try again in {wait}. "
        f"Visit {_RATE_URL} to learn more."
    ),
    "request_too_large": (
        "Request too large for {model} in organization {org} on tokens per min (TPM): "
        "Limit {limit}, Requested {requested}. The input or output tokens must be reduced in "
        "order to run successfully. " + f"Visit {_RATE_URL} to learn more."
    ),
    "insufficient_quota": (
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, read the docs: "
        "https://platform.openai.com/docs/guides/error-codes/api-errors."
    ),
    "server_error": (
        "The server had an error while processing your request. Sorry about that!"
    ),
    "overloaded": "The server is overloaded or not ready yet.",
}


def error_body(
    message: str, type: str | None, *, param: str | None = None, code: str | None = None
) -> bytes:
    """The JSON bytes of an OpenAI error response, fields in the API's own order."""
    return json.dumps(
        {"error": {"message": message, "type": type, "param": param, "code": code}}
    ).encode()


def mask_key(key: str) -> str:
    """Mask a key as the API does in its 401 message: a short prefix, stars, the last 4.

    Short keys are starred out completely, so the message never carries a whole key.
    """
    if len(key) < 14:
        return "*" * len(key)
    return key[:6] + "*" * (len(key) - 10) + key[-4:]


# Fixed so that `GET /v1/models` is byte-stable between runs.
_CREATED = 1_715_367_049


def model_object(model_id: str) -> dict[str, Any]:
    """One entry of the model list (``GET /v1/models/{id}`` returns it alone)."""
    return {"id": model_id, "object": "model", "created": _CREATED, "owned_by": "system"}


def model_list(models: tuple[str, ...]) -> dict[str, Any]:
    """The ``GET /v1/models`` list object."""
    return {"object": "list", "data": [model_object(m) for m in models]}


def _completion_id() -> str:
    # Real ids are "chatcmpl-" + 29 characters.
    return "chatcmpl-" + uuid.uuid4().hex[:29]


def reply_tokens(messages: list[Any], max_tokens: int | None) -> tuple[list[str], str]:
    """The simulated answer as stream tokens, and its finish_reason ("stop" or "length").

    The answer quotes the start of the last user message, so a notebook user sees that
    their own request came back.
    """
    last = ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            last = content if isinstance(content, str) else "your message"
            break
    quoted = " ".join(last.split())[:60] or "your message"
    text = f'Hello from the chatkit simulator. You said: "{quoted}". Everything worked.'
    words = text.split(" ")
    tokens = [words[0]] + [" " + w for w in words[1:]]
    if max_tokens is not None and max_tokens < len(tokens):
        return tokens[: max(max_tokens, 0)], "length"
    return tokens, "stop"


def prompt_token_estimate(messages: list[Any]) -> int:
    """About four characters per token plus a few per message, as tiktoken roughly gives."""
    total = 3
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        total += 4 + (len(content) // 4 if isinstance(content, str) else 8)
    return total


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def chat_completion(
    model: str, tokens: list[str], finish_reason: str, prompt_tokens: int
) -> dict[str, Any]:
    """A non-streamed ``chat.completion`` object."""
    return {
        "id": _completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "".join(tokens),
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": _usage(prompt_tokens, len(tokens)),
        "service_tier": "default",
        "system_fingerprint": "fp_chatkitsim",
    }


class StreamChunks:
    """Factories for the ``chat.completion.chunk`` objects of one stream."""

    def __init__(self, model: str, *, include_usage: bool) -> None:
        self._base = {
            "id": _completion_id(),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_chatkitsim",
        }
        # With include_usage the real API puts "usage": null on every chunk but the last.
        self._usage_field = {"usage": None} if include_usage else {}

    def _choice(self, delta: dict[str, Any], finish_reason: str | None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return _sse({**self._base, "choices": [choice], **self._usage_field})

    def role(self) -> bytes:
        """The first chunk: the assistant role and empty content."""
        return self._choice({"role": "assistant", "content": "", "refusal": None}, None)

    def content(self, token: str) -> bytes:
        """A chunk carrying one token of content."""
        return self._choice({"content": token}, None)

    def finish(self, finish_reason: str) -> bytes:
        """The chunk with an empty delta and the finish_reason."""
        return self._choice({}, finish_reason)

    def usage(self, prompt: int, completion: int) -> bytes:
        """The trailing chunk sent only with ``stream_options.include_usage``."""
        return _sse({**self._base, "choices": [], "usage": _usage(prompt, completion)})


def _sse(obj: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


def sse_error(message: str, type: str, code: str | None = None) -> bytes:
    """An error sent as an SSE event after a 200 (the SDK raises a plain ``APIError``)."""
    return _sse({"error": {"message": message, "type": type, "param": None, "code": code}})


SSE_DONE = b"data: [DONE]\n\n"
