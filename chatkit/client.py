"""A client that retries what can succeed, never what cannot, and records every attempt.

One line makes an app built on the official ``openai`` package observable::

    client = openai.OpenAI(http_client=chatkit.resilient_client(log_path="requests.jsonl"),
                           max_retries=0)   # chatkit retries; the two must not multiply

* :class:`RetryPolicy` is the openai client's own policy (statuses 408, 409, 429, >= 500 and
  connection failures; ``x-should-retry``; ``retry-after-ms`` / ``retry-after`` up to 120 s;
  exponential backoff from 0.5 s to 8 s less up to 25 % jitter; 2 retries) except that it
  never retries what :func:`chatkit.classify.classify` says cannot succeed: an
  ``insufficient_quota`` or ``credit_balance_exhausted`` 429, a request larger than the
  tokens-per-minute limit, an untrusted certificate.
* :class:`RecordingTransport` / :class:`AsyncRecordingTransport` wrap any httpx (or httpx2)
  transport, apply the policy, and append one line per attempt to a request log
  (:mod:`chatkit.requestlog`), timing the stream's first token while the caller reads it.
* :func:`resilient_client` / :func:`async_resilient_client` build a ready client of the
  flavour the installed openai package takes: ``httpx2`` for openai >= 3, ``httpx`` before.
  The transports are one implementation: they adopt the flavour of the responses they see.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import math
import os
import random
import ssl
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any, Literal
from urllib.parse import urlsplit

from chatkit import conntiming
from chatkit.classify import classify, parse_retry_after
from chatkit.errors import UsageError
from chatkit.requestlog import Attempt, RequestLog
from chatkit.targets import Target

__all__ = [
    "AsyncRecordingTransport",
    "RecordingTransport",
    "RetryPolicy",
    "async_resilient_client",
    "http_flavour",
    "resilient_client",
]

Flavour = Literal["httpx", "httpx2"]
_RETRY_STATUSES = frozenset({408, 409, 429})


def http_flavour() -> Flavour:
    """The HTTP package the installed openai client takes (``httpx`` when openai is absent)."""
    try:
        major = int(metadata.version("openai").split(".", 1)[0])
    except (metadata.PackageNotFoundError, ValueError):
        return "httpx"
    return "httpx2" if major >= 3 else "httpx"


def _module(flavour: str | None) -> ModuleType:
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


# --- the policy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry and how long to wait, as the openai client does (``_base_client.py``),
    minus the retries that cannot succeed."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 120.0  # a longer Retry-After means: do not retry at all
    jitter: float = 0.25  # the wait is reduced by up to this share
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise UsageError("max_retries must be 0 or more")

    def backoff(self, retries_taken: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds to wait before retry number ``retries_taken + 1``."""
        after = parse_retry_after(headers) if headers else None
        if after is not None and math.isfinite(after) and 0 < after <= self.max_retry_after:
            return after
        delay = min(self.initial_delay * 2.0 ** min(retries_taken, 1000), self.max_delay)
        return max(delay * (1 - self.jitter * self.random()), 0.0)

    def should_retry(self, *, status: int | None = None, headers: Mapping[str, str] | None
                     = None, body: str | bytes | None = None,
                     exception: BaseException | None = None) -> bool:
        """Whether a failed attempt is worth repeating (ignoring how many were made)."""
        if exception is not None:
            return classify(exception).retryable is not False
        if status is None:
            return False
        lower = {k.lower(): v for k, v in (headers or {}).items()}
        after = parse_retry_after(lower)
        if after is not None and math.isfinite(after) and after > self.max_retry_after:
            return False
        if status >= 400 and classify(status=status, headers=lower, body=body or "").retryable \
                is False and (status in _RETRY_STATUSES or status >= 500):
            return False  # e.g. insufficient_quota: the openai client would retry it in vain
        if lower.get("x-should-retry") == "true":
            return True
        if lower.get("x-should-retry") == "false":
            return False
        return status in _RETRY_STATUSES or status >= 500

    def might_retry(self, status: int, should_retry: str | None = None) -> bool:
        """Cheap pre-check on the status line (and ``x-should-retry``): is the body worth
        reading to decide?"""
        return status in _RETRY_STATUSES or status >= 500 or should_retry is not None


NO_RETRY = RetryPolicy(max_retries=0)


# --- the recorder's core, shared by the sync and async transports --------------------------


class _Core:
    def __init__(self, log: Any, policy: RetryPolicy | None,
                 provider: str | None, clock: Callable[[], float],
                 wall: Callable[[], float], *, timed: bool = False) -> None:
        self.log = _log(log)
        self.timed = timed  # chatkit.conntiming times new connections: no trace needed
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
        self._inner = transport or _module(flavour).HTTPTransport(**transport_options)
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
        self._inner = transport or _module(flavour).AsyncHTTPTransport(**transport_options)
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


# --- ready clients ----------------------------------------------------------------------------


def _target(target_or_base_url: Target | str | None) -> Target:
    if isinstance(target_or_base_url, Target):
        return target_or_base_url
    if target_or_base_url is None:
        return Target()
    host = urlsplit(target_or_base_url).hostname or ""
    return Target(target_or_base_url, provider="openai" if host.endswith("openai.com")
                  else "compatible")


def _client_options(target: Target, module: ModuleType, log: RequestLog | None,
                    policy: RetryPolicy, timeout: Any, make: Callable[..., Any],
                    recorder: type, sleep: Any) -> dict[str, Any]:
    transport_options: dict[str, Any] = {
        "limits": module.Limits(max_connections=1000, max_keepalive_connections=100),
        "trust_env": True,  # SSL_CERT_FILE / SSL_CERT_DIR
    }
    if target.ca_bundle:
        transport_options["verify"] = ssl.create_default_context(cafile=target.ca_bundle)
    extra = {"sleep": sleep} if sleep is not None else {}

    def recorded(proxy: str | None) -> Any:
        inner = make(**transport_options, **({"proxy": proxy} if proxy else {}))
        return recorder(inner, log=log, policy=policy, provider=target.provider, **extra)

    mounts: dict[str, Any] = {}
    if target.proxy:
        main = recorded(target.proxy)
    else:
        main = recorded(None)
        # The environment's proxies (HTTPS_PROXY, NO_PROXY...) as httpx reads them, each
        # through a recording transport, so proxied traffic is logged too.
        for pattern, proxy in module._utils.get_environment_proxies().items():
            mounts[pattern] = recorded(proxy) if proxy else None
    return {"transport": main, "mounts": mounts, "trust_env": False, "follow_redirects": True,
            "timeout": timeout if timeout is not None else module.Timeout(600.0, connect=5.0)}


def _log(log_path: Any) -> Any:
    if log_path is None or hasattr(log_path, "write"):
        return log_path  # nothing, or a RequestLog shared with other clients
    return RequestLog(log_path)


def resilient_client(target_or_base_url: Target | str | None = None, *,
                     log_path: str | os.PathLike[str] | RequestLog | None = None,
                     policy: RetryPolicy | None = None, flavour: Flavour | None = None,
                     timeout: Any = None, sleep: Callable[[float], Any] | None = None,
                     **client_options: Any) -> Any:
    """A ready ``httpx2.Client`` (openai >= 3) or ``httpx.Client`` (older openai) that retries
    by ``policy`` (default :class:`RetryPolicy`) and appends every attempt to ``log_path``
    (a path, or a :class:`~chatkit.requestlog.RequestLog` shared by several clients).

    Proxy and CA bundle come from the Target (or the environment); timeouts default to the
    openai client's (600 s, 5 s to connect). Pass it as ``openai.OpenAI(http_client=...,
    max_retries=0)``.
    """
    target = _target(target_or_base_url)
    module = _module(flavour)
    log = _log(log_path)
    options = _client_options(target, module, log, policy or RetryPolicy(), timeout,
                              module.HTTPTransport, RecordingTransport, sleep)
    return module.Client(**{**options, **client_options})


def async_resilient_client(target_or_base_url: Target | str | None = None, *,
                           log_path: str | os.PathLike[str] | RequestLog | None = None,
                           policy: RetryPolicy | None = None, flavour: Flavour | None = None,
                           timeout: Any = None,
                           sleep: Callable[[float], Awaitable[Any]] | None = None,
                           **client_options: Any) -> Any:
    """The async twin of :func:`resilient_client`, for ``openai.AsyncOpenAI(http_client=...)``."""
    target = _target(target_or_base_url)
    module = _module(flavour)
    log = _log(log_path)
    options = _client_options(target, module, log, policy or RetryPolicy(), timeout,
                              module.AsyncHTTPTransport, AsyncRecordingTransport, sleep)
    return module.AsyncClient(**{**options, **client_options})
