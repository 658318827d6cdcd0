"""The fault catalogue: every failure the simulator can stage, one row each.

A fault is chosen per server (``SimServer(fault=...)``, ``POST /_sim/fault``), per request
(header ``x-chatkit-fault: NAME``) or per base URL (``http://127.0.0.1:PORT/fault/NAME/v1``),
so an unmodified OpenAI client can be pointed at a failing API. ``NAME:ARG`` passes a
parameter (``slow:1500`` waits 1.5 s, ``flaky:0.3`` fails 30 % of requests).

Each row says what the client sees. Rows of kind ``answer`` carry a factory that builds the
response; the other kinds are behaviours the server carries out (wait, hang, reset the
connection, break a stream). Faults apply to ``/v1`` only: the status page and the control
API stay healthy, as they would on the real internet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from chatkit.errors import UsageError
from chatkit.sim.payloads import API_ERROR_MESSAGES as MSG
from chatkit.sim.payloads import error_body, mask_key

__all__ = ["FAULTS", "FAULT_TABLE", "ORGANIZATION", "Fault", "FaultContext", "Reply", "parse_fault"]

#: The organization the simulator claims to be (``openai-organization``, 429 messages).
ORGANIZATION = "org-chatkitsim"

Kind = Literal[
    "answer",        # a fixed reply built by the row's factory
    "delay",         # wait ARG ms, then answer normally
    "hang",          # read the request, never answer (until the server stops or ARG ms)
    "reset",         # read the request, then drop the connection with a TCP RST
    "stream_cut",    # start the answer, then close the connection mid-body
    "stream_error",  # a 200 stream that carries an error event mid-way
    "flaky",         # a seeded share ARG of requests get a 429, 500 or 503; others succeed
    "failed",        # the model run fails mid-stream: response.failed (chat: an error event)
    "incomplete",    # the answer stops early for reason ARG (max_output_tokens|content_filter)
]


@dataclass(frozen=True, slots=True)
class FaultContext:
    """What a fault's factory may use to shape its reply."""

    arg: str | None
    model: str
    key: str | None
    #: The key's current ``x-ratelimit-*`` headers (from the real token bucket).
    ratelimit: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete HTTP answer: status, body, content type and extra headers."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Whether the API's own headers (x-request-id, openai-*) go with it. A CDN or captive
    #: portal answers before the request reaches the API, so its pages carry none.
    from_api: bool = True


@dataclass(frozen=True, slots=True)
class Fault:
    """One row of the catalogue."""

    name: str
    kind: Kind
    description: str
    reply: Callable[[FaultContext], Reply] | None = None
    default_arg: str | None = None


# --- factories for the `answer` rows ---------------------------------------------------------


def _json(status: int, message: str, type: str | None, code: str | None = None,
          param: str | None = None, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(status, error_body(message, type, param=param, code=code), headers=headers or {})


def _invalid_key(ctx: FaultContext) -> Reply:
    masked = mask_key(ctx.key or "sk-sim-unknown-key")
    return _json(401, MSG["invalid_api_key"].format(masked=masked), "invalid_request_error",
                 "invalid_api_key")


def _region(ctx: FaultContext) -> Reply:
    return _json(403, MSG["region"], "request_forbidden", "unsupported_country_region_territory")


def _model(ctx: FaultContext) -> Reply:
    return _json(404, MSG["model_not_found"].format(model=ctx.model), "invalid_request_error",
                 "model_not_found")


def _context_length(ctx: FaultContext) -> Reply:
    message = (
        "This model's maximum context length is 128000 tokens. However, your messages resulted "
        "in 131072 tokens. Please reduce the length of the messages."
    )
    return _json(400, message, "invalid_request_error", "context_length_exceeded", "messages")


def _content_type(ctx: FaultContext) -> Reply:
    ctype = ctx.arg or "text/plain"
    return _json(400, MSG["content_type"].format(ctype=ctype), "invalid_request_error",
                 "unsupported_content_type")


def _rate_limit(ctx: FaultContext) -> Reply:
    what = "tokens" if ctx.arg == "tokens" else "requests"
    limit_header = f"x-ratelimit-limit-{what}"
    limit = int(ctx.ratelimit.get(limit_header, "60000"))
    requested, wait_s = (1, 1.0) if what == "requests" else (385, 0.644)
    message = MSG["rate_limit"].format(
        model=ctx.model, org=ORGANIZATION, what=what, abbr="RPM" if what == "requests" else "TPM",
        limit=limit, used=limit, requested=requested,
        wait=f"{round(wait_s * 1000)}ms" if wait_s < 1 else f"{wait_s:g}s",
    )
    headers = {
        **ctx.ratelimit,
        f"x-ratelimit-remaining-{what}": "0",
        "retry-after": str(math.ceil(wait_s)),
        "retry-after-ms": str(round(wait_s * 1000)),
    }
    return _json(429, message, what, "rate_limit_exceeded", headers=headers)


def _quota(ctx: FaultContext) -> Reply:
    return _json(429, MSG["insufficient_quota"], "insufficient_quota", "insufficient_quota",
                 headers=dict(ctx.ratelimit))


def _server_error(ctx: FaultContext) -> Reply:
    return _json(500, MSG["server_error"], "server_error")


def _overloaded(ctx: FaultContext) -> Reply:
    return _json(503, MSG["overloaded"], "service_unavailable_error", "server_is_overloaded")


def _cdn_page(status: int, reason: str) -> Callable[[FaultContext], Reply]:
    # The plain page Cloudflare serves when the origin fails: HTML, no JSON, no x-request-id.
    page = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()

    def reply(ctx: FaultContext) -> Reply:
        headers = {"server": "cloudflare", "cf-ray": "8f2c0a1b3d4e5f60-AMS"}
        return Reply(status, page, "text/html", headers, from_api=False)

    return reply


def _malformed_json(ctx: FaultContext) -> Reply:
    # A completion cut short mid-object, labelled as JSON (a proxy that truncates bodies).
    body = b'{"id":"chatcmpl-sim","object":"chat.completion","created":1715367049,"choices":[{"ind'
    return Reply(200, body)


_PORTAL = b"""<!DOCTYPE html>
<html><head><title>Welcome - Guest Wi-Fi</title></head>
<body><h1>Guest Wi-Fi</h1><p>Please accept the terms of use to access the internet.</p>
<form method="post" action="/login"><input type="checkbox" name="accept"> I accept
<button type="submit">Connect</button></form></body></html>
"""


def _captive_portal(ctx: FaultContext) -> Reply:
    return Reply(200, _PORTAL, "text/html; charset=utf-8", from_api=False)


# --- the catalogue -------------------------------------------------------------------------

_ROWS = (
    Fault("slow", "delay", "answers normally after ARG ms (default 2000)", default_arg="2000"),
    Fault("401_invalid_key", "answer",
          "401 invalid_api_key: 'Incorrect API key provided: sk-abc***...'", _invalid_key),
    Fault("403_region", "answer",
          "403 unsupported_country_region_territory: 'Country, region, or territory not supported'",
          _region),
    Fault("404_model", "answer", "404 model_not_found: 'The model `x` does not exist ...'", _model),
    Fault("400_bad_request", "answer", "400 context_length_exceeded (param messages)",
          _context_length),
    Fault("400_content_type", "answer",
          "400 unsupported_content_type, as the real API answers a non-JSON Content-Type",
          _content_type),
    Fault("415_content_type", "answer",
          "alias of 400_content_type (the real API answers 400, not 415)", _content_type),
    Fault("429_rate_limit", "answer",
          "429 rate_limit_exceeded, type ARG requests|tokens, with retry-after(-ms)", _rate_limit,
          default_arg="requests"),
    Fault("429_insufficient_quota", "answer",
          "429 insufficient_quota: 'You exceeded your current quota ...' (never retry)", _quota),
    Fault("500", "answer", "500 server_error: 'The server had an error ...'", _server_error),
    Fault("502_html", "answer", "502 Bad Gateway as a Cloudflare HTML page, no JSON",
          _cdn_page(502, "Bad Gateway")),
    Fault("503_overloaded", "answer",
          "503 server_is_overloaded: 'The server is overloaded or not ready yet.'", _overloaded),
    Fault("504_gateway_timeout", "answer", "504 Gateway Time-out as a Cloudflare HTML page",
          _cdn_page(504, "Gateway Time-out")),
    Fault("timeout", "hang", "reads the request and never answers (until stop, or ARG ms)"),
    Fault("reset", "reset", "reads the request, then resets the connection (TCP RST)"),
    Fault("stream_cut", "stream_cut",
          "closes the connection mid-body: no finish_reason, no [DONE], incomplete chunked read"),
    Fault("stream_error", "stream_error",
          "200 stream with data: {\"error\": ...} mid-way (non-stream requests get a 500)"),
    Fault("malformed_json", "answer", "200 application/json whose body is cut-off JSON",
          _malformed_json),
    Fault("captive_portal", "answer", "200 text/html Wi-Fi login page instead of JSON",
          _captive_portal),
    Fault("flaky", "flaky", "a seeded share ARG (default 0.3) of requests get 429/500/503",
          default_arg="0.3"),
    Fault("response_failed", "failed",
          "a stream ending in response.failed (server_error) mid-way; chat streams get an error "
          "event, plain requests a 500"),
    Fault("incomplete", "incomplete",
          "the answer stops half-way: response.incomplete with reason ARG max_output_tokens|"
          "content_filter (chat: finish_reason length|content_filter)",
          default_arg="max_output_tokens"),
)

#: name -> row, the whole catalogue.
FAULT_TABLE: Mapping[str, Fault] = MappingProxyType({row.name: row for row in _ROWS})

#: name -> one-line description; what ``chatkit sim --help`` and notebooks list.
FAULTS: Mapping[str, str] = MappingProxyType({row.name: row.description for row in _ROWS})

#: What a flaky request fails with, drawn uniformly.
FLAKY_CHOICES = ("429_rate_limit", "500", "503_overloaded")


def parse_fault(spec: str) -> tuple[Fault, str | None]:
    """Split ``"NAME:ARG"`` into the catalogue row and its argument (or the row's default).

    Raises :class:`~chatkit.errors.UsageError` for a name that is not in the catalogue.
    """
    name, _, arg = spec.strip().partition(":")
    fault = FAULT_TABLE.get(name)
    if fault is None:
        raise UsageError(
            f"unknown fault {name!r}; choose one of: {', '.join(FAULT_TABLE)}"
        )
    value = arg or fault.default_arg
    if value is not None and fault.kind in ("delay", "hang", "flaky"):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        upper = 1.0 if fault.kind == "flaky" else math.inf
        if not 0 <= number <= upper:
            what = "a rate between 0 and 1" if fault.kind == "flaky" else "milliseconds >= 0"
            raise UsageError(f"fault {name!r} takes {what}, not {value!r}; e.g. {name}:"
                             f"{fault.default_arg or '1000'}")
    if fault.kind == "incomplete" and value not in ("max_output_tokens", "content_filter"):
        raise UsageError(f"fault 'incomplete' takes 'max_output_tokens' or 'content_filter', "
                         f"not {value!r}")
    if fault.name == "429_rate_limit" and value not in ("requests", "tokens"):
        raise UsageError(f"fault '429_rate_limit' takes 'requests' or 'tokens', not {value!r}")
    return fault, value
