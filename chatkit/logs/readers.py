"""Load request logs of any supported kind into the one normalized frame.

:func:`load` takes paths, open files or bytes, finds out what each one is from its content
(not its name), hands it to the reader for that format and concatenates the results in the
contract's columns and dtypes (:mod:`chatkit.logs.schema`).

Readers never lose good rows to bad ones: a line or entry that cannot be read is counted in
``frame.attrs["skipped"]`` and the first few positions are listed in
``frame.attrs["skipped_at"]`` (``"file:line"``). A missing file, an empty one or a file of
a kind chatkit cannot read is one :class:`~chatkit.errors.InputError`.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from chatkit.errors import EmptyInput, InputError, UsageError
from chatkit.logs.detect import detect_format
from chatkit.logs.schema import conform, select_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMATS", "Progress", "Skipped", "Source", "detect_format", "detected", "load",
           "source_of"]

#: ``progress(done, total)`` in bytes of the files as stored (compressed, for ``.gz``);
#: ``total`` is None when a stream's size is unknown.
Progress = Callable[[int, int | None], None]
PathLike = str | os.PathLike | IO[bytes] | IO[str] | bytes

_PEEK = 64 * 1024
_WIDE_PEEK = 4 << 20  # looked at when the first line does not end within _PEEK
_BOM = b"\xef\xbb\xbf"
_MAX_POSITIONS = 10


@dataclass
class Skipped:
    """What one load could not read, or read only the slow way.

    ``count`` unreadable lines or entries (the first few ``positions``), ``by_line`` lines
    that Arrow could not take and were parsed one by one, ``assumed_utc`` timestamps without
    a zone (read as UTC), ``bad_ts`` values in the time column that are no timestamp,
    ``not_requests`` records that are not model calls (a tracer's spans), and ``warnings``
    for the reader (no timestamp column found ...).
    """

    count: int = 0
    positions: list[str] = field(default_factory=list)
    by_line: int = 0
    not_requests: int = 0
    assumed_utc: int = 0
    bad_ts: int = 0
    warnings: list[str] = field(default_factory=list)

    def add(self, where: str, n: int = 1) -> None:
        self.count += n
        if len(self.positions) < _MAX_POSITIONS:
            self.positions.append(where)

    def timestamps(self, assumed_utc: int, unreadable: int) -> None:
        self.assumed_utc += assumed_utc
        self.bad_ts += unreadable

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)


class Source:
    """One input: opens a fresh binary stream (decompressed, BOM removed) as often as asked."""

    def __init__(self, name: str, data: bytes | None = None, path: Path | None = None,
                 progress: Progress | None = None) -> None:
        self.name = name
        self._data = data
        self._path = path
        self._progress = progress
        self.size: int | None = len(data) if data is not None else (
            path.stat().st_size if path is not None else None)
        with self._raw() as raw:
            self.gzipped = raw.read(2) == b"\x1f\x8b"

    @property
    def plain_file(self) -> Path | None:
        """The file behind this input when another reader may open it itself: a file on disk,
        not compressed, and nobody waiting for progress reports."""
        if self._path is None or self.gzipped or self._progress is not None:
            return None
        return self._path

    def _raw(self) -> BinaryIO:
        if self._data is not None:
            return io.BytesIO(self._data)
        assert self._path is not None
        return open(self._path, "rb", buffering=0)

    def open(self, *, progress: bool = False) -> BinaryIO:
        """A readable binary stream of the content, positioned after any byte-order mark."""
        raw: BinaryIO = self._raw()
        if progress and self._progress is not None:
            raw = _Counting(raw, self._progress, self.size)  # type: ignore[assignment]
        stream: BinaryIO = _Gunzip(raw) if self.gzipped else raw  # type: ignore[assignment]
        try:
            if stream.read(3) != _BOM:
                stream.seek(0) if stream.seekable() else None
        except (OSError, EOFError) as exc:
            stream.close()
            raise InputError(f"{self.name}: cannot read it ({exc}); check that the file is "
                             "complete") from None
        return stream

    def head(self, size: int = _PEEK) -> bytes:
        """The first ``size`` bytes of the content (after decompression and BOM)."""
        with self.open() as stream:
            try:
                return stream.read(size)
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise InputError(f"{self.name}: cannot read it ({exc}); check that the file "
                                 "is complete") from None

    def data(self) -> bytes:
        """The whole content (decompressed, without byte-order mark)."""
        with self.open(progress=True) as stream:
            try:
                return stream.read()
            except (OSError, EOFError) as exc:  # a truncated .gz
                raise InputError(f"{self.name}: cannot read it ({exc}); check that the file "
                                 "is complete") from None

    def text(self) -> str:
        """The whole content as text (UTF-8, undecodable bytes replaced)."""
        return self.data().decode("utf-8", errors="replace")


class _Gunzip(gzip.GzipFile):
    """A gzip reader that closes the file under it too (GzipFile leaves a fileobj open)."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._owned = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._owned.close()


class _Counting(io.RawIOBase):
    """A raw stream that reports how many bytes were read through it."""

    def __init__(self, raw: BinaryIO, progress: Progress, total: int | None) -> None:
        self._raw_stream = raw
        self._progress = progress
        self._total = total
        self._done = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw_stream.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        self._done = self._raw_stream.seek(offset, whence)
        return self._done

    def tell(self) -> int:
        return self._raw_stream.tell()

    def readinto(self, buffer: Any) -> int:
        n = self._raw_stream.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self._done += n
            self._progress(self._done, self._total)
        return n or 0

    def close(self) -> None:
        self._raw_stream.close()
        super().close()


def flush_recorded() -> None:
    """Rows this process's recorders still hold go to their files first. Only a process
    that imported the recorder can hold any: a reader does not import it."""
    requestlog = sys.modules.get("chatkit.client.requestlog")
    if requestlog is not None:
        requestlog.flush_logs()


def load(
    paths: PathLike | Iterable[PathLike],
    format: str = "auto",
    *,
    columns: Sequence[str] | None = None,
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Read one or more request logs into one frame in the request-log contract.

    ``paths`` is a path, an open file, bytes, or a list of them; ``.gz`` is recognised from
    its content. ``format`` is ``"auto"`` (detected per file) or one of :data:`FORMATS`.
    ``columns`` limits the contract columns read (faster and smaller for big logs);
    ``mapping`` renames a CSV's (or JSON records') columns to the contract's,
    ``{"their name": "contract name"}``. ``progress(done, total)`` is called as bytes are
    read. Unreadable lines are skipped and reported in ``frame.attrs``.
    """
    import pandas as pd

    flush_recorded()
    wanted = select_columns(columns)
    if format != "auto" and format not in FORMATS:
        raise UsageError(f"unknown log format {format!r}; choose auto or one of: "
                         f"{', '.join(FORMATS)}")
    sources = [source_of(item, progress) for item in _items(paths)]
    if not sources:
        raise UsageError("load() needs at least one path or file")
    frames: list[pd.DataFrame] = []
    skipped = Skipped()
    formats: list[str] = []
    for source in sources:
        kind = format if format != "auto" else detected(source)
        frame = FORMATS[kind](source, wanted, mapping, skipped)
        formats.append(kind)
        frames.append(frame)
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    if len(frames) > 1:
        frame = conform(frame, wanted)  # concat widens categoricals with differing categories
    frame.attrs = {"skipped": skipped.count, "skipped_at": list(skipped.positions),
                   "sources": [s.name for s in sources], "formats": formats,
                   "parsed_by_line": skipped.by_line, "ts_assumed_utc": skipped.assumed_utc,
                   "ts_unreadable": skipped.bad_ts, "not_requests": skipped.not_requests,
                   "warnings": list(skipped.warnings)}
    return frame


def _items(paths: PathLike | Iterable[PathLike]) -> list[PathLike]:
    if isinstance(paths, (str, bytes, os.PathLike)) or hasattr(paths, "read"):
        return [paths]  # type: ignore[list-item]
    return list(paths)


def source_of(item: PathLike, progress: Progress | None = None) -> Source:
    """One input as a :class:`Source` (a missing file or a directory is an InputError)."""
    if isinstance(item, bytes):
        return Source("<bytes>", data=item, progress=progress)
    if hasattr(item, "read"):
        data = item.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        name = str(getattr(item, "name", "<stream>"))
        return Source(name, data=data, progress=progress)
    path = Path(os.fspath(item)).expanduser()
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise InputError(f"{path} is a directory; give the log files in it instead")
    try:
        return Source(str(path), path=path, progress=progress)
    except PermissionError:
        raise InputError(f"{path}: permission denied; check the file's permissions") from None


def detected(source: Source) -> str:
    """The format of a source, a key of :data:`FORMATS` (InputError when none fits)."""
    head = source.head()
    if not head.strip():
        raise EmptyInput(f"{source.name} is empty; export the log again or pick another file")
    kind = detect_format(head)
    if kind is None and len(head) == _PEEK and head.lstrip()[:1] == b"{" \
            and head.count(b"\n") < 2:  # one long first line (a gateway record with a prompt)
        kind = detect_format(source.head(_WIDE_PEEK))
    if kind is None:
        raise InputError(
            f"{source.name} is not a log chatkit can read (expected JSONL request log, HAR, CSV, "
            "OpenTelemetry JSON, a LiteLLM export or an openai debug log); force a format with "
            "--format (format= in Python)")
    return kind


def _reader(module: str, name: str, **bound: Any) -> Reader:
    def read(source: Source, columns: Sequence[str], mapping: Mapping[str, str] | None,
             skipped: Skipped) -> pd.DataFrame:
        import importlib

        function = getattr(importlib.import_module(module), name)
        return function(source, columns, mapping, skipped, **bound)

    read.__name__ = name
    return read


Reader = Callable[[Source, Sequence[str], Mapping[str, str] | None, Skipped], Any]

#: format name -> reader; each returns a conformed frame and counts what it skipped.
FORMATS: dict[str, Reader] = {
    "jsonl": _reader("chatkit.logs.readers_jsonl", "read_jsonl"),
    "json_array": _reader("chatkit.logs.readers_jsonl", "read_json_array"),
    "har": _reader("chatkit.logs.readers_har", "read_har"),
    "csv": _reader("chatkit.logs.readers_text", "read_csv"),
    "openai_log": _reader("chatkit.logs.readers_text", "read_openai_log"),
    "otel": _reader("chatkit.logs.readers_otel", "read_otel"),
    "parquet": _reader("chatkit.logs.parquet", "read_parquet"),
    # the kind detection found is passed on: the reader does not guess it again
    **{name: _reader("chatkit.logs.readers_jsonl", "read_jsonl", kind=name)
       for name in ("litellm", "langfuse", "helicone", "portkey")},
}
