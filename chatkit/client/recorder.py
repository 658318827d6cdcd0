"""The recorder's core, shared by the sync and async transports: one retry loop, and every
attempt written exactly once.

An answer that cannot be retried (every 2xx and 3xx, and all of them without retries) goes
back to the caller at once: the transports send the first try themselves and ask
:meth:`Recorder.answer`. Otherwise :meth:`Recorder.retry` is the retry loop, written once as a
generator that does no I/O: it yields what it needs done (``READ`` an error body to decide on
it, ``SLEEP`` before the next try, ``SEND`` the request again) and the transport carries the
step out, sync or async, sending back the result or throwing in the exception.

An attempt is *pending* from its start until its row is handed to the log, and whoever hands
it over first claims it: the end of its body, the caller closing the response, the response
being collected unread, or the interpreter exiting with the attempt still open. The others
find nothing to do. The row itself is made later, with the log's batch
(:meth:`chatkit.client.requestlog.RequestLog.put`): what the request and the answer show is
read then, off the request's path. Nothing chatkit does for the record reaches the caller as
an exception: a failure of its own bookkeeping is a :mod:`logging` warning and a
``recorder_error`` field in the row.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Generator
from typing import Any

from chatkit.client import conntiming
from chatkit.client.attempt import Attempt, header_values
from chatkit.client.policy import NO_RETRY, RetryPolicy
from chatkit.client.requestlog import flush_logs, log_for
from chatkit.redaction.scrub import redact_url

__all__ = ["READ", "SEND", "SLEEP", "Recorder", "as_log"]

SEND, READ, SLEEP = "send", "read", "sleep"
Step = tuple[str, Any]

_LOG = logging.getLogger("chatkit.client")
#: Attempts started and not yet handed to their log, and their recorders: the one registry
#: all recorders share.
_PENDING: dict[Attempt, Recorder] = {}


def _write_pending_at_exit() -> None:
    """Attempts still open when the interpreter exits (a stream never read, a request in
    flight on a daemon thread) get their line, marked ``aborted: exit``."""
    for attempt, recorder in list(_PENDING.items()):
        recorder.finish(attempt, completed=False, aborted=attempt.aborted or "exit")
    flush_logs()


atexit.register(_write_pending_at_exit)
# A forked child inherits the parent's open attempts, which are the parent's to write.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_PENDING.clear)


def as_log(log_path: Any) -> Any:
    """A request log: ``None``, a :class:`RequestLog` to share, or a path (whose log every
    client of this process naming it shares: :func:`~chatkit.client.requestlog.log_for`)."""
    if log_path is None or hasattr(log_path, "write"):
        return log_path  # nothing, or a RequestLog shared with other clients
    return log_for(log_path)


def _url_parts(url: Any) -> tuple[str, str, str]:
    """(redacted URL, host, path), cached by the parsed URL: an app calls few URLs, and
    turning one into text costs microseconds on every attempt."""
    key = getattr(url, "_uri_reference", None)
    parts = _URLS.get(key) if key is not None else None
    if parts is None:
        parts = (redact_url(str(url)), url.host, url.path)
        if key is not None:
            if len(_URLS) >= 1024:
                _URLS.clear()
            _URLS[key] = parts
    return parts


_URLS: dict[Any, tuple[str, str, str]] = {}


class Recorder:
    """Begins, finishes and writes attempts, decides on retries, and runs the retry loop.

    ``errors`` are the exception classes of a failed exchange (the flavour's
    ``TransportError`` and ``OSError``), resolved when the transport is built.
    """

    def __init__(self, log: Any, policy: RetryPolicy | None, provider: str | None,
                 clock: Callable[[], float], wall: Callable[[], float], *,
                 errors: tuple[type[BaseException], ...], timed: bool = False) -> None:
        self.log = as_log(log)
        retain = getattr(self.log, "retain", None)
        if retain is not None:
            retain()
        self.policy = policy if policy is not None else NO_RETRY
        self.max_retries = self.policy.max_retries
        self.provider = provider
        self.clock = clock
        self.wall = wall
        self.errors = errors
        self.timed = timed  # chatkit.client.conntiming times new connections: no trace needed
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def close(self) -> None:
        """This client is done with its log (a shared log closes with its last client)."""
        release = getattr(self.log, "release", None) or getattr(self.log, "close", None)
        if release is not None:
            try:
                release()  # writes the rows that wait
            except Exception as exc:
                _LOG.warning("chatkit recorder: could not append to the request log (%s: %s)",
                             type(exc).__name__, exc)

    # --- attempts -------------------------------------------------------------------------

    def attempt_number(self, request: Any, retries: int) -> int:
        """0 for a first try. The openai client's retries of one call share an
        Idempotency-Key; without one, its x-stainless-retry-count says which retry it is."""
        key, count = header_values(request.headers, b"idempotency-key",
                                   b"x-stainless-retry-count")
        if key:
            with self._lock:
                number = self._seen.get(key, 0)
                self._seen[key] = number + 1
                self._seen.move_to_end(key)
                while len(self._seen) > 4096:
                    self._seen.popitem(last=False)
            return number
        return (int(count) if count and count.isdigit() else 0) + retries

    def begin(self, request: Any, retries: int, *, sync: bool) -> Attempt:
        """A new attempt at ``request``, pending. Only the clocks are read now: the request
        is read when the line is made."""
        attempt = Attempt.started(request, self.provider, retries, self.wall(), self.clock())
        if self.timed:
            attempt.timed = True
        else:  # an unknown inner transport: httpx's trace extension, if it honours it
            try:
                chained = request.extensions.get("trace")
                chained = getattr(chained, "chatkit_chained", chained)  # a retry: the caller's
                tracer = attempt.tracer if sync else attempt.async_tracer
                request.extensions = {**request.extensions,
                                      "trace": tracer(self.clock, chained=chained)}
            except Exception as exc:  # the request goes on, recorded with what is known
                attempt.note_trouble("begin", exc)
        _PENDING[attempt] = self
        return attempt

    def finish(self, attempt: Attempt, *, completed: bool = True,
               aborted: str | None = None) -> None:
        """Hand the attempt's line to the log unless someone already did."""
        if _PENDING.pop(attempt, None) is None or self.log is None:
            return
        if aborted and not completed:
            attempt.aborted = aborted
        try:
            self.log.put(functools.partial(self._row, attempt, self.clock(), completed))
        except Exception as exc:
            _LOG.warning("chatkit recorder: could not append to the request log (%s: %s); "
                         "the request is not affected", type(exc).__name__, exc)

    def _row(self, attempt: Attempt, now: float, completed: bool) -> dict[str, Any] | str:
        """The attempt's line (its row, when making the line failed), made with its batch."""
        request = attempt.request
        if request is not None:
            attempt.request = None
            try:
                parts = _URLS.get(getattr(request.url, "_uri_reference", None))
                attempt.url, attempt.host, attempt.endpoint = (
                    parts if parts is not None else _url_parts(request.url))
                attempt.method = request.method
                attempt.attempt = self.attempt_number(request, attempt.attempt)
                try:
                    content = request.content
                except Exception:  # a streamed upload, sent unread: its size is unknown
                    content = None
                attempt.read_request(content)
            except Exception as exc:  # recorded with what is known
                attempt.note_trouble("request", exc)
        try:
            return attempt.line(now, completed=completed)
        except Exception as exc:
            return attempt.fallback_row(now, exc)

    # --- the retry loop -------------------------------------------------------------------

    def decide(self, retries: int, *, response: Any = None,
               exception: BaseException | None = None, body: bytes | None = None
               ) -> float | None:
        """Seconds to wait before the next try, or None to stop here."""
        if retries >= self.policy.max_retries:
            return None
        try:
            if exception is not None:
                if not self.policy.should_retry(exception=exception):
                    return None
                return self.policy.backoff(retries)
            if not self.policy.should_retry(status=response.status_code,
                                            headers=response.headers, body=body):
                return None
            return self.policy.backoff(retries, response.headers)
        except Exception as exc:  # a policy that cannot decide does not retry
            _LOG.warning("chatkit recorder: the retry decision failed (%s: %s); not retrying",
                         type(exc).__name__, exc)
            return None

    def answer(self, attempt: Attempt, response: Any, retries: int,
               wrap: Callable[[Any, Attempt], Any]) -> Any:
        """The response for the caller if this answer is final (every 2xx and 3xx, and all
        of them once the retries are spent), else None: the retry loop decides."""
        should = attempt.answered(response, self.clock())
        if retries >= self.max_retries or not self.policy.might_retry(
                response.status_code, should):
            return wrap(response, attempt)
        return None

    def retry(self, request: Any, attempt: Attempt, outcome: Any,
              wrap: Callable[[Any, Attempt], Any], replay: Callable[[Any, bytes], None],
              sync: bool) -> Generator[Step, Any, Any]:
        """The retry loop, from the first try's ``outcome``: an exception, or a response
        :meth:`answer` did not call final. Yields ``(READ, stream)`` for a body's bytes,
        ``(SLEEP, seconds)``, ``(SEND, None)`` for the next response; returns the response
        for the caller. A failure of a step is thrown in, and raised from here unchanged
        when it is not retried. ``wrap`` puts a recording stream on a response, ``replay``
        gives it back a body read here."""
        retries = 0
        while True:
            if isinstance(outcome, BaseException):
                attempt.failed(outcome)
                self.finish(attempt)
                wait = self.decide(retries, exception=outcome) \
                    if isinstance(outcome, self.errors) else None
                if wait is None:
                    raise outcome
            else:
                stream = wrap(outcome, attempt).stream
                try:  # the recording stream writes the line when the body ends or fails
                    raw = yield READ, stream
                except self.errors as exc:
                    wait = self.decide(retries, exception=exc)
                    if wait is None:
                        raise
                else:
                    wait = self.decide(retries, response=outcome, body=raw)
                    if wait is None:
                        replay(outcome, raw)
                        return outcome
            yield SLEEP, wait
            retries += 1
            attempt = self.begin(request, retries, sync=sync)
            token = conntiming.CURRENT.set(attempt)
            try:
                outcome = yield SEND, None
            except BaseException as exc:
                outcome = exc
            finally:
                conntiming.CURRENT.reset(token)
            if not isinstance(outcome, BaseException):
                final = self.answer(attempt, outcome, retries, wrap)
                if final is not None:
                    return final
