"""Log excerpts around failures: the requests before and after each one, redacted.

A support desk needs the failing requests and their neighbours (did the 429 follow a burst?
did the 401 start after a key rotation?), not the whole log. JSON Lines are streamed line by
line and HAR files entry by entry, so a log of any size costs memory only for the excerpt;
other formats (CSV, ...) go through :func:`chatkit.logs.load`.

A request *failed* when it got no response, a status of 400 or more, or carries an error
(a 200 stream that broke off has ``error_type`` set).
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chatkit.errors import InputError
from chatkit.logs import load
from chatkit.redaction.files import detect_format
from chatkit.redaction.harstream import iter_har
from chatkit.redaction.scrub import Redactor

__all__ = ["Excerpt", "FailureRow", "read_excerpt"]


@dataclass(frozen=True)
class FailureRow:
    """One failed request as a table row (already redacted)."""

    index: int  # 1-based line (JSONL) or entry number (HAR, frame row)
    ts: str | None
    method: str | None
    url: str | None
    status: int | None
    request_id: str | None
    error: str | None
    model: str | None = None
    stream: bool | None = None


@dataclass(frozen=True)
class Excerpt:
    """What :func:`read_excerpt` found in one log."""

    name: str
    format: str  # "jsonl" | "har" | "frame"
    total: int  # requests read
    failed: int  # failed requests in the whole log
    failures: tuple[FailureRow, ...]  # those inside the excerpt (at most ``max_failures``)
    records: tuple[Any, ...]  # the excerpt: redacted JSONL records or HAR entries, in order
    skipped: int = 0  # unreadable lines
    document: Mapping[str, Any] = field(default_factory=dict)  # HAR: the log minus entries


def read_excerpt(
    path: str | Path,
    redactor: Redactor,
    *,
    context: int = 3,
    max_failures: int = 20,
) -> Excerpt:
    """The failures of one log with ``context`` requests either side, redacted."""
    path = Path(path)
    fmt: str
    try:
        fmt = detect_format(path)
    except InputError:
        if path.is_file() and path.suffix.lower() in (".csv", ".tsv", ".gz", ".parquet"):
            fmt = "frame"  # the logs module knows these
        else:
            raise
    if fmt == "jsonl":
        return _from_rows(path.name, "jsonl", _jsonl_rows(path), redactor, context, max_failures)
    if fmt == "har":
        return _from_har(path, redactor, context, max_failures)
    return _from_rows(path.name, "frame", _frame_rows(path), redactor, context, max_failures)


# --- rows ------------------------------------------------------------------------------------
def _jsonl_rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except (ValueError, RecursionError):
                    yield number, None


def _frame_rows(path: Path) -> Iterator[tuple[int, Any]]:
    frame = load([str(path)])
    for number, row in enumerate(frame.to_dict("records"), start=1):
        yield number, {k: _plain(v) for k, v in row.items()}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if hasattr(value, "isoformat"):
        try:
            text = value.isoformat()
        except ValueError:  # NaT
            return None
        return text.replace("+00:00", "Z")
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return None if _is_missing(value) else str(value)


def _is_missing(value: Any) -> bool:
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _failed(status: Any, error: Any) -> bool:
    return not isinstance(status, int) or status == 0 or status >= 400 or bool(error)


def _record_row(index: int, record: Mapping[str, Any]) -> tuple[bool, FailureRow]:
    status = record.get("status")
    status = int(status) if isinstance(status, (int, float)) and not isinstance(status, bool) \
        else None
    error = record.get("error_type") or record.get("exception") or record.get("error_code")
    message = record.get("error_message")
    text = f"{error}: {message}" if error and message else (error or message)
    return _failed(status, error), FailureRow(
        index=index, ts=record.get("ts"), method=record.get("method"),
        url=record.get("url") or record.get("endpoint"), status=status,
        request_id=record.get("request_id"), error=text, model=record.get("model"),
        stream=record.get("stream") if isinstance(record.get("stream"), bool) else None)


def _from_rows(name: str, fmt: str, rows: Iterator[tuple[int, Any]], red: Redactor,
               context: int, max_failures: int,
               row_of: Callable[[int, Any], tuple[bool, FailureRow]] | None = None) -> Excerpt:
    row_of = row_of or _record_row
    before: deque[tuple[int, Any]] = deque(maxlen=context)
    selected: list[Any] = []
    failures: list[FailureRow] = []
    total = failed = skipped = after = 0
    for number, record in rows:
        if not isinstance(record, Mapping):
            skipped += 1
            continue
        total += 1
        is_failure, row = row_of(number, record)
        if is_failure:
            failed += 1
        if is_failure and len(failures) < max_failures:
            selected.extend(red.obj(r) for _, r in before)
            before.clear()
            selected.append(red.obj(record))
            failures.append(_redact_row(row, red))
            after = context
        elif after > 0:
            selected.append(red.obj(record))
            after -= 1
        else:
            before.append((number, record))
    return Excerpt(name, fmt, total, failed, tuple(failures), tuple(selected), skipped)


def _redact_row(row: FailureRow, red: Redactor) -> FailureRow:
    return FailureRow(
        index=row.index, ts=row.ts, method=row.method,
        url=red.url(row.url) if row.url else None, status=row.status,
        request_id=red.text(row.request_id) if row.request_id else None,
        error=red.text(row.error) if row.error else None, model=row.model, stream=row.stream)


# --- HAR -------------------------------------------------------------------------------------
def _from_har(path: Path, red: Redactor, context: int, max_failures: int) -> Excerpt:
    """HAR entries streamed (:mod:`chatkit.redaction.harstream`); the log's other members kept."""

    members: dict[str, Any] = {}

    def entries() -> Iterator[tuple[int, Any]]:
        for kind, key, value in iter_har(path):
            if kind == "entry":
                yield key + 1, value
            elif kind == "member":
                members[key] = value

    excerpt = _from_rows(path.name, "har", entries(), red, context, max_failures, _har_row)
    refs = {e.get("pageref") for e in excerpt.records if isinstance(e, Mapping)}
    if isinstance(members.get("pages"), list):
        members["pages"] = [p for p in members["pages"]
                            if isinstance(p, Mapping) and p.get("id") in refs]
    return replace(excerpt, document=red.obj(members))


def _har_row(index: int, entry: Any) -> tuple[bool, FailureRow]:
    if not isinstance(entry, Mapping):
        return False, FailureRow(index, None, None, None, None, None, None)
    request = entry.get("request") or {}
    response = entry.get("response") or {}
    status = response.get("status") if isinstance(response.get("status"), int) else None
    error = entry.get("_error") or response.get("_error")
    request_id = None
    for header in response.get("headers") or ():
        if isinstance(header, Mapping) and str(header.get("name", "")).lower() in (
                "x-request-id", "request-id", "openai-request-id", "cf-ray"):
            request_id = header.get("value")
            break
    model, stream = _har_body_model(request.get("postData") or {})
    text = error or (f"HTTP {status} {response.get('statusText', '')}".strip()
                     if status else "no response")
    return _failed(status, error), FailureRow(
        index=index, ts=entry.get("startedDateTime"), method=request.get("method"),
        url=request.get("url"), status=status or None, request_id=request_id,
        error=text if _failed(status, error) else None, model=model, stream=stream)


def _har_body_model(post: Mapping[str, Any]) -> tuple[str | None, bool | None]:
    try:
        body = json.loads(post.get("text") or "")
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(body, Mapping):
        return None, None
    model = body.get("model") if isinstance(body.get("model"), str) else None
    stream = body.get("stream") if isinstance(body.get("stream"), bool) else None
    return model, stream
