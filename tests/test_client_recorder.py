"""The recorder never hurts the request it records: nothing imported while requests run, its
own failures contained, shared logs safe, every attempt written exactly once (a stream dropped
unread, the interpreter exiting), and many threads in several processes through the official
openai client with faults injected."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import math
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import jsonl_rows

from chatkit.client import (
    RecordingTransport,
    RequestLog,
    RetryPolicy,
    flush_logs,
    resilient_client,
)
from chatkit.client.attempt import Attempt, header_values
from chatkit.client.requestlog import BATCH, FIELDS
from chatkit.sim import DEFAULT_KEY, SimServer
from chatkit.sim.handler import SimHandler

MESSAGES = [{"role": "user", "content": "hello there"}]
AUTH = {"Authorization": f"Bearer {DEFAULT_KEY}"}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


# --- nothing is imported while a request runs ------------------------------------------------

NO_IMPORT = r"""
import json, sys, threading
from chatkit.client import resilient_client, RetryPolicy

base, log = sys.argv[1], sys.argv[2]
client = resilient_client(base, log_path=log, policy=RetryPolicy(), sleep=lambda s: None)
imported = []

class Watch:  # sees every module really imported from now on, and who imported it
    def find_spec(self, name, path=None, target=None):
        frame = sys._getframe(1)
        while frame and "importlib" in frame.f_code.co_filename:
            frame = frame.f_back
        where = frame.f_code.co_filename if frame else "?"
        if "chatkit" in where:
            imported.append((name, where))
        return None

sys.meta_path.insert(0, Watch())
auth = {"Authorization": "Bearer %s" % sys.argv[3]}
body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
for fault in ["", "reset", "429_rate_limit", "503_overloaded", "stream_cut", "stream_error",
              "captive_portal", "malformed_json", "500", "429_insufficient_quota"]:
    headers = {**auth, "x-chatkit-fault": fault} if fault else auth
    for stream in (False, True):
        try:
            with client.stream("POST", base + "/chat/completions", headers=headers,
                               json={**body, "stream": stream}) as response:
                response.read()
        except Exception as exc:
            pass
client.close()
print(json.dumps(imported))
"""


def test_nothing_is_imported_in_the_request_path(server: SimServer, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    done = subprocess.run([sys.executable, "-c", NO_IMPORT, server.base_url, str(log),
                           DEFAULT_KEY], capture_output=True, text=True, timeout=120, env=_env())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert len(jsonl_rows(log)) >= 20


# --- the recorder's own failures are contained -------------------------------------------------


def _sse(*events: bytes) -> bytes:
    return b"".join(b"data: " + event + b"\n\n" for event in events)


@pytest.mark.parametrize("event", [
    b"[" * 100_000,  # nesting deeper than the JSON parser's recursion limit
    b'{"choices": {"a": 1}}',  # gateways' own shapes
    b'{"choices": [{"delta": "x"}]}',
    b'{"choices": [1, 2], "model": {"name": "x"}}',
])
def test_a_stream_the_meter_cannot_read_reaches_the_caller_whole(tmp_path: Path,
                                                                 event: bytes) -> None:
    body = _sse(b'{"choices": [{"delta": {"content": "Hi"}}]}', event, b"[DONE]")
    transport = RecordingTransport(httpx.MockTransport(lambda r: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=_Chunks(body))),
        log=str(tmp_path / "l.jsonl"))
    with httpx.Client(transport=transport) as client:
        with client.stream("POST", "https://api.example.test/v1/chat/completions") as response:
            assert b"".join(response.iter_raw()) == body
    (row,) = jsonl_rows(tmp_path / "l.jsonl")
    assert row["status"] == 200 and row["response_bytes"] == len(body)


class _Chunks(httpx.SyncByteStream):
    def __init__(self, body: bytes, size: int = 7) -> None:
        self.body, self.size = body, size

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.body), self.size):
            yield self.body[start:start + self.size]


def test_a_failing_meter_and_row_builder_are_a_warning_and_a_field(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: Any, data: bytes, now: float) -> None:
        raise ValueError("meter bug")

    monkeypatch.setattr("chatkit.knowledge.sse.StreamMeter.feed", broken)
    body = _sse(b'{"choices": [{"delta": {"content": "Hi"}}]}', b"[DONE]")
    transport = RecordingTransport(httpx.MockTransport(lambda r: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, stream=_Chunks(body))
        if r.url.path == "/v1/x" else httpx.Response(200, json={})),
        log=str(tmp_path / "l.jsonl"))
    with caplog.at_level(logging.WARNING, logger="chatkit.client"):
        with httpx.Client(transport=transport) as client:
            with client.stream("POST", "https://api.example.test/v1/x") as response:
                assert response.read() == body
            flush_logs()  # the first row is made now, before the row builder breaks
            monkeypatch.setattr(Attempt, "_values", lambda self, now, completed: 1 / 0)
            assert client.get("https://api.example.test/v1/y").status_code == 200
    metered, built = jsonl_rows(tmp_path / "l.jsonl")
    assert metered["recorder_error"] == "stream meter: ValueError: meter bug"
    assert metered["status"] == 200 and metered["ttft_ms"] is None
    assert built["recorder_error"] == "row: ZeroDivisionError: division by zero"
    assert list(built)[:len(FIELDS)] == list(FIELDS) and built["endpoint"] == "/v1/y"
    assert [r.getMessage().split(" failed")[0] for r in caplog.records] == [
        "chatkit recorder: stream meter", "chatkit recorder: row"]


def test_a_log_that_cannot_be_written_does_not_fail_the_request(tmp_path: Path) -> None:
    (tmp_path / "dir.jsonl").mkdir()  # a directory where the file should be
    transport = RecordingTransport(httpx.MockTransport(lambda r: httpx.Response(200)),
                                   log=str(tmp_path / "dir.jsonl"))
    with httpx.Client(transport=transport) as client:
        assert client.get("https://api.example.test/v1/models").status_code == 200


# --- shared logs -------------------------------------------------------------------------------


def test_a_shared_log_closes_with_its_last_client(server: SimServer, tmp_path: Path) -> None:
    log = RequestLog(tmp_path / "log.jsonl")
    first = resilient_client(server.base_url, log_path=log)
    second = resilient_client(server.base_url, log_path=log)
    first.get(f"{server.base_url}/models", headers=AUTH)
    first.close()  # its row is written, and the file stays open
    fd = log._fd
    assert fd is not None  # the second client still writes through it
    second.get(f"{server.base_url}/models", headers=AUTH)
    second.close()
    assert log._fd is None and len(jsonl_rows(log.path)) == 2


@pytest.mark.parametrize("hand_over", ["write", "put"])
def test_rows_racing_flushes_and_closes_lose_nothing(tmp_path: Path, hand_over: str) -> None:
    """Rows written at once, or handed over to be made in batches, while another thread
    flushes and closes the log: each is written once, each thread's in the order it gave."""
    log = RequestLog(tmp_path / "log.jsonl")
    stop = threading.Event()

    def closer() -> None:
        while not stop.is_set():
            log.flush()
            log.close()

    def give(n: int) -> None:
        for i in range(300):
            if hand_over == "write":
                log.write({"attempt": n * 1000 + i})
            else:
                log.put(lambda i=i: {"attempt": n * 1000 + i})

    threads = [threading.Thread(target=give, args=(n,)) for n in range(4)]
    racer = threading.Thread(target=closer)
    racer.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    racer.join()
    log.close()
    written = [row["attempt"] for row in jsonl_rows(log.path)]
    assert sorted(written) == sorted(n * 1000 + i for n in range(4) for i in range(300))
    for n in range(4):
        mine = [a for a in written if a // 1000 == n]
        assert mine == sorted(mine)


# --- every attempt exactly once ----------------------------------------------------------------


def test_a_stream_dropped_unread_is_logged_when_collected(server: SimServer,
                                                          tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    with resilient_client(server.base_url, log_path=str(log)) as client:
        request = client.build_request("POST", f"{server.base_url}/chat/completions", headers=AUTH,
                                       json={"model": "gpt-4o", "messages": MESSAGES,
                                             "stream": True})
        response = client.send(request, stream=True)
        assert response.status_code == 200 and not log.exists()
        del response, request
        gc.collect()
        (row,) = jsonl_rows(log)
        assert (row["status"], row["aborted"], row["exception"]) == (200, "collected", None)
        with client.stream("POST", f"{server.base_url}/chat/completions", headers=AUTH,
                           json={"model": "gpt-4o", "messages": MESSAGES,
                                 "stream": True}) as response:
            next(response.iter_raw())
    closed = jsonl_rows(log)[1]
    assert closed["aborted"] == "closed" and closed["response_bytes"] > 0


def test_async_streams_dropped_or_closed_are_logged_once(server: SimServer,
                                                        tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"

    async def run() -> None:
        from chatkit.client import async_resilient_client

        async with async_resilient_client(server.base_url, log_path=str(log)) as client:
            body = {"model": "gpt-4o", "messages": MESSAGES, "stream": True}
            async with client.stream("POST", f"{server.base_url}/chat/completions",
                                     headers=AUTH, json=body) as response:
                async for _ in response.aiter_raw():
                    break
            async with client.stream("POST", f"{server.base_url}/chat/completions",
                                     headers=AUTH, json=body) as response:
                await response.aread()

    asyncio.run(run())
    early, whole = jsonl_rows(log)
    assert early["aborted"] == "closed" and "aborted" not in whole
    assert whole["ttft_ms"] is not None and whole["exception"] is None


EXIT = r"""
import sys
from chatkit.client import resilient_client
client = resilient_client(sys.argv[1], log_path=sys.argv[2])
kept = client.send(client.build_request("POST", sys.argv[1] + "/chat/completions",
                   headers={"Authorization": "Bearer " + sys.argv[3]},
                   json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}],
                         "stream": True}), stream=True)
sys.exit(0)  # neither read nor closed
"""


def test_an_open_stream_is_logged_at_interpreter_exit(server: SimServer, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    done = subprocess.run([sys.executable, "-c", EXIT, server.base_url, str(log), DEFAULT_KEY],
                          capture_output=True, text=True, timeout=60, env=_env())
    assert done.returncode == 0, done.stderr
    (row,) = jsonl_rows(log)
    assert (row["status"], row["aborted"], row["stream"]) == (200, "exit", True)


def test_retries_and_reads_write_one_line_each(tmp_path: Path) -> None:
    answers = iter([httpx.Response(503, json={"error": {"message": "busy"}}),
                    httpx.Response(429, headers={"retry-after-ms": "5"}, json={}),
                    httpx.Response(200, json={"usage": {"completion_tokens": 2}})])
    transport = RecordingTransport(httpx.MockTransport(lambda r: next(answers)),
                                   log=str(tmp_path / "l.jsonl"), policy=RetryPolicy(),
                                   sleep=lambda s: None)
    with httpx.Client(transport=transport) as client:
        response = client.get("https://api.example.test/v1/models")
        response.read()
        response.close()
        del response
        gc.collect()
    assert [(r["attempt"], r["status"]) for r in jsonl_rows(tmp_path / "l.jsonl")] == [
        (0, 503), (1, 429), (2, 200)]


# --- many threads, several processes, the official openai client, faults injected --------------

WORKER = r"""
import json, random, sys, threading
import openai
from chatkit.client import resilient_client, RetryPolicy

base, log, key, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
FAULTS = {"": None, "reset": openai.APIConnectionError, "429_rate_limit": openai.RateLimitError,
          "503_overloaded": openai.InternalServerError}
http = resilient_client(base, log_path=log, policy=RetryPolicy(), sleep=lambda s: None)
client = openai.OpenAI(base_url=base, api_key=key, max_retries=0, http_client=http)
outcomes, lock = [], threading.Lock()

def work(n):
    draw = random.Random(seed * 100 + n)
    for _ in range(12):
        fault = draw.choice(list(FAULTS))
        try:
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                extra_headers={"x-chatkit-fault": fault} if fault else None)
            got = None
        except Exception as exc:
            got = exc
        expected = FAULTS[fault]
        ok = got is None if expected is None else isinstance(got, expected)
        with lock:
            outcomes.append([fault, ok, repr(got)])

threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
client.close()
print(json.dumps({"outcomes": outcomes, "httpx_imported": "httpx" in sys.modules}))
"""


def test_threads_and_processes_through_openai_with_faults(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "log.jsonl"
    seen: list[int] = []
    dispatch = SimHandler._dispatch

    def counted(self: SimHandler) -> None:
        seen.append(1)  # list.append is atomic: the server's request count
        dispatch(self)

    monkeypatch.setattr(SimHandler, "_dispatch", counted)
    with SimServer() as sim:
        workers = [subprocess.Popen([sys.executable, "-c", WORKER, sim.base_url, str(log),
                                     DEFAULT_KEY, str(n)], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=_env())
                   for n in range(2)]
        results = [w.communicate(timeout=240) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err for _, err in results]
    reports = [json.loads(out) for out, _ in results]
    # openai >= 3 looks httpx up in sys.modules without the import lock: nothing imports it
    assert [r["httpx_imported"] for r in reports] == [False, False]
    outcomes = [o for r in reports for o in r["outcomes"]]
    assert len(outcomes) == 2 * 8 * 12
    assert [o for o in outcomes if not o[1]] == []  # each failed only by its injected fault
    assert {o[0] for o in outcomes} == {"", "reset", "429_rate_limit", "503_overloaded"}
    rows = jsonl_rows(log)
    assert len(rows) == len(seen)  # lines == attempts the server saw
    faulted = sum(1 for o in outcomes if o[0])
    assert len(rows) == (len(outcomes) - faulted) + 3 * faulted
    assert {r["exception"] for r in rows if r["status"] is None} <= {
        "ReadError", "RemoteProtocolError", "ConnectError"}


def test_a_cancelled_attempt_is_logged_and_the_cancellation_goes_on(tmp_path: Path) -> None:
    from chatkit.client import AsyncRecordingTransport

    class Hanging(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.sent = asyncio.Event()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            self.sent.set()
            await asyncio.Event().wait()
            raise AssertionError("never answered")

    async def run() -> None:
        hanging = Hanging()
        transport = AsyncRecordingTransport(hanging, log=str(tmp_path / "l.jsonl"),
                                            policy=RetryPolicy())
        async with httpx.AsyncClient(transport=transport) as client:
            task = asyncio.ensure_future(client.get("https://api.example.test/v1/models"))
            await hanging.sent.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(run())
    (row,) = jsonl_rows(tmp_path / "l.jsonl")
    assert (row["exception"], row["status"], row["attempt"]) == ("CancelledError", None, 0)


FORK = r"""
import os, sys
from chatkit.client import resilient_client
client = resilient_client(sys.argv[1], log_path=sys.argv[2])
kept = client.send(client.build_request("GET", sys.argv[1] + "/models",
                   headers={"Authorization": "Bearer " + sys.argv[3]}), stream=True)
child = os.fork()
if child == 0:
    sys.exit(0)  # the child's exit must not write the parent's open attempt
os.waitpid(child, 0)
"""


def test_a_forked_child_does_not_write_its_parents_attempts(server: SimServer,
                                                            tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    done = subprocess.run([sys.executable, "-c", FORK, server.base_url, str(log), DEFAULT_KEY],
                          capture_output=True, text=True, timeout=60, env=_env())
    assert done.returncode == 0, done.stderr
    (row,) = jsonl_rows(log)
    assert row["aborted"] == "exit" and row["status"] == 200


FORK_ROWS = r"""
import os, sys
from chatkit.client import resilient_client
client = resilient_client(sys.argv[1], log_path=sys.argv[2])
auth = {"Authorization": "Bearer " + sys.argv[3]}
client.get(sys.argv[1] + "/models", headers=auth)  # its row waits in the parent's batch
for way in ("os._exit", "sys.exit"):
    child = os.fork()
    if child == 0:
        client.get(sys.argv[1] + "/models?child=" + way, headers=auth)
        if way == "os._exit":
            os._exit(0)  # as multiprocessing's children end: no exit handler runs
        client.close()  # the parent's waiting row is not the child's to write
        sys.exit(0)
    os.waitpid(child, 0)
"""


def test_a_forked_child_writes_its_own_rows_at_once(server: SimServer, tmp_path: Path) -> None:
    """A child made by fork writes its rows before its calls return (it may end with
    ``os._exit``), and never the parent's waiting ones, which the parent writes once."""
    log = tmp_path / "log.jsonl"
    done = subprocess.run([sys.executable, "-c", FORK_ROWS, server.base_url, str(log),
                           DEFAULT_KEY], capture_output=True, text=True, timeout=60, env=_env())
    assert done.returncode == 0, done.stderr
    assert sorted(row["url"].rsplit("/", 1)[-1] for row in jsonl_rows(log)) == [
        "models", "models?child=os._exit", "models?child=sys.exit"]


# --- rows are written in batches, and nothing is lost -------------------------------------------


def test_rows_reach_the_file_without_a_close(tmp_path: Path) -> None:
    """The flushing thread writes a batch a moment after its first row: a client never
    closed, in a process that goes on, still fills its log."""
    log = tmp_path / "l.jsonl"
    transport = RecordingTransport(httpx.MockTransport(lambda r: httpx.Response(200, json={})),
                                   log=str(log))
    client = httpx.Client(transport=transport)
    for _ in range(3):
        client.get("https://api.example.test/v1/models")
    lines = 0
    for _ in range(100):  # DELAY is 0.1 s: give a loaded machine up to 10 s
        lines = len(log.read_text().splitlines()) if log.exists() else 0
        if lines == 3:
            break
        threading.Event().wait(0.1)
    assert lines == 3
    client.close()


def test_a_full_batch_is_written_by_the_hand_that_fills_it(tmp_path: Path) -> None:
    """The row that fills a batch writes it, on the caller's thread, in one system call."""
    log = RequestLog(tmp_path / "l.jsonl")
    for n in range(BATCH):
        log.put(lambda n=n: {"attempt": n})
    assert [json.loads(line)["attempt"] for line in log.path.read_text().splitlines()] == \
        list(range(BATCH))
    log.close()


def test_a_row_made_in_a_flush_may_hand_over_more_rows(tmp_path: Path) -> None:
    """A stream collected while a flush makes rows (the garbage collector runs anywhere)
    hands its row over from inside the flush, enough to fill a batch: the same thread goes
    on, and waits on nothing it holds."""
    log = RequestLog(tmp_path / "l.jsonl")

    def make_more() -> dict[str, Any]:
        for n in range(BATCH):
            log.put(lambda n=n: {"attempt": 100 + n})
        return {"attempt": 0}

    def run() -> None:
        log.put(make_more)
        log.flush()

    flushing = threading.Thread(target=run, daemon=True)
    flushing.start()
    flushing.join(10)
    assert not flushing.is_alive()
    log.close()
    assert sorted(row["attempt"] for row in jsonl_rows(log.path)) == [0] + [
        100 + n for n in range(BATCH)]


def test_clients_naming_one_file_keep_its_lines_in_order(tmp_path: Path) -> None:
    """Two clients given the same path share one log in the process: the line of the
    attempt that ended first comes first, whichever client closes first."""
    log = tmp_path / "l.jsonl"

    def client() -> httpx.Client:
        return httpx.Client(transport=RecordingTransport(
            httpx.MockTransport(lambda r: httpx.Response(200, json={})), log=str(log)))

    first, second = client(), client()
    first.get("https://api.example.test/v1/1")
    second.get("https://api.example.test/v1/2")
    second.close()
    first.get("https://api.example.test/v1/3")
    first.close()
    assert [row["endpoint"] for row in jsonl_rows(log)] == ["/v1/1", "/v1/2", "/v1/3"]


def test_a_log_whose_client_was_dropped_is_still_written(tmp_path: Path) -> None:
    log = tmp_path / "l.jsonl"
    client = httpx.Client(transport=RecordingTransport(
        httpx.MockTransport(lambda r: httpx.Response(200, json={})), log=str(log)))
    client.get("https://api.example.test/v1/models")
    del client  # never closed
    gc.collect()
    (row,) = jsonl_rows(log)
    assert row["status"] == 200


def test_chatkits_readers_see_rows_still_waiting(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from chatkit.logs import load

    monkeypatch.setattr("chatkit.client.requestlog._nudge", lambda: None)  # no thread
    log = tmp_path / "l.jsonl"
    with httpx.Client(transport=RecordingTransport(
            httpx.MockTransport(lambda r: httpx.Response(200, json={})), log=str(log))) as client:
        client.get("https://api.example.test/v1/models")
        frame = load(log)  # in the same breath as the call, the client still open
        assert len(frame) == 1 and frame["status"].tolist() == [200]


# --- the line written is exactly the row's encoding --------------------------------------------

_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text()
                     | st.floats(allow_nan=True, allow_infinity=True),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
_MS_FIELDS = ("latency_ms", "ttfb_ms", "ttft_ms", "dns_ms", "connect_ms", "tls_ms")


def _encoded_with_two_decimals(row: dict[str, Any]) -> str:
    """The row encoder's text of ``row``, each time in milliseconds written as ``%.2f``."""
    marks = {key: f"\x00{key}\x00" for key in _MS_FIELDS
             if isinstance(row[key], float) and math.isfinite(row[key])}
    text = json.dumps({**row, **marks}, separators=(",", ":"), ensure_ascii=False, default=str)
    for key, mark in marks.items():
        text = text.replace(json.dumps(mark), f"{row[key]:.2f}")
    return text


@settings(max_examples=150, deadline=None)
@given(status=st.none() | st.integers(100, 599), text=st.text(), value=_JSON, usage=_JSON,
       ctype=st.sampled_from(["application/json", "text/html", "text/plain", "",
                              "text/event-stream"]),
       stream=st.booleans(), completed=st.booleans(),
       aborted=st.none() | st.sampled_from(["closed", "collected", "exit"]),
       trouble=st.none() | st.text(), https=st.booleans(), timed=st.booleans(),
       times=st.lists(st.floats(0, 1e7), min_size=3, max_size=3).map(sorted))
def test_the_line_is_the_encoded_row(status: int | None, text: str, value: Any, usage: Any,
                                     ctype: str, stream: bool, completed: bool,
                                     aborted: str | None, trouble: str | None,
                                     https: bool, timed: bool, times: list[float]) -> None:
    """:meth:`Attempt.line` (the text the recorder writes) is byte for byte what the row
    encoder makes of :meth:`Attempt.row`, whatever types the parsed body puts in a row, but
    for the times in milliseconds, written with two decimals: the same numbers once parsed."""
    body = json.dumps({"error": {"type": value, "code": value, "message": text},
                       "model": text, "usage": {"prompt_tokens": usage,
                                                "completion_tokens": value}}).encode()
    start, answered, now = times

    def attempt() -> Attempt:
        made = Attempt(method=text or "POST", url=("https" if https else "http") + "://h/v1/x",
                       host=text, endpoint="/v1/x", provider=text or None, attempt=3,
                       wall_start=1764474000.25 + start, start=start, stream=stream,
                       timed=timed)
        made.read_request(body)
        if status is not None:
            made.answered(_Answer(status, text, ctype), answered)
            made.got_bytes(body, answered)
        made.aborted, made.trouble = aborted, trouble
        return made

    row = attempt().row(now, completed=completed)
    line = attempt().line(now, completed=completed)
    assert line == _encoded_with_two_decimals(row)
    parsed = json.loads(line)
    assert list(parsed)[:len(FIELDS)] == list(FIELDS)
    for key in _MS_FIELDS:
        if isinstance(row[key], float) and math.isfinite(row[key]):
            assert isinstance(parsed[key], float) and parsed[key] == row[key]


class _Answer:
    """A response's status line, as :meth:`Attempt.answered` reads it."""

    def __init__(self, status: int, request_id: str | None, content_type: str) -> None:
        self.status_code = status
        pairs = [(b"content-type", content_type.encode())]
        if request_id is not None:
            pairs.append((b"x-request-id", request_id.encode()))
        self.headers = httpx.Headers(pairs)


# --- headers read from the status line --------------------------------------------------------

_NAMES = ["x-request-id", "Content-Type", "x-should-retry", "idempotency-key", "x-other"]


class _RawOnly:
    """Headers offering only ``.raw`` pairs, as a transport of neither flavour might."""

    def __init__(self, pairs: list[tuple[bytes, bytes]]) -> None:
        self.raw = pairs


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(_NAMES + [n.upper() for n in _NAMES]),
                                st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF),
                                        max_size=8)), max_size=12),
       asked=st.lists(st.sampled_from([n.lower() for n in _NAMES]), min_size=1, max_size=3,
                      unique=True))
def test_header_values_are_the_last_of_each_name(pairs: list[tuple[str, str]],
                                                 asked: list[str]) -> None:
    """Each name asked gets the value of its last header, whatever the case of the header's
    name, or None, in the order asked: from httpx's and httpx2's headers and from raw pairs."""
    import httpx2

    raw = [(name.encode(), value.encode("latin-1")) for name, value in pairs]
    expected = [next((v for k, v in reversed(pairs) if k.lower() == name), None)
                for name in asked]
    names = [name.encode() for name in asked]
    for headers in (httpx.Headers(raw), httpx2.Headers(raw), _RawOnly(raw)):
        assert header_values(headers, *names) == expected


# --- token counts read from real bodies ----------------------------------------------------------

_REAL = Path(__file__).parent / "data" / "real"


@pytest.mark.parametrize("name, endpoint", [
    ("openai_python_bodies/chat_completion_gpt4o.json", "/v1/chat/completions"),
    ("responses/response_plain_gpt4o.json", "/v1/responses"),
    ("responses/embeddings_response_base64.json", "/v1/embeddings"),
])
@pytest.mark.parametrize("indent", [None, 2])  # as recorded, and as the API sends it (indented)
def test_token_counts_are_the_bodys_usage(name: str, endpoint: str, indent: int | None) -> None:
    """The row's token counts are the usage object of real answers, whichever shape and
    layout the body has (the chat shape is read in one match, the others key by key)."""
    data = json.loads((_REAL / name).read_text())
    body = json.dumps(data, indent=indent).encode()
    made = Attempt("POST", "https://h" + endpoint, "h", endpoint, None, 0, 1764474000.0, 1.0)
    made.answered(_Answer(200, None, "application/json"), 1.1)
    made.got_bytes(body, 1.2)
    row = made.row(1.3)
    usage = data["usage"]
    assert row["prompt_tokens"] == usage.get("prompt_tokens", usage.get("input_tokens"))
    assert row["completion_tokens"] == usage.get("completion_tokens", usage.get("output_tokens"))
    assert row["model"] == data["model"]


# --- a stream is metered from its pieces' arrival times -----------------------------------------


@pytest.mark.parametrize("kept", [None, 40, 700, 1500])  # kept whole, or too long to keep
def test_a_stream_is_metered_as_if_while_it_was_read(kept: int | None,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An event stream's pieces are kept with the times they arrived and metered when the
    line is made (one too long to keep is metered as it comes from there on): time to first
    token and tokens are what a meter fed while the caller read gives, on a real stream."""
    from chatkit.knowledge.sse import StreamMeter

    if kept is not None:
        monkeypatch.setattr("chatkit.client.attempt.MAX_PARSED_BODY", kept)
    body = (_REAL / "openai_python_sse" / "173417d55340.sse").read_bytes()
    pieces = [(body[at:at + 37], 1.0 + at / 1000) for at in range(0, len(body), 37)]
    made = Attempt("POST", "https://h/v1/chat/completions", "h", "/v1/chat/completions", None,
                   0, 1764474000.0, 1.0)
    made.answered(_Answer(200, None, "text/event-stream"), 1.01)
    for piece, at in pieces:
        made.got_bytes(piece, at)
    row = made.row(3.0)
    meter = StreamMeter(started=1.0)
    for piece, at in pieces:
        meter.feed(piece, at)
    meter.close(3.0)
    assert meter.ttft_ms is not None
    assert row["ttft_ms"] == round(meter.ttft_ms, 2)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (79, 11) == (
        meter.input_tokens, meter.output_tokens)
    assert row["response_bytes"] == len(body) and row["model"] == "gpt-4o-2024-08-06"
    assert made.meter is not None and made.meter.events == meter.events  # every event seen
    assert made.meter.token_times == meter.token_times
