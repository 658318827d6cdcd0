"""The lookup tables recognition reads: exception classes, messages, net errors, HTTP rules.

:data:`EXCEPTION_KINDS` maps an exception class to a kind, :data:`MESSAGE_HINTS` says what an
exception's message reveals when its class is too coarse, :data:`NET_ERRORS` maps Chrome's net
errors and :data:`HTTP_RULES` maps (status, ``error.type``, ``error.code``, message) to a kind.
A test walks every exception class httpx, httpx2 and dnspython export and fails on any without a
row here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["EXCEPTION_KINDS", "HTTP_RULES", "MESSAGE_HINTS", "NET_ERRORS", "HttpRule", "is_html"]

# =============================================================================================
# From an exception to a kind
# =============================================================================================

#: Exception class name (or ``module.Name`` where a bare name is ambiguous) -> kind. httpx and
#: httpx2 share their names. Kinds marked coarse in COARSE are refined by MESSAGE_HINTS and by
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
    "APIRemovedInV1": "sdk_api_removed_v1",  # openai >= 1 (openai/lib/_old_api.py)
    # chatkit's recorder: what a 2xx answer hid (no exception was raised on the wire)
    "IncompleteStream": "stream_cut",  # a stream that ended without [DONE]
    "HTMLInsteadOfJSON": "html_instead_of_json",  # refined by the page's words
    "MalformedJSON": "malformed_json",
}

#: Kinds too vague to stop at, most telling first: a specific kind from the chain or the
#: message wins; among these, the most telling one found in the chain.
COARSE: tuple[str, ...] = (
    "dns_not_found",  # socket.gaierror: its errno (in the message) may say "temporary"
    "tls_verify_failed", "tls_handshake_failed", "proxy_refused", "timeout", "connection_lost",
    "remote_protocol_error", "connect_failed", "transport_error", "unknown_error",
)

#: What an exception's text reveals, checked in order (errno values: Linux, macOS, Windows).
MESSAGE_HINTS: tuple[tuple[str, str], ...] = (
    # client libraries that do not fit together, or code for another version (TypeError,
    # ImportError, AttributeError, NameError carry no kind of their own)
    (r"APIRemovedInV1|no longer supported in openai>=1\.0\.0|cannot import name "
     r"'(?:ChatCompletion|Completion|Embedding|Edit|Moderation|FineTune)' from 'openai'",
     "sdk_api_removed_v1"),
    (r"unexpected keyword argument 'proxies'", "sdk_httpx_proxies"),
    (r"No module named 'openai\.error'|module 'openai' has no attribute 'error'",
     "sdk_moved_name"),
    (r"cannot import name '(?:Async)?OpenAI' from 'openai'"
     r"|module 'openai' has no attribute '(?:Async)?OpenAI'", "sdk_openai_too_old"),
    (r"has no `?ChatCompletion`? attribute, this is likely due to an old version of the openai",
     "sdk_langchain_old_openai"),
    (r"cannot import name '\w+' from 'typing_extensions'", "sdk_typing_extensions_old"),
    (r"from 'pydantic[.\w]*'|'PYDANTIC_V2' from 'openai|__pydantic_extra__",
     "sdk_pydantic_mismatch"),
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
HINTS = tuple((re.compile(pattern, re.IGNORECASE), kind) for pattern, kind in MESSAGE_HINTS)

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
    # other providers' 400s (their wording: Anthropic, Gemini, xAI, Azure, Perplexity)
    HttpRule("credits_exhausted", 400, message=r"credit balance is too low"),
    HttpRule("invalid_api_key", 400, code="API_KEY_INVALID"),
    HttpRule("invalid_api_key", 400, message=r"Incorrect API key provided|API key not valid"),
    HttpRule("content_filtered", 400, code="content_filter"),
    HttpRule("model_not_found", 400, type="invalid_model"),
    HttpRule("model_not_found", 400, code=r"model_not_available|dedicated_endpoint_not_running"),
    HttpRule("model_not_found", 400, message=r"Invalid model '"),
    HttpRule("previous_response_not_found", (400, 404), code="previous_response_not_found"),
    HttpRule("previous_response_not_found", (400, 404),
             message=r"Previous response with id .* not found"),
    HttpRule("reasoning_item_orphaned", 400, message=r"of type 'reasoning' was provided without "
             r"its required following item|without its required 'reasoning' item"),
    HttpRule("invalid_input_item", 400, code="invalid_value",
             message=r"Supported values are: .*'message'"),
    HttpRule("invalid_request", 400),
    HttpRule("missing_api_key", 401, message=r"No (cookie )?auth credentials found"),
    HttpRule("missing_api_key", 401, message=r"didn't provide an API key|must provide an API key"
             r"|missing (an )?(api key|authorization|bearer)"),
    HttpRule("invalid_api_key", 401, code="invalid_api_key"),
    HttpRule("invalid_api_key", 401, message="Incorrect API key"),
    HttpRule("invalid_api_key", 401, type=r"^(authentication_error|auth_error|token_not_found)"),
    HttpRule("invalid_api_key", 401, message=r"invalid x-api-key|Authentication Fails|User not "
             r"found|Invalid proxy server token|invalid subscription key|Invalid API ?key"),
    HttpRule("key_deactivated", 401, code=r"deactivated|revoked"),
    HttpRule("key_deactivated", 401, message=r"deactivated|revoked|disabled"),
    HttpRule("wrong_organization", 401, code=r"organization|project"),
    HttpRule("wrong_organization", 401, message=r"organization|project"),
    HttpRule("ip_not_authorized", 401, message=r"\bIP\b.*not (authorized|allowed)"),
    HttpRule("authentication_failed", 401),
    HttpRule("credits_exhausted", 402),  # OpenRouter, DeepSeek: pay first
    HttpRule("unsupported_region", 403, code="unsupported_country_region_territory"),
    HttpRule("unsupported_region", 403, message=r"country, region,? or territory"),
    HttpRule("ip_not_authorized", 403, message=r"\bIP\b.*not (authorized|allowed)"),
    HttpRule("permission_denied", 403),
    HttpRule("model_not_pulled", 404, message=r"try pulling it first|To download it, run"),
    HttpRule("no_endpoints", 404, message=r"No endpoints (found|available)"),
    HttpRule("model_not_found", 404, code="model_not_found"),
    HttpRule("model_not_found", 404, message=r"The model .* does not exist"),
    HttpRule("deployment_not_found", 404, code="DeploymentNotFound"),
    HttpRule("invalid_url", 404, message=r"Invalid URL|unknown_url|Not Found$"),
    HttpRule("not_found", 404),
    HttpRule("method_not_allowed", 405),
    HttpRule("request_timeout_408", 408),
    HttpRule("conflict", 409),
    HttpRule("request_too_large", 413, message="Request too large"),  # Groq: over the TPM
    HttpRule("payload_too_large", 413),
    HttpRule("unsupported_content_type", 415),
    HttpRule("unprocessable", 422),
    HttpRule("billing_not_active", 429, type="billing_not_active"),
    HttpRule("billing_not_active", 429, code="billing_not_active"),
    HttpRule("credit_balance_exhausted", 429, code="credit_balance_exhausted"),
    HttpRule("insufficient_quota", 429, code="insufficient_quota"),
    HttpRule("insufficient_quota", 429, type="insufficient_quota"),
    HttpRule("insufficient_quota", 429, message="exceeded your current quota"),
    HttpRule("request_too_large", 429, message="Request too large"),
    HttpRule("daily_quota_exhausted", 429, message=r"per day \((TPD|RPD)\)"),  # Groq
    HttpRule("slow_down", 429, code="slow_down"),
    HttpRule("rate_limit", 429),
    HttpRule("client_error", (400, 499)),
    HttpRule("server_overloaded", 529),  # Anthropic
    HttpRule("server_overloaded", (500, 599), type="overloaded_error"),
    HttpRule("server_overloaded", (500, 599), message="high demand"),
    HttpRule("model_load_failed", 500, message=r"requires more system memory|Failed to load model"
             r"|Error loading model"),
    HttpRule("server_overloaded", 503, code="overloaded"),
    HttpRule("server_overloaded", (500, 599), message="overloaded"),
    HttpRule("bad_gateway", 502),
    HttpRule("service_unavailable", 503),
    HttpRule("gateway_timeout", 504),
    HttpRule("server_error", (500, 599)),
)

# What an HTML page in place of JSON is, by its words.
PORTAL_WORDS = re.compile(
    r"captive|wi-?fi|hotspot|accept the terms|terms of (use|service)|guest (network|access)"
    r"|log ?in to (the|this) network|<form[^>]+(login|auth)", re.IGNORECASE)
FILTER_WORDS = re.compile(
    r"web ?filter|blocked|access denied|has been denied|content filter|category|policy"
    r"|zscaler|netskope|forcepoint|websense|fortiguard|bluecoat|blue coat|palo ?alto|sophos",
    re.IGNORECASE)
CDN_HEADERS = ("cf-ray", "x-amz-cf-id", "x-akamai-request-id", "x-served-by")


def is_html(content_type: str, text: str) -> bool:
    """Whether an answer is an HTML page: by its Content-Type, or by how its text begins."""
    return "html" in content_type or text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))


#: ``error.code`` inside a 200 stream (an ``error`` event, ``response.failed``) -> the kind the
#: same code has as an HTTP error; other codes are ``stream_error`` / ``response_failed``.
STREAM_ERROR_CODES: dict[str, str] = {
    "rate_limit_exceeded": "rate_limit",
    "insufficient_quota": "insufficient_quota",
    "context_length_exceeded": "context_length_exceeded",
    "previous_response_not_found": "previous_response_not_found",
}
#: ``incomplete_details.reason`` -> kind.
INCOMPLETE_KINDS: dict[str, str] = {
    "max_output_tokens": "response_incomplete",
    "content_filter": "response_content_filter",
}
