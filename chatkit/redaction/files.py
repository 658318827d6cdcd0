"""Redacting files and objects: JSONL line by line, HAR and JSON documents, atomic output.

:func:`redact` is the one front door (``chatkit.redact``): give it a value (a dict, a list, a
string, a :class:`~chatkit.findings.Report`, a :class:`~chatkit.findings.Finding`) and get a
redacted copy; give it a path and an ``out`` path and get a :class:`RedactionResult` saying
what was removed. The scrubbing rules live in :mod:`chatkit.redaction.scrub`.

Size policy: JSON Lines are streamed line by line and HAR files entry by entry
(:mod:`chatkit.redaction.harstream`), so memory is bounded by the largest line or entry, not
the file.
Any other JSON document is parsed whole; one larger than ``max_document_bytes`` (256 MiB by
default) is refused with a clear error instead of exhausting memory.

Output is atomic: it is written to a hidden temporary file in the destination directory and
renamed into place only when complete, so a failure never leaves a partial file that looks
finished.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from chatkit.errors import InputError, UsageError
from chatkit.findings import Finding, Report
from chatkit.redaction.harstream import iter_har
from chatkit.redaction.inputs import Format, detect_format, numbered_lines, open_text, sniff
from chatkit.redaction.rules import is_secret_field, is_url_key
from chatkit.redaction.scrub import Redactor
from chatkit.redaction.walk import dumps

if TYPE_CHECKING:
    from chatkit.findings import Report

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "RedactionResult",
    "atomic_writer",
    "check_file",
    "detect_format",
    "find_secrets",
    "redact",
    "redact_file",
    "redact_report",
]

MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
_MAX_POSITIONS = 10


@dataclass(frozen=True)
class RedactionResult:
    """What :func:`redact_file` did: the format it read, records written, what it removed."""

    source: str
    output: str
    format: Format
    records: int
    dropped: int = 0  # JSONL lines that were not records: left out, never copied unredacted
    counts: Mapping[str, int] = field(default_factory=dict)
    dropped_at: tuple[str, ...] = ()  # the first few: "line 3 (not JSON)"

    @property
    def removed(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        """One paragraph for a terminal: what was written and what was removed, by kind."""
        noun = {"har": "entries", "text": "lines"}.get(self.format, "records")
        what = f"({self.format}, {self.records} {noun})"
        checking = not self.output  # check_file: nothing was written
        lines = [f"Checked {self.source} {what}." if checking else f"Wrote {self.output} {what}."]
        if self.counts:
            lines.append(f"{'Holds' if checking else 'Removed'} {self.removed} secret(s):")
            width = max(len(k) for k in self.counts)
            for kind, n in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"  {kind:<{width}}  {n}")
        else:
            lines.append("Nothing secret was found.")
        if self.dropped:
            more = ", ..." if self.dropped > len(self.dropped_at) else ""
            lines.append(f"Left out {self.dropped} line(s) that were not JSON records: "
                         f"{', '.join(self.dropped_at)}{more}.")
        return "\n".join(lines)


# --- atomic output -----------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path``; rename it onto ``path`` only on success."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"output {target} is a directory; give a file name")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"output directory {directory} does not exist; create it first")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=directory)
    except OSError as exc:
        raise UsageError(f"cannot write in {directory}: {exc.strerror}; choose another "
                         "output place") from None
    try:
        kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM):
            raise UsageError(f"cannot write {target}: {exc.strerror}; free space or choose "
                             "another output place") from None
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --- reading -----------------------------------------------------------------------------------
def find_secrets(text: str) -> Counter[str]:
    """Secret-shaped values still present in ``text``, by kind (empty: clean).

    The post-redaction check: the same detectors that redact, run as a scan.
    """
    probe = Redactor()
    probe.text(text)
    return probe.counts


# --- files -------------------------------------------------------------------------------------
def redact_file(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    format: Literal["auto", "jsonl", "har", "json", "text"] = "auto",
    hash_key: bytes | None = None,
    drop_content: bool = False,
    pii: bool = False,
    redactor: Redactor | None = None,
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
) -> RedactionResult:
    """Write a redacted copy of a JSONL log, HAR file or JSON document to ``output``.

    ``format="text"`` (never guessed) treats the file as plain text, line by line: SDK debug
    logs, proxy logs, a CSV export. Only value shapes and ``name=value`` pairs are found there.

    ``hash_key`` makes equal secrets share a placeholder within (and, with the same key,
    across) files; :func:`consistent_key` gives a fresh random one. ``drop_content`` also
    replaces prompts and answers by their length, ``pii`` also e-mail addresses, phone numbers
    and names (see :class:`~chatkit.redaction.scrub.Redactor`). A ``.gz`` file is read
    decompressed (the copy is written plain); a JSONL line that is not UTF-8, not JSON or not
    an object is left out and named in :attr:`RedactionResult.dropped_at`.
    """
    src = Path(source)
    fmt: Format = detect_format(src) if format == "auto" else format
    red = redactor or Redactor(hash_key=hash_key, drop_content=drop_content, pii=pii)
    dropped: list[str] = []
    if fmt == "text":
        sniff(src)  # binary junk is still one clear error
        records, dropped = _redact_lines(src, Path(output), red)
    elif fmt == "jsonl":
        records, dropped = _redact_jsonl(src, Path(output), red)
    elif fmt == "har":
        records = _redact_har(src, Path(output), red)
    else:
        records = _redact_document(src, Path(output), red, max_document_bytes)
    return RedactionResult(str(src), str(output), fmt, records, len(dropped), dict(red.counts),
                           tuple(dropped[:_MAX_POSITIONS]))


def check_file(source: str | os.PathLike[str], **options: Any) -> RedactionResult:
    """What :func:`redact_file` would remove from ``source``, writing nothing that stays.

    The after-the-fact check: a file that chatkit (or anyone) redacted should come out with
    empty ``counts``. The copy goes to a private temporary directory and is deleted.
    """
    with tempfile.TemporaryDirectory(prefix="chatkit-check-") as tmp:
        result = redact_file(source, Path(tmp) / "copy", **options)
    return replace(result, output="")


def consistent_key() -> bytes:
    """A fresh random key for :class:`Redactor` ``hash_key`` (placeholders correlate per run)."""
    return secrets.token_bytes(32)


def _redact_lines(src: Path, dst: Path, red: Redactor) -> tuple[int, list[str]]:
    lines, dropped = 0, []
    with atomic_writer(dst) as out:
        for number, line, why in numbered_lines(src):
            if line is None:
                dropped.append(f"line {number} ({why})")
                continue
            out.write(red.text(line))
            lines += 1
    return lines, dropped


def _redact_jsonl(src: Path, dst: Path, red: Redactor) -> tuple[int, list[str]]:
    records, dropped = 0, []
    with atomic_writer(dst) as out:
        for number, line, why in numbered_lines(src):
            if line is not None and not line.strip():
                continue
            # a torn, foreign or non-record line is never copied: it may hold anything
            try:
                record = json.loads(line) if line is not None else None
            except (ValueError, RecursionError):
                dropped.append(f"line {number} (not JSON)")
                continue
            if line is None:
                dropped.append(f"line {number} ({why})")
            elif not isinstance(record, dict):
                dropped.append(f"line {number} (a JSON {_json_type(record)}, not an object)")
            else:
                out.write(dumps(red.obj(record)) + "\n")
                records += 1
        if records == 0:
            raise InputError(f"{src} holds no JSON records ({len(dropped)} unreadable "
                             "line(s)); give a JSONL log or a HAR file")
    return records, dropped


def _json_type(value: Any) -> str:
    names = {list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _redact_har(src: Path, dst: Path, red: Redactor) -> int:
    """Stream a HAR: one entry in memory at a time; the output is valid HAR, one entry a line."""

    entries = -1  # -1: the entries array has not started
    with open_text(src) as handle, atomic_writer(dst) as out:
        try:
            entries = _write_har(iter_har(handle, str(src)), out, red)
        except (OSError, EOFError) as exc:  # a corrupt or truncated .gz
            raise InputError(f"cannot read all of {src}: {exc}; check that the file is "
                             "complete") from None
        if entries < 0:
            raise InputError(f"{src} is not a HAR file (no log.entries list); give a HAR "
                             "export from the browser's network panel")
    return entries


def _write_har(members: Iterator[tuple[str, Any, Any]], out: IO[str], red: Redactor) -> int:
    entries = -1
    in_entries = False
    out.write('{"log": {')
    separator = ""
    for kind, key, value in members:
        if kind == "entry":
            out.write(("," if key else "") + "\n" + dumps(_har_entry(red, value)))
            entries += 1
            continue
        if in_entries:
            out.write("\n]")
            in_entries = False
        if kind == "entries":
            out.write(f'{separator}\n"entries": [')
            entries, in_entries = 0, True
        else:
            out.write(f"{separator}\n{dumps(key)}: {dumps(red.obj(value))}")
        separator = ","
    if in_entries:
        out.write("\n]")
    marker = {"by": "chatkit redact", "removed": dict(red.counts)}
    out.write(f'{separator}\n"_chatkit_redacted": {dumps(marker)}\n}}}}\n')
    return entries


def _har_entry(red: Redactor, entry: Any) -> Any:
    """One HAR entry redacted; when its cookies shrank to markers, the request keeps their
    size as it was (``_cookieBytes``), so cookie bloat is still diagnosed from the copy."""
    cleaned = red.obj(entry)
    request = entry.get("request") if isinstance(entry, Mapping) else None
    before = _cookie_bytes(request)
    if before is not None and _cookie_bytes(cleaned["request"]) != before:
        cleaned["request"]["_cookieBytes"] = before
    return cleaned


def _cookie_bytes(request: Any) -> int | None:
    """The bytes of a request's cookies, measured as chatkit's HAR reader measures them."""
    if not isinstance(request, Mapping) or isinstance(request.get("_cookieBytes"), int):
        return None
    headers = request.get("headers")
    values = [str(h.get("value", "")) for h in (headers if isinstance(headers, list) else ())
              if isinstance(h, Mapping) and str(h.get("name", "")).lower() == "cookie"]
    if values:  # the last one, as the reader takes it
        return len(values[-1].encode("utf-8"))
    cookies = request.get("cookies")
    if not isinstance(cookies, list) or not cookies:
        return None
    return sum(len(str(c.get("name", ""))) + len(str(c.get("value", ""))) + 3
               for c in cookies if isinstance(c, Mapping))


def _redact_document(src: Path, dst: Path, red: Redactor, limit: int) -> int:
    """A JSON document other than HAR: parsed whole, under the size limit."""
    size = src.stat().st_size
    if size > limit:
        raise InputError(
            f"{src} is {size / 2**20:.0f} MiB; HAR and JSON documents are redacted in memory "
            f"and the limit is {limit / 2**20:.0f} MiB. Export fewer requests, or raise the "
            "limit (max_document_bytes) if this machine has the memory"
        )
    with open_text(src) as handle:
        try:
            document = json.load(handle)
        except RecursionError:
            raise InputError(f"{src} nests JSON deeper than can be read; export the file "
                             "again") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{src} is not UTF-8 text (byte {exc.start}); give a HAR or "
                             "JSONL file") from None
        except json.JSONDecodeError as exc:
            ends_early = exc.msg.startswith("Unterminated") or exc.pos >= len(exc.doc.rstrip())
            hint = " (the file ends early: truncated?)" if ends_early else ""
            raise InputError(f"{src} is not valid JSON: {exc.msg} at line {exc.lineno} column "
                             f"{exc.colno}{hint}; export the file again") from None
    cleaned = red.obj(document)
    with atomic_writer(dst) as out:
        out.write(dumps(cleaned) + "\n")
    return len(document) if isinstance(document, list) else 1


def redact_report(report: Report, redactor: Redactor | None = None) -> Report:
    """A redacted copy of ``report``; its summary and verdict are recomputed from it."""

    data: dict[str, Any] = dict(report.to_dict())
    data.pop("summary", None)
    data.pop("verdict", None)
    return Report.from_dict((redactor or Redactor()).obj(data))


# --- the general front door ---------------------------------------------------------------------
def redact(
    obj_or_path: Any,
    out: str | os.PathLike[str] | None = None,
    *,
    hash_key: bytes | None = None,
    redactor: Redactor | None = None,
    **file_options: Any,
) -> Any:
    """A redacted copy of ``obj_or_path``, or with ``out``, a redacted file.

    * ``Path`` (or ``str`` with ``out``) -> the file is redacted into ``out`` (default: a
      ``.redacted`` sibling) and a :class:`RedactionResult` is returned;
    * :class:`~chatkit.findings.Report` / :class:`~chatkit.findings.Finding` -> the same type;
    * dict, list, tuple -> a deep copy (environment snapshots, request records, HAR objects);
    * str -> the text with every secret-shaped value removed;
    * a pandas DataFrame (a loaded log) -> a copy with its text columns redacted.
    """

    red = redactor or Redactor(hash_key=hash_key)
    if isinstance(obj_or_path, Path) or (out is not None and isinstance(obj_or_path, str)):
        src = Path(obj_or_path)
        dst = Path(out) if out is not None else src.with_name(f"{src.stem}.redacted{src.suffix}")
        return redact_file(src, dst, redactor=red, **file_options)
    if out is not None:
        raise UsageError("out= is for files; pass a Path to redact a file")
    if isinstance(obj_or_path, Report):
        return redact_report(obj_or_path, red)
    if isinstance(obj_or_path, Finding):
        return Finding.from_dict(red.obj(obj_or_path.to_dict()))
    if isinstance(obj_or_path, (Mapping, list, tuple, str)) or obj_or_path is None:
        return red.obj(obj_or_path)
    if isinstance(obj_or_path, (int, float, bool)):
        return obj_or_path
    if type(obj_or_path).__module__.startswith("pandas") and hasattr(obj_or_path, "columns"):
        return _redact_frame(obj_or_path, red)
    raise UsageError(f"cannot redact a {type(obj_or_path).__name__}; give a Path, a Report, "
                     "a DataFrame, a dict/list or a string")


def _redact_frame(frame: Any, red: Redactor) -> Any:
    """A copy of a pandas DataFrame (a loaded log) with its text columns redacted."""

    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype.kind in "biufcmM":  # numbers, booleans, times: nothing to hide
            continue
        name = str(column)
        if is_secret_field(name):
            out[column] = series.map(lambda v, n=name: red.obj({n: v})[n])
        elif is_url_key(name):  # the same rule as for a dict's keys
            out[column] = series.map(lambda v: red.url(v) if isinstance(v, str) else v)
        else:
            out[column] = series.map(red.obj)
    return out
