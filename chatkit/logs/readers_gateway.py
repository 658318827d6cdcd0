"""Exports of LLM gateways and observability tools, mapped to the request-log contract.

Each gateway is one :class:`Gateway`: how to recognise one of its records, and how to turn it
into a contract row. Field names and units are the tools' own (see
shared/research/anchors-logs.md §4); the traps are the units: LiteLLM times are epoch
*seconds*, Langfuse latency and time to first token are *seconds*, Helicone and Portkey give
*milliseconds*, Portkey's cost is in cents (chatkit keeps no cost column).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chatkit.logs.fields import api_error, epoch_to_iso, json_body, ms, provider_of, url_parts

__all__ = ["GATEWAYS", "Gateway", "gateway_of"]

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Gateway:
    """One tool's export: a test for its records and the mapping of one record to a row."""

    name: str
    matches: Callable[[Mapping[str, Any]], bool]
    to_row: Callable[[Mapping[str, Any]], Row | None]  # None: a record that is no request


def gateway_of(record: Mapping[str, Any]) -> str | None:
    """The name of the gateway whose export ``record`` comes from, or None."""
    for gateway in GATEWAYS.values():
        if gateway.matches(record):
            return gateway.name
    return None


def _status(value: Any) -> int | None:
    try:
        status = int(str(value))
    except (TypeError, ValueError):
        return None
    return status if 100 <= status <= 599 else None


def _seconds_between(start: Any, end: Any) -> float | None:
    """Milliseconds between two epoch-seconds floats or two ISO strings."""
    if start is None or end is None:
        return None
    try:
        return ms(float(end) - float(start), unit="s")
    except (TypeError, ValueError):
        pass
    from datetime import datetime

    try:
        a = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        b = datetime.fromisoformat(str(end).replace("Z", "+00:00"))
        return ms((b - a).total_seconds(), unit="s")
    except (ValueError, TypeError):  # not a time, or one with a zone and one without
        return None


# --- LiteLLM: StandardLoggingPayload (callbacks) and LiteLLM_SpendLogs (DB / UI export) -------

_LITELLM_ENDPOINTS = {
    "completion": "/chat/completions", "acompletion": "/chat/completions",
    "text_completion": "/completions", "atext_completion": "/completions",
    "embedding": "/embeddings", "aembedding": "/embeddings",
    "responses": "/responses", "aresponses": "/responses",
    "image_generation": "/images/generations", "aimage_generation": "/images/generations",
}


def _litellm_matches(r: Mapping[str, Any]) -> bool:
    return "call_type" in r and "startTime" in r and "endTime" in r


def _litellm_row(r: Mapping[str, Any]) -> Row:
    api_base = r.get("api_base") or None
    host, base_path = url_parts(api_base)
    call = str(r.get("call_type") or "")
    endpoint = (base_path or "").rstrip("/") + _LITELLM_ENDPOINTS.get(call, "/" + call) \
        if call else base_path
    # a SpendLogs row keeps status and error_information in metadata, a JSON string there
    metadata = json_body(r.get("metadata")) or {}
    metadata = metadata if isinstance(metadata, Mapping) else {}
    info = r.get("error_information") or metadata.get("error_information") or {}
    outcome = r.get("status") or metadata.get("status")
    failed = outcome == "failure" or bool(info.get("error_code") or info.get("error_class"))
    status = _status(info.get("error_code")) if failed else 200
    params = r.get("model_parameters") or {}
    stream = r.get("stream", params.get("stream") if isinstance(params, Mapping) else None)
    latency = ms(r.get("request_duration_ms")) or _seconds_between(r.get("startTime"),
                                                                   r.get("endTime"))
    # completionStartTime is when the first token came, for every call (LiteLLM's own UI takes
    # the time to first token from it; without streaming it is the end of the call). A
    # SpendLogs row does not say whether the call streamed: only stream=false rules it out.
    first = r.get("completionStartTime")
    ttft = _seconds_between(r.get("startTime"), first) if first and stream is not False \
        else None
    provider = (r.get("custom_llm_provider") or info.get("llm_provider")
                or (r.get("hidden_params") or {}).get("custom_llm_provider") or provider_of(host))
    return {
        "ts": epoch_to_iso(r.get("startTime")), "method": "POST", "url": api_base,
        "host": host, "endpoint": endpoint, "provider": provider, "model": r.get("model"),
        "stream": stream, "status": status,
        "error_type": info.get("error_class") if failed else None,
        "error_message": (r.get("error_str") or None) if failed else None,
        "exception": info.get("error_class") if failed and status is None else None,
        "latency_ms": latency, "ttft_ms": ttft,
        "prompt_tokens": r.get("prompt_tokens"), "completion_tokens": r.get("completion_tokens"),
        "request_id": r.get("request_id") or r.get("id"),
    }


# --- Langfuse: observations (blob-storage export: snake_case; UI/API export: camelCase) ---------

def _langfuse_matches(r: Mapping[str, Any]) -> bool:
    snake = "trace_id" in r and "start_time" in r and ("type" in r or "level" in r)
    camel = "traceId" in r and "startTime" in r and ("type" in r or "level" in r)
    return snake or camel


def _langfuse_row(r: Mapping[str, Any]) -> Row | None:
    """A GENERATION observation as a row; None for spans and events (not model calls)."""
    if str(r.get("type") or "GENERATION").upper() != "GENERATION":
        return None
    get = lambda snake, camel: r.get(snake, r.get(camel))  # noqa: E731
    usage = get("usage_details", "usageDetails") or r.get("usage") or {}
    latency = ms(r.get("latency"), unit="s")  # seconds in every Langfuse export
    if latency is None:
        latency = _seconds_between(get("start_time", "startTime"), get("end_time", "endTime"))
    ttft = ms(get("time_to_first_token", "timeToFirstToken"), unit="s")
    if ttft is None and get("completion_start_time", "completionStartTime"):
        ttft = _seconds_between(get("start_time", "startTime"),
                                get("completion_start_time", "completionStartTime"))
    failed = str(r.get("level") or "").upper() == "ERROR"
    return {
        "ts": get("start_time", "startTime"),
        "model": get("provided_model_name", "providedModelName") or r.get("model"),
        # Langfuse keeps no HTTP status: a finished observation counts as answered, an ERROR
        # level one as failed without a known status.
        "status": None if failed else 200, "error_type": "error" if failed else None,
        "error_message": get("status_message", "statusMessage") if failed else None,
        "latency_ms": latency, "ttft_ms": ttft,
        "prompt_tokens": usage.get("input", usage.get("promptTokens")),
        "completion_tokens": usage.get("output", usage.get("completionTokens")),
        "request_id": r.get("id"),
    }


# --- Helicone: request rows (npx @helicone/export, /v1/request/query-clickhouse) -------------

def _helicone_matches(r: Mapping[str, Any]) -> bool:
    return "request_created_at" in r and ("response_status" in r or "delay_ms" in r)


def _helicone_row(r: Mapping[str, Any]) -> Row:
    url = r.get("target_url") or None
    host, path = url_parts(url)
    body = json_body(r.get("response_body"))
    status = _status(r.get("response_status"))
    # delay_ms and time_to_first_token are 0 when Helicone did not measure them
    latency = ms(r.get("delay_ms")) or _seconds_between(r.get("request_created_at"),
                                                        r.get("response_created_at"))
    provider = r.get("provider")
    return {
        "ts": r.get("request_created_at"), "url": url, "host": host,
        "endpoint": r.get("request_path") or path,
        "provider": provider.lower() if isinstance(provider, str) else provider_of(host),
        "model": r.get("model") or r.get("request_model") or r.get("response_model"),
        "status": status, **(api_error(body) if status and status >= 400 else {}),
        "latency_ms": latency, "ttft_ms": ms(r.get("time_to_first_token")) or None,
        "prompt_tokens": r.get("prompt_tokens"), "completion_tokens": r.get("completion_tokens"),
        "request_id": r.get("request_id"),
    }


# --- Portkey: logs export (JSONL; response_time in ms, cost in cents) --------------------------

def _portkey_matches(r: Mapping[str, Any]) -> bool:
    return "response_status_code" in r and ("ai_model" in r or "response_time" in r)


def _portkey_row(r: Mapping[str, Any]) -> Row:
    url = r.get("request_url") or None
    host, path = url_parts(url)
    status = _status(r.get("response_status_code"))
    body = r.get("response.body", (r.get("response") or {}).get("body")
                 if isinstance(r.get("response"), Mapping) else None)
    return {
        "ts": r.get("created_at"), "method": r.get("request_method"), "url": url, "host": host,
        "endpoint": path, "provider": r.get("ai_org") or provider_of(host),
        "model": r.get("ai_model"),
        "stream": r.get("stream_mode"), "status": status,
        **(api_error(json_body(body)) if status and status >= 400 else {}),
        "latency_ms": ms(r.get("response_time")),
        "prompt_tokens": r.get("req_units"), "completion_tokens": r.get("res_units"),
        "request_id": r.get("trace_id") or r.get("id"),
    }


#: name -> gateway, tried in this order.
GATEWAYS: dict[str, Gateway] = {
    g.name: g for g in (
        Gateway("litellm", _litellm_matches, _litellm_row),
        Gateway("langfuse", _langfuse_matches, _langfuse_row),
        Gateway("helicone", _helicone_matches, _helicone_row),
        Gateway("portkey", _portkey_matches, _portkey_row),
    )
}
