"""The request log: one JSON line per HTTP attempt, in the DESIGN contract.

:class:`RequestLog` appends whole lines with a single ``os.write`` on an ``O_APPEND`` file
descriptor, so lines from many threads and processes never interleave, and a program killed
between two writes leaves only complete lines behind. What one attempt shows, and its line,
is :class:`chatkit.client.attempt.Attempt`.

The recorder hands its rows over with :meth:`RequestLog.put`: a row is made and written
later, in a batch, off the request's path. A batch is written when :data:`BATCH` rows wait,
at the latest :data:`DELAY` seconds after its first row (a daemon thread sees to it), when
the log closes, when chatkit reads a log (:func:`flush_logs`), and when the interpreter exits.
Made together, rows cost a fraction of what one costs on its own between two requests (the
interpreter's caches are warm), and one system call writes them all.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["BATCH", "DELAY", "FIELDS", "RequestLog", "encode_row", "flush_logs", "log_for"]

#: Rows that wait before the thread that hands over the last one writes them all.
BATCH = 64
#: Seconds a row waits at most before the flushing thread writes it.
DELAY = 0.1
_LOG = logging.getLogger("chatkit.client")


#: The columns of the request-log contract, in order.
FIELDS: tuple[str, ...] = (
    "ts", "method", "url", "host", "endpoint", "provider", "model", "stream", "attempt",
    "status", "error_type", "error_code", "error_message", "exception", "latency_ms", "ttfb_ms",
    "ttft_ms", "dns_ms", "connect_ms", "tls_ms", "request_bytes", "response_bytes",
    "prompt_tokens", "completion_tokens", "request_id",
)
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode


def _row_encoder() -> Callable[[Any], str]:
    """The same encoding with the C encoder built once, not on every call as
    ``JSONEncoder.encode`` does (no circular check: a row is flat)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _ENCODE
    encoder = make(None, str, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    return lambda row: "".join(encoder(row, 0))


#: A row as its line's text: compact JSON, non-ASCII kept, anything odd as ``str``.
encode_row = _row_encoder()


class RequestLog:
    """An append-only JSONL file shared safely by threads, processes and clients.

    :meth:`write` appends a row at once. :meth:`put` (the recorder's way) hands over a
    function that makes the row, and the row is written with its batch: within
    :data:`DELAY` seconds, at once when the log closes or :meth:`flush` is called, and at
    exit. A process killed outright (``SIGKILL``, ``os._exit``, a crash of the interpreter)
    loses the rows of its last :data:`DELAY` seconds; ``batched=False`` writes each row
    before :meth:`put` returns, at the cost of a system call and a cold row per request.
    In a child made by ``fork`` every row is written at once (such children often end with
    ``os._exit``, which runs no exit handler). Writing and closing hold one lock. Clients
    sharing the log :meth:`retain` it and :meth:`release` it when they close: the file
    closes when the last one does (a later write reopens it).
    """

    def __init__(self, path: str | os.PathLike[str], *, batched: bool = True) -> None:
        self.path = Path(path)
        self.batched = batched
        self._fd: int | None = None
        # Re-entrant: a row made in a flush may hand over another (through a collected
        # stream, a logging handler), and the same thread goes on.
        self._lock = threading.RLock()
        self._users = 0
        self._rows: deque[Callable[[], Mapping[str, Any] | str]] = deque()
        _ALL.add(self)

    def _open(self) -> int:
        """The descriptor, opened on first use (the lock is held)."""
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            # A line cut short by a crash would swallow ours: end it first. A file that
            # is still growing is being written by a live process, whose line will end.
            # (A reader can glimpse another process's write half done, so look twice.)
            size = os.fstat(fd).st_size
            if size and not _ends_with_newline(self.path):
                time.sleep(0.05)
                if os.fstat(fd).st_size == size and not _ends_with_newline(self.path):
                    os.write(fd, b"\n")
            self._fd = fd
        return self._fd

    def write(self, row: Mapping[str, Any] | str) -> None:
        """Append one row, or its JSON text (:meth:`chatkit.client.attempt.Attempt.line`),
        as one line, in one system call, now."""
        line = ((row if isinstance(row, str) else encode_row(row)) + "\n").encode()
        with self._lock:
            fd = self._fd
            os.write(self._open() if fd is None else fd, line)

    def put(self, make: Callable[[], Mapping[str, Any] | str]) -> None:
        """Append the row (or its JSON text) that ``make()`` gives, made and written with
        its batch. ``make`` must not raise; if it does, its row is lost with a warning."""
        if not self.batched or _IMMEDIATE:
            self.write(make())
            return
        rows = self._rows
        rows.append(make)
        size = len(rows)
        if size >= BATCH:
            self.flush()
        elif size == 1:  # a batch begins: the flushing thread writes it in DELAY seconds
            _wake(self)

    def flush(self) -> None:
        """Make and write every row handed over by :meth:`put`, in one system call. On
        return every row handed over before the call is in the file, even one another
        thread was writing: the lock is taken first."""
        with self._lock:
            rows = self._rows
            if not rows:
                return
            lines = []
            while True:
                try:
                    make = rows.popleft()
                except IndexError:
                    break
                try:
                    row = make()
                    lines.append(row if isinstance(row, str) else encode_row(row))
                except Exception as exc:
                    _LOG.warning("chatkit request log: a row could not be made (%s: %s)",
                                 type(exc).__name__, exc)
            if lines:
                lines.append("")
                fd = self._fd
                os.write(self._open() if fd is None else fd, "\n".join(lines).encode())

    def retain(self) -> RequestLog:
        """One more client shares this log; it calls :meth:`release` when it closes."""
        with self._lock:
            self._users += 1
        return self

    def release(self) -> None:
        """A sharing client is done: write what waits, and close the file if it was the
        last one."""
        try:
            self.flush()
        finally:
            with self._lock:
                self._users = max(self._users - 1, 0)
                if self._users == 0:
                    self._close()

    def close(self) -> None:
        """Write what waits, and close the file now, whoever shares it (a later write
        reopens it)."""
        try:
            self.flush()
        finally:
            with self._lock:
                self._close()

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


# --- the flushing thread ---------------------------------------------------------------------

#: Logs with rows waiting (held here, so a log dropped by its client still gets written). A
#: log leaves only once flushed and empty, both decided under _WAITING_LOCK.
_WAITING: set[RequestLog] = set()
_WAITING_LOCK = threading.Lock()
_ALL: weakref.WeakSet[RequestLog] = weakref.WeakSet()
_WAKE = threading.Event()
_FLUSHER: list[threading.Thread] = []
_IMMEDIATE = False  # True in a child made by fork


#: The log each path has in this process (see :func:`log_for`).
_BY_PATH: weakref.WeakValueDictionary[str, RequestLog] = weakref.WeakValueDictionary()


def log_for(path: str | os.PathLike[str]) -> RequestLog:
    """This process's one :class:`RequestLog` for ``path``: clients naming the same file
    share its batches, so its lines keep the order in which their attempts ended."""
    key = os.path.abspath(os.fspath(path))
    with _WAITING_LOCK:
        log = _BY_PATH.get(key)
        if log is None:
            log = _BY_PATH[key] = RequestLog(path)
    return log


def _wake(log: RequestLog) -> None:
    with _WAITING_LOCK:
        _WAITING.add(log)
    _nudge()


def _nudge() -> None:
    """The flushing thread writes the waiting rows in DELAY seconds (started on first use,
    once: two threads may nudge it at the same moment)."""
    if not _FLUSHER:
        with _WAITING_LOCK:
            if not _FLUSHER:
                thread = threading.Thread(target=_flush_later, name="chatkit-request-log",
                                          daemon=True)
                _FLUSHER.append(thread)
                thread.start()
    _WAKE.set()


def _flush_later() -> None:
    while True:
        _WAKE.wait()
        _WAKE.clear()
        time.sleep(DELAY)
        flush_logs()


def flush_logs() -> None:
    """Write every row waiting in this process's request logs (chatkit's readers call this
    before they read a log; exiting calls it too)."""
    with _WAITING_LOCK:
        waiting = list(_WAITING)
    for log in waiting:
        try:
            log.flush()  # waits for a flush another thread has begun
        except Exception as exc:  # a full disk, a removed directory: say so, go on
            _LOG.warning("chatkit request log: could not write %s (%s: %s)", log.path,
                         type(exc).__name__, exc)
        with _WAITING_LOCK:
            if not log._rows:  # a row put since then keeps it here
                _WAITING.discard(log)


def _forked_child() -> None:
    """The parent's waiting rows are the parent's to write; the child writes its own at
    once, and its locks start free."""
    global _IMMEDIATE, _WAITING_LOCK
    _IMMEDIATE = True
    _WAITING_LOCK = threading.Lock()
    for log in list(_ALL):
        log._rows.clear()
        log._lock = threading.RLock()
    _WAITING.clear()
    _FLUSHER.clear()


atexit.register(flush_logs)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked_child)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
