"""The recording transports: retry by a policy, and append one line per attempt to a log.

:class:`RecordingTransport` / :class:`AsyncRecordingTransport` wrap any httpx (or httpx2)
transport, apply a :class:`~chatkit.client.policy.RetryPolicy`, and append one line per attempt
to a request log (:mod:`chatkit.client.requestlog`), timing the stream's first token while the
caller reads it. Both send the first try themselves and hand back every answer that cannot be
retried at once; otherwise they carry out the steps of the one retry loop
(:meth:`chatkit.client.recorder.Recorder.retry`). They adopt the flavour (httpx or httpx2) of
the responses they see. Everything the request path needs is resolved when a transport is
built, and the line is made later, off the request's path (:meth:`chatkit.client.requestlog.
RequestLog.put`).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from importlib import metadata
from types import ModuleType
from typing import Any, Literal

from chatkit.client import conntiming
from chatkit.client.attempt import MAX_PARSED_BODY, Attempt
from chatkit.client.policy import RetryPolicy
from chatkit.client.recorder import _PENDING, READ, SEND, Recorder
from chatkit.errors import UsageError

__all__ = [
    "AsyncRecordingTransport",
    "RecordingTransport",
    "http_flavour",
    "http_module",
    "transport_errors",
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


def transport_errors(inner: Any) -> tuple[type[BaseException], ...]:
    """What a failed exchange through ``inner`` raises: its flavour's ``TransportError`` (both
    flavours' for a transport of neither) and ``OSError``. Resolved when the transport is
    built: importing httpx while the openai client runs in other threads hands them a
    half-initialised module."""
    name = type(inner).__module__.split(".", 1)[0]
    found: list[type[BaseException]] = [OSError]
    for flavour in ((name,) if name in ("httpx", "httpx2") else ("httpx", "httpx2")):
        try:
            module = importlib.import_module(flavour)
        except ImportError:
            continue
        found.append(module.TransportError)
        _stream_classes(flavour)
    return tuple(found)


# --- streams that record while the caller reads ------------------------------------------


def _collected(stream: Any) -> None:
    """A recording stream's ``__del__``: an attempt still pending is written now."""
    try:
        if stream._attempt in _PENDING:
            stream._core.finish(stream._attempt, completed=False, aborted="collected")
    except Exception:  # half-built, or the interpreter is shutting down
        pass


@functools.cache
def _stream_classes(module_name: str) -> tuple[type, type]:
    """Recording stream wrappers subclassing the given flavour's stream bases (the clients
    assert ``isinstance(response.stream, SyncByteStream)``)."""
    module = importlib.import_module(module_name)

    class SyncRecordingStream(module.SyncByteStream):  # type: ignore[name-defined]
        _inner: Any  # set by _wrap
        _core: Recorder
        _attempt: Attempt

        def __iter__(self) -> Iterator[bytes]:
            clock, attempt = self._core.clock, self._attempt
            try:
                if attempt.arrivals is None and attempt.meter is None:  # got_bytes, inline
                    body = attempt.body
                    for chunk in self._inner:
                        attempt.response_bytes += len(chunk)
                        if body is not None and attempt.response_bytes <= MAX_PARSED_BODY:
                            body.append(chunk)
                        yield chunk
                else:
                    for chunk in self._inner:
                        attempt.got_bytes(chunk, clock())
                        yield chunk
            except GeneratorExit:  # the reader stopped early: not a failure of the stream
                self._core.finish(attempt, completed=False, aborted="closed")
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
                if self._attempt in _PENDING:  # not written yet at the end of the body
                    self._core.finish(self._attempt, completed=False, aborted="closed")

        __del__ = _collected  # dropped unread: the line is written now

    class AsyncRecordingStream(module.AsyncByteStream):  # type: ignore[name-defined]
        _inner: Any  # set by _wrap
        _core: Recorder
        _attempt: Attempt

        async def __aiter__(self) -> AsyncIterator[bytes]:
            clock, attempt = self._core.clock, self._attempt
            try:
                async for chunk in self._inner:
                    attempt.got_bytes(chunk, clock())
                    yield chunk
            except GeneratorExit:
                self._core.finish(attempt, completed=False, aborted="closed")
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
                if self._attempt in _PENDING:
                    self._core.finish(self._attempt, completed=False, aborted="closed")

        __del__ = _collected

    return SyncRecordingStream, AsyncRecordingStream


_new = object.__new__
_CURRENT = conntiming.CURRENT

#: By the class of a response: its flavour's ``ByteStream`` and recording streams (sync, async).
_KINDS: dict[type, tuple[type, type, type]] = {}


def _wrap(core: Recorder, sync: bool, response: Any, attempt: Attempt) -> Any:
    kinds = _KINDS.get(type(response))
    if kinds is None:
        module = _module_of(response)
        kinds = _KINDS[type(response)] = (module.ByteStream, *_stream_classes(module.__name__))
    if isinstance(response.stream, kinds[0]):  # read already (a mock): record now
        attempt.got_bytes(response.content, core.clock())
        core.finish(attempt)
        return response
    stream: Any = _new(kinds[1 if sync else 2])  # no __init__ to call: three attributes
    stream._inner, stream._core, stream._attempt = response.stream, core, attempt
    response.stream = stream
    return response


def _replay(response: Any, raw: bytes) -> None:
    """Give a response whose body the transport consumed its bytes back."""
    response.stream = _module_of(response).ByteStream(raw)


# --- the transports: each carries out the steps of the one retry loop ---------------------


def _options(transport: Any, flavour: Flavour | None, make: str,
             transport_options: dict[str, Any]) -> tuple[Any, bool, tuple[type, ...]]:
    """The inner transport, whether its new connections are timed, and its errors."""
    inner = transport or getattr(http_module(flavour), make)(**transport_options)
    return inner, conntiming.install(inner), transport_errors(inner)


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
        self._inner, timed, errors = _options(transport, flavour, "HTTPTransport",
                                              transport_options)
        self._core = Recorder(log, policy, provider, clock, wall, errors=errors, timed=timed)
        self._sleep = sleep
        self._wrap = functools.partial(_wrap, self._core, True)

    def handle_request(self, request: Any) -> Any:
        core = self._core
        if core.max_retries:
            request.read()  # a body read once can be sent again
        attempt = core.begin(request, 0, sync=True)
        token = _CURRENT.set(attempt)
        try:
            outcome = self._inner.handle_request(request)
        except BaseException as exc:
            outcome = exc
        finally:
            _CURRENT.reset(token)
        if not isinstance(outcome, BaseException):
            final = core.answer(attempt, outcome, 0, self._wrap)
            if final is not None:
                return final
        steps = core.retry(request, attempt, outcome, self._wrap, _replay, True)
        result: Any = None
        error: BaseException | None = None
        while True:
            try:
                step, arg = steps.send(result) if error is None else steps.throw(error)
            except StopIteration as done:
                return done.value
            result = error = None
            try:
                if step is SEND:
                    result = self._inner.handle_request(request)
                elif step is READ:
                    try:
                        result = b"".join(arg)
                    finally:
                        arg.close()  # the stream, not the response: the caller may read it
                else:
                    self._sleep(arg)
            except BaseException as exc:
                error = exc

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._core.close()

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
        self._inner, timed, errors = _options(transport, flavour, "AsyncHTTPTransport",
                                              transport_options)
        self._core = Recorder(log, policy, provider, clock, wall, errors=errors, timed=timed)
        self._sleep = sleep
        self._wrap = functools.partial(_wrap, self._core, False)

    async def handle_async_request(self, request: Any) -> Any:
        core = self._core
        if core.max_retries:
            await request.aread()  # a body read once can be sent again
        attempt = core.begin(request, 0, sync=False)
        token = _CURRENT.set(attempt)
        try:
            outcome = await self._inner.handle_async_request(request)
        except BaseException as exc:
            outcome = exc
        finally:
            _CURRENT.reset(token)
        if not isinstance(outcome, BaseException):
            final = core.answer(attempt, outcome, 0, self._wrap)
            if final is not None:
                return final
        steps = core.retry(request, attempt, outcome, self._wrap, _replay, False)
        result: Any = None
        error: BaseException | None = None
        while True:
            try:
                step, arg = steps.send(result) if error is None else steps.throw(error)
            except StopIteration as done:
                return done.value
            result = error = None
            try:
                if step is SEND:
                    result = await self._inner.handle_async_request(request)
                elif step is READ:
                    try:
                        result = b"".join([chunk async for chunk in arg])
                    finally:
                        await arg.aclose()
                else:
                    await self._sleep(arg)
            except BaseException as exc:
                error = exc

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._core.close()

    async def __aenter__(self) -> AsyncRecordingTransport:
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.aclose()
