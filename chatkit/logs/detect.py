"""What kind of log a file is, from its first bytes (never from its name)."""

from __future__ import annotations

import csv
import json
import re

from chatkit.logs.readers_gateway import gateway_of

__all__ = ["detect_format", "lines_kind", "record_kind"]

_PEEK = 64 * 1024
_CONTRACT_MARKERS = frozenset({"ts", "latency_ms", "status", "endpoint", "attempt", "ttfb_ms"})
_OPENAI_LOG = re.compile(rb"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[,.\d]* - [\w.]+:\d+ - [A-Z]+\] ",
                         re.M)
_WRAPPED = re.compile(rb'^\{\s*(?:"trace"\s*:.*?)?"(?:data|observations)"\s*:\s*\[', re.S)
_HTTPX_LINE = re.compile(rb"(HTTP Request: \S+ \S+ \"HTTP/|HTTP Response: \S+ )")


def detect_format(head: bytes) -> str | None:
    """The format of a log from its first bytes: a key of :data:`FORMATS`, or None."""
    if head[:4] == b"PAR1":  # Parquet's magic number
        return "parquet"
    text = head.lstrip()
    if not text:
        return None
    if text[:1] == b"{":
        if re.match(rb'\{\s*"log"\s*:', text):
            return "har"
        if re.match(rb'\{\s*"resource_?[sS]pans"\s*:', text):
            return "otel"
        wrapped = _WRAPPED.search(text)  # {"data": [...]} pages, a Langfuse trace download
        if wrapped is not None and _first_array_record(text[wrapped.end() - 1:]) is not None:
            return "json_array"
        kind = lines_kind(text)
        if kind is not None:
            return kind
        if b'"entries"' in text[:_PEEK] and b'"startedDateTime"' in text[:_PEEK]:
            return "har"
        if b'"resourceSpans"' in text or b'"resource_spans"' in text:
            return "otel"
        return None
    if text[:1] == b"[":
        if _first_array_record(text) is not None:
            return "json_array"
        if _OPENAI_LOG.search(head) or _HTTPX_LINE.search(head):
            return "openai_log"
        return None
    if _OPENAI_LOG.search(head) or _HTTPX_LINE.search(head):
        return "openai_log"
    kind = lines_kind(text)  # JSON Lines after a junk or header line
    if kind is not None:
        return kind
    if _looks_like_csv(text):
        return "csv"
    return None


def lines_kind(text: bytes) -> str | None:
    """The record kind of a JSON Lines file: most of its first lines are objects, and the
    first complete one says what they are (a junk first line does not hide the rest)."""
    lines = [line.strip() for line in text.split(b"\n")[:21] if line.strip()]
    if len(lines) > 1 and text.rfind(b"\n") > 0:
        lines = lines[:-1]  # the peek may cut the last line
    objects = [line for line in lines if line[:1] == b"{"]
    if not objects or 2 * len(objects) < len(lines):
        return None
    for line in objects:
        kind = record_kind(line)
        if kind is not None:
            return kind
    return None


def _first_array_record(text: bytes) -> str | None:
    """The kind of the first record of a JSON array ("[{...}, ..."), decoded properly (records
    nest), or None."""
    body = text[1:].lstrip().decode("utf-8", "replace")
    try:
        first, _ = json.JSONDecoder().raw_decode(body)
    except (ValueError, RecursionError):
        return None
    return record_kind(json.dumps(first).encode()) if isinstance(first, dict) else None


def _looks_like_csv(text: bytes) -> bool:
    """A header of >= 2 delimited fields, and most of the next lines as wide as it."""
    lines = [line for line in text[:_PEEK].decode("utf-8", "replace").splitlines()[:6]
             if line.strip()]
    if len(lines) < 2:
        return False
    for delimiter in (",", "\t", ";", "|"):
        header, *rows = (len(r) for r in csv.reader(lines, delimiter=delimiter))
        if header >= 2 and 2 * sum(width == header for width in rows) >= len(rows):
            return True
    return False


# --- the front door ---------------------------------------------------------------------------


def record_kind(line: bytes) -> str | None:
    """What one JSON record is: ``"jsonl"`` (the contract), ``"otel"``, a gateway name, None."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    if "resourceSpans" in record or "resource_spans" in record:
        return "otel"
    gateway = gateway_of(record)
    if gateway is not None:
        return gateway
    if "ts" in record and len(_CONTRACT_MARKERS & record.keys()) >= 2:
        return "jsonl"
    return None
