"""The request log: one JSON line per HTTP attempt, in the DESIGN contract.

:class:`RequestLog` appends whole lines with a single ``os.write`` on an ``O_APPEND`` file
descriptor, so lines from many threads and processes never interleave, and a program killed
between two writes leaves only complete lines behind. What one attempt shows, and its line,
is :class:`chatkit.client.attempt.Attempt`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["FIELDS", "RequestLog", "encode_row"]


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

    Each row is written before the request that produced it returns to the caller, so a log
    read in the next line of a notebook is complete, and a crash loses nothing already
    answered. A writer thread was measured and not kept: woken per row, its hand-offs cost
    more than they save; fed in batches, it halves the recorder's CPU on the caller's thread
    yet saves only about a third of its wall-clock cost (CPython 3.11, loopback), and it
    would break both promises. Writing and closing hold one lock. Clients sharing the log
    :meth:`retain` it and :meth:`release` it when they close: the file closes when the last
    one does (a later write reopens it).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._users = 0

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
        as one line, in one system call."""
        line = ((row if isinstance(row, str) else encode_row(row)) + "\n").encode()
        with self._lock:
            fd = self._fd
            os.write(self._open() if fd is None else fd, line)

    def retain(self) -> RequestLog:
        """One more client shares this log; it calls :meth:`release` when it closes."""
        with self._lock:
            self._users += 1
        return self

    def release(self) -> None:
        """A sharing client is done: close the file if it was the last one."""
        with self._lock:
            self._users = max(self._users - 1, 0)
            if self._users == 0:
                self._close()

    def close(self) -> None:
        """Close the file now, whoever shares it (a later write reopens it)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
