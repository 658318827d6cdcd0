"""Read a HAR file one entry at a time, so its size does not decide the memory it needs.

A HAR is one JSON document, ``{"log": {..., "entries": [ ... ], ...}}``, and a browser's
export of a long session runs to hundreds of megabytes, nearly all of it in ``entries``.
:func:`iter_har` walks the document's structure by hand down to that array and decodes the
entries one by one with :meth:`json.JSONDecoder.raw_decode`; everything else (``version``,
``creator``, ``pages``, custom fields) is small and is decoded whole. Memory is bounded by the
largest single entry, not the file.

It yields ``("member", name, value)`` for each member of ``log`` other than ``entries``, in
file order, ``("entries", None, None)`` where the array starts, and ``("entry", index,
value)`` per entry. Malformed or truncated input raises :class:`~chatkit.errors.InputError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from chatkit.errors import InputError

__all__ = ["iter_har"]

_CHUNK = 1 << 20
_WS = " \t\r\n"


class _Reader:
    """A text buffer over a file that grows when a value does not fit yet."""

    def __init__(self, handle: IO[str], name: str) -> None:
        self.handle = handle
        self.name = name
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _more(self, at_least: int = 0) -> bool:
        if self.eof:
            return False
        if self.pos:
            self.buf, self.pos = self.buf[self.pos:], 0
        try:
            data = self.handle.read(max(at_least, _CHUNK))
        except UnicodeDecodeError as exc:
            raise InputError(f"{self.name} is not UTF-8 text; give a HAR exported from the "
                             "browser") from exc
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def peek(self) -> str:
        """The next non-whitespace character ('' at the end of the file)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def expect(self, chars: str) -> str:
        char = self.peek()
        if not char or char not in chars:
            self.fail(f"expected {' or '.join(repr(c) for c in chars)}")
        self.pos += 1
        return char

    def value(self) -> Any:
        """Decode the next JSON value, reading more of the file until it is complete."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # An error at the end of the buffer (or an unterminated string) means the
                # value continues in the file: read more, doubling, so a large entry costs
                # O(n) re-tries, not O(n^2). An error in the middle is a real one.
                unterminated = exc.msg.startswith("Unterminated")
                tail = len(self.buf.rstrip()) - exc.pos  # characters after the error
                if (unterminated or tail <= 8) and self._more(len(self.buf) - self.pos):
                    continue
                if unterminated or tail <= 0:
                    self.fail("the file ends inside a value (truncated?)")
                self.fail(f"{exc.msg} (line {exc.lineno} column {exc.colno} of an entry)")
            except RecursionError:
                self.fail("a value nests deeper than can be read")
            # a number at the very end of the buffer may continue in the next chunk
            if end == len(self.buf) and not self.eof and self._more():
                continue
            self.pos = end
            return value

    def fail(self, what: str) -> None:
        raise InputError(f"{self.name} is not a valid HAR file: {what}; export it again "
                         "from the browser's network panel")


def iter_har(source: str | Path | IO[str], name: str | None = None
             ) -> Iterator[tuple[str, Any, Any]]:
    """Walk a HAR file (a path, or a text stream named ``name`` in errors): its ``log``
    members and then, lazily, each entry."""
    if not isinstance(source, (str, Path)):
        yield from _walk(_Reader(source, name or str(getattr(source, "name", "<stream>"))))
        return
    path = Path(source)
    with path.open("r", encoding="utf-8-sig") as handle:
        yield from _walk(_Reader(handle, name or str(path)))


def _walk(reader: _Reader) -> Iterator[tuple[str, Any, Any]]:
    reader.expect("{")
    found_log = False
    if reader.peek() != "}":
        while True:
            key = reader.value()
            reader.expect(":")
            if key == "log" and not found_log:
                found_log = True
                yield from _log_members(reader)
            else:
                reader.value()  # members beside "log" are not HAR: read and dropped
            if reader.expect(",}") == "}":
                break
    else:
        reader.expect("}")
    if not found_log:
        reader.fail("no log object")
    if reader.peek():
        reader.fail("text after the end of the document")


def _log_members(reader: _Reader) -> Iterator[tuple[str, Any, Any]]:
    reader.expect("{")
    if reader.peek() == "}":
        reader.expect("}")
        return
    while True:
        key = reader.value()
        if not isinstance(key, str):
            reader.fail("a member name that is not a string")
        reader.expect(":")
        if key == "entries" and reader.peek() == "[":
            reader.expect("[")
            yield ("entries", None, None)
            index = 0
            if reader.peek() == "]":
                reader.expect("]")
            else:
                while True:
                    yield ("entry", index, reader.value())
                    index += 1
                    if reader.expect(",]") == "]":
                        break
        else:
            yield ("member", key, reader.value())
        if reader.expect(",}") == "}":
            return
