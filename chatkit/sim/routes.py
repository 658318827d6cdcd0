"""The ``/v1/responses`` and ``/v1/embeddings`` endpoints of the simulator.

:data:`ROUTES` maps each path to a function the handler calls once the key is accepted.
Checks run in the real API's order (Content-Type, JSON, parameters, model, stored response,
rate limit); the stream faults act as on chat completions, and two more are specific to a
model run: ``failed`` (a stream ending with ``response.failed``) and ``incomplete:REASON``
(the answer stops early, ``response.incomplete`` with ``max_output_tokens`` or
``content_filter``). A non-streamed request meets ``stream_error`` and ``failed`` as a 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from chatkit.sim import payloads
from chatkit.sim.payloads import API_ERROR_MESSAGES as MSG
from chatkit.sim.payloads import error_body
from chatkit.sim.ratelimit import Decision
from chatkit.sim.responses import (
    EMBEDDING_MODELS,
    ResponseEvents,
    embedding_list,
    input_text,
    input_token_estimate,
    response_object,
    validate_embeddings,
    validate_responses,
)
from chatkit.sim.state import SimState

__all__ = ["ROUTES", "Handler"]


class Handler(Protocol):
    """What these endpoints use of :class:`~chatkit.sim.handler.SimHandler`."""

    headers: Any

    @property
    def state(self) -> SimState: ...

    def _send(self, status: int, body: bytes, *, content_type: str = ..., headers: Any = ...,
              api: bool = ...) -> None: ...

    def _send_cut(self, data: bytes, headers: dict[str, str]) -> None: ...

    def _json_request(self, body: bytes) -> dict[str, Any] | None: ...

    def _bad_request(self, message: str, param: str | None, code: str | None) -> None: ...

    def _model_not_found(self, model: str) -> None: ...

    def _rate_limited(self, model: str, decision: Decision) -> None: ...

    def _open_stream(self, headers: dict[str, str]) -> None: ...

    def _chunk(self, data: bytes) -> None: ...

    def _send_tokens(self, tokens: list[str], delta: Callable[[str], bytes], fault: str | None,
                     error: Callable[[], bytes]) -> bool: ...


def _server_error(h: Handler, headers: Mapping[str, str]) -> None:
    h._send(500, error_body(MSG["server_error"], "server_error"), headers=headers)


def serve_responses(h: Handler, key: str, body: bytes, fault: str | None,
                    arg: str | None) -> None:
    """``POST /v1/responses``, plain or streamed."""
    request = h._json_request(body)
    if request is None:
        return
    problem = validate_responses(request)
    if problem:
        return h._bad_request(*problem)
    model = request["model"]
    if model not in h.state.models:
        return h._model_not_found(model)
    previous = request.get("previous_response_id")
    if previous and not h.state.recalls(previous):
        return h._bad_request(f"Previous response with id '{previous}' not found.",
                              "previous_response_id", "previous_response_not_found")
    limit = request.get("max_output_tokens")
    tokens, finish = payloads.reply_tokens(input_text(request.get("input")), limit)
    reason = "max_output_tokens" if finish == "length" else None
    if fault == "incomplete":
        tokens, reason = tokens[: len(tokens) // 2], arg or "max_output_tokens"
    prompt = input_token_estimate(request)
    decision = h.state.limiter.take(key, prompt + len(tokens))
    if not decision.allowed:
        return h._rate_limited(model, decision)
    stream = request.get("stream") is True
    if fault in ("stream_error", "failed") and not stream:
        return _server_error(h, decision.headers)
    status = "incomplete" if reason else "completed"
    events = ResponseEvents(request)
    if request.get("store", True) is not False:
        h.state.remember(events.response_id)
    if stream:
        return _stream(h, events, tokens, prompt, status, reason, decision.headers, fault)
    answer = response_object(request, response_id=events.response_id, created=events.created,
                             status=status, item_id=events.item_id, text="".join(tokens),
                             usage=(prompt, len(tokens)), reason=reason)
    data = json.dumps(answer).encode()
    if fault == "stream_cut":
        return h._send_cut(data, decision.headers)
    h._send(200, data, headers=decision.headers)


def _stream(h: Handler, events: ResponseEvents, tokens: list[str], prompt: int, status: str,
            reason: str | None, headers: dict[str, str], fault: str | None) -> None:
    h._open_stream(headers)
    for event in events.opening():
        h._chunk(event)
    broken = fault if fault in ("stream_cut", "stream_error", "failed") else None
    ending = events.error if fault == "stream_error" else events.failed
    if not h._send_tokens(tokens, events.delta, broken,
                          lambda: ending("server_error", MSG["server_error"])):
        return  # broken half-way, or the client left: no terminal event
    for event in events.closing(status, prompt, len(tokens), reason):
        h._chunk(event)
    h._chunk(b"")


def serve_embeddings(h: Handler, key: str, body: bytes, fault: str | None,
                     arg: str | None) -> None:
    """``POST /v1/embeddings`` (never streamed: stream faults cut or fail the body)."""
    request = h._json_request(body)
    if request is None:
        return
    problem = validate_embeddings(request)
    if problem:
        return h._bad_request(*problem)
    model = request["model"]
    if model not in EMBEDDING_MODELS:
        return h._model_not_found(model)
    answer = embedding_list(request)
    decision = h.state.limiter.take(key, answer["usage"]["prompt_tokens"])
    if not decision.allowed:
        return h._rate_limited(model, decision)
    if fault in ("stream_error", "failed"):
        return _server_error(h, decision.headers)
    data = json.dumps(answer).encode()
    if fault == "stream_cut":
        return h._send_cut(data, decision.headers)
    h._send(200, data, headers=decision.headers)


#: path -> endpoint, for POST requests with an accepted key.
ROUTES: Mapping[str, Callable[[Handler, str, bytes, str | None, str | None], None]] = {
    "/v1/responses": serve_responses,
    "/v1/embeddings": serve_embeddings,
}
