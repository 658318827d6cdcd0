"""Provider dialects: reading error bodies that are not shaped like OpenAI's.

OpenAI answers ``{"error": {"message", "type", "param", "code"}}``; the providers people reach
with an OpenAI client mostly do, but not all, and not always:

* Gemini's OpenAI-compatible endpoint wraps the error in a list, says ``status``
  (``RESOURCE_EXHAUSTED``) instead of ``type``, and puts the reason in ``details[]``
  (``ErrorInfo.reason``, ``QuotaFailure.violations[].quotaId``, ``RetryInfo.retryDelay``);
  clients that re-wrap it leave Google's JSON as a string in ``error.message``;
* Anthropic answers ``{"type": "error", "error": {...}, "request_id"}``;
* vLLM and Mistral put the fields at the top with ``"object": "error"``; xAI may answer a
  bare JSON string, or ``{"code", "error": "<URL-encoded message>"}``; Ollama ``{"error": str}``;
  Fireworks ``{"error": "Too Many Requests", "message"}``, and once an Apigee ``{"fault"}``;
* gateways pass an upstream's error along: OpenRouter in ``error.metadata.raw`` with
  ``provider_name``, a LiteLLM proxy inside its message (``litellm.RateLimitError:
  AzureException - ...``);
* Azure names the content filter's verdict in ``innererror.content_filter_result``.

:func:`read_error` turns any of these into OpenAI's field names plus what else the body said;
:func:`refine` lets that extra knowledge correct the kind the HTTP rules chose.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from chatkit.providers import PROVIDERS, detect_provider, key_owner
from chatkit.redaction.scrub import redact_text

__all__ = [
    "asked_wait_s",
    "echoed_key_owner",
    "error_fields",
    "error_status",
    "human_wait",
    "model_named",
    "read_error",
    "refine",
    "row_provider",
    "said_wait_s",
    "short_text",
]

_GOOGLE = "type.googleapis.com/google.rpc."
_LITELLM = re.compile(
    r"^litellm\.\w+:(?: litellm\.\w+:)* (?:\w+Error: )?(\w+?)Exception(?: \w+Error)? - (.*)$",
    re.DOTALL)
_WAIT = re.compile(
    r"(?:try again|retry) (?:in|after) (?:(\d+)h)?(?:(\d+)m(?!s))?(\d+(?:\.\d+)?)?\s*"
    r"(ms|milliseconds?|s|sec|seconds?)?\b", re.IGNORECASE)
_MODEL = re.compile(r"[Mm]odel [`'\"]([^`'\"]+)[`'\"]|(?:No endpoints found for|non-serverless "
                    r"model|dedicated endpoint for) (\S+?)\.?(?:\s|$)")
#: Kinds too generic to keep when a gateway says the error was an upstream provider's.
_UPSTREAM = {"rate_limit": "upstream_rate_limited", "server_error": "upstream_error",
             "service_unavailable": "upstream_error", "bad_gateway": "upstream_error",
             "server_overloaded": "upstream_error", "invalid_request": "upstream_rejected",
             "client_error": "upstream_rejected"}


def read_error(data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(error, found)`` of a decoded body: the error in OpenAI's names (``type``, ``code``,
    ``message``, ``param``) and what else it said (``upstream``, ``quota_ids``, ...)."""
    found: dict[str, Any] = {}
    if isinstance(data, list) and data and isinstance(data[0], Mapping):
        data = data[0]  # Gemini: [{"error": {...}}]
        found["body_shape"] = "list"
    if isinstance(data, str):
        return {"message": data}, {"body_shape": "string"}
    if not isinstance(data, Mapping):
        return {}, found
    if data.get("type") == "error" and isinstance(data.get("error"), Mapping):
        found["body_shape"] = "anthropic"
        if data.get("request_id"):
            found["request_id"] = data["request_id"]
    raw = data.get("error", data)
    if data.get("object") == "error" or raw is None:
        raw = data  # vLLM, Mistral: the fields at the top
    if isinstance(data.get("fault"), Mapping):  # an Apigee gateway: {"fault": {"faultstring"}}
        fault = data["fault"]
        detail = fault.get("detail")
        raw = {"message": fault.get("faultstring"),
               "code": detail.get("errorcode") if isinstance(detail, Mapping) else None}
    if isinstance(raw, str):  # {"error": "Too Many Requests", "message": "..."} or xAI's
        message = data.get("message")
        raw = ({"type": raw, "message": message} if isinstance(message, str)
               else {"message": raw, "code": data.get("code")})
    if not isinstance(raw, Mapping):
        return {}, found
    error = {k: raw.get(k) for k in ("type", "code", "message", "param")}
    message = error.get("message")
    if isinstance(message, str):
        if "%20" in message:
            message = error["message"] = unquote(message)  # xAI's URL-encoded message
        nested = _json_in(message)
        if nested is not None:  # Google's JSON re-wrapped as a string by a client
            inner, more = read_error(nested)
            error.update({k: v for k, v in inner.items() if v is not None})
            found.update(more)
            found.setdefault("body_shape", "nested")
    _google(raw, error, found)
    _openrouter(raw, found)
    _litellm(error, found)
    _content_filter(raw, found)
    return error, found


def refine(kind: str, status: int, found: dict[str, Any]) -> str:
    """The kind the HTTP rules chose, corrected by what the dialect revealed."""
    quotas = " ".join(found.get("quota_ids") or ())
    if "PerDay" in quotas and kind in ("rate_limit", "insufficient_quota"):
        return "daily_quota_exhausted"
    if "PerMinute" in quotas and kind == "insufficient_quota":
        return "rate_limit"  # Google says "exceeded your current quota" for a per-minute limit
    if kind == "rate_limit" and (found.get("wait_s") or 0) >= 3600:
        return "daily_quota_exhausted"  # "retry after 86400 seconds": a quota, not a blip
    if found.get("filtered") and kind in ("invalid_request", "client_error"):
        return "content_filtered"
    if found.get("upstream") and kind in _UPSTREAM:
        return _UPSTREAM[kind]
    return kind


def said_wait_s(message: object) -> float | None:
    """Seconds an error message asks to wait ("try again in 1m2.5s", "retry after 86400
    seconds", "Please retry in 19.4s"), else None."""
    match = _WAIT.search(str(message or ""))
    if not match or not any(match.group(i) for i in (1, 2, 3)):
        return None
    hours, minutes, number, unit = match.groups()
    seconds = float(number or 0) / (1000 if unit and unit.lower().startswith("m") else 1)
    return round(int(hours or 0) * 3600 + int(minutes or 0) * 60 + seconds, 3)


def error_status(status: int, data: Any) -> int:
    """The status a body claims when a server wraps an error in a 200 (``"object": "error"``
    with its own ``code``, as vLLM behind some hosts does), else ``status``."""
    if 200 <= status < 300 and isinstance(data, Mapping) and data.get("object") == "error":
        code = data.get("code")
        if isinstance(code, int) and 400 <= code < 600:
            return code
    return status


def asked_wait_s(retry_after: float | None, error: Mapping[str, Any],
                 said: Mapping[str, Any]) -> float | None:
    """Seconds the answer asks to wait: its Retry-After (when finite: openai-python ignores
    ``inf`` and ``nan``), Google's RetryInfo, or its words."""
    if retry_after is not None and math.isfinite(retry_after):
        return retry_after
    return (said.get("retry_delay_s") or said_wait_s(error.get("message"))
            or said_wait_s(said.get("upstream_message")))


def echoed_key_owner(message: object) -> str | None:
    """The provider whose key an "Incorrect API key provided: sk-or-v1****" message echoes."""
    shown = re.search(r"provided: (\S+)", str(message or ""))
    return key_owner(shown.group(1).split("*")[0]) if shown else None


def row_provider(row: Mapping[str, Any]) -> dict[str, Any]:
    """The provider a request-log row names (or its URL points at), when chatkit knows it."""
    named = row.get("provider")
    provider = named if named in PROVIDERS else detect_provider(row.get("url") or row.get("host"))
    return {"provider": provider} if provider else {}


def model_named(text: str) -> str | None:
    """The model an error message names: `x`, "x", 'x', or OpenRouter's and Together's words
    ("No endpoints found for x.", "non-serverless model x.")."""
    named = _MODEL.search(text)
    return (named.group(1) or named.group(2)) if named else None


def human_wait(seconds: float) -> str:
    """644ms, 1.985s, 9.63m, 24h: a wait as a person reads it."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    if seconds < 120:
        return f"{seconds:g}s"
    return f"{seconds / 60:.3g}m" if seconds < 7200 else f"{seconds / 3600:.3g}h"


def short_text(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters, with anything key-shaped removed: messages go
    into reports, and some gateways echo the key they refused in full."""
    text = redact_text(text) if text else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_fields(error: Mapping[str, Any]) -> dict[str, Any]:
    """An error in OpenAI's names as a Finding's evidence names it (the message shortened)."""
    return {"error_type": error.get("type"), "error_code": error.get("code"),
            "param": error.get("param"), "message": short_text(str(error.get("message") or ""))}


# --- the dialects -------------------------------------------------------------------------


def _json_in(text: str) -> Any:
    start = text.lstrip()[:1]
    if start not in ("{", "["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, (dict, list)) else None


def _google(raw: Mapping[str, Any], error: dict[str, Any], found: dict[str, Any]) -> None:
    status, details = raw.get("status"), raw.get("details")
    if isinstance(status, str) and status.isupper() and not error.get("type"):
        error["type"] = status  # RESOURCE_EXHAUSTED, INVALID_ARGUMENT, UNAVAILABLE
    for detail in details if isinstance(details, list) else ():
        if not isinstance(detail, Mapping):
            continue
        what = str(detail.get("@type", "")).removeprefix(_GOOGLE)
        if what == "ErrorInfo" and detail.get("reason"):
            found["google_reason"] = error["code"] = detail["reason"]  # API_KEY_INVALID
        elif what == "QuotaFailure":
            found["quota_ids"] = [v.get("quotaId") for v in detail.get("violations") or ()
                                  if isinstance(v, Mapping) and v.get("quotaId")]
        elif what == "RetryInfo":
            delay = str(detail.get("retryDelay") or "").rstrip("s")
            try:
                found["retry_delay_s"] = float(delay)
            except ValueError:
                pass
    for item in raw.get("errors") or ():  # Vertex's older list of reasons
        if isinstance(item, Mapping) and item.get("reason") and not error.get("code"):
            error["code"] = item["reason"]  # rateLimitExceeded


def _openrouter(raw: Mapping[str, Any], found: dict[str, Any]) -> None:
    meta = raw.get("metadata")
    if not isinstance(meta, Mapping):
        return
    if meta.get("provider_name"):
        found["upstream"] = meta["provider_name"]
        found["gateway"] = "OpenRouter"
    upstream = meta.get("raw")
    if isinstance(upstream, str):
        inner = _json_in(upstream)
        if inner is not None:
            upstream = read_error(inner)[0].get("message") or upstream
    elif isinstance(upstream, Mapping):
        upstream = read_error(upstream)[0].get("message") or json.dumps(upstream)
    if upstream:
        found["upstream_message"] = str(upstream)


def _litellm(error: dict[str, Any], found: dict[str, Any]) -> None:
    match = _LITELLM.match(str(error.get("message") or ""))
    if not match:
        return
    found["gateway"] = "LiteLLM"
    found["upstream"] = match.group(1)  # Azure, Perplexity, Deepseek, OpenAI, ...
    inner = re.split(r"\s*Received Model Group=", match.group(2))[0].strip()
    body = re.search(r"Error code: \d+ - (\{.*\})\s*$", inner, re.DOTALL)
    if body:  # the upstream's own body, as Python printed it
        try:
            inner = read_error(ast.literal_eval(body.group(1)))[0].get("message") or inner
        except (ValueError, SyntaxError):
            pass
    found["upstream_message"] = inner


def _content_filter(raw: Mapping[str, Any], found: dict[str, Any]) -> None:
    inner = raw.get("innererror")
    if not isinstance(inner, Mapping):
        extra = raw.get("provider_specific_fields")  # LiteLLM passes Azure's along here
        inner = extra.get("innererror") if isinstance(extra, Mapping) else None
    result = inner.get("content_filter_result") if isinstance(inner, Mapping) else None
    if isinstance(result, Mapping):
        found["filtered"] = [
            f"{name} ({verdict.get('severity') or 'detected'})" for name, verdict in result.items()
            if isinstance(verdict, Mapping) and verdict.get("filtered")]
    elif raw.get("code") == "content_filter":
        found["filtered"] = ["(the categories were not named)"]
