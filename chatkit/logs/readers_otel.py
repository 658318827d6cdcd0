"""OpenTelemetry spans (OTLP JSON) following the GenAI semantic conventions -> contract rows.

Read: the OTLP/JSON export (``{"resourceSpans": [...]}``, as the collector's file exporter and
most backends write it, one document or one per line). A GenAI client span (any ``gen_ai.*``
attribute) is one request; plain HTTP client spans are used only when a file has no GenAI
spans, so an instrumented SDK call and its HTTP child are not counted twice.

Units: span times are nanoseconds since the epoch; ``gen_ai.response.time_to_first_chunk`` is
seconds. ``error.type`` is a status code ("500"), a low-cardinality name ("timeout") or an
exception class; with ``http.response.status_code`` it is the error type, without it the
request had no answer and it goes to ``exception``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chatkit.errors import EmptyInput
from chatkit.logs.fields import epoch_to_iso, ms, provider_of, url_parts
from chatkit.logs.schema import conform

if TYPE_CHECKING:
    import pandas as pd

    from chatkit.logs.readers import Skipped, Source

__all__ = ["read_otel", "span_to_row"]

_ERROR = 2  # Status.code STATUS_CODE_ERROR


def read_otel(source: Source, columns: Sequence[str], mapping: Mapping[str, str] | None,
              skipped: Skipped) -> pd.DataFrame:
    """Read an OTLP JSON trace export (one document, or one per line)."""
    import pandas as pd

    genai: list[dict[str, Any]] = []
    http: list[dict[str, Any]] = []
    for where, document in _documents(source, skipped):
        for span in _spans(document):
            try:
                attrs = _attributes(span.get("attributes"))
                row = span_to_row(span, attrs)
            except (KeyError, TypeError, ValueError, AttributeError):
                skipped.add(f"{source.name}:{where}")
                continue
            if any(k.startswith("gen_ai.") for k in attrs):
                genai.append(row)
            elif any(k.startswith(("http.", "url.")) for k in attrs):
                http.append(row)
    rows = genai or http
    if not rows:
        raise EmptyInput(f"{source.name} holds no GenAI or HTTP client spans; export the traces "
                         "of the service that calls the API")
    return conform(pd.DataFrame.from_records(rows), columns, keep_extra=False)


def _documents(source: Source, skipped: Skipped) -> Iterator[tuple[str, Any]]:
    data = source.data()
    try:
        yield "document", json.loads(data)
        return
    except (ValueError, RecursionError):
        pass
    for number, line in enumerate(data.split(b"\n"), start=1):  # the file exporter's JSONL
        if not line.strip():
            continue
        try:
            yield f"{number}", json.loads(line)
        except (ValueError, RecursionError):
            skipped.add(f"{source.name}:{number}")


def _spans(document: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        return
    for resource in document.get("resourceSpans", document.get("resource_spans")) or ():
        scopes = (resource.get("scopeSpans") or resource.get("scope_spans")
                  or resource.get("instrumentationLibrarySpans") or ())
        for scope in scopes:
            yield from scope.get("spans") or ()


def _value(value: Any) -> Any:
    """An OTLP AnyValue as a plain Python value (intValue arrives as a string in JSON)."""
    if not isinstance(value, Mapping):
        return value
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        return int(value["intValue"])
    if "arrayValue" in value:
        return [_value(v) for v in (value["arrayValue"] or {}).get("values") or ()]
    return None


def _attributes(items: Any) -> dict[str, Any]:
    if isinstance(items, Mapping):  # some exporters write a plain object
        return dict(items)
    return {item["key"]: _value(item.get("value")) for item in items or ()}


def span_to_row(span: Mapping[str, Any], attrs: Mapping[str, Any]) -> dict[str, Any]:
    """One OTLP span (with its attributes decoded) as a contract row."""
    start, end = int(span["startTimeUnixNano"]), int(span.get("endTimeUnixNano") or 0)
    url = attrs.get("url.full") or attrs.get("http.url")
    host, path = url_parts(url)
    host = attrs.get("server.address") or host
    status = attrs.get("http.response.status_code", attrs.get("http.status_code"))
    error_type = attrs.get("error.type")
    span_status = span.get("status") or {}
    failed = span_status.get("code") in (_ERROR, "STATUS_CODE_ERROR") or error_type is not None
    if status is None and error_type is not None and str(error_type).isdigit():
        status, error_type = int(error_type), None
    if status is None and not failed:
        status = 200  # a finished GenAI call without an error had an answer
    model = attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model")
    return {
        "ts": epoch_to_iso(start / 1e9), "method": attrs.get("http.request.method"),
        "url": url, "host": host, "endpoint": attrs.get("url.path") or attrs.get("http.route")
        or path,
        "provider": attrs.get("gen_ai.provider.name") or attrs.get("gen_ai.system")
        or provider_of(host),
        "model": model, "stream": attrs.get("gen_ai.request.stream"),
        "status": status,
        "error_type": error_type if status is not None else None,
        "exception": error_type if status is None and failed else None,
        "error_message": span_status.get("message") or None if failed else None,
        "latency_ms": ms((end - start) / 1e6) if end else None,
        "ttft_ms": ms(attrs.get("gen_ai.response.time_to_first_chunk"), unit="s"),
        "prompt_tokens": attrs.get("gen_ai.usage.input_tokens",
                                   attrs.get("gen_ai.usage.prompt_tokens")),
        "completion_tokens": attrs.get("gen_ai.usage.output_tokens",
                                       attrs.get("gen_ai.usage.completion_tokens")),
        "request_id": _first(attrs.get("http.response.header.x-request-id")),
    }


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else (value or None)
