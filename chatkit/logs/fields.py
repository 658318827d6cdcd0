"""Small helpers that turn raw fields of foreign logs into contract values.

Shared by the HAR, OpenTelemetry, gateway and text readers so each of them says only how its
format is laid out, not how to split a URL or read an OpenAI error body.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

__all__ = ["api_error", "epoch_to_iso", "json_body", "ms", "provider_of", "url_parts"]

# host suffix -> provider name, for logs that do not say which provider answered
_PROVIDERS = (
    ("openai.azure.com", "azure"),
    ("api.openai.com", "openai"),
    ("chatgpt.com", "chatgpt"),
    ("chat.openai.com", "chatgpt"),
    ("openai.com", "openai"),
    ("anthropic.com", "anthropic"),
    ("openrouter.ai", "openrouter"),
    ("googleapis.com", "google"),
)


def url_parts(url: str | None) -> tuple[str | None, str | None]:
    """(host, path) of a URL; (None, None) when it has none."""
    if not url:
        return None, None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None, None
    return parts.hostname, parts.path or "/"


def provider_of(host: str | None) -> str | None:
    """The provider a well-known API host belongs to, or None."""
    if not host:
        return None
    host = host.lower()
    for suffix, name in _PROVIDERS:
        if host == suffix or host.endswith("." + suffix):
            return name
    return None


def epoch_to_iso(value: Any) -> str | None:
    """An epoch time (seconds, or ms/µs/ns when the number is that large) as ISO-8601 UTC."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value  # already a date string; conform() parses it
    seconds = float(value)
    if not math.isfinite(seconds):
        return None
    while abs(seconds) > 1e11:  # ms, µs or ns since the epoch
        seconds /= 1000.0
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()


def ms(value: Any, *, unit: str = "ms") -> float | None:
    """A duration in milliseconds from a number in ``unit`` (``s``, ``ms``, ``us``, ``ns``)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return round(number * {"s": 1000.0, "ms": 1.0, "us": 1e-3, "ns": 1e-6}[unit], 3)


def json_body(text: Any) -> Any:
    """A body parsed as JSON when it is JSON, else None (never raises)."""
    if isinstance(text, (dict, list)):
        return text
    if not isinstance(text, str) or text.strip()[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def api_error(body: Any) -> dict[str, Any]:
    """error_type / error_code / error_message from an OpenAI-style error body, if any."""
    if not isinstance(body, Mapping):
        return {}
    error = body.get("error")
    if isinstance(error, Mapping):
        code = error.get("code")
        return {"error_type": error.get("type"), "error_code": None if code is None else str(code),
                "error_message": _short(error.get("message"))}
    if isinstance(error, str):
        return {"error_message": _short(error)}
    detail = body.get("detail")  # the ChatGPT web app's backend answers {"detail": ...}
    if isinstance(detail, str):
        return {"error_message": _short(detail)}
    if isinstance(detail, Mapping):
        return {"error_code": detail.get("code"), "error_message": _short(detail.get("message"))}
    return {}


def _short(text: Any, limit: int = 300) -> str | None:
    if text is None:
        return None
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
