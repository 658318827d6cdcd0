"""Connect and TLS times of new connections, without tracing every request.

httpx's ``trace`` extension would give them too, but it makes httpcore call back on every
step of every request, which costs more than everything else the recorder does (measured in
``tests/benchmarks/bench_recorder.py``). Only a new connection has a connect and a TLS time,
so chatkit wraps the *network backend* of the transport's connection pool instead: the
wrapper times ``connect_tcp`` and ``start_tls`` and notes them on the attempt that is running
(a context variable, so threads and asyncio tasks each see their own). A request that reuses
a kept-alive connection costs nothing extra and gets ``connect_ms = 0``.

The backend sits behind private attributes (``transport._pool._network_backend``) of both
httpx/httpcore and httpx2/httpcore2; :func:`install` returns False when they are not there
and the recorder falls back to the ``trace`` extension.
"""

from __future__ import annotations

import contextvars
import inspect
import time
from typing import Any

__all__ = ["CURRENT", "install"]

#: The attempt (a :class:`chatkit.client.attempt.Attempt`) whose request is being sent.
CURRENT: contextvars.ContextVar[Any] = contextvars.ContextVar("chatkit_attempt", default=None)


def _note(phase: str, started: float) -> None:
    attempt = CURRENT.get()
    if attempt is not None:
        if attempt.phases is None:
            attempt.phases = {}
        attempt.phases[phase] = (time.perf_counter() - started) * 1000


class _Stream:
    """A network stream whose ``start_tls`` is timed; everything else passes through. The
    methods httpcore calls on every request are the inner stream's own, bound once: going
    through ``__getattr__`` would cost microseconds on each read and write."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        for name in ("read", "write", "close", "get_extra_info"):
            method = getattr(inner, name, None)
            if method is not None:
                setattr(self, name, method)

    def start_tls(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        stream = self._inner.start_tls(*args, **kwargs)
        _note("tls", started)
        return stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _AsyncStream(_Stream):
    async def start_tls(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        stream = await self._inner.start_tls(*args, **kwargs)
        _note("tls", started)
        return stream


class _Backend:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        stream = self._inner.connect_tcp(*args, **kwargs)
        _note("connect", started)
        return _Stream(stream)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _AsyncBackend(_Backend):
    async def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        stream = await self._inner.connect_tcp(*args, **kwargs)
        _note("connect", started)
        return _AsyncStream(stream)


def install(transport: Any) -> bool:
    """Time the new connections of an httpx/httpx2 ``(Async)HTTPTransport``; False when
    ``transport`` has no connection pool chatkit knows how to reach."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if pool is None or backend is None or not callable(getattr(backend, "connect_tcp", None)):
        return False
    if isinstance(backend, _Backend):
        return True
    asynchronous = inspect.iscoroutinefunction(backend.connect_tcp)
    pool._network_backend = (_AsyncBackend if asynchronous else _Backend)(backend)
    return True
