"""How to tell which failure it is: exception classes, messages, net errors, HTTP answers.

:mod:`chatkit.classify` holds what each failure *means* (the knowledge table); this module
holds how to *recognise* one. :func:`recognize` reads whatever a failed call left behind and
names the row: :data:`EXCEPTION_KINDS` (exception class -> kind), :data:`MESSAGE_HINTS` (what
an exception's message reveals when its class is too coarse), :data:`NET_ERRORS` (Chrome's
net errors) and :data:`HTTP_RULES` (status, ``error.type``, ``error.code``, message -> kind).
A test walks every exception class httpx, httpx2 and dnspython export and fails on any
without a row here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatkit.errors import UsageError

__all__ = [
    "EXCEPTION_KINDS",
    "HTTP_RULES",
    "MESSAGE_HINTS",
    "NET_ERRORS",
    "HttpRule",
    "Recognized",
    "parse_retry_after",
    "recognize",
]

#: ``(kind, found)``: the knowledge-table row and the values read from the failure.
Recognized = tuple[str, dict[str, Any]]


# =============================================================================================
# From an exception to a kind
# =============================================================================================

#: Exception class name (or ``module.Name`` where a bare name is ambiguous) -> kind. httpx and
#: httpx2 share their names. Kinds marked coarse in _COARSE are refined by MESSAGE_HINTS and by
#: the exceptions chained below them.
EXCEPTION_KINDS: dict[str, str] = {
    # httpx / httpx2 (httpx/_exceptions.py)
    "HTTPError": "transport_error",
    "RequestError": "transport_error",
    "TransportError": "transport_error",
    "NetworkError": "transport_error",
    "TimeoutException": "timeout",
    "ConnectTimeout": "connect_timeout",
    "ReadTimeout": "read_timeout",
    "WriteTimeout": "write_timeout",
    "PoolTimeout": "pool_timeout",
    "ConnectError": "connect_failed",
    "ReadError": "connection_lost",
    "WriteError": "connection_lost",
    "CloseError": "connection_lost",
    "ProxyError": "proxy_refused",
    "ProtocolError": "remote_protocol_error",
    "RemoteProtocolError": "remote_protocol_error",
    "LocalProtocolError": "client_protocol_error",
    "UnsupportedProtocol": "invalid_base_url",
    "InvalidURL": "invalid_base_url",
    "DecodingError": "response_decoding_error",
    "TooManyRedirects": "redirect_loop",
    "HTTPStatusError": "client_error",  # its .response is classified instead
    "CookieConflict": "client_usage_error",
    "StreamError": "client_usage_error",
    "StreamConsumed": "client_usage_error",
    "StreamClosed": "client_usage_error",
    "RequestNotRead": "client_usage_error",
    "ResponseNotRead": "client_usage_error",
    "SSEError": "stream_malformed",  # httpx2 only
    # httpcore, when it escapes unwrapped
    "ConnectionNotAvailable": "pool_timeout",
    "UnsupportedProtocolError": "invalid_base_url",
    # dnspython: dns.exception, dns.resolver, dns.query, dns.message, dns.name
    "DNSException": "dns_error",
    "NXDOMAIN": "dns_not_found",
    "YXDOMAIN": "dns_invalid_name",
    "NoAnswer": "dns_no_answer",
    "EmptyHostAnswers": "dns_no_answer",
    "NoNameservers": "dns_servfail",
    "LifetimeTimeout": "dns_timeout",
    "dns.exception.Timeout": "dns_timeout",
    "dns.resolver.Timeout": "dns_timeout",
    "NoResolverConfiguration": "dns_no_resolver_config",
    "NotAbsolute": "dns_invalid_name",
    "NoRootSOA": "dns_error",
    "NoMetaqueries": "dns_invalid_name",
    "dns.exception.SyntaxError": "dns_invalid_name",
    "FormError": "dns_error",
    "UnexpectedEnd": "dns_error",
    "TooBig": "dns_error",
    "UnsupportedAlgorithm": "dns_error",
    "AlgorithmKeyMismatch": "dns_error",
    "ValidationFailure": "dns_error",
    "DeniedByPolicy": "dns_error",
    "UnexpectedSource": "dns_error",
    "BadResponse": "dns_error",
    "NoDOH": "dns_error",
    "NoDOQ": "dns_error",
    "ShortHeader": "dns_error",
    "TrailingJunk": "dns_error",
    "UnknownHeaderField": "dns_error",
    "BadEDNS": "dns_error",
    "BadTSIG": "dns_error",
    "UnknownTSIGKey": "dns_error",
    "Truncated": "dns_error",
    "NotQueryResponse": "dns_error",
    "ChainTooLong": "dns_error",
    "AnswerForNXDOMAIN": "dns_error",
    "NoPreviousName": "dns_error",
    "EmptyLabel": "dns_invalid_name",
    "BadEscape": "dns_invalid_name",
    "BadPointer": "dns_error",
    "PointerChainTooLong": "dns_error",
    "BadLabelType": "dns_error",
    "DecompressionForbidden": "dns_error",
    "NeedAbsoluteNameOrOrigin": "dns_invalid_name",
    "NameTooLong": "dns_invalid_name",
    "LabelTooLong": "dns_invalid_name",
    "AbsoluteConcatenation": "dns_invalid_name",
    "NoParent": "dns_invalid_name",
    "NoIDNA2008": "dns_invalid_name",
    "IDNAException": "dns_invalid_name",
    "NeedSubdomainOfOrigin": "dns_invalid_name",
    # the standard library
    "gaierror": "dns_not_found",
    "herror": "dns_not_found",
    "ConnectionRefusedError": "connect_refused",
    "ConnectionResetError": "connection_reset",
    "ConnectionAbortedError": "connection_reset",
    "BrokenPipeError": "connection_lost",
    "ConnectionError": "connection_lost",
    "TimeoutError": "timeout",
    "timeout": "timeout",  # socket.timeout before Python 3.10
    "SSLCertVerificationError": "tls_verify_failed",
    "CertificateError": "tls_hostname_mismatch",
    "SSLError": "tls_handshake_failed",
    "SSLZeroReturnError": "connection_lost",
    "SSLEOFError": "connection_lost",
    "OSError": "connect_failed",
    # the openai client (openai/_exceptions.py); status errors carry .response, used instead
    "APIConnectionError": "connect_failed",
    "APITimeoutError": "timeout",
    "APIResponseValidationError": "response_validation",
    "APIError": "stream_error",
    "BadRequestError": "invalid_request",
    "AuthenticationError": "authentication_failed",
    "PermissionDeniedError": "permission_denied",
    "NotFoundError": "not_found",
    "ConflictError": "conflict",
    "UnprocessableEntityError": "unprocessable",
    "RateLimitError": "rate_limit",
    "InternalServerError": "server_error",
    "APIStatusError": "client_error",
    "JSONDecodeError": "malformed_json",  # what the openai client raises on cut-off JSON
    # chatkit's recorder: what a 2xx answer hid (no exception was raised on the wire)
    "IncompleteStream": "stream_cut",  # a stream that ended without [DONE]
    "HTMLInsteadOfJSON": "html_instead_of_json",  # refined by the page's words
    "MalformedJSON": "malformed_json",
}

#: Kinds too vague to stop at, most telling first: a specific kind from the chain or the
#: message wins; among these, the most telling one found in the chain.
_COARSE: tuple[str, ...] = (
    "dns_not_found",  # socket.gaierror: its errno (in the message) may say "temporary"
    "tls_verify_failed", "tls_handshake_failed", "proxy_refused", "timeout", "connection_lost",
    "remote_protocol_error", "connect_failed", "transport_error", "unknown_error",
)

#: What an exception's text reveals, checked in order (errno values: Linux, macOS, Windows).
MESSAGE_HINTS: tuple[tuple[str, str], ...] = (
    (r"\b407\b|proxy authentication required", "proxy_auth_required"),
    (r"certificate has expired|certificate is not yet valid|CERTIFICATE_EXPIRED",
     "tls_expired"),
    (r"hostname mismatch|doesn't match|does not match|IP address mismatch",
     "tls_hostname_mismatch"),
    (r"unable to get (local )?issuer certificate|self[- ]signed certificate in certificate chain",
     "tls_unknown_ca"),
    (r"self[- ]signed certificate", "tls_self_signed"),
    (r"wrong version number|WRONG_VERSION_NUMBER|record layer failure|http request",
     "tls_wrong_version"),
    (r"Temporary failure in name resolution|Errno -3\b|EAI_AGAIN|WSATRY_AGAIN|11002",
     "dns_temporary_failure"),
    (r"Name or service not known|nodename nor servname|getaddrinfo failed|No address associated"
     r"|Errno -[25]\b|Errno 8\b|1100[14]\b|Could not resolve host|NXDOMAIN", "dns_not_found"),
    (r"Connection refused|Errno 111\b|Errno 61\b|10061|ECONNREFUSED", "connect_refused"),
    (r"Connection reset|Errno 104\b|Errno 54\b|10054|ECONNRESET", "connection_reset"),
    (r"Network is unreachable|Errno 101\b|Errno 51\b|10051|ENETUNREACH", "network_unreachable"),
    (r"No route to host|Errno 113\b|Errno 65\b|10065|EHOSTUNREACH", "host_unreachable"),
    (r"incomplete chunked read|without sending complete message body|IncompleteRead",
     "stream_cut"),
    (r"Server disconnected without sending a response|EOF occurred in violation",
     "server_disconnected"),
    (r"timed out", "timeout"),
)
_HINTS = tuple((re.compile(pattern, re.IGNORECASE), kind) for pattern, kind in MESSAGE_HINTS)

#: Chrome's net errors (what a HAR file or Playwright reports) -> kind.
NET_ERRORS: dict[str, str] = {
    "ERR_NAME_NOT_RESOLVED": "dns_not_found",
    "ERR_NAME_RESOLUTION_FAILED": "dns_temporary_failure",
    "ERR_CONNECTION_REFUSED": "connect_refused",
    "ERR_CONNECTION_RESET": "connection_reset",
    "ERR_CONNECTION_CLOSED": "server_disconnected",
    "ERR_CONNECTION_ABORTED": "connection_lost",
    "ERR_CONNECTION_FAILED": "connect_failed",
    "ERR_CONNECTION_TIMED_OUT": "connect_timeout",
    "ERR_TIMED_OUT": "timeout",
    "ERR_ADDRESS_UNREACHABLE": "host_unreachable",
    "ERR_NETWORK_ACCESS_DENIED": "host_unreachable",
    "ERR_INTERNET_DISCONNECTED": "net_internet_disconnected",
    "ERR_NETWORK_CHANGED": "net_network_changed",
    "ERR_PROXY_CONNECTION_FAILED": "proxy_unreachable",
    "ERR_TUNNEL_CONNECTION_FAILED": "proxy_refused",
    "ERR_PROXY_AUTH_UNSUPPORTED": "proxy_auth_required",
    "ERR_PROXY_AUTH_REQUESTED": "proxy_auth_required",
    "ERR_CERT_AUTHORITY_INVALID": "tls_unknown_ca",
    "ERR_CERT_DATE_INVALID": "tls_expired",
    "ERR_CERT_COMMON_NAME_INVALID": "tls_hostname_mismatch",
    "ERR_CERT_INVALID": "tls_verify_failed",
    "ERR_SSL_PROTOCOL_ERROR": "tls_handshake_failed",
    "ERR_SSL_VERSION_OR_CIPHER_MISMATCH": "tls_handshake_failed",
    "ERR_BAD_SSL_CLIENT_AUTH_CERT": "tls_handshake_failed",
    "ERR_BLOCKED_BY_CLIENT": "net_blocked_by_client",
    "ERR_BLOCKED_BY_ADMINISTRATOR": "net_blocked_by_administrator",
    "ERR_HTTP2_PROTOCOL_ERROR": "net_http2_protocol_error",
    "ERR_QUIC_PROTOCOL_ERROR": "net_http2_protocol_error",
    "ERR_EMPTY_RESPONSE": "net_empty_response",
    "ERR_INCOMPLETE_CHUNKED_ENCODING": "stream_cut",
    "ERR_CONTENT_DECODING_FAILED": "response_decoding_error",
    "ERR_TOO_MANY_REDIRECTS": "redirect_loop",
    "ERR_INVALID_URL": "invalid_base_url",
}


# =============================================================================================
# From an HTTP answer to a kind
# =============================================================================================


@dataclass(frozen=True, slots=True)
class HttpRule:
    """One HTTP case: every given field must match (patterns are case-insensitive regexes)."""

    kind: str
    status: int | tuple[int, int]  # one status, or an inclusive range
    type: str | None = None  # regex on error.type
    code: str | None = None  # regex on error.code
    message: str | None = None  # regex searched in error.message

    def matches(self, status: int, error: Mapping[str, Any]) -> bool:
        low, high = (self.status, self.status) if isinstance(self.status, int) else self.status
        if not low <= status <= high:
            return False
        for pattern, value in ((self.type, error.get("type")), (self.code, error.get("code")),
                               (self.message, error.get("message"))):
            if pattern is not None and not (
                    isinstance(value, str) and re.search(pattern, value, re.IGNORECASE)):
                return False
        return True


#: Checked in order; the first matching rule names the kind. Quota before rate limit: the
#: same 429 status means "wait a second" or "pay first", and only type/code tell them apart.
HTTP_RULES: tuple[HttpRule, ...] = (
    HttpRule("context_length_exceeded", 400, code="context_length_exceeded"),
    HttpRule("context_length_exceeded", 400, message="maximum context length"),
    HttpRule("bad_json", 400, message=r"could not parse the JSON body|not valid JSON"),
    HttpRule("unsupported_content_type", (400, 415), code="unsupported_content_type"),
    HttpRule("unsupported_content_type", 400, message="Unsupported content type"),
    HttpRule("missing_parameter", 400, message="Missing required parameter"),
    HttpRule("invalid_request", 400),
    HttpRule("missing_api_key", 401, message=r"didn't provide an API key|must provide an API key"
             r"|missing (an )?(api key|authorization|bearer)"),
    HttpRule("invalid_api_key", 401, code="invalid_api_key"),
    HttpRule("invalid_api_key", 401, message="Incorrect API key"),
    HttpRule("key_deactivated", 401, code=r"deactivated|revoked"),
    HttpRule("key_deactivated", 401, message=r"deactivated|revoked|disabled"),
    HttpRule("wrong_organization", 401, code=r"organization|project"),
    HttpRule("wrong_organization", 401, message=r"organization|project"),
    HttpRule("ip_not_authorized", 401, message=r"\bIP\b.*not (authorized|allowed)"),
    HttpRule("authentication_failed", 401),
    HttpRule("unsupported_region", 403, code="unsupported_country_region_territory"),
    HttpRule("unsupported_region", 403, message=r"country, region,? or territory"),
    HttpRule("ip_not_authorized", 403, message=r"\bIP\b.*not (authorized|allowed)"),
    HttpRule("permission_denied", 403),
    HttpRule("model_not_found", 404, code="model_not_found"),
    HttpRule("model_not_found", 404, message=r"The model .* does not exist"),
    HttpRule("deployment_not_found", 404, code="DeploymentNotFound"),
    HttpRule("invalid_url", 404, message=r"Invalid URL|unknown_url|Not Found$"),
    HttpRule("not_found", 404),
    HttpRule("method_not_allowed", 405),
    HttpRule("request_timeout_408", 408),
    HttpRule("conflict", 409),
    HttpRule("payload_too_large", 413),
    HttpRule("unsupported_content_type", 415),
    HttpRule("unprocessable", 422),
    HttpRule("credit_balance_exhausted", 429, code="credit_balance_exhausted"),
    HttpRule("insufficient_quota", 429, code="insufficient_quota"),
    HttpRule("insufficient_quota", 429, type="insufficient_quota"),
    HttpRule("insufficient_quota", 429, message="exceeded your current quota"),
    HttpRule("request_too_large", 429, message="Request too large"),
    HttpRule("slow_down", 429, code="slow_down"),
    HttpRule("rate_limit", 429),
    HttpRule("client_error", (400, 499)),
    HttpRule("server_overloaded", 503, code="overloaded"),
    HttpRule("server_overloaded", (500, 599), message="overloaded"),
    HttpRule("bad_gateway", 502),
    HttpRule("service_unavailable", 503),
    HttpRule("gateway_timeout", 504),
    HttpRule("server_error", (500, 599)),
)

# What an HTML page in place of JSON is, by its words.
_PORTAL_WORDS = re.compile(
    r"captive|wi-?fi|hotspot|accept the terms|terms of (use|service)|guest (network|access)"
    r"|log ?in to (the|this) network|<form[^>]+(login|auth)", re.IGNORECASE)
_FILTER_WORDS = re.compile(
    r"web ?filter|blocked|access denied|has been denied|content filter|category|policy"
    r"|zscaler|netskope|forcepoint|websense|fortiguard|bluecoat|blue coat|palo ?alto|sophos",
    re.IGNORECASE)
_CDN_HEADERS = ("cf-ray", "x-amz-cf-id", "x-akamai-request-id", "x-served-by")


# =============================================================================================
# Recognising
# =============================================================================================


def recognize(failure: object = None, *, status: int | None = None,
              headers: Mapping[str, str] | None = None,
              body: str | bytes | Mapping[str, Any] | None = None,
              evidence: Mapping[str, Any] | None = None) -> Recognized:
    """``(kind, found)``: which row of :data:`chatkit.classify.KNOWLEDGE` explains
    ``failure`` (``"ok"`` for a healthy answer) and the values read from it.

    Takes what :func:`chatkit.classify.classify` takes; ``evidence`` may add ``model`` and
    ``available_models`` (closest names) or ``proxy`` (a connect failure is then the proxy's).
    """
    extra = dict(evidence or {})
    if isinstance(failure, BaseException):
        response = getattr(failure, "response", None)
        if response is not None and _is_response(response):
            return _from_response(response.status_code, response.headers, _text_of(response),
                                  extra)
        return _from_exception(failure, extra)
    if _is_response(failure):
        return _from_response(failure.status_code, failure.headers,  # type: ignore[attr-defined]
                              _text_of(failure), extra)
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


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date), as
    the openai client reads them; None when absent or unreadable."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        if "retry-after-ms" in lower:
            return float(lower["retry-after-ms"]) / 1000
    except ValueError:
        pass
    value = lower.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (when - datetime.now(timezone.utc)).total_seconds()


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
    for pattern, kind in _HINTS:
        if pattern.search(text):
            return kind
    return None


def _from_exception(exc: BaseException, extra: Mapping[str, Any]) -> Recognized:
    chain = _chain(exc)
    found: dict[str, Any] = {"exception": type(exc).__name__, "detail": _short(str(exc))}
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping) and type(exc).__name__ == "APIError":  # openai stream error
        error = body.get("error", body)
        if isinstance(error, Mapping):
            found.update(_error_fields(error))
    request = getattr(exc, "_request", None) or _safe_request(exc)
    if request is not None:
        found.setdefault("host", getattr(request.url, "host", None))
        found.setdefault("port", getattr(request.url, "port", None))
    kinds = [k for k in (_kind_of_class(type(e)) for e in chain) if k]
    specific = [k for k in kinds if k not in _COARSE]
    hinted = _kind_of_message(" | ".join(str(e) for e in chain))
    # The most specific class in the chain wins; a vague class yields to what its message says.
    if specific:
        kind = specific[0]
    elif hinted:
        kind = hinted
    else:
        kind = min(kinds, key=_COARSE.index, default="unknown_error")
        if kind == "timeout" and "connect_failed" in kinds:
            kind = "connect_timeout"  # a timeout below a ConnectError
    return _finish(kind, found, extra)


def _safe_request(exc: BaseException) -> Any:
    try:
        return getattr(exc, "request", None)
    except RuntimeError:  # httpx raises when an exception has no request attached
        return None


def _short(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters, with anything key-shaped removed: messages go
    into reports, and some gateways echo the key they refused in full."""
    from chatkit.redact import redact_text

    text = redact_text(text) if text else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_fields(error: Mapping[str, Any]) -> dict[str, Any]:
    return {"error_type": error.get("type"), "error_code": error.get("code"),
            "param": error.get("param"), "message": _short(str(error.get("message") or ""))}


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
        kind = _stream_kind(text, found)
        if kind is None and 200 <= status < 300:
            return "ok", found
    elif data is None and text.strip():
        kind = _non_json_kind(status, lower, text, ctype)
        found["detail"] = _short(" ".join(text.split()), 200)
    elif data is None and 200 <= status < 300:
        return "ok", found
    if kind is None:
        error = data.get("error", data) if isinstance(data, Mapping) else {}
        if isinstance(error, str):
            error = {"message": error}
        if isinstance(error, Mapping):
            found.update(_error_fields(error))
            if not found.get("message"):
                found["message"] = f"HTTP {status}"
        if 200 <= status < 300 and not (isinstance(data, Mapping) and "error" in data):
            return "ok", found
        kind = next((r.kind for r in HTTP_RULES if r.matches(status, _rule_fields(found))),
                    "stream_error" if 200 <= status < 300 else "client_error")
    _annotate(kind, lower, found, extra)
    return _finish(kind, found, extra)


def _rule_fields(found: Mapping[str, Any]) -> dict[str, Any]:
    """The error fields of ``found`` in the API's own names, for :class:`HttpRule`."""
    return {"type": found.get("error_type"), "code": found.get("error_code"),
            "message": found.get("message")}


def _stream_kind(text: str, found: dict[str, Any]) -> str | None:
    """``stream_error`` for an error event, ``stream_cut`` for no ``[DONE]``, else None."""
    from chatkit.sse import StreamMeter

    meter = StreamMeter(started=0.0)
    meter.feed(text.encode("utf-8"), 0.0)
    meter.close(0.0)
    if meter.error is not None:
        found.update(_error_fields(meter.error))
        return "stream_error"
    return None if meter.done else "stream_cut"


def _non_json_kind(status: int, headers: Mapping[str, str], text: str, ctype: str) -> str:
    html = "html" in ctype or text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))
    if not html:
        return "malformed_json" if "json" in ctype else "html_instead_of_json"
    if status >= 500 and (any(h in headers for h in _CDN_HEADERS) or
                          headers.get("server", "").lower() in ("cloudflare", "akamaighost")):
        return "cdn_error_page"
    if _PORTAL_WORDS.search(text):
        return "captive_portal"
    if _FILTER_WORDS.search(text) and status in (200, 403, 451, 502, 503):
        return "web_filter_block"
    return "cdn_error_page" if status >= 500 else "html_instead_of_json"


def _annotate(kind: str, headers: Mapping[str, str], found: dict[str, Any],
              extra: Mapping[str, Any]) -> None:
    """Add the values a row's text needs: how long to wait, which models are close."""
    wait = parse_retry_after(headers)
    if wait is not None:
        found["retry_after_s"] = round(wait, 3)
    if kind in ("rate_limit", "slow_down", "request_too_large", "insufficient_quota"):
        from chatkit.ratelimits import parse_rate_limits

        found["rate_limits"] = parse_rate_limits(headers) or None
    if kind == "rate_limit":
        reset = headers.get("x-ratelimit-reset-requests") or headers.get("x-ratelimit-reset-tokens")
        said = re.search(r"try again in (\d+(?:\.\d+)?(?:ms|s|m))", str(found.get("message")))
        found["wait"] = (f"{wait:g} s (retry-after)" if wait is not None else
                         f"{reset} (x-ratelimit-reset)" if reset else
                         f"{said.group(1)} (as the error message says)" if said else
                         "a few seconds")
    if kind == "model_not_found":
        message = str(found.get("message") or "")
        named = re.search(r"model `([^`]+)`", message)
        model = extra.get("model") or (named.group(1) if named else None)
        found["model"] = model
        available = extra.get("available_models")
        if model and available:
            import difflib

            close = difflib.get_close_matches(str(model), [str(m) for m in available], n=3,
                                              cutoff=0.5)
            found["suggestions"] = close
            found["suggestion"] = f", e.g. {', '.join(close)}" if close else ""
        else:
            found["suggestion"] = ""


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
                                  "detail": _short(str(row.get("error_message") or ""))
                                  or None}, extra)
        if row.get("error_type") == "stream_error" or (int(status) < 300 and any(error.values())):
            found = {"status": int(status), **_error_fields(error)}
            return _finish("stream_error", found, extra)
        kind, found = _from_response(int(status), headers, body, extra)
        return kind, {**found, **_host_of(row)}
    exception = row.get("exception") or row.get("error_type") or ""
    kind = _kind_of_logged(row) or "unknown_error"
    found = {"exception": exception or None,
             "detail": _short(str(row.get("error_message") or exception)), **_host_of(row)}
    return _finish(kind, found, extra)


def _kind_of_logged(row: Mapping[str, Any]) -> str | None:
    """The kind of a logged exception: its class name, refined by its message if vague."""
    named = _kind_of_name(str(row.get("exception") or row.get("error_type") or ""))
    hinted = _kind_of_message(str(row.get("error_message") or ""))
    return hinted if hinted and (named is None or named in _COARSE) else named


def _host_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"host": row["host"]} if row.get("host") else {}
