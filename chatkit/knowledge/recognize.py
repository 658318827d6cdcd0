"""How to tell which failure it is: exception classes, messages, net errors, HTTP answers.

:mod:`chatkit.knowledge.classifier` holds what each failure *means* (the knowledge table); this
module holds how to *recognise* one. :func:`recognize` reads whatever a failed call left behind and
names the row: :data:`EXCEPTION_KINDS` (exception class -> kind), :data:`MESSAGE_HINTS` (what
an exception's message reveals when its class is too coarse), :data:`NET_ERRORS` (Chrome's
net errors) and :data:`HTTP_RULES` (status, ``error.type``, ``error.code``, message -> kind).
A test walks every exception class httpx, httpx2 and dnspython export and fails on any
without a row here. A 200 answer whose body says the call did not end well (a cut stream, an
error event, a Responses run incomplete or failed) is read by :mod:`chatkit.knowledge.outcomes`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from chatkit.errors import UsageError
from chatkit.knowledge.dialects import (
    asked_wait_s,
    echoed_key_owner,
    error_fields,
    error_status,
    human_wait,
    model_named,
    read_error,
    refine,
    row_provider,
    short_text,
)
from chatkit.knowledge.outcomes import outcome_kind, response_kind, stream_kind
from chatkit.knowledge.patterns import (
    CDN_HEADERS,
    COARSE,
    EXCEPTION_KINDS,
    FILTER_WORDS,
    HINTS,
    HTTP_RULES,
    MESSAGE_HINTS,
    NET_ERRORS,
    PORTAL_WORDS,
    HttpRule,
    is_html,
)
from chatkit.knowledge.ratelimits import RETRY_AFTER_CAP, parse_rate_limits, parse_retry_after
from chatkit.providers import detect_provider

__all__ = [
    "EXCEPTION_KINDS",
    "HTTP_RULES",
    "MESSAGE_HINTS",
    "NET_ERRORS",
    "RETRY_AFTER_CAP",  # with parse_retry_after, as chatkit.client.policy imports them
    "HttpRule",
    "Recognized",
    "parse_retry_after",
    "recognize",
]

#: ``(kind, found)``: the knowledge-table row and the values read from the failure.
Recognized = tuple[str, dict[str, Any]]


# =============================================================================================
# Recognising
# =============================================================================================


def recognize(failure: object = None, *, status: int | None = None,
              headers: Mapping[str, str] | None = None,
              body: str | bytes | Mapping[str, Any] | None = None,
              evidence: Mapping[str, Any] | None = None) -> Recognized:
    """``(kind, found)``: which row of :data:`chatkit.knowledge.table.KNOWLEDGE` explains
    ``failure`` (``"ok"`` for a healthy answer) and the values read from it.

    Takes what :func:`~chatkit.knowledge.classifier.classify` takes; ``evidence`` may add
    ``model`` and ``available_models`` (closest names) or ``proxy`` (a connect failure is
    then the proxy's).
    """
    extra = dict(evidence or {})
    if isinstance(failure, BaseException):
        response = getattr(failure, "response", None)
        if response is not None and _is_response(response):
            return _sent_to(response, _from_response(response.status_code, response.headers,
                                                     _text_of(response), extra))
        return _from_exception(failure, extra)
    if _is_response(failure):
        return _sent_to(failure, _from_response(
            failure.status_code, failure.headers, _text_of(failure), extra))  # type: ignore[attr-defined]
    if isinstance(failure, Mapping):
        return _from_log_row(failure, extra)
    if isinstance(failure, str):
        kind = _kind_of_name(failure) or "unknown_error"
        return _finish(kind, {"exception": failure, "detail": failure}, extra)
    if failure is None and status is not None:
        return _from_response(status, headers or {}, body, extra)
    if failure is None and body is not None:
        return _from_response(200, headers or {}, body, extra)
    raise UsageError("classify() needs an exception, a response, a log row, a name, or status=")


# --- helpers ---------------------------------------------------------------------------------


def _is_response(obj: object) -> bool:
    return hasattr(obj, "status_code") and hasattr(obj, "headers")


def _text_of(response: Any) -> str | None:
    try:
        return str(response.text)
    except Exception:  # a streamed response not read yet: classify by status and headers
        return None


def _finish(kind: str, found: dict[str, Any], extra: Mapping[str, Any]) -> Recognized:
    if kind in ("dns_not_found", "connect_refused", "connect_timeout", "connect_failed") and \
            (found.get("proxy") or extra.get("proxy")):
        kind = "proxy_unreachable"  # what failed to connect was the proxy, not the API
    return kind, found


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 8:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _kind_of_class(cls: type) -> str | None:
    for klass in cls.__mro__:
        qualified = f"{klass.__module__}.{klass.__qualname__}"
        for name in (qualified, klass.__qualname__):
            if name in EXCEPTION_KINDS:
                return EXCEPTION_KINDS[name]
        if klass.__module__.startswith("dns.") and klass.__qualname__ in ("Timeout", "SyntaxError"):
            return "dns_timeout" if klass.__qualname__ == "Timeout" else "dns_invalid_name"
    return None


def _kind_of_name(name: str) -> str | None:
    text = name.strip()
    net = re.search(r"ERR_[A-Z0-9_]+", text)
    if net:
        return NET_ERRORS.get(net.group(0), "connect_failed" if "net::" in text else None)
    bare = text.rsplit(".", 1)[-1].split(":", 1)[0].strip()
    return EXCEPTION_KINDS.get(text) or EXCEPTION_KINDS.get(bare) or _kind_of_message(text)


def _kind_of_message(text: str) -> str | None:
    for pattern, kind in HINTS:
        if pattern.search(text):
            return kind
    return None


def _from_exception(exc: BaseException, extra: Mapping[str, Any]) -> Recognized:
    chain = _chain(exc)
    found: dict[str, Any] = {"exception": type(exc).__name__, "detail": short_text(str(exc))}
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping) and type(exc).__name__ == "APIError":  # openai stream error
        error = body.get("error", body)
        if isinstance(error, Mapping):
            found.update(error_fields(error))
    request = getattr(exc, "_request", None) or _safe_request(exc)
    if request is not None:
        found.setdefault("host", getattr(request.url, "host", None))
        found.setdefault("port", getattr(request.url, "port", None))
    kinds = [k for k in (_kind_of_class(type(e)) for e in chain) if k]
    specific = [k for k in kinds if k not in COARSE]
    hinted = _kind_of_message(" | ".join(str(e) for e in chain))
    # The most specific class in the chain wins; a vague class yields to what its message says.
    if specific:
        kind = specific[0]
    elif hinted:
        kind = hinted
    else:
        kind = min(kinds, key=COARSE.index, default="unknown_error")
        if kind == "timeout" and "connect_failed" in kinds:
            kind = "connect_timeout"  # a timeout below a ConnectError
    return _finish(kind, found, extra)


def _safe_request(obj: object) -> Any:
    try:
        return getattr(obj, "request", None)
    except RuntimeError:  # httpx raises when an exception or response has no request attached
        return None


def _sent_to(response: object, result: Recognized) -> Recognized:
    """``result`` with the provider the response's request went to, when its URL says so."""
    url = getattr(_safe_request(response), "url", None)
    provider = detect_provider(str(url)) if url is not None else None
    if provider:
        result[1].setdefault("provider", provider)
    return result


def _decode(body: str | bytes | Mapping[str, Any] | None) -> tuple[str, Any]:
    if isinstance(body, Mapping):
        return json.dumps(body), body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        return text, json.loads(text)
    except ValueError:
        return text, None


def _from_response(status: int, headers: Mapping[str, str], body: str | bytes | Mapping[str, Any]
                   | None, extra: Mapping[str, Any]) -> Recognized:
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    text, data = _decode(body)
    found: dict[str, Any] = {"status": status, "request_id": lower.get("x-request-id")}
    ctype = lower.get("content-type", "")
    kind: str | None = None
    if "text/event-stream" in ctype or text.lstrip().startswith(("data:", "event:", ":")):
        kind = stream_kind(text, found)
        if kind is None and 200 <= status < 300:
            return "ok", found
    elif data is None and text.strip():
        kind = _non_json_kind(status, lower, text, ctype)
        found["detail"] = short_text(" ".join(text.split()), 200)
    elif data is None and 200 <= status < 300:
        return "ok", found
    elif isinstance(data, Mapping) and data.get("object") == "response" and status < 300:
        kind = response_kind(data, found)
        if kind is None:
            return "ok", found
    if kind is None:
        error, said = read_error(data)  # any provider's shape, in OpenAI's field names
        found.update(error_fields(error))
        found.update({k: v for k, v in said.items() if k != "upstream_message"})
        found["upstream_message"] = short_text(str(said.get("upstream_message") or "")) or None
        found["request_id"] = (lower.get("x-request-id") or said.get("request_id")
                               or lower.get("request-id"))  # Anthropic's name for it
        found["message"] = found.get("message") or f"HTTP {status}"
        status = error_status(status, data)
        if 200 <= status < 300 and not (isinstance(data, Mapping) and "error" in data):
            return "ok", found
        found["wait_s"] = asked_wait_s(parse_retry_after(lower), error, said)
        kind = next((r.kind for r in HTTP_RULES if r.matches(status, _rule_fields(found))),
                    "stream_error" if 200 <= status < 300 else "client_error")
        kind = refine(kind, status, found)
        if kind == "invalid_api_key":  # whose key it was, read before the message is redacted
            found["key_owner"] = echoed_key_owner(error.get("message"))
    _annotate(kind, lower, found, extra)
    return _finish(kind, found, extra)


def _rule_fields(found: Mapping[str, Any]) -> dict[str, Any]:
    """The error fields of ``found`` in the API's own names, for :class:`HttpRule`."""
    return {"type": found.get("error_type"), "code": found.get("error_code"),
            "message": found.get("message")}


def _non_json_kind(status: int, headers: Mapping[str, str], text: str, ctype: str) -> str:
    if not is_html(ctype, text):
        return "malformed_json" if "json" in ctype else "html_instead_of_json"
    if status >= 500 and (any(h in headers for h in CDN_HEADERS) or
                          headers.get("server", "").lower() in ("cloudflare", "akamaighost")):
        return "cdn_error_page"
    if PORTAL_WORDS.search(text):
        return "captive_portal"
    if FILTER_WORDS.search(text) and status in (200, 403, 451, 502, 503):
        return "web_filter_block"
    return "cdn_error_page" if status >= 500 else "html_instead_of_json"


def _annotate(kind: str, headers: Mapping[str, str], found: dict[str, Any],
              extra: Mapping[str, Any]) -> None:
    """Add the values a row's text needs: how long to wait, which model, whose key."""
    wait = parse_retry_after(headers)
    if wait is not None:
        found["retry_after_s"] = round(wait, 3)
    if kind in _LIMITS:
        found["rate_limits"] = parse_rate_limits(headers) or None
    if kind in ("rate_limit", "daily_quota_exhausted", "upstream_rate_limited"):
        reset = headers.get("x-ratelimit-reset-requests") or headers.get("x-ratelimit-reset-tokens")
        said = found.get("wait_s")
        found["wait"] = (f"{wait:g} s (retry-after)" if wait is not None else
                         f"{found['retry_delay_s']:g} s (RetryInfo)"
                         if found.get("retry_delay_s") else
                         f"{reset} (x-ratelimit-reset)" if reset else
                         f"{human_wait(said)} (as the error message says)" if said else
                         "a few seconds" if kind != "daily_quota_exhausted" else "the next day")
    message = f"{found.get('message') or ''} {found.get('upstream_message') or ''}"
    if kind in ("model_not_found", "model_not_pulled", "no_endpoints"):
        model = extra.get("model") or model_named(message)
        found["model"] = model
        available = extra.get("available_models")
        found["suggestion"] = ""
        if model and available:
            import difflib

            close = difflib.get_close_matches(str(model), [str(m) for m in available], n=3,
                                              cutoff=0.5)
            found["suggestions"] = close
            found["suggestion"] = f", e.g. {', '.join(close)}" if close else ""


#: Kinds whose text says how long to wait.
_LIMITS = ("rate_limit", "slow_down", "request_too_large", "insufficient_quota",
           "daily_quota_exhausted", "upstream_rate_limited")


def _missing(value: Any) -> bool:
    """None, NaN, or pandas' NA/NaT: how a missing value arrives from a log frame."""
    return value is None or (isinstance(value, float) and value != value) or \
        type(value).__name__ in ("NAType", "NaTType")


def _from_log_row(row: Mapping[str, Any], extra: Mapping[str, Any]) -> Recognized:
    row = {k: None if _missing(v) else v for k, v in row.items()}
    status = row.get("status")
    if status is not None:
        error = {"type": row.get("error_type"), "code": row.get("error_code"),
                 "message": row.get("error_message")}
        headers = {"x-request-id": row["request_id"]} if row.get("request_id") else {}
        body: Any = ({"error": error} if any(error.values()) else "")
        if int(status) < 300 and row.get("exception"):  # the answer broke after its 200
            kind = _kind_of_logged(row) or "stream_cut"
            if kind == "html_instead_of_json":
                kind = _non_json_kind(int(status), {}, str(row.get("error_message") or ""),
                                      "text/html")
            return _finish(kind, {"status": int(status), "exception": row["exception"],
                                  "detail": short_text(str(row.get("error_message") or ""))
                                  or None}, extra)
        if row.get("error_type") == "stream_error" or (int(status) < 300 and any(error.values())):
            found = {"status": int(status), **error_fields(error)}
            outcome = row.get("error_type")
            kind = outcome_kind(outcome if outcome in ("incomplete", "response.failed")
                                 else None, row.get("error_code"))
            return _finish(kind, found, extra)
        kind, found = _from_response(int(status), headers, body, extra)
        return kind, {**found, **_host_of(row), **row_provider(row)}
    exception = row.get("exception") or row.get("error_type") or ""
    kind = _kind_of_logged(row) or "unknown_error"
    found = {"exception": exception or None,
             "detail": short_text(str(row.get("error_message") or exception)), **_host_of(row)}
    return _finish(kind, found, extra)


def _kind_of_logged(row: Mapping[str, Any]) -> str | None:
    """The kind of a logged exception: its class name, refined by its message if vague."""
    named = _kind_of_name(str(row.get("exception") or row.get("error_type") or ""))
    hinted = _kind_of_message(str(row.get("error_message") or ""))
    return hinted if hinted and (named is None or named in COARSE) else named


def _host_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"host": row["host"]} if row.get("host") else {}
