"""Reading what ``chatkit analyze`` reads: plain or gzipped, with or without a BOM, by line.

The format is detected from the name and the first (decompressed) bytes. JSON Lines and text
logs are read as bytes and decoded a line at a time, so one line that is not UTF-8 is left out
and reported by its number instead of ending the whole file.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal

from chatkit.errors import InputError

__all__ = ["Format", "detect_format", "numbered_lines", "open_binary", "open_text"]

Format = Literal["jsonl", "har", "json", "text"]
_SNIFF_BYTES = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


def open_binary(path: Path) -> IO[bytes]:
    """The file's content as a binary stream, decompressed when it is gzip."""
    try:
        raw = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path} does not exist; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory; give a .har or .jsonl file") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}; check permissions") from None
    with raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
    return gzip.open(path, "rb") if gzipped else path.open("rb")  # type: ignore[return-value]


def open_text(path: Path) -> IO[str]:
    """The file's content as UTF-8 text (a leading BOM dropped), decompressed when gzip."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", errors="strict",
                            newline="")


def _head(path: Path) -> bytes:
    try:
        with open_binary(path) as stream:
            return stream.read(_SNIFF_BYTES)
    except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
        raise InputError(f"cannot read {path}: {exc}; check that the file is complete") \
            from None


def sniff(path: Path) -> str:
    """The first 64 KiB as text; binary or non-UTF-8 content is one clear error."""
    head = _head(path)
    if b"\x00" in head:
        raise InputError(f"{path} is binary, not a HAR or JSONL file; export the log as text")
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4 and b"\n" not in head[: exc.start]:
            raise InputError(f"{path} is not UTF-8 text (byte {exc.start}); give a HAR or "
                             "JSONL file") from None
        return head[: exc.start].decode("utf-8-sig")  # a later line is judged on its own


def detect_format(path: str | os.PathLike[str]) -> Format:
    """``har``, ``jsonl`` or ``json``, from the name (``.gz`` aside) and the first bytes."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist; check the path")
    if path.is_dir():
        raise InputError(f"{path} is a directory; give a .har or .jsonl file")
    head = sniff(path)
    stripped = head.lstrip()
    if not stripped:
        raise InputError(f"{path} is empty; nothing to redact")
    if stripped[0] not in "{[":
        raise InputError(f"{path} is neither JSON Lines nor a HAR file (it starts with "
                         f"{stripped[:20]!r}); give a .har or .jsonl file, or say --format "
                         "text for a plain-text log")
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".har"):
        return "har"
    first = stripped.split("\n", 1)[0]
    try:
        record = json.loads(first)
    except (ValueError, RecursionError):
        record = None
    if record is not None and not (isinstance(record, dict) and "log" in record):
        return "jsonl"
    if '"log"' in head[:4096]:
        return "har"
    return "json"


def numbered_lines(path: Path) -> Iterator[tuple[int, str | None, str]]:
    """(line number, text, "") for each line; (number, None, why) for one that cannot be read.

    A line that is not UTF-8 is one such line. A gzip file that ends early (a recorder killed
    mid-write) gives what it decoded, then one last "ends early" line, as ``analyze`` reads it.
    """
    number = 0
    with open_binary(path) as stream:
        try:
            for number, raw in enumerate(stream, 1):
                if number == 1 and raw.startswith(_BOM):
                    raw = raw[len(_BOM):]
                try:
                    yield number, raw.decode("utf-8"), ""
                except UnicodeDecodeError:
                    yield number, None, "not UTF-8"
        except (OSError, EOFError):  # zlib's error is an OSError (BadGzipFile) or EOFError
            yield number + 1, None, "the file ends early: a truncated .gz"
