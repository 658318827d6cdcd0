"""The recording transports: retry by a policy, and append one line per attempt to a log.

:class:`RecordingTransport` / :class:`AsyncRecordingTransport` wrap any httpx (or httpx2)
transport, apply a :class:`~chatkit.client.policy.RetryPolicy`, and append one line per attempt
to a request log (:mod:`chatkit.client.requestlog`), timing the stream's first token while the
caller reads it. The two are one implementation: they adopt the flavour (httpx or httpx2) of the
responses they see.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from importlib import metadata
from types import ModuleType
from typing import Any, Literal

from chatkit.client import conntiming
from chatkit.client.policy import NO_RETRY, RetryPolicy
from chatkit.client.requestlog import Attempt, RequestLog
from chatkit.errors import UsageError

__all__ = [
    "AsyncRecordingTransport",
    "RecordingTransport",
    "as_log",
    "http_flavour",
    "http_module",
]

Flavour = Literal["httpx", "httpx2"]
def http_flavour() -> Flavour:
    """The HTTP package the installed openai client takes (``httpx`` when openai is absent)."""
    try:
        major = int(metadata.version("openai").split(".", 1)[0])
    except (metadata.PackageNotFoundError, ValueError):
        return "httpx"
    return "httpx2" if major >= 3 else "httpx"


def http_module(flavour: str | None) -> ModuleType:
    name = flavour or http_flavour()
    if name not in ("httpx", "httpx2"):
        raise UsageError(f"flavour must be 'httpx' or 'httpx2', not {name!r}")
    return importlib.import_module(name)


@functools.cache
def _top_module(name: str) -> ModuleType:
    return sys.modules[name.split(".", 1)[0]]


def _module_of(obj: Any) -> ModuleType:
    """The top-level package (httpx or httpx2) that ``obj``'s class comes from."""
    return _top_module(type(obj).__module__)


def _pick(raw: Any, *names: bytes) -> list[str | None]:
    """Header values by lower-case name, in one pass over the raw header list."""
    found: list[str | None] = [None] * len(names)
    for key, value in raw:
        lower = key.lower()
        if lower in names:
            found[names.index(lower)] = value.decode("latin-1")
    return found


@functools.cache
def _transport_errors() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [OSError]
    for name in ("httpx", "httpx2"):
        try:
            found.append(importlib.import_module(name).TransportError)
        except ImportError:
            continue
    return tuple(found)


def as_log(log_path: Any) -> Any:
    """A request log: ``None``, a :class:`RequestLog` to share, or a path to open."""
    if log_path is None or hasattr(log_path, "write"):
        return log_path  # nothing, or a RequestLog shared with other clients
    return RequestLog(log_path)



# --- the recorder's core, shared by the sync and async transports --------------------------


class _Core:
    def __init__(self, log: Any, policy: RetryPolicy | None,
                 provider: str | None, clock: Callable[[], float],
                 wall: Callable[[], float], *, timed: bool = False) -> None:
        self.log = as_log(log)
        self.timed = timed  # chatkit.client.conntiming times new connections: no trace needed
        self.policy = policy if policy is not None else NO_RETRY
        self.provider = provider
        self.clock = clock
        self.wall = wall
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def attempt_number(self, request: Any, retries: int) -> int:
        """0 for a first try. The openai client's retries of one call share an
        Idempotency-Key; without one, its x-stainless-retry-count says which retry it is."""
        key, count = _pick(request.headers.raw, b"idempotency-key", b"x-stainless-retry-count")
        if key:
            with self._lock:
                number = self._seen.get(key, 0)
                self._seen[key] = number + 1
                self._seen.move_to_end(key)
                while len(self._seen) > 4096:
                    self._seen.popitem(last=False)
            return number
        return (int(count) if count and count.isdigit() else 0) + retries

    def begin(self, request: Any, retries: int, trace: Any, *, sync: bool = True) -> Attempt:
        url = request.url
        attempt = Attempt(
            method=request.method, url=str(url), host=url.host, endpoint=url.path,
            provider=self.provider, attempt=self.attempt_number(request, retries),
            wall_start=self.wall(), start=self.clock(),
        )
        attempt.read_request(request.content)
        if self.timed:
            attempt.timed = True
        else:  # an unknown inner transport: httpx's trace extension, if it honours it
            tracer = attempt.tracer if sync else attempt.async_tracer
            request.extensions = {**request.extensions,
                                  "trace": tracer(self.clock, chained=trace)}
        return attempt

    def finish(self, attempt: Attempt, *, completed: bool = True) -> None:
        if attempt.written:
            return
        attempt.written = True
        if self.log is None:
            return
        self.log.write(attempt.row(self.clock(), completed=completed))

    def decide(self, retries: int, *, response: Any = None,
               exception: BaseException | None = None, body: bytes | None = None
               ) -> float | None:
        """Seconds to wait before the next try, or None to stop here."""
        if retries >= self.policy.max_retries:
            return None
        if exception is not None:
            if not self.policy.should_retry(exception=exception):
                return None
            return self.policy.backoff(retries)
        if not self.policy.should_retry(status=response.status_code, headers=response.headers,
                                        body=body):
            return None
        return self.policy.backoff(retries, response.headers)


# --- streams that record while the caller reads ------------------------------------------


@functools.cache
def _stream_classes(module_name: str) -> tuple[type, type]:
    """Recording stream wrappers subclassing the given flavour's stream bases (the clients
    assert ``isinstance(response.stream, SyncByteStream)``)."""
    module = importlib.import_module(module_name)

    class SyncRecordingStream(module.SyncByteStream):  # type: ignore[name-defined]
        def __init__(self, inner: Any, core: _Core, attempt: Attempt) -> None:
            self._inner, self._core, self._attempt = inner, core, attempt

        def __iter__(self) -> Iterator[bytes]:
            clock, attempt = self._core.clock, self._attempt
            try:
                for chunk in self._inner:
                    attempt.got_bytes(chunk, clock())
                    yield chunk
            except GeneratorExit:  # the reader stopped early: not a failure of the stream
                self._core.finish(attempt, completed=False)
                raise
            except BaseException as exc:
                attempt.failed(exc)
                self._core.finish(attempt, completed=False)
                raise
            self._core.finish(attempt)

        def close(self) -> None:
            try:
                self._inner.close()
            finally:
                self._core.finish(self._attempt, completed=False)

    class AsyncRecordingStream(module.AsyncByteStream):  # type: ignore[name-defined]
        def __init__(self, inner: Any, core: _Core, attempt: Attempt) -> None:
            self._inner, self._core, self._attempt = inner, core, attempt

        async def __aiter__(self) -> AsyncIterator[bytes]:
            clock, attempt = self._core.clock, self._attempt
            try:
                async for chunk in self._inner:
                    attempt.got_bytes(chunk, clock())
                    yield chunk
            except GeneratorExit:
                self._core.finish(attempt, completed=False)
                raise
            except BaseException as exc:
                attempt.failed(exc)
                self._core.finish(attempt, completed=False)
                raise
            self._core.finish(attempt)

        async def aclose(self) -> None:
            try:
                await self._inner.aclose()
            finally:
                self._core.finish(self._attempt, completed=False)

    return SyncRecordingStream, AsyncRecordingStream


def _wrap(response: Any, core: _Core, attempt: Attempt, *, sync: bool) -> Any:
    module = _module_of(response)
    if isinstance(response.stream, module.ByteStream):  # read already (a mock): record now
        attempt.got_bytes(response.content, core.clock())
        core.finish(attempt)
        return response
    classes = _stream_classes(module.__name__)
    response.stream = classes[0 if sync else 1](response.stream, core, attempt)
    return response


def _replay(response: Any, raw: bytes) -> None:
    """Give a response whose body the transport consumed its bytes back."""
    response.stream = _module_of(response).ByteStream(raw)


# --- the transports -------------------------------------------------------------------------


class RecordingTransport:
    """A sync httpx/httpx2 transport that retries by ``policy`` and logs every attempt.

    ``transport`` is the one to wrap (default: a new ``HTTPTransport`` of ``flavour``, given
    ``transport_options``). ``log`` is a path or a shared :class:`RequestLog` (None: record
    nothing). ``sleep`` and ``clock`` can be replaced (tests use a fake clock).
    """

    def __init__(self, transport: Any = None, *, log: Any = None,
                 policy: RetryPolicy | None = None, provider: str | None = None,
                 flavour: Flavour | None = None, sleep: Callable[[float], Any] = time.sleep,
                 clock: Callable[[], float] = time.perf_counter,
                 wall: Callable[[], float] = time.time, **transport_options: Any) -> None:
        self._inner = transport or http_module(flavour).HTTPTransport(**transport_options)
        timed = conntiming.install(self._inner)
        self._core = _Core(log, policy, provider, clock, wall, timed=timed)
        self._sleep = sleep

    def handle_request(self, request: Any) -> Any:
        request.read()  # a body read once can be sent again
        trace = request.extensions.get("trace")
        core = self._core
        retries = 0
        while True:
            attempt = core.begin(request, retries, trace)
            token = conntiming.CURRENT.set(attempt)
            try:
                response = self._inner.handle_request(request)
            except _transport_errors() as exc:
                attempt.failed(exc)
                core.finish(attempt)
                wait = core.decide(retries, exception=exc)
                if wait is None:
                    raise
            else:
                request_id, ctype, should = _pick(response.headers.raw, b"x-request-id",
                                                  b"content-type", b"x-should-retry")
                attempt.got_response(response.status_code, request_id, ctype or "", core.clock())
                if retries >= core.policy.max_retries or not core.policy.might_retry(
                        response.status_code, should):
                    return _wrap(response, core, attempt, sync=True)
                stream = _wrap(response, core, attempt, sync=True).stream
                raw = b"".join(stream)
                stream.close()  # the stream, not the response: the caller may still read it
                wait = core.decide(retries, response=response, body=raw)
                if wait is None:
                    _replay(response, raw)
                    return response
            finally:
                conntiming.CURRENT.reset(token)
            self._sleep(wait)
            retries += 1

    def close(self) -> None:
        self._inner.close()
        if self._core.log is not None:
            self._core.log.close()

    def __enter__(self) -> RecordingTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()


class AsyncRecordingTransport:
    """The async twin of :class:`RecordingTransport` (``sleep`` is awaited)."""

    def __init__(self, transport: Any = None, *, log: Any = None,
                 policy: RetryPolicy | None = None, provider: str | None = None,
                 flavour: Flavour | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 clock: Callable[[], float] = time.perf_counter,
                 wall: Callable[[], float] = time.time, **transport_options: Any) -> None:
        self._inner = transport or http_module(flavour).AsyncHTTPTransport(**transport_options)
        timed = conntiming.install(self._inner)
        self._core = _Core(log, policy, provider, clock, wall, timed=timed)
        self._sleep = sleep

    async def handle_async_request(self, request: Any) -> Any:
        await request.aread()
        trace = request.extensions.get("trace")
        core = self._core
        retries = 0
        while True:
            attempt = core.begin(request, retries, trace, sync=False)
            token = conntiming.CURRENT.set(attempt)
            try:
                response = await self._inner.handle_async_request(request)
            except _transport_errors() as exc:
                attempt.failed(exc)
                core.finish(attempt)
                wait = core.decide(retries, exception=exc)
                if wait is None:
                    raise
            else:
                request_id, ctype, should = _pick(response.headers.raw, b"x-request-id",
                                                  b"content-type", b"x-should-retry")
                attempt.got_response(response.status_code, request_id, ctype or "", core.clock())
                if retries >= core.policy.max_retries or not core.policy.might_retry(
                        response.status_code, should):
                    return _wrap(response, core, attempt, sync=False)
                stream = _wrap(response, core, attempt, sync=False).stream
                raw = b"".join([chunk async for chunk in stream])
                await stream.aclose()
                wait = core.decide(retries, response=response, body=raw)
                if wait is None:
                    _replay(response, raw)
                    return response
            finally:
                conntiming.CURRENT.reset(token)
            await self._sleep(wait)
            retries += 1

    async def aclose(self) -> None:
        await self._inner.aclose()
        if self._core.log is not None:
            self._core.log.close()

    async def __aenter__(self) -> AsyncRecordingTransport:
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.aclose()
