"""RetryPolicy, the recording transports and resilient_client, with the official openai client
against the simulator. Sleeping is faked: waits are collected, never slept."""

from __future__ import annotations

import asyncio
import importlib
import json
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from servers import ConnectProxy, closed_port
from support import jsonl_rows

from chatkit.client import (
    AsyncRecordingTransport,
    RecordingTransport,
    RetryPolicy,
    async_resilient_client,
    resilient_client,
)
from chatkit.client.requestlog import FIELDS, RequestLog
from chatkit.client.transport import http_flavour
from chatkit.knowledge.classifier import classify
from chatkit.sim import DEFAULT_KEY, SimServer
from chatkit.targets import Target

MESSAGES = [{"role": "user", "content": "hello there"}]
# the HTTP package the installed openai takes: httpx2 for openai >= 3, httpx before
HTTP = importlib.import_module(http_flavour())


_OPENED: list[Any] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Close every client a test made while its server still runs (no ResourceWarning)."""
    yield
    while _OPENED:
        _OPENED.pop().close()


def _openai(url: str, log: Path, waits: list[float], **kw: Any) -> openai.OpenAI:
    http = resilient_client(url, log_path=str(log), sleep=waits.append, **kw)
    client = openai.OpenAI(base_url=url, api_key=DEFAULT_KEY, max_retries=0, http_client=http)
    _OPENED.append(client)
    return client


# --- the policy at the transport (the decisions themselves: tests/test_client_policy.py) ------


@pytest.mark.parametrize("should", ["true", "false"])
def test_an_answer_is_never_sent_twice_nor_read_ahead(tmp_path: Path, should: str) -> None:
    calls: list[int] = []
    pulled: list[bytes] = []

    class Body(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            for chunk in (b"data: {}\n\n", b"data: [DONE]\n\n"):
                pulled.append(chunk)
                yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, headers={"x-should-retry": should,
                                            "content-type": "text/event-stream"}, stream=Body())

    transport = RecordingTransport(httpx.MockTransport(handler), log=str(tmp_path / "l.jsonl"),
                                   policy=RetryPolicy(), sleep=lambda s: None)
    with httpx.Client(transport=transport) as client:
        with client.stream("POST", "https://api.example.test/v1/chat/completions") as response:
            assert pulled == []  # handed over unread: the caller streams it
            assert response.read() == b"data: {}\n\ndata: [DONE]\n\n"
    assert calls == [1] and len(jsonl_rows(tmp_path / "l.jsonl")) == 1


def test_a_retry_after_date_in_any_zone_is_no_crash(tmp_path: Path) -> None:
    answers = iter([httpx.Response(503, headers={"retry-after": "Wed, 21 Oct 2026 07:28:00 -0000"}),
                    httpx.Response(200, json={})])
    transport = RecordingTransport(httpx.MockTransport(lambda r: next(answers)),
                                   log=str(tmp_path / "l.jsonl"), policy=RetryPolicy(),
                                   sleep=lambda s: None)
    with httpx.Client(transport=transport) as client:
        assert client.get("https://api.example.test/v1/models").status_code == 200
    assert [r["status"] for r in jsonl_rows(tmp_path / "l.jsonl")] == [503, 200]


# --- the official openai client through resilient_client ---------------------------------------


def test_flavour_follows_the_installed_openai() -> None:
    expected = "httpx2" if int(openai.__version__.split(".")[0]) >= 3 else "httpx"
    assert http_flavour() == expected
    with resilient_client() as client:
        assert type(client).__module__.split(".")[0] == expected


def test_healthy_calls_are_recorded(server: SimServer, tmp_path: Path) -> None:
    log, waits = tmp_path / "log.jsonl", []
    client = _openai(server.base_url, log, waits)
    answer = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    chunks = list(client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}))
    assert answer.choices[0].message.content and chunks
    plain, streamed = jsonl_rows(log)
    assert list(plain) == list(FIELDS)
    assert plain["status"] == 200 and plain["attempt"] == 0 and plain["stream"] is False
    assert plain["model"] == "gpt-4o-mini" and plain["endpoint"] == "/v1/chat/completions"
    assert plain["completion_tokens"] == answer.usage.completion_tokens  # type: ignore[union-attr]
    assert plain["request_id"] == answer._request_id  # type: ignore[attr-defined]
    assert plain["ttft_ms"] is None and plain["latency_ms"] >= plain["ttfb_ms"] > 0
    assert plain["connect_ms"] is not None and plain["request_bytes"] > 0
    assert streamed["stream"] is True and streamed["model"] == "gpt-4o"
    assert 0 < streamed["ttfb_ms"] <= streamed["ttft_ms"] <= streamed["latency_ms"]
    assert streamed["completion_tokens"] > 0 and streamed["exception"] is None
    assert streamed["connect_ms"] == 0.0  # the kept-alive connection was reused
    assert waits == []


def test_rate_limit_is_retried_after_what_retry_after_says(server: SimServer,
                                                           tmp_path: Path) -> None:
    log, waits = tmp_path / "log.jsonl", []
    client = _openai(server.url_for_fault("429_rate_limit"), log, waits)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    rows = jsonl_rows(log)
    assert [(r["attempt"], r["status"], r["error_code"]) for r in rows] == [
        (0, 429, "rate_limit_exceeded"), (1, 429, "rate_limit_exceeded"),
        (2, 429, "rate_limit_exceeded")]
    assert waits == [1.0, 1.0]  # retry-after-ms: 1000 from the simulator


def test_insufficient_quota_is_not_retried(server: SimServer, tmp_path: Path) -> None:
    log, waits = tmp_path / "log.jsonl", []
    client = _openai(server.url_for_fault("429_insufficient_quota"), log, waits)
    with pytest.raises(openai.RateLimitError, match="exceeded your current quota"):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    (row,) = jsonl_rows(log)
    assert (row["status"], row["error_type"], row["attempt"]) == (429, "insufficient_quota", 0)
    assert classify(row).evidence["kind"] == "insufficient_quota"
    assert waits == []


def test_server_errors_back_off_exponentially(server: SimServer, tmp_path: Path) -> None:
    log, waits = tmp_path / "log.jsonl", []
    client = _openai(server.url_for_fault("500"), log, waits)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert [r["attempt"] for r in jsonl_rows(log)] == [0, 1, 2]
    assert {r["error_type"] for r in jsonl_rows(log)} == {"server_error"}
    assert 0.375 <= waits[0] <= 0.5 and 0.75 <= waits[1] <= 1.0


def test_a_flaky_api_recovers(tmp_path: Path) -> None:
    log, waits = tmp_path / "log.jsonl", []
    with SimServer(fault="flaky:0.5", seed=3) as sim:
        client = _openai(sim.base_url, log, waits, policy=RetryPolicy(max_retries=8))
        for _ in range(6):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        client.close()
    rows = jsonl_rows(log)
    assert sum(r["status"] == 200 for r in rows) == 6
    assert len(rows) == 6 + len(waits) and waits  # some failed, each failure retried once
    assert all(classify(r).retryable for r in rows if r["status"] != 200)


def test_timeouts_are_retried_and_logged(server: SimServer, tmp_path: Path) -> None:
    log, waits = tmp_path / "log.jsonl", []
    client = _openai(server.url_for_fault("timeout"), log, waits,
                     timeout=HTTP.Timeout(0.2, connect=1.0))
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    rows = jsonl_rows(log)
    assert [(r["attempt"], r["status"], r["exception"]) for r in rows] == [
        (0, None, "ReadTimeout"), (1, None, "ReadTimeout"), (2, None, "ReadTimeout")]
    assert classify(rows[0]).evidence["kind"] == "read_timeout"
    assert len(waits) == 2


def test_a_cut_stream_is_recorded(server: SimServer, tmp_path: Path) -> None:
    log, waits = tmp_path / "log.jsonl", []
    client = _openai(server.url_for_fault("stream_cut"), log, waits)
    # openai >= 3 wraps the cut in APIConnectionError; 1.x lets the transport error through
    with pytest.raises((openai.APIConnectionError, HTTP.RemoteProtocolError)):
        for _ in client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES,
                                                stream=True):
            pass
    (row,) = jsonl_rows(log)
    assert row["status"] == 200 and row["exception"] == "RemoteProtocolError"
    assert row["ttft_ms"] is not None
    assert classify(row).evidence["kind"] == "stream_cut"


def test_an_error_event_in_a_stream_is_recorded(server: SimServer, tmp_path: Path) -> None:
    log, waits = tmp_path / "log.jsonl", []
    client = _openai(server.url_for_fault("stream_error"), log, waits)
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES,
                                                stream=True):
            pass
    (row,) = jsonl_rows(log)
    assert (row["status"], row["error_type"], row["exception"]) == (200, "server_error", None)
    assert classify(row).evidence["kind"] == "stream_error"


def test_the_legacy_httpx_flavour_works_too(server: SimServer, tmp_path: Path) -> None:
    log, waits = tmp_path / "log.jsonl", []
    http = resilient_client(server.url_for_fault("429_rate_limit"), log_path=str(log),
                            flavour="httpx", sleep=waits.append)
    assert isinstance(http, httpx.Client)
    client = openai.OpenAI(base_url=server.url_for_fault("429_rate_limit"), api_key=DEFAULT_KEY,
                           max_retries=0, http_client=http)
    _OPENED.append(client)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert [r["attempt"] for r in jsonl_rows(log)] == [0, 1, 2] and waits == [1.0, 1.0]


def test_async_twin(server: SimServer, tmp_path: Path) -> None:
    log, waits = tmp_path / "log.jsonl", []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    async def run() -> None:
        url = server.url_for_fault("429_rate_limit")
        http = async_resilient_client(url, log_path=str(log), sleep=fake_sleep)
        async with openai.AsyncOpenAI(base_url=url, api_key=DEFAULT_KEY, max_retries=0,
                                      http_client=http) as client:
            with pytest.raises(openai.RateLimitError):
                await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            healthy = openai.AsyncOpenAI(base_url=server.base_url, api_key=DEFAULT_KEY,
                                         max_retries=0, http_client=async_resilient_client(
                                             server.base_url, log_path=str(log)))
            stream = await healthy.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, stream=True,
                stream_options={"include_usage": True})
            async for _ in stream:
                pass
            await healthy.close()

    asyncio.run(run())
    rows = jsonl_rows(log)
    assert [(r["attempt"], r["status"]) for r in rows] == [(0, 429), (1, 429), (2, 429), (0, 200)]
    assert rows[-1]["ttft_ms"] is not None and rows[-1]["completion_tokens"] > 0
    assert waits == [1.0, 1.0]


# --- attempt numbers, secrets, proxies ---------------------------------------------------------


def test_attempt_numbers_follow_the_openai_clients_own_retries(server: SimServer,
                                                               tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    transport = RecordingTransport(log=str(log), flavour="httpx")
    with httpx.Client(transport=transport) as client:
        for count in range(3):  # what openai sends on its retries of one call
            client.post(f"{server.base_url}/chat/completions", json={"model": "gpt-4o-mini",
                        "messages": MESSAGES}, headers={
                "Authorization": f"Bearer {DEFAULT_KEY}", "Idempotency-Key": "stainless-1",
                "x-stainless-retry-count": str(count)})
        client.get(f"{server.base_url}/models", headers={
            "Authorization": f"Bearer {DEFAULT_KEY}", "x-stainless-retry-count": "2"})
    assert [r["attempt"] for r in jsonl_rows(log)] == [0, 1, 2, 2]


def test_no_secret_is_written(server: SimServer, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    wrong = "sk-proj-ThisIsNotARealKeyButLooksLikeOne1234567890"
    client = openai.OpenAI(base_url=server.base_url, api_key=wrong, max_retries=0,
                           http_client=resilient_client(server.base_url, log_path=str(log)))
    _OPENED.append(client)
    with pytest.raises(openai.AuthenticationError):
        client.models.list(extra_query={"api_key": wrong})
    (row,) = jsonl_rows(log)
    text = log.read_text()
    assert "ThisIsNotARealKey" not in text and "1234567890" not in text
    assert row["status"] == 401 and row["error_code"] == "invalid_api_key"
    assert "[REDACTED" in row["url"]


def test_a_user_trace_hook_still_runs(server: SimServer, tmp_path: Path) -> None:
    events: list[str] = []
    with resilient_client(server.base_url, log_path=str(tmp_path / "l.jsonl")) as client:
        client.get(f"{server.base_url}/models", extensions={
            "trace": lambda name, info: events.append(name)})
    assert any(e.startswith("connection.connect_tcp") for e in events)


def test_target_proxy_is_used_and_recorded(server: SimServer, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    with ConnectProxy() as proxy:
        target = Target(server.base_url, provider="compatible", proxy=proxy.url)
        with resilient_client(target, log_path=str(log)) as client:
            client.get(f"{server.base_url}/models",
                       headers={"Authorization": f"Bearer {DEFAULT_KEY}"})
    assert proxy.requests and jsonl_rows(log)[0]["status"] == 200
    assert jsonl_rows(log)[0]["provider"] == "compatible"


def test_environment_proxy_is_used_and_recorded(server: SimServer, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "log.jsonl"
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with resilient_client(server.base_url, log_path=str(log)) as client:
            client.get(f"{server.base_url}/models",
                       headers={"Authorization": f"Bearer {DEFAULT_KEY}"})
    assert proxy.requests and jsonl_rows(log)[0]["status"] == 200


def test_unreachable_proxy_is_retried_then_named(tmp_path: Path) -> None:
    log, waits = tmp_path / "log.jsonl", []
    url = f"http://127.0.0.1:{closed_port()}"
    target = Target("http://127.0.0.1:9/v1", provider="compatible", proxy=url)
    with resilient_client(target, log_path=str(log), sleep=waits.append) as client:
        with pytest.raises(HTTP.ConnectError):
            client.get("http://127.0.0.1:9/v1/models")
    rows = jsonl_rows(log)
    assert [(r["attempt"], r["exception"]) for r in rows] == [
        (0, "ConnectError"), (1, "ConnectError"), (2, "ConnectError")]
    assert len(waits) == 2
    assert classify(rows[0], evidence={"proxy": url}).evidence["kind"] == "proxy_unreachable"


# --- the log file ------------------------------------------------------------------------------


def test_threads_append_whole_lines(tmp_path: Path) -> None:
    log = RequestLog(tmp_path / "log.jsonl")
    row = {"ts": "2026-01-01T00:00:00.000Z", "error_message": "x" * 3000}

    def write(n: int) -> None:
        for i in range(200):
            log.write({**row, "attempt": n * 1000 + i})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    rows = jsonl_rows(tmp_path / "log.jsonl")
    assert sorted(r["attempt"] for r in rows) == sorted(n * 1000 + i for n in range(8)
                                                        for i in range(200))


def test_processes_append_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    code = ("import sys; from chatkit.client.requestlog import RequestLog; "
            "log = RequestLog(sys.argv[1])\n"
            "for i in range(300): log.write({'attempt': i, 'who': sys.argv[2], 'pad': 'y' * 5000})")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), str(n)]) for n in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    rows = jsonl_rows(path)
    assert len(rows) == 900 and {r["who"] for r in rows} == {"0", "1", "2"}


def test_a_torn_last_line_does_not_swallow_the_next(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text('{"attempt": 0}\n{"attempt": 1, "sta')  # a writer killed mid-line
    log = RequestLog(path)
    log.write({"attempt": 2})
    log.close()
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1]) == {"attempt": 2} and len(lines) == 3


def test_async_transport_wraps_a_mock(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(503, json={"error": {"message": "The server is overloaded",
                                                       "type": "service_unavailable_error",
                                                       "code": "server_is_overloaded"}})
        return httpx.Response(200, json={"model": "m", "usage": {"prompt_tokens": 3,
                                                                  "completion_tokens": 4}})

    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    async def run() -> httpx.Response:
        transport = AsyncRecordingTransport(httpx.MockTransport(handler), log=str(log),
                                            policy=RetryPolicy(random=lambda: 0.0),
                                            sleep=fake_sleep)
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.post("https://api.example.test/v1/chat/completions",
                                     json={"model": "m", "messages": MESSAGES})

    response = asyncio.run(run())
    assert response.json()["usage"]["completion_tokens"] == 4
    rows = jsonl_rows(log)
    assert [(r["attempt"], r["status"], r["error_code"]) for r in rows] == [
        (0, 503, "server_is_overloaded"), (1, 200, None)]
    assert rows[1]["prompt_tokens"] == 3 and waits == [0.5]


def test_last_retryable_answer_reaches_the_caller_intact(tmp_path: Path) -> None:
    body = {"error": {"message": "boom", "type": "server_error", "code": None}}
    transport = RecordingTransport(httpx.MockTransport(lambda r: httpx.Response(500, json=body)),
                                   log=str(tmp_path / "l.jsonl"), policy=RetryPolicy(),
                                   sleep=lambda s: None)
    with httpx.Client(transport=transport) as client:
        response = client.get("https://api.example.test/v1/models")
    assert response.status_code == 500 and response.json() == body
    assert len(jsonl_rows(tmp_path / "l.jsonl")) == 3


def test_a_reader_that_stops_early_is_not_a_failure(server: SimServer, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    with resilient_client(server.base_url, log_path=str(log)) as client:
        with client.stream("POST", f"{server.base_url}/chat/completions", json={
                "model": "gpt-4o-mini", "messages": MESSAGES, "stream": True},
                headers={"Authorization": f"Bearer {DEFAULT_KEY}"}) as response:
            for _ in response.iter_lines():
                break
    (row,) = jsonl_rows(log)
    assert row["status"] == 200 and row["exception"] is None
    assert classify(row).status == "ok"


@pytest.mark.parametrize(("fault", "exception", "kind"), [
    ("captive_portal", "HTMLInsteadOfJSON", "captive_portal"),
    ("malformed_json", "MalformedJSON", "malformed_json"),
])
def test_a_2xx_that_is_not_the_api_is_flagged(server: SimServer, tmp_path: Path, fault: str,
                                              exception: str, kind: str) -> None:
    # the openai client returns the portal's HTML as a str, or raises JSONDecodeError:
    # the log says which
    log = tmp_path / "log.jsonl"
    with resilient_client(server.url_for_fault(fault), log_path=str(log)) as client:
        client.post(f"{server.url_for_fault(fault)}/chat/completions",
                    json={"model": "gpt-4o-mini", "messages": MESSAGES},
                    headers={"Authorization": f"Bearer {DEFAULT_KEY}"})
    (row,) = jsonl_rows(log)
    assert (row["status"], row["exception"]) == (200, exception)
    assert classify(row).evidence["kind"] == kind


def test_concurrent_async_requests_each_get_their_line(server: SimServer, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"

    async def run() -> None:
        async with async_resilient_client(server.base_url, log_path=str(log)) as client:
            await asyncio.gather(*(
                client.post(f"{server.base_url}/chat/completions",
                            json={"model": "gpt-4o-mini", "messages": MESSAGES,
                                  "stream": n % 2 == 0},
                            headers={"Authorization": f"Bearer {DEFAULT_KEY}"})
                for n in range(20)))

    asyncio.run(run())
    rows = jsonl_rows(log)
    answered = [r for r in rows if r["status"] == 200]
    # a burst of 20 connections may overflow the simulator's listen backlog: those attempts
    # fail, are logged, and are retried
    failed = [r for r in rows if r["status"] != 200]
    assert len(answered) == 20 and all(classify(r).retryable for r in failed)
    assert len([r for r in rows if r["attempt"] > 0]) == len(failed)
    rows = answered
    assert sum(r["stream"] for r in rows) == 10
    assert all(r["completion_tokens"] for r in rows if not r["stream"])
    assert all(r["ttft_ms"] for r in rows if r["stream"])


# --- connect and TLS times, from the connection pool's network backend ---------------------


@pytest.mark.parametrize("flavour", ["httpx", "httpx2"])
def test_new_connections_are_timed_and_reused_ones_cost_nothing(tmp_path: Path,
                                                                 flavour: str) -> None:
    trustme = pytest.importorskip("trustme")
    pytest.importorskip(flavour)
    from servers import HTTPServer

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    log = tmp_path / "log.jsonl"
    with HTTPServer(ssl_context=context) as server:
        target = Target(f"{server.url}/v1", provider="compatible", ca_bundle=str(ca_file))
        with resilient_client(target, log_path=str(log),
                              flavour=flavour) as client:  # type: ignore[arg-type]
            for _ in range(2):
                client.get(f"{server.url}/v1/models").raise_for_status()
    first, second = jsonl_rows(log)
    assert first["connect_ms"] > 0 and first["tls_ms"] > 0
    assert second["connect_ms"] == 0.0 and second["tls_ms"] == 0.0
    assert first["dns_ms"] is None  # resolved inside connect: part of connect_ms


def test_plain_http_has_no_tls_time_and_unknown_transports_use_the_trace(
        tmp_path: Path, server: SimServer) -> None:
    log = tmp_path / "log.jsonl"
    with resilient_client(server.base_url, log_path=str(log)) as client:
        client.get(f"{server.base_url}/models")
    (row,) = jsonl_rows(log)
    assert row["connect_ms"] > 0 and row["tls_ms"] is None
    # a transport without a pool chatkit can reach: timings from the trace extension
    inner = httpx.HTTPTransport()
    wrapped = type("Opaque", (), {"handle_request": lambda self, r: inner.handle_request(r),
                                  "close": lambda self: inner.close()})()
    with httpx.Client(transport=RecordingTransport(wrapped, log=str(log))) as client:
        client.get(f"{server.base_url}/models")
    assert jsonl_rows(log)[-1]["connect_ms"] > 0


def test_timestamps_are_utc_to_the_millisecond() -> None:
    from chatkit.client.attempt import utc_iso

    assert utc_iso(1795589413.2659) == "2026-11-25T06:50:13.265Z"
    assert utc_iso(1795589413.9999) == "2026-11-25T06:50:13.999Z"
    assert utc_iso(0.0) == "1970-01-01T00:00:00.000Z"
