"""What the simulator says on ``/v1/responses`` and ``/v1/embeddings``: objects, events, errors.

The shapes follow recordings of the live API (``tests/data/real/responses/``): a streamed
response is ``event: <type>`` / ``data: <json>`` pairs, every event with a ``sequence_number``
from 0, in the order created, in_progress, output_item.added, content_part.added,
output_text.delta..., output_text.done, content_part.done, output_item.done, and one terminal
event (``response.completed``, ``response.incomplete`` or ``response.failed``); there is no
``data: [DONE]``. An ``error`` event has the documented flat shape (``code``, ``message``,
``param``). Embeddings come back as floats or, as the openai client asks by default, base64
of little-endian float32.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import time
import uuid
from collections.abc import Mapping
from typing import Any

from chatkit.knowledge.validation_responses import ITEM_TYPES, ROLES
from chatkit.sim.payloads import API_ERROR_MESSAGES as MSG

__all__ = [
    "EMBEDDING_MODELS",
    "INCOMPLETE_REASONS",
    "ResponseEvents",
    "embedding_list",
    "error_event",
    "input_text",
    "input_token_estimate",
    "response_object",
    "validate_embeddings",
    "validate_responses",
]

#: Embedding models and their default dimensions (the API's model pages).
EMBEDDING_MODELS: Mapping[str, int] = {
    "text-embedding-3-small": 1536, "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
#: ``incomplete_details.reason`` values (openai-python ``IncompleteDetails``).
INCOMPLETE_REASONS = ("max_output_tokens", "content_filter")
#: The smallest ``max_output_tokens`` the API accepts.
MIN_OUTPUT_TOKENS = 16

Problem = tuple[str, str | None, str | None]  # message, param, code


def _hex_id(prefix: str) -> str:
    return prefix + (uuid.uuid4().hex + uuid.uuid4().hex)[:48]  # real ids: 48 hex digits


def input_text(value: Any) -> list[dict[str, Any]]:
    """``input`` (a string or items) as chat-style messages, for the shared reply builder."""
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    messages = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict) or item.get("type", "message") != "message":
            continue
        content = item.get("content")
        if isinstance(content, list):  # input_text parts
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        messages.append({"role": item.get("role"), "content": content})
    return messages


def input_token_estimate(request: Mapping[str, Any]) -> int:
    """About four characters per token of the instructions and input, plus a few."""
    text = json.dumps(request.get("input", "")) + str(request.get("instructions") or "")
    return 8 + len(text) // 4


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": completion, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + completion}


def _message(item_id: str, text: str | None, status: str) -> dict[str, Any]:
    content = [] if text is None else [
        {"type": "output_text", "annotations": [], "logprobs": [], "text": text}]
    return {"id": item_id, "type": "message", "status": status, "content": content,
            "role": "assistant"}


def response_object(request: Mapping[str, Any], *, response_id: str, created: int,
                    status: str, item_id: str | None = None, text: str | None = None,
                    usage: tuple[int, int] | None = None, reason: str | None = None,
                    error: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A ``response`` object, fields in the API's order, echoing the request's settings."""
    item_status = "completed" if status == "completed" else "incomplete"
    output = [] if item_id is None else [_message(item_id, text, item_status)]
    text_option: dict[str, Any] = request.get("text") or {}
    if not isinstance(text_option, dict):
        text_option = {}
    return {
        "id": response_id, "object": "response", "created_at": created, "status": status,
        "background": False,
        "completed_at": int(time.time()) if status == "completed" else None,
        "error": dict(error) if error else None,
        "incomplete_details": {"reason": reason} if reason else None,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"), "max_tool_calls": None,
        "model": request.get("model"), "output": output, "parallel_tool_calls": True,
        "previous_response_id": request.get("previous_response_id"),
        "prompt_cache_key": None, "reasoning": {"effort": None, "summary": None},
        "safety_identifier": None, "service_tier": "default",
        "store": request.get("store", True) is not False,
        "temperature": request.get("temperature", 1.0),
        "text": {"format": {"type": "text"}, "verbosity": "medium", **text_option},
        "tool_choice": request.get("tool_choice", "auto"), "tools": request.get("tools") or [],
        "top_logprobs": 0, "top_p": request.get("top_p", 1.0), "truncation": "disabled",
        "usage": _usage(*usage) if usage else None, "user": None,
        "metadata": request.get("metadata") or {},
    }


def _sse(event: dict[str, Any]) -> bytes:
    data = json.dumps(event, separators=(",", ":")).encode()
    return b"event: " + event["type"].encode() + b"\ndata: " + data + b"\n\n"


def error_event(sequence: int, message: str, code: str | None) -> bytes:
    """The stream's ``error`` event, in the documented flat shape."""
    return _sse({"type": "error", "code": code, "message": message, "param": None,
                 "sequence_number": sequence})


class ResponseEvents:
    """The events of one streamed response, numbered as they are made."""

    def __init__(self, request: Mapping[str, Any]) -> None:
        self.request = request
        self.response_id = _hex_id("resp_")
        self.item_id = _hex_id("msg_")
        self.created = int(time.time())
        self.sequence = 0
        self.text = ""

    def _event(self, kind: str, **fields: Any) -> bytes:
        event = {"type": kind, **fields, "sequence_number": self.sequence}
        self.sequence += 1
        return _sse(event)

    def _response(self, status: str, **kw: Any) -> dict[str, Any]:
        return response_object(self.request, response_id=self.response_id,
                               created=self.created, status=status, **kw)

    def opening(self) -> list[bytes]:
        """created, in_progress, output_item.added, content_part.added."""
        part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
        return [
            self._event("response.created", response=self._response("in_progress")),
            self._event("response.in_progress", response=self._response("in_progress")),
            self._event("response.output_item.added",
                        item=_message(self.item_id, None, "in_progress"), output_index=0),
            self._event("response.content_part.added", content_index=0, item_id=self.item_id,
                        output_index=0, part=part),
        ]

    def delta(self, token: str) -> bytes:
        self.text += token
        padding = hashlib.sha1(f"{self.sequence}".encode()).hexdigest()[:max(1, 16 - len(token))]
        return self._event("response.output_text.delta", content_index=0, delta=token,
                           item_id=self.item_id, logprobs=[], obfuscation=padding,
                           output_index=0)

    def closing(self, status: str, prompt: int, completion: int,
                reason: str | None = None) -> list[bytes]:
        """output_text.done, content_part.done, output_item.done, then the terminal event."""
        part = {"type": "output_text", "annotations": [], "logprobs": [], "text": self.text}
        item_status = "completed" if status == "completed" else "incomplete"
        terminal = "response.completed" if status == "completed" else "response.incomplete"
        return [
            self._event("response.output_text.done", content_index=0, item_id=self.item_id,
                        logprobs=[], output_index=0, text=self.text),
            self._event("response.content_part.done", content_index=0, item_id=self.item_id,
                        output_index=0, part=part),
            self._event("response.output_item.done",
                        item=_message(self.item_id, self.text, item_status), output_index=0),
            self._event(terminal, response=self._response(
                status, item_id=self.item_id, text=self.text, usage=(prompt, completion),
                reason=reason)),
        ]

    def failed(self, code: str, message: str) -> bytes:
        """``response.failed`` with the error the model run ended with (no usage)."""
        return self._event("response.failed", response=self._response(
            "failed", error={"code": code, "message": message}))

    def error(self, code: str | None, message: str) -> bytes:
        event = error_event(self.sequence, message, code)
        self.sequence += 1
        return event


# --- request validation: the first problem, as (message, param, code) ----------------------


def _invalid_type(param: str, expected: str, value: Any) -> Problem:
    return (MSG["invalid_type"].format(param=param, expected=expected,
                                       got=type(value).__name__), param, "invalid_type")


def _choices(values: tuple[str, ...]) -> str:
    quoted = [f"'{v}'" for v in values]
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def validate_responses(request: Mapping[str, Any]) -> Problem | None:
    """The first problem with a ``POST /v1/responses`` body, in the API's words."""
    model = request.get("model")
    if model in (None, ""):
        return MSG["missing_param"].format(param="model"), "model", "missing_required_parameter"
    if not isinstance(model, str):
        return _invalid_type("model", "a string", model)
    value = request.get("input")
    if value is not None and not isinstance(value, (str, list)):
        return _invalid_type("input", "a string or an array of input items", value)
    for index, item in enumerate(value if isinstance(value, list) else []):
        where = f"input[{index}]"
        if not isinstance(item, dict):
            return _invalid_type(where, "an object", item)
        kind = item.get("type", "message" if "role" in item else "")
        if kind not in ITEM_TYPES:
            return (f"Invalid value: '{kind}'. Supported values are: {_choices(ITEM_TYPES)}.",
                    where, "invalid_value")
        if kind == "message" and item.get("role") not in ROLES:
            return (f"Invalid value: '{item.get('role')}'. Supported values are: "
                    f"{_choices(ROLES)}.", f"{where}.role", "invalid_value")
    limit = request.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
        return _invalid_type("max_output_tokens", "an integer", limit)
    if isinstance(limit, int) and limit < MIN_OUTPUT_TOKENS:
        return ("Invalid 'max_output_tokens': integer below minimum value. Expected a value >= "
                f"{MIN_OUTPUT_TOKENS}, but got {limit} instead.", "max_output_tokens",
                "integer_below_min_value")
    previous = request.get("previous_response_id")
    if previous is not None and not isinstance(previous, str):
        return _invalid_type("previous_response_id", "a string", previous)
    return None


def validate_embeddings(request: Mapping[str, Any]) -> Problem | None:
    """The first problem with a ``POST /v1/embeddings`` body."""
    for name in ("model", "input"):
        if request.get(name) in (None, "", []):
            return MSG["missing_param"].format(param=name), name, "missing_required_parameter"
    if not isinstance(request["model"], str):
        return _invalid_type("model", "a string", request["model"])
    value = request["input"]
    if not isinstance(value, (str, list)):
        return _invalid_type("input", "a string or an array", value)
    fmt = request.get("encoding_format", "float")
    if fmt not in ("float", "base64"):
        return (f"Invalid value: '{fmt}'. Supported values are: 'float' and 'base64'.",
                "encoding_format", "invalid_value")
    return None


# --- embeddings ---------------------------------------------------------------------------


def _vector(text: str, dimensions: int) -> list[float]:
    """A deterministic unit-length vector for ``text`` (same text, same vector)."""
    seed = hashlib.sha256(text.encode()).digest()
    raw = [((seed[i % 32] * 131 + i * 17) % 255) / 127.0 - 1.0 for i in range(dimensions)]
    norm = sum(v * v for v in raw) ** 0.5 or 1.0
    return [round(v / norm, 6) for v in raw]


def embedding_list(request: Mapping[str, Any]) -> dict[str, Any]:
    """The ``list`` of embeddings for a validated request, with ``usage``."""
    model = request["model"]
    value = request["input"]
    texts = [value] if isinstance(value, str) else [str(v) for v in value]
    dimensions = request.get("dimensions") or EMBEDDING_MODELS.get(model, 1536)
    base64_wanted = request.get("encoding_format") == "base64"
    data = []
    for index, text in enumerate(texts):
        vector = _vector(text, int(dimensions))
        embedding: Any = (base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                          if base64_wanted else vector)
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = sum(1 + len(t) // 4 for t in texts)
    return {"object": "list", "data": data, "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
