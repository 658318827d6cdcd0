"""HAR 1.2 files (browser devtools, Fiddler, Charles, Playwright, Puppeteer) -> contract rows.

One row per entry. What the producers disagree on, and how it is read here:

* ``timings``: -1 (or absent) means "does not apply" -> NaN. ``ssl`` is part of ``connect``
  in the spec and in Chrome/Edge/Safari, so TCP time is ``connect - ssl``; Firefox writes the
  TCP handshake alone in ``connect`` and TLS in ``ssl`` (har-builder's ``_getConnectTiming``),
  so its ``connect`` is taken as is.
* ``ttfb_ms`` = blocked + dns + connect + send + wait (everything before the first byte).
* ``startedDateTime`` is UTC with ``Z`` in Chrome, local time with an offset in Firefox, and
  has 7 fractional digits in Fiddler: all normalised to UTC.
* A failed request has status 0 (browsers) or -1 (Playwright/Puppeteer) with the reason in
  ``response._error`` (Chrome: ``net::ERR_*``) or ``_failureText``; it becomes status null with
  the reason in ``exception``. A CORS failure keeps both a status and ``_error``: both are kept.
* Bodies: the request's JSON gives ``model`` and ``stream``; the response's JSON gives the
  model, token usage and an OpenAI-style error; ``text/event-stream`` marks a stream.

Columns beyond the contract, for the browser diagnosis (:mod:`chatkit.logs.browser`):
``user_agent``, ``cookie_bytes``, ``resource_type``, ``from_cache``, ``service_worker``,
``mime_type``; and ``idempotency_key`` when requests carry an ``Idempotency-Key`` header
(the retries of one call share it). ``attempt`` comes from ``x-stainless-retry-count``, the
header the OpenAI SDKs send with each retry.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chatkit.errors import EmptyInput, InputError
from chatkit.logs.fields import api_error, json_body, provider_of, url_parts
from chatkit.logs.schema import conform
from chatkit.redaction.harstream import iter_har
from chatkit.redaction.scrub import redact_url

if TYPE_CHECKING:
    import pandas as pd

    from chatkit.logs.readers import Skipped, Source

__all__ = ["BROWSER_COLUMNS", "entry_to_row", "read_har"]

BROWSER_COLUMNS = ("user_agent", "cookie_bytes", "resource_type", "from_cache",
                   "service_worker", "mime_type")
_BODY_LIMIT = 2_000_000  # do not parse bodies bigger than this (images, bundles)


def read_har(source: Source, columns: Sequence[str], mapping: Mapping[str, str] | None,
             skipped: Skipped) -> pd.DataFrame:
    """Read a HAR file (any producer) into contract rows plus the browser columns.

    Entries are decoded one at a time (:func:`chatkit.redaction.harstream.iter_har`): the bodies a
    browser saves make a HAR many times larger than its rows, and only the rows are kept.
    ``log.creator`` is read before the entries, where every producer writes it.
    """
    import pandas as pd

    firefox = False
    entries = -1  # -1: no log.entries array yet
    rows = []
    with source.open(progress=True) as raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
        try:
            for kind, key, value in iter_har(text, source.name):
                if kind == "member" and key == "creator" and isinstance(value, Mapping):
                    firefox = "firefox" in str(value.get("name", "")).lower()
                elif kind == "entries":
                    entries = 0
                elif kind == "entry":
                    entries += 1
                    try:
                        rows.append(entry_to_row(value, firefox=firefox))
                    except (KeyError, TypeError, ValueError, AttributeError):
                        skipped.add(f"{source.name}:entry {key + 1}")
        except (OSError, EOFError) as exc:  # a truncated .gz
            raise InputError(f"{source.name}: cannot read it ({exc}); check that the file is "
                             "complete") from None
    if entries < 0:
        raise InputError(f"{source.name}: a HAR file needs log.entries; export it again")
    if entries == 0:
        raise EmptyInput(f"{source.name} holds no requests; record the failing page with the "
                         "Network tab open, then export the HAR")
    if not rows:
        return conform(pd.DataFrame(columns=[*columns, *BROWSER_COLUMNS]), columns)
    frame = pd.DataFrame.from_records(rows)
    frame = conform(frame, columns, keep_extra=False).join(_browser_columns(frame))
    return frame


def _browser_columns(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    out = pd.DataFrame(index=frame.index)
    out["user_agent"] = frame["user_agent"].astype("category")
    out["cookie_bytes"] = pd.to_numeric(frame["cookie_bytes"]).astype("Int64")
    out["resource_type"] = frame["resource_type"].astype("category")
    out["from_cache"] = frame["from_cache"].astype("category")
    out["service_worker"] = frame["service_worker"].astype("boolean")
    out["mime_type"] = frame["mime_type"].astype("category")
    if frame["idempotency_key"].notna().any():  # ties the retries of one call together
        out["idempotency_key"] = frame["idempotency_key"].astype("string")
    return out


def _timing(timings: Mapping[str, Any], name: str) -> float | None:
    value = timings.get(name)
    if value is None or isinstance(value, bool):
        return None
    value = float(value)
    return value if value >= 0 else None


def _headers(items: Any) -> dict[str, str]:
    """HAR header list -> lower-cased dict (HTTP/2 pseudo-headers kept with their colon)."""
    out: dict[str, str] = {}
    for item in items or ():
        if isinstance(item, Mapping) and "name" in item:
            out[str(item["name"]).lower()] = str(item.get("value", ""))
    return out


def _content_text(content: Mapping[str, Any]) -> str | None:
    text = content.get("text")
    if not isinstance(text, str) or not text or len(text) > _BODY_LIMIT:
        return None
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text).decode("utf-8", errors="replace")
        except ValueError:
            return None
    return text


def _sse_json(text: str) -> dict[str, Any]:
    """Model and usage from a text/event-stream body (the last data events carry them)."""
    found: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.startswith("data:"):
            continue
        event = json_body(line[5:].strip())
        if isinstance(event, Mapping):
            if event.get("model"):
                found["model"] = event["model"]
            if isinstance(event.get("usage"), Mapping):
                found["usage"] = event["usage"]
            if isinstance(event.get("error"), Mapping):
                found["error"] = event["error"]
    return found


def entry_to_row(entry: Mapping[str, Any], *, firefox: bool = False) -> dict[str, Any]:
    """One HAR entry as a contract row (plus the browser columns)."""
    request: Mapping[str, Any] = entry["request"]
    response: Mapping[str, Any] = entry.get("response") or {}
    timings: Mapping[str, Any] = entry.get("timings") or {}
    url = str(request["url"])
    host, path = url_parts(url)
    req_headers = _headers(request.get("headers"))
    resp_headers = _headers(response.get("headers"))

    status = response.get("status")
    status = int(status) if isinstance(status, (int, float)) and int(status) > 0 else None
    failure = (response.get("_error") or response.get("_failureText")
               or entry.get("_failureText") or None)

    dns, connect, ssl = (_timing(timings, k) for k in ("dns", "connect", "ssl"))
    tcp = connect
    if connect is not None and ssl is not None and not firefox and ssl <= connect:
        tcp = connect - ssl
    before_first_byte = [_timing(timings, k) for k in ("blocked", "dns", "connect", "send",
                                                        "wait")]
    if firefox:
        before_first_byte.append(ssl)
    wait = _timing(timings, "wait")
    ttfb = sum(t for t in before_first_byte if t is not None) if wait is not None else None
    total = entry.get("time")
    if not isinstance(total, (int, float)) or total < 0:
        parts = [_timing(timings, k) for k in ("blocked", "dns", "connect", "send", "wait",
                                                "receive")]
        total = sum(t for t in parts if t is not None) if any(p is not None for p in parts) \
            else None

    post = request.get("postData") or {}
    sent = json_body(post.get("text")) if isinstance(post, Mapping) else None
    sent = sent if isinstance(sent, Mapping) else {}
    content: Mapping[str, Any] = response.get("content") or {}
    mime = str(content.get("mimeType") or resp_headers.get("content-type") or "").split(";")[0]
    text = _content_text(content)
    stream = mime == "text/event-stream" or sent.get("stream") is True or \
        "text/event-stream" in req_headers.get("accept", "")
    got: Any = (_sse_json(text) if mime == "text/event-stream" else json_body(text)) if text \
        else None
    got = got if isinstance(got, Mapping) else {}
    usage = got.get("usage") if isinstance(got.get("usage"), Mapping) else {}
    error = api_error(got) if (status or 0) >= 400 or "error" in got else {}
    if status is None and not failure:  # Firefox: status 0 and nothing else
        error = {"error_message": "the browser recorded no response (status 0): the request "
                 "was aborted, cancelled by the page, or blocked before it was sent"}

    request_bytes = request.get("bodySize")
    response_bytes = response.get("_transferSize", response.get("bodySize"))
    cookie = req_headers.get("cookie")
    return {
        "ts": entry.get("startedDateTime"), "method": request.get("method"),
        "url": redact_url(url),  # the contract's url is redacted (keys in query strings)
        "host": host, "endpoint": path, "provider": provider_of(host),
        "model": sent.get("model") or got.get("model"), "stream": stream,
        # the OpenAI SDKs say which retry a request is; a client's key ties a call's retries
        "attempt": _retry_count(req_headers.get("x-stainless-retry-count")),
        "idempotency_key": req_headers.get("idempotency-key"),
        "status": status, **error, "exception": failure,
        "latency_ms": total, "ttfb_ms": ttfb, "dns_ms": dns, "connect_ms": tcp,
        "tls_ms": ssl,
        "request_bytes": request_bytes if isinstance(request_bytes, int) and
        request_bytes >= 0 else None,
        "response_bytes": response_bytes if isinstance(response_bytes, int) and
        response_bytes >= 0 else None,
        "prompt_tokens": usage.get("prompt_tokens", usage.get("input_tokens")),
        "completion_tokens": usage.get("completion_tokens", usage.get("output_tokens")),
        "request_id": resp_headers.get("x-request-id") or resp_headers.get("request-id"),
        # browser columns
        "user_agent": req_headers.get("user-agent"),
        # a redacted HAR keeps its cookies' size as it was (chatkit redact writes _cookieBytes)
        "cookie_bytes": request["_cookieBytes"] if isinstance(request.get("_cookieBytes"), int)
        else len(cookie.encode("utf-8")) if cookie is not None else
        _cookie_list_bytes(request.get("cookies")),
        "resource_type": entry.get("_resourceType") or _resource_type(req_headers, mime),
        "from_cache": entry.get("_fromCache") or _cache_hit(entry),
        "service_worker": bool(response.get("_fetchedViaServiceWorker")),
        "mime_type": mime or None,
    }


def _retry_count(value: str | None) -> int | None:
    try:
        count = int(str(value))
    except ValueError:
        return None
    return count if count >= 0 else None


def _cookie_list_bytes(cookies: Any) -> int | None:
    if not cookies:
        return None
    return sum(len(str(c.get("name", ""))) + len(str(c.get("value", ""))) + 3
               for c in cookies if isinstance(c, Mapping))


def _resource_type(headers: Mapping[str, str], mime: str) -> str | None:
    if headers.get("upgrade", "").lower() == "websocket":
        return "websocket"
    if mime == "text/event-stream" or "text/event-stream" in headers.get("accept", ""):
        return "eventsource"
    return None


def _cache_hit(entry: Mapping[str, Any]) -> str | None:
    cache = entry.get("cache") or {}
    return "cache" if isinstance(cache, Mapping) and cache.get("beforeRequest") else None
