"""One HTTP attempt, gathered while it happens, and its row of the request log.

:class:`Attempt` gathers what one attempt shows (request, timings from httpx's ``trace``
extension, status, error body, token usage, stream timing) and turns it into a row
(:meth:`Attempt.row`) or straight into the row's JSON text (:meth:`Attempt.line`, made by
:mod:`chatkit.client.linetext`), which the recorder writes on every attempt. Nothing secret
reaches a row: URLs and error messages go through :mod:`chatkit.redaction.scrub`, headers
are never written.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chatkit.client.linetext import json_value, line_text, utc_iso
from chatkit.client.requestlog import FIELDS
from chatkit.knowledge.sse import StreamMeter
from chatkit.redaction.scrub import redact_text

__all__ = ["MAX_PARSED_BODY", "Attempt", "header_values", "utc_iso"]


#: Bodies larger than this are counted but not parsed for usage.
MAX_PARSED_BODY = 4 * 1024 * 1024
# The recorder runs on every request, so the hot path reads the few fields it needs with
# anchored patterns instead of parsing whole bodies (error bodies, rare, are parsed in full).
_MODEL = re.compile(rb'"model"\s*:\s*"([^"\\]{1,200})"')
_STREAM = re.compile(rb'"stream"\s*:\s*true\b')
_USAGE = re.compile(
    rb'"(prompt_tokens|completion_tokens|input_tokens|output_tokens)"\s*:\s*(\d+)')
# Chat completions' usage object as OpenAI writes it: the prompt's count, then the answer's.
_CHAT_USAGE = re.compile(
    rb'"usage"\s*:\s*\{\s*"prompt_tokens"\s*:\s*(\d+)\s*,\s*"completion_tokens"\s*:\s*(\d+)\s*[,}]')
# A Responses API body: its first "status" is the response's own (items come later).
_STATUS = re.compile(rb'"status"\s*:\s*"([a-z_]{1,20})"')
_REASON = re.compile(rb'"incomplete_details"\s*:\s*\{\s*"reason"\s*:\s*"([^"\\]{1,100})"')
#: Where the times in milliseconds are in a row's values: rounded to 0.01 ms when written.
_MS = range(FIELDS.index("latency_ms"), FIELDS.index("tls_ms") + 1)
_LOG = logging.getLogger("chatkit.client")


_new = object.__new__


def header_values(headers: Any, *names: bytes) -> list[str | None]:
    """Header values by lower-case name (the last one of a repeated name), from httpx's own
    list of ``(raw name, lower-case name, value)`` (any ``.raw`` pairs otherwise), in one
    pass over the headers: each header costs a loop step, so the names share it. A name is
    compared, not hashed: the headers' names are new bytes every time, their hashes unknown."""
    items = getattr(headers, "_list", None)
    if items is None:
        items = [(key, key.lower(), value) for key, value in headers.raw]
    found: list[str | None] = [None] * len(names)
    for _, name, value in items:
        if name in names:
            found[names.index(name)] = value.decode("latin-1")
    return found


@dataclass(eq=False)  # compared (and hashed) by identity
class Attempt:
    """What one HTTP attempt showed, gathered while it happens; ``row()`` at the end.

    The recorder makes one with :meth:`started`, which sets five fields: the others are the
    class's defaults until the attempt shows them."""

    method: str = ""
    url: str = ""  # redacted already
    host: str = ""
    endpoint: str = ""
    provider: str | None = None
    attempt: int = 0
    wall_start: float = 0.0  # time.time() at the start, for ``ts``
    start: float = 0.0  # the monotonic clock at the start
    model: str | None = None
    stream: bool = False
    request_bytes: int | None = None
    status: int | None = None
    ttfb: float | None = None
    end: float | None = None
    exception: str | None = None
    error: dict[str, Any] | None = None
    request_id: str | None = None
    response_bytes: int = 0
    content_type: str = ""
    body: list[bytes] | None = None  # the pieces of a body worth reading, as they came
    meter: StreamMeter | None = None
    arrivals: list[float] | None = None  # an event stream's: when each piece of ``body`` came
    phases: dict[str, float] | None = None  # "connect"/"tls" ms, or trace marks
    timed: bool = False  # new connections are timed: no "connect" phase means a reused one
    aborted: str | None = None  # the body was not read to its end: "closed", "collected", "exit"
    trouble: str | None = None  # what failed in chatkit's own bookkeeping (never the caller's)
    request: Any = None  # the request, read when the line is made
    headers: Any = None  # the answer's, read when the line is made

    @classmethod
    def started(cls, request: Any, provider: str | None, attempt: int, wall_start: float,
                start: float) -> Attempt:
        """An attempt at ``request`` beginning now, made without ``__init__``'s 27
        assignments (the recorder makes one per request)."""
        made = _new(cls)
        made.request, made.provider, made.attempt = request, provider, attempt
        made.wall_start, made.start = wall_start, start
        return made

    # --- filled while the request runs -------------------------------------------------------

    def read_request(self, content: bytes | None) -> None:
        """Model and stream flag from a JSON request body (Azure: from the deployment path)."""
        if content is None:
            return
        self.request_bytes = len(content)
        if content[:1] == b"{":
            # openai-python writes "model" and "stream" right after "messages": look at the
            # tail first, so that a long conversation is not scanned on every attempt
            tail = content[-4096:]
            model = _MODEL.search(tail) or (_MODEL.search(content) if len(content) > 4096
                                            else None)
            self.model = model.group(1).decode("utf-8", "replace") if model else None
            if b'"stream"' in content:  # most requests are not streamed: no pattern then
                self.stream = _STREAM.search(tail) is not None or (
                    len(content) > 4096 and _STREAM.search(content) is not None)
        if self.model is None and "/deployments/" in self.endpoint:
            self.model = self.endpoint.split("/deployments/", 1)[1].split("/", 1)[0]

    def tracer(self, clock: Callable[[], float], chained: Any = None
               ) -> Callable[[str, Mapping[str, Any]], Any]:
        """A sync ``trace`` extension callback (httpx/httpx2) noting when each event
        happened (connect and TLS are read from them), calling ``chained`` too."""
        phases = self.phases = {}

        def trace(event: str, info: Mapping[str, Any]) -> Any:
            phases[event] = clock()
            return chained(event, info) if chained is not None else None

        setattr(trace, "chatkit_chained", chained)  # noqa: B010 - a retry chains the caller's
        return trace

    def async_tracer(self, clock: Callable[[], float], chained: Any = None
                     ) -> Callable[[str, Mapping[str, Any]], Any]:
        """The async form: httpcore requires a coroutine function on async connections."""
        phases = self.phases = {}

        async def trace(event: str, info: Mapping[str, Any]) -> Any:
            phases[event] = clock()
            return await chained(event, info) if chained is not None else None

        setattr(trace, "chatkit_chained", chained)  # noqa: B010
        return trace

    def answered(self, response: Any, now: float) -> str | None:
        """Note the status line of an httpx/httpx2 response; return ``x-should-retry`` (read
        only on an error status, the one case where it decides anything). The headers are
        read when the line is made: only the content type is needed now."""
        try:
            status = self.status = response.status_code
            self.ttfb = now
            headers = self.headers = response.headers
            items = getattr(headers, "_list", None)
            kind = b""
            if items is None:
                kind = (header_values(headers, b"content-type")[0] or "").encode("latin-1")
            else:
                for _, name, value in items:  # servers send it early: no map of them all
                    if name == b"content-type":
                        kind = value
                        break
            if b"event-stream" in kind:  # kept with its arrival times, metered later
                self.body, self.arrivals = [], []
            elif status >= 400 or b"json" in kind or b"html" in kind:
                self.body = []
            if status < 400:
                return None
            return header_values(headers, b"x-should-retry")[0]
        except Exception as exc:
            self.note_trouble("status line", exc)
            return None

    def got_bytes(self, data: bytes, now: float) -> None:
        self.response_bytes += len(data)
        arrivals = self.arrivals
        if arrivals is not None and self.body is not None:  # an event stream
            if self.response_bytes <= MAX_PARSED_BODY:
                self.body.append(data)
                arrivals.append(now)
                return
            self._meter()  # too long to keep: metered as it comes from here on
        if self.meter is not None:
            try:
                self.meter.feed(data, now)
            except Exception as exc:  # the observer must not break the observed
                self.note_trouble("stream meter", exc)
                self.meter = None
        elif self.body is not None and self.response_bytes <= MAX_PARSED_BODY:
            self.body.append(data)

    def _meter(self) -> None:
        """Feed an event stream's kept pieces to a meter, each at the time it arrived: the
        time to first token is the same as if it had been fed while the caller read."""
        pieces, arrivals = self.body or [], self.arrivals or []
        self.body = self.arrivals = None
        meter = self.meter = StreamMeter(started=self.start)
        try:
            for piece, at in zip(pieces, arrivals, strict=True):
                meter.feed(piece, at)
        except Exception as exc:  # the observer must not break the observed
            self.note_trouble("stream meter", exc)
            self.meter = None

    def failed(self, exc: BaseException) -> None:
        self.exception = type(exc).__name__
        self._error().setdefault("message", str(exc) or type(exc).__name__)

    def _error(self) -> dict[str, Any]:
        """The error noted so far, to add to."""
        if self.error is None:
            self.error = {}
        return self.error

    def note_trouble(self, where: str, exc: BaseException) -> None:
        """Chatkit's own bookkeeping failed: keep the first failure for the row, and warn
        through :mod:`logging` (a warning raised as an exception would reach the caller)."""
        if self.trouble is None:
            self.trouble = f"{where}: {type(exc).__name__}: {exc}"[:300]
        _LOG.warning("chatkit recorder: %s failed (%s: %s); the request is not affected",
                     where, type(exc).__name__, exc)

    # --- the row --------------------------------------------------------------------------

    def row(self, now: float, *, completed: bool = True) -> dict[str, Any]:
        """The log row; ``completed`` says whether the body was read to its end."""
        values = list(self._values(now, completed))
        for index in _MS:
            if values[index] is not None:
                values[index] = round(values[index], 2)
        return self._extras(dict(zip(FIELDS, values, strict=True)))

    def line(self, now: float, *, completed: bool = True) -> str:
        """The row as its JSON text (:func:`chatkit.client.linetext.line_text`), with no
        dict and no encoder between: the recorder writes one per attempt."""
        text = line_text(self._values(now, completed))
        if self.aborted or self.trouble:
            extras = self._extras({})
            text = text[:-1] + "".join(f",{json_value(key)}:{json_value(value)}"
                                       for key, value in extras.items()) + "}"
        return text

    def _values(self, now: float, completed: bool) -> tuple[Any, ...]:
        """The row's values, in the order of :data:`FIELDS` (the times not yet rounded)."""
        headers = self.headers
        if headers is not None:  # what answered() kept
            self.headers = None
            request_id, kind = header_values(headers, b"x-request-id", b"content-type")
            self.request_id, self.content_type = request_id, kind or ""
        if self.arrivals is not None:
            self._meter()
        self.end = self.end or now
        prompt = completion = None
        if self.meter is not None:
            self.meter.close(now)
            if self.meter.error:
                self.error = {k: self.meter.error.get(k) for k in ("type", "code", "message")}
                if self.meter.status == "failed":
                    self.error["type"] = self.error["type"] or "response.failed"
            elif self.meter.status == "incomplete":
                self._incomplete(self.meter.incomplete_reason)
            elif completed and not self.meter.done and self.exception is None:
                self.exception = "IncompleteStream"  # no [DONE] or terminal event: a cut stream
            prompt = self.meter.input_tokens
            completion = self.meter.output_tokens if self.meter.usage else None
            self.model = self.model or self.meter.model
        elif self.body:
            raw = b"".join(self.body)
            prompt, completion = self._parse_body(raw)
            if completed and self.exception is None:
                self._check_answer(raw)
        error = self.error
        message = error.get("message") if error else None
        # timed and kept alive (nothing to connect), or not timed at all
        reused = 0.0 if self.timed and self.status is not None else None
        return (
            utc_iso(self.wall_start), self.method, self.url, self.host, self.endpoint,
            self.provider, self.model, self.stream, self.attempt, self.status,
            error.get("type") if error else None,
            _text(error.get("code")) if error else None,
            redact_text(str(message))[:300] if message else None,
            self.exception,
            (self.end - self.start) * 1000,
            None if self.ttfb is None else (self.ttfb - self.start) * 1000,
            self.meter.ttft_ms if self.meter and self.meter.ttft_ms else None,
            None,  # dns_ms: httpcore resolves inside connect, so DNS is part of connect_ms
            self._phase("connect", "connection.connect_tcp.") if self.phases else reused,
            (self._phase("tls", "connection.start_tls.") if self.phases else reused)
            if self.url.startswith("https:") else None,
            self.request_bytes,
            self.response_bytes if self.status is not None else None,
            prompt, completion, self.request_id,
        )

    def fallback_row(self, now: float, exc: BaseException) -> dict[str, Any]:
        """The plain fields only, when building the full row failed."""
        self.note_trouble("row", exc)
        row = dict.fromkeys(FIELDS)
        row.update(ts=utc_iso(self.wall_start), method=self.method, host=self.host,
                   endpoint=self.endpoint, provider=self.provider, attempt=self.attempt,
                   status=self.status, exception=self.exception,
                   latency_ms=round(((self.end or now) - self.start) * 1000, 2),
                   request_id=self.request_id)
        return self._extras(row)

    def _extras(self, row: dict[str, Any]) -> dict[str, Any]:
        """Beyond the contract, only when there is something to say."""
        if self.aborted:
            row["aborted"] = self.aborted
        if self.trouble:
            row["recorder_error"] = redact_text(self.trouble)
        return row

    def _phase(self, name: str, prefix: str) -> float | None:
        """Milliseconds of a phase some connection was timed for (``phases`` holds marks)."""
        phases = self.phases or {}
        if name in phases:  # timed by chatkit.client.conntiming
            return phases[name]
        started, done = phases.get(prefix + "started"), phases.get(prefix + "complete")
        if started is not None and done is not None:  # from the trace extension
            return (done - started) * 1000
        # Timed (by conntiming, or traced), answered, but no connect: the attempt reused a
        # kept-alive connection, which costs nothing to connect.
        timed = self.timed or any(event.startswith("http") for event in phases)
        connected = "connect" in phases or "connection.connect_tcp.started" in phases
        return 0.0 if timed and not connected and self.status is not None else None

    def _incomplete(self, reason: str | None) -> None:
        """A Responses answer that stopped early: the outcome and its reason."""
        self.error = {"type": "incomplete", "code": reason,
                      "message": f"the response is incomplete ({reason or 'no reason given'})"}

    def _check_answer(self, raw: bytes) -> None:
        """Name what the client will choke on: an HTML page or cut-off JSON under a 2xx
        (pseudo exception names that :func:`chatkit.knowledge.classifier.classify` knows)."""
        if self.status is None or self.status >= 400:
            return
        if "html" in self.content_type:
            self.exception = "HTMLInsteadOfJSON"
            text = " ".join(raw[:4000].decode("utf-8", "replace").split())
            self._error().setdefault("message", text[:300])
        elif "json" in self.content_type and not raw.rstrip().endswith((b"}", b"]")):
            self.exception = "MalformedJSON"

    def _response_status(self, raw: bytes) -> None:
        """A plain Responses answer that is incomplete or failed says so in the row."""
        status = _STATUS.search(raw[:4096])
        if status is None or status.group(1) not in (b"incomplete", b"failed"):
            return
        if status.group(1) == b"incomplete":
            reason = _REASON.search(raw)
            self._incomplete(reason.group(1).decode() if reason else None)
            return
        try:
            error = json.loads(raw).get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        self.error = {"type": "response.failed", "code": error.get("code"),
                      "message": error.get("message") or "the response failed"}

    def _parse_body(self, raw: bytes) -> tuple[Any, Any]:
        if self.status is not None and self.status < 400:
            # usage comes at the end: read from its last "usage" key (from the last 2 KB when
            # there is none), and not at all from a body with no token count
            at = raw.rfind(b'"usage"')
            chat = _CHAT_USAGE.match(raw, at) if at >= 0 else None
            if chat is not None:  # the chat completions shape, in one match
                prompt, completion = chat.groups()
            else:
                usage = dict((at >= 0 and _USAGE.findall(raw, at)) or (
                    b'_tokens"' in raw and (_USAGE.findall(raw[-2048:]) or _USAGE.findall(raw)))
                    or ())
                prompt = usage.get(b"prompt_tokens", usage.get(b"input_tokens"))
                completion = usage.get(b"completion_tokens", usage.get(b"output_tokens"))
            if self.endpoint.endswith("/responses"):
                self._response_status(raw)
            if self.model is None and b'"model"' in raw:  # a list of models has none
                model = _MODEL.search(raw)
                self.model = model.group(1).decode("utf-8", "replace") if model else None
            return (int(prompt) if prompt else None), (int(completion) if completion else None)
        try:
            data = json.loads(raw)
        except ValueError:
            if self.status is not None and self.status >= 400:
                text = " ".join(raw[:2000].decode("utf-8", "replace").split())
                self._error().setdefault("message", text[:300])
            return None, None
        if not isinstance(data, dict):
            return None, None
        error = data.get("error")
        if isinstance(error, dict):
            self.error = {k: error.get(k) for k in ("type", "code", "message")}
        elif isinstance(error, str):
            self.error = {"message": error}
        model = data.get("model")
        if isinstance(model, str):
            self.model = self.model or model
        counts = data.get("usage")
        if not isinstance(counts, dict):
            return None, None
        return counts.get("prompt_tokens"), counts.get("completion_tokens")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
