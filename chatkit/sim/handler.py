"""HTTP handling for the simulator: routing, auth, validation, faults, JSON and SSE replies.

One handler instance serves one connection (HTTP/1.1 keep-alive), one request at a time.
Order of checks follows the real API: route, API key, Content-Type, JSON, parameters, model,
rate limit. A fault, when one is selected, acts first, as a CDN or an overloaded backend
would, before the request reaches any of those checks.
"""

from __future__ import annotations

import json
import logging
import math
import re
import select
import socket
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from chatkit.errors import UsageError
from chatkit.sim import payloads
from chatkit.sim.faults import (
    FAULTS,
    FLAKY_CHOICES,
    ORGANIZATION,
    Fault,
    FaultContext,
    Reply,
    parse_fault,
)
from chatkit.sim.payloads import API_ERROR_MESSAGES as MSG
from chatkit.sim.payloads import error_body
from chatkit.sim.personas import persona_fault, split_persona
from chatkit.sim.ratelimit import Decision, go_duration
from chatkit.sim.routes import ROUTES
from chatkit.sim.state import SimState
from chatkit.sim.statuspage import ENDPOINTS, history_document, slice_for, status_document
from chatkit.sim.validate import peek_model, validate_chat

if TYPE_CHECKING:
    from chatkit.sim.httpd import SimHTTPServer

__all__ = ["HANG_CAP_S", "SimHandler"]

log = logging.getLogger("chatkit.sim")

#: How long the `timeout` fault holds a request when it has no argument and nobody stops it.
HANG_CAP_S = 300.0
_FAULT_PREFIX = re.compile(r"^/fault/([^/]+)(/.*)?$")
_MAX_BODY = 16 * 1024 * 1024


class SimHandler(BaseHTTPRequestHandler):
    """Serves one connection of the simulated OpenAI API."""

    protocol_version = "HTTP/1.1"
    server_version = "chatkit-sim"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version  # the stdlib appends " " + sys_version
    server: SimHTTPServer

    # --- connection bookkeeping ------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.state.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.state.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s " + format, self.address_string(), *args)

    @property
    def state(self) -> SimState:
        return self.server.state

    # --- entry point -----------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _dispatch(self) -> None:
        self._started = time.perf_counter()
        body = self._read_body()
        path = urlsplit(self.path).path
        if path.startswith("/_sim/"):
            return self._control(path, body)
        if path.startswith("/api/v2/"):
            return self._statuspage(path[len("/api/v2/"):])
        if path in ("", "/"):
            return self._send_json(200, self._index(), api=False)
        persona, path = split_persona(path)
        persona = self.headers.get("x-chatkit-persona") or persona or self.state.persona
        spec = self.state.fault
        prefix = _FAULT_PREFIX.match(path)
        if prefix:
            spec, path = unquote(prefix[1]), prefix[2] or "/"
        header = self.headers.get("x-chatkit-fault")
        if header:
            spec = header  # the per-request header beats the URL and the server default
        fault: Fault | None = None
        arg: str | None = None
        staged = bool(spec and spec.strip() != "none")
        if staged or persona:
            try:  # the provider's own answer to the fault, if it has one
                fault = persona_fault(persona, spec or "")
                if fault is None and staged:
                    fault, arg = parse_fault(str(spec))
            except UsageError as exc:
                return self._send(400, error_body(str(exc), "invalid_request_error",
                                                  code="unknown_fault"), api=False)
        self._api(path, body, fault, arg)

    # --- the /v1 API -------------------------------------------------------------------------

    def _api(self, path: str, body: bytes, fault: Fault | None, arg: str | None) -> None:
        key = self._bearer()
        model = peek_model(body) or (
            unquote(path[len("/v1/models/"):]) if path.startswith("/v1/models/") else "gpt-4o-mini"
        )
        if fault is not None and fault.kind == "flaky":
            fault, arg = (None, None) if self.state.draw() >= float(arg or 0) else parse_fault(
                self.state.choose(FLAKY_CHOICES))
        if fault is not None:
            if fault.kind == "delay":
                if not self._pause(float(arg or 0) / 1000):
                    return
                fault = None
            elif fault.kind == "answer":
                assert fault.reply is not None
                ratelimit = self.state.limiter.peek(key or "")
                reply = fault.reply(FaultContext(arg, model, key, ratelimit))
                self.state.record_answer(reply.status)
                return self._send_reply(reply)
            elif fault.kind == "hang":
                return self._hang(float(arg) / 1000 if arg else HANG_CAP_S)
            elif fault.kind == "reset":
                self.close_connection = True
                self.server.abort_on_close(self.connection)
                return
        if self.state.latency_ms and not self._pause(self.state.latency_ms / 1000):
            return
        if self.command == "GET" and path == "/v1/models":
            if self._authorized(key):
                self._send_json(200, payloads.model_list(self.state.models))
        elif self.command == "GET" and path.startswith("/v1/models/"):
            if self._authorized(key):
                wanted = unquote(path[len("/v1/models/"):])
                if wanted in self.state.models:
                    self._send_json(200, payloads.model_object(wanted))
                else:
                    self._model_not_found(wanted)
        elif self.command == "POST" and path == "/v1/chat/completions":
            if self._authorized(key):
                assert key is not None
                self._chat(key, body, fault.kind if fault else None, arg)
        elif self.command == "POST" and path in ROUTES:  # /v1/responses, /v1/embeddings
            if self._authorized(key):
                assert key is not None
                ROUTES[path](self, key, body, fault.kind if fault else None, arg)
        else:
            self._send(404, error_body(MSG["invalid_url"].format(method=self.command, path=path),
                                       "invalid_request_error"))

    def _bearer(self) -> str | None:
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return token.strip() or None

    def _authorized(self, key: str | None) -> bool:
        if key is None:
            self._send(401, error_body(MSG["missing_key"], "invalid_request_error"))
            return False
        if self.state.keys and key not in self.state.keys:
            message = MSG["invalid_api_key"].format(masked=payloads.mask_key(key))
            self._send(401, error_body(message, "invalid_request_error", code="invalid_api_key"))
            return False
        return True

    def _model_not_found(self, model: str) -> None:
        self._send(404, error_body(MSG["model_not_found"].format(model=model),
                                   "invalid_request_error", code="model_not_found"))

    def _bad_request(self, message: str, param: str | None, code: str | None) -> None:
        self._send(400, error_body(message, "invalid_request_error", param=param, code=code))

    def _json_request(self, body: bytes) -> dict[str, Any] | None:
        """The request body as a dict, or None once the 400 is sent."""
        ctype = self.headers.get("Content-Type")
        # A missing Content-Type is read as JSON; a wrong one is refused as the API does.
        if ctype is not None and ctype.split(";")[0].strip().lower() != "application/json":
            message = MSG["content_type"].format(ctype=ctype)
            self._bad_request(message, None, "unsupported_content_type")
            return None
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            self._bad_request(MSG["bad_json"], None, None)
            return None
        return request

    def _chat(self, key: str, body: bytes, stream_fault: str | None,
              arg: str | None = None) -> None:
        request = self._json_request(body)
        if request is None:
            return
        problem = validate_chat(request)
        if problem:
            return self._bad_request(*problem)
        model = request["model"]
        if model not in self.state.models:
            return self._model_not_found(model)
        limit = request.get("max_completion_tokens", request.get("max_tokens"))
        tokens, finish = payloads.reply_tokens(request["messages"],
                                               limit if isinstance(limit, int) else None)
        if stream_fault == "incomplete":
            tokens = tokens[: len(tokens) // 2]
            finish = "content_filter" if arg == "content_filter" else "length"
        elif stream_fault == "failed":  # chat has no response.failed: an error event
            stream_fault = "stream_error"
        prompt = payloads.prompt_token_estimate(request["messages"])
        decision = self.state.limiter.take(key, prompt + len(tokens))
        if not decision.allowed:
            return self._rate_limited(model, decision)
        if stream_fault == "stream_error" and not request.get("stream"):
            return self._send(500, error_body(MSG["server_error"], "server_error"),
                              headers=decision.headers)
        if request.get("stream"):
            options = request.get("stream_options") or {}
            usage = bool(isinstance(options, dict) and options.get("include_usage"))
            return self._stream(model, tokens, finish, prompt, usage, decision.headers,
                                stream_fault)
        completion = payloads.chat_completion(model, tokens, finish, prompt)
        data = json.dumps(completion).encode()
        if stream_fault == "stream_cut":
            return self._send_cut(data, decision.headers)
        self._send(200, data, headers=decision.headers)

    def _rate_limited(self, model: str, decision: Decision) -> None:
        if decision.too_large:
            message = MSG["request_too_large"].format(
                model=model, org=ORGANIZATION, limit=decision.limit, requested=decision.requested)
        else:
            message = MSG["rate_limit"].format(
                model=model, org=ORGANIZATION, what=decision.exceeded,
                abbr="RPM" if decision.exceeded == "requests" else "TPM",
                limit=decision.limit, used=decision.used, requested=decision.requested,
                wait=go_duration(decision.retry_after_s))
        wait_ms = max(1, math.ceil(decision.retry_after_s * 1000))
        headers = {**decision.headers, "retry-after": str(math.ceil(wait_ms / 1000)),
                   "retry-after-ms": str(wait_ms)}
        self._send(429, error_body(message, decision.exceeded, code="rate_limit_exceeded"),
                   headers=headers)

    # --- streaming ---------------------------------------------------------------------------

    def _stream(self, model: str, tokens: list[str], finish: str, prompt: int, usage: bool,
                headers: dict[str, str], fault: str | None) -> None:
        self._open_stream(headers)
        chunks = payloads.StreamChunks(model, include_usage=usage)
        self._chunk(chunks.role())
        broken = fault if fault in ("stream_cut", "stream_error") else None
        if not self._send_tokens(tokens, chunks.content, broken,
                                 lambda: payloads.sse_error(MSG["server_error"], "server_error")):
            return
        self._chunk(chunks.finish(finish))
        if usage:
            self._chunk(chunks.usage(prompt, len(tokens)))
        self._chunk(payloads.SSE_DONE)
        self._chunk(b"")

    def _send_tokens(self, tokens: list[str], delta: Callable[[str], bytes], fault: str | None,
                     error: Callable[[], bytes]) -> bool:
        """Stream each token as ``delta(token)``, spaced by the token gap; True when all went
        out. A ``fault`` breaks the stream half-way: ``stream_cut`` hangs up without the last
        chunk, any other sends ``error()`` and ends the body."""
        broken_at = len(tokens) // 2 if fault else -1
        for index, token in enumerate(tokens):
            if index == broken_at:
                if fault == "stream_cut":
                    self.close_connection = True  # no terminating chunk: incomplete body
                else:
                    self._chunk(error())
                    self._chunk(b"")
                return False
            if not self._pause(self.state.token_gap_ms / 1000):
                self.close_connection = True
                return False
            self._chunk(delta(token))
        return True

    def _open_stream(self, headers: dict[str, str]) -> None:
        """Send the status line and headers of a chunked event stream."""
        self.send_response(200)
        self.send_header("Server", self.version_string())
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self._api_headers(headers)
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        """Write one HTTP/1.1 chunk; an empty one ends the body."""
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    # --- faults that misbehave at the connection level -------------------------------------

    def _hang(self, seconds: float) -> None:
        """Hold the request without answering until stop(), the cap, or the client leaves."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._client_gone():
            if self.state.stopping.wait(0.05):
                break
        self.close_connection = True

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _send_cut(self, data: bytes, headers: dict[str, str]) -> None:
        """Promise the whole body, send half of it, hang up."""
        self.send_response(200)
        self.send_header("Server", self.version_string())
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self._api_headers(headers)
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.close_connection = True

    def _pause(self, seconds: float) -> bool:
        """Sleep, but wake at stop(); True when the full time passed."""
        return seconds <= 0 or not self.state.stopping.wait(seconds)

    # --- status page, control API, index ----------------------------------------------------

    def _statuspage(self, endpoint: str) -> None:
        if self.command != "GET" or endpoint not in ENDPOINTS:
            return self._send_json(404, {"error": "Not found"}, api=False)
        document = status_document(self.state.status, root_url=self.state.root_url)
        if endpoint == "incidents.json":
            history = history_document(self.state.incident_spans(), kind=self.state.page_kind,
                                       root_url=self.state.root_url)
            document = {"page": history["page"],
                        "incidents": document["incidents"] + history["incidents"]}
        self._send_json(200, slice_for(endpoint, document), api=False)

    def _control(self, path: str, body: bytes) -> None:
        try:
            request = json.loads(body) if body else {}
            if self.command == "POST" and path == "/_sim/fault":
                self.state.set_fault(request.get("fault"))
            elif self.command == "POST" and path == "/_sim/status":
                self.state.set_status(str(request.get("state")))
            elif not (self.command == "GET" and path == "/_sim/state"):
                return self._send_json(404, {"error": f"no control endpoint {path}"}, api=False)
        except (ValueError, AttributeError) as exc:  # UsageError is a ValueError
            return self._send(400, error_body(str(exc), "invalid_request_error"), api=False)
        self._send_json(200, {"fault": self.state.fault, "status": self.state.status}, api=False)

    def _index(self) -> dict[str, Any]:
        return {"name": "chatkit.sim", "base_url": self.state.root_url + "/v1",
                "status_page": self.state.root_url + "/api/v2/summary.json",
                "fault": self.state.fault, "faults": dict(FAULTS)}

    # --- writing ------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, _MAX_BODY)) if length > 0 else b""

    def _api_headers(self, extra: dict[str, str] | Any = None) -> None:
        elapsed_ms = round((time.perf_counter() - self._started) * 1000)
        self.send_header("x-request-id", "req_" + uuid.uuid4().hex)
        self.send_header("openai-organization", ORGANIZATION)
        self.send_header("openai-processing-ms", str(elapsed_ms))
        self.send_header("openai-version", "2020-10-01")
        for name, value in (extra or {}).items():
            self.send_header(name, value)

    def send_response(self, code: int, message: str | None = None) -> None:
        # The stdlib's version always adds "Server"; a CDN page must carry its own instead.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def _send(self, status: int, body: bytes, *, content_type: str = "application/json",
              headers: Any = None, api: bool = True) -> None:
        headers = dict(headers or {})
        self.send_response(status)
        self.send_header("Server", headers.pop("server", self.version_string()))
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if api:
            self._api_headers(headers)
        else:
            for name, value in (headers or {}).items():
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, obj: Any, *, api: bool = True) -> None:
        self._send(status, json.dumps(obj).encode(), api=api)

    def _send_reply(self, reply: Reply) -> None:
        self._send(reply.status, reply.body, content_type=reply.content_type,
                   headers=reply.headers, api=reply.from_api)
