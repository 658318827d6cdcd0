"""The recording transport is invisible, as a property: for any answer (status, headers with
every ``x-should-retry`` and ``retry-after`` form, any body, any split into chunks, cut short
or not, real, foreign or malformed SSE events) the caller sees what the bare client sees —
status, headers, the same bytes in the same order, the same exception at the same step — the
server sees one request, and the log gets one line. Sync and async, httpx and httpx2.

Answers come from a raw loopback server that writes each chunk with its own ``send``. With
retries off every status is compared; with the default policy the 2xx and 3xx answers are
(those are never retried, whatever their headers say).
"""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatkit.client import (
    NO_RETRY,
    AsyncRecordingTransport,
    RecordingTransport,
    RetryPolicy,
    flush_logs,
)
from chatkit.knowledge.sse import StreamMeter

REAL = Path(__file__).parent / "data" / "real" / "openai_python_sse"
# Real events: recorded OpenAI streams and the SDK's SSE decoder cases (tests/data/real).
REAL_EVENTS = [event + b"\n\n" for path in sorted(REAL.glob("*.sse"))
               for event in path.read_bytes().split(b"\n\n") if event]
FOREIGN_EVENTS = [
    b'data: {"choices": {"a": 1}}\n\n',  # gateways' own shapes
    b'data: {"choices": [{"delta": "x"}]}\n\n',
    b'data: {"choices": [null], "usage": "x", "model": 3}\n\n',
    b'data: {"error": "overloaded"}\n\n',
    b"data: " + b"[" * 3000 + b"\n\n",  # deeper than the JSON parser's recursion limit
    b"data: [DONE]\n\n", b": keep-alive\n\n", b"retry: 1000\n\n", b"data:\n\n",
    b"event: response.output_text.delta\ndata: {\"type\": \"response.output_text.delta\"}\n\n",
]
KEYS = ["choices", "delta", "content", "usage", "model", "error", "finish_reason", "tool_calls",
        "refusal", "completion_tokens", "message"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=4),
    max_leaves=12)
events = st.one_of(
    st.sampled_from(REAL_EVENTS), st.sampled_from(FOREIGN_EVENTS),
    json_values.map(lambda v: b"data: " + json.dumps(v).encode() + b"\n\n"),
    st.binary(max_size=40))

STATUSES = [200, 201, 202, 203, 204, 206, 300, 301, 302, 303, 304, 307, 308, 400, 401, 403,
            404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 520, 529]
ZONES = ["GMT", "UTC", "-0000", "+0000", "+0200", "-0700", "+1400", "-1200", "PST", "EDT"]
http_dates = st.builds(
    lambda when, zone: email.utils.format_datetime(when, usegmt=False)[:-5] + zone,
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.just(timezone.utc)), st.sampled_from(ZONES))
waits = st.one_of(
    st.integers(-10**3, 10**40).map(str), st.floats().map(repr), http_dates,
    st.sampled_from(["inf", "-inf", "nan", "1e400", "", " 3 ", "1_000", "soon",
                     "Fri, 29 Sep 100000 16:26:57 GMT", "Wed, 21 Oct 2026 07:28:00 -0000"]),
    st.builds(lambda s: email.utils.format_datetime(
        datetime.now(timezone.utc) + timedelta(seconds=s), usegmt=True), st.integers(-5, 300)))
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    chunks: tuple[bytes, ...]
    framing: str  # "length", "chunked", or "close" (the body ends with the connection)
    cut: bool  # the connection drops before the declared body is complete

    def body(self) -> bytes:
        return b"".join(self.chunks)


@st.composite
def answers(draw: Any) -> Answer:
    status = draw(st.sampled_from(STATUSES))
    ctype = draw(st.sampled_from(["application/json", "text/event-stream",
                                  "text/event-stream; charset=utf-8", "text/html",
                                  "text/plain", None]))
    headers = [("content-type", ctype)] if ctype else []
    for name, values in (("x-should-retry", st.sampled_from(["true", "false", "TRUE", "1", ""])),
                         ("retry-after", waits), ("retry-after-ms", waits),
                         ("x-request-id", header_values), ("x-custom", header_values)):
        if draw(st.booleans()):
            headers.append((name, draw(values).strip()))
    if status in (204, 304):
        body = b""
    elif ctype and "event-stream" in ctype:
        body = b"".join(draw(st.lists(events, max_size=12)))
    else:
        body = draw(st.one_of(json_values.map(lambda v: json.dumps(v).encode()),
                              st.binary(max_size=300)))
    sizes = draw(st.lists(st.integers(1, 64), max_size=12))
    chunks, start = [], 0
    for size in sizes:
        if start < len(body):
            chunks.append(body[start:start + size])
            start += size
    if start < len(body):
        chunks.append(body[start:])
    framing = draw(st.sampled_from(["length", "chunked", "close"]))
    cut = bool(body) and framing != "close" and draw(st.booleans())
    return Answer(status, tuple(headers), tuple(chunks), framing, cut)


class AnswerServer:
    """Answers ``/v1/<token>`` with the Answer registered under the token, one connection per
    request, and counts the requests each token received."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.answers: dict[str, Answer] = {}
        self.seen: dict[str, int] = {}
        self._tokens = itertools.count()
        threading.Thread(target=self._serve, daemon=True).start()

    def register(self, answer: Answer) -> str:
        token = f"t{next(self._tokens)}"
        self.answers[token] = answer
        return f"{self.url}/{token}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(rest) < length:
                rest += conn.recv(65536)
            token = head.split(b" ", 2)[1].decode().rsplit("/", 1)[-1]
            self.seen[token] = self.seen.get(token, 0) + 1
            self._send(conn, self.answers[token])

    @staticmethod
    def _send(conn: socket.socket, answer: Answer) -> None:
        lines = [f"HTTP/1.1 {answer.status} Whatever", "connection: close"]
        lines += [f"{name}: {value}" for name, value in answer.headers]
        body = answer.body()
        if answer.framing == "length" and answer.status not in (204, 304):
            lines.append(f"content-length: {len(body) + (5 if answer.cut else 0)}")
        elif answer.framing == "chunked" and answer.status not in (204, 304):
            lines.append("transfer-encoding: chunked")
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        for chunk in answer.chunks:
            if answer.framing == "chunked":
                chunk = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
            conn.sendall(chunk)
        if answer.framing == "chunked" and not answer.cut and answer.status not in (204, 304):
            conn.sendall(b"0\r\n\r\n")
        conn.shutdown(socket.SHUT_WR)


@pytest.fixture(scope="module")
def server() -> Iterator[AnswerServer]:
    served = AnswerServer()
    yield served
    served.sock.close()


Seen = tuple[Any, bytes, Any]
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True}


def _observe(client: Any, url: str) -> Seen:
    """(status and raw headers, body bytes, (step, exception class) or None)."""
    try:
        with client.stream("POST", url, json=BODY) as response:
            head = (response.status_code, response.headers.raw)
            parts: list[bytes] = []
            try:
                for chunk in response.iter_raw():
                    parts.append(chunk)
            except Exception as exc:
                return head, b"".join(parts), ("read", type(exc).__name__)
            return head, b"".join(parts), None
    except Exception as exc:
        return None, b"", ("send", type(exc).__name__)


async def _aobserve(client: Any, url: str) -> Seen:
    try:
        async with client.stream("POST", url, json=BODY) as response:
            head = (response.status_code, response.headers.raw)
            parts: list[bytes] = []
            try:
                async for chunk in response.aiter_raw():
                    parts.append(chunk)
            except Exception as exc:
                return head, b"".join(parts), ("read", type(exc).__name__)
            return head, b"".join(parts), None
    except Exception as exc:
        return None, b"", ("send", type(exc).__name__)


def _lines(log: Path) -> list[str]:
    """The log's lines, once the rows the recorders hold are written."""
    flush_logs()
    return log.read_text().splitlines()


def _policy(answer: Answer) -> RetryPolicy:
    return RetryPolicy(random=lambda: 0.0) if answer.status < 400 else NO_RETRY


def _check(server: AnswerServer, answer: Answer, bare: Seen, recorded: Seen, log: Path,
           lines_before: int, urls: list[str]) -> None:
    assert recorded == bare
    if not answer.cut:
        assert bare[1] == answer.body() and bare[2] is None
    assert [server.seen.get(url.rsplit("/", 1)[-1]) for url in urls] == [1, 1]
    rows = _lines(log)
    assert len(rows) == lines_before + 1  # one attempt, one line
    row = json.loads(rows[-1])
    assert row["status"] == bare[0][0] and row["response_bytes"] == len(bare[1])


SETTINGS = settings(max_examples=80, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@pytest.mark.parametrize("flavour", ["httpx", "httpx2"])
def test_sync_transport_is_invisible(server: AnswerServer, tmp_path: Path, flavour: str) -> None:
    module = pytest.importorskip(flavour)
    log = tmp_path / f"{flavour}.jsonl"
    log.touch()
    bare = module.Client(transport=module.HTTPTransport(), timeout=10)
    clients: dict[bool, Any] = {}

    def recorded(answer: Answer) -> Any:
        key = answer.status < 400
        if key not in clients:
            clients[key] = module.Client(timeout=10, transport=RecordingTransport(
                module.HTTPTransport(), log=str(log), policy=_policy(answer),
                sleep=lambda s: None))
        return clients[key]

    @SETTINGS
    @given(answer=answers())
    def check(answer: Answer) -> None:
        before = len(_lines(log))
        urls = [server.register(answer), server.register(answer)]
        _check(server, answer, _observe(bare, urls[0]), _observe(recorded(answer), urls[1]),
               log, before, urls)

    try:
        check()
    finally:
        for client in (bare, *clients.values()):
            client.close()


@pytest.mark.parametrize("flavour", ["httpx", "httpx2"])
def test_async_transport_is_invisible(server: AnswerServer, tmp_path: Path,
                                      flavour: str) -> None:
    module = pytest.importorskip(flavour)
    log = tmp_path / f"{flavour}.jsonl"
    log.touch()
    loop = asyncio.new_event_loop()

    async def build() -> tuple[Any, dict[bool, Any]]:
        clients = {key: module.AsyncClient(timeout=10, transport=AsyncRecordingTransport(
            module.AsyncHTTPTransport(), log=str(log),
            policy=RetryPolicy(random=lambda: 0.0) if key else NO_RETRY, sleep=_no_sleep))
            for key in (True, False)}
        return module.AsyncClient(transport=module.AsyncHTTPTransport(), timeout=10), clients

    bare, clients = loop.run_until_complete(build())

    @SETTINGS
    @given(answer=answers())
    def check(answer: Answer) -> None:
        before = len(_lines(log))
        urls = [server.register(answer), server.register(answer)]
        seen = loop.run_until_complete(_aobserve(bare, urls[0]))
        recorded = loop.run_until_complete(_aobserve(clients[answer.status < 400], urls[1]))
        _check(server, answer, seen, recorded, log, before, urls)

    try:
        check()
    finally:
        for client in (bare, *clients.values()):
            loop.run_until_complete(client.aclose())
        loop.close()


async def _no_sleep(seconds: float) -> None:
    return None


@settings(max_examples=300, deadline=None, database=None)
@given(chunks=st.lists(events, max_size=20), cuts=st.lists(st.integers(1, 30), max_size=20))
def test_the_stream_meter_reads_anything_without_raising(chunks: list[bytes],
                                                         cuts: list[int]) -> None:
    body, meter, start = b"".join(chunks), StreamMeter(started=0.0), 0
    for index, size in enumerate(cuts):
        meter.feed(body[start:start + size], float(index))
        start += size
    meter.feed(body[start:], 99.0)
    meter.close(100.0)
    meter.summary()
