"""A request-log row's JSON text, made from its values without a dict or an encoder.

The recorder writes one line per HTTP attempt, so the text is made the cheapest way that
gives exactly the row encoder's (:func:`chatkit.client.requestlog.encode_row`) output: each
value is written inline by the types it can hold, the head of the line (method to attempt
number, the same on most lines) is kept by its values, and the usual all-null runs are
constants. The times in milliseconds are the one difference: written with two decimals
(``12.50`` for ``12.5``), the same number once parsed.
"""

from __future__ import annotations

import json
import time
from typing import Any

from chatkit.client.requestlog import FIELDS, encode_row

__all__ = ["json_value", "line_text", "utc_iso"]

_S = json.encoder.encode_basestring  # what the row encoder writes a str as
_INF = float("inf")


def json_value(value: Any) -> str:
    """One value as the row encoder writes it: the usual types directly, anything else (a
    container, a subclass, NaN or an infinity) through the encoder itself."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is str:
        return _S(value)
    if value is True or value is False:
        return "true" if value else "false"
    if kind is int or (kind is float and -_INF < value < _INF):
        return f"{value}"  # the text the encoder writes: int and float repr
    return encode_row(value)


_J = json_value
_NO_FAILURE = ',"error_type":null,"error_code":null,"error_message":null,"exception":null'


def _head(key: tuple[Any, ...]) -> str:
    """The text of a line after its time, from ``method`` to ``attempt``."""
    text = '"' + "".join(f',"{name}":{json_value(value)}'
                         for name, value in zip(FIELDS[1:9], key, strict=True))
    try:
        if len(_HEADS) >= 256:
            _HEADS.clear()
        _HEADS[key] = text
    except TypeError:  # a value that cannot be a key: made every time
        pass
    return text


#: The head of each line by its values (method, url, host, endpoint, provider, model, stream,
#: attempt).
_HEADS: dict[tuple[Any, ...], str] = {}


def utc_iso(timestamp: float) -> str:
    """ISO-8601 UTC to the millisecond with a ``Z``: ``2026-11-25T07:00:13.265Z``, the form
    of :func:`chatkit.findings.utcnow_iso`, made without a datetime (the recorder writes one
    per request: the last second's text is kept, and the milliseconds' are made once)."""
    global _SECOND
    millis = int(timestamp * 1000)
    second, text = _SECOND  # one object, read and replaced whole: safe across threads
    if millis // 1000 != second:
        second = millis // 1000
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _SECOND = second, text
    return text + _MILLIS[millis % 1000]


_SECOND: tuple[int, str] = (-1, "")
_MILLIS = tuple(f".{millis:03d}Z" for millis in range(1000))


def line_text(values: tuple[Any, ...]) -> str:
    """A row's JSON text from its values in the order of :data:`FIELDS` (the times in
    milliseconds not yet rounded)."""
    (ts, method, url, host, endpoint, provider, model, stream, attempt, status, kind, code,
     message, exception, latency, ttfb, ttft, dns, connect, tls, sent, received, prompt,
     completion, request_id) = values
    key = (method, url, host, endpoint, provider, model, stream, attempt)
    try:  # the same few on every attempt
        head = _HEADS[key]
    except (KeyError, TypeError):
        head = _head(key)
    if kind is None and code is None and message is None and exception is None:
        failure = _NO_FAILURE
    else:
        failure = "".join((
            ',"error_type":', "null" if kind is None else _S(kind) if type(kind) is str
            else _J(kind),
            ',"error_code":', "null" if code is None else _S(code) if type(code) is str
            else _J(code),
            ',"error_message":', "null" if message is None else _S(message)
            if type(message) is str else _J(message),
            ',"exception":', "null" if exception is None else _S(exception)
            if type(exception) is str else _J(exception),
        ))
    text = "".join((  # each value inline, by the types it can hold: a call costs more
        '{"ts":"', ts, head,
        ',"status":', "null" if status is None else f"{status}" if type(status) is int
        else _J(status),
        failure,
        ',"latency_ms":', "null" if latency is None else f"{latency:.2f}"
        if type(latency) is float and -_INF < latency < _INF else _J(round(latency, 2)),
        ',"ttfb_ms":', "null" if ttfb is None else f"{ttfb:.2f}"
        if type(ttfb) is float and -_INF < ttfb < _INF else _J(round(ttfb, 2)),
        ',"ttft_ms":null,"dns_ms":null' if ttft is None and dns is None else "".join((
            ',"ttft_ms":', "null" if ttft is None else f"{ttft:.2f}"
            if type(ttft) is float and -_INF < ttft < _INF else _J(round(ttft, 2)),
            ',"dns_ms":', "null" if dns is None else _J(round(dns, 2)))),
        ',"connect_ms":', "null" if connect is None else f"{connect:.2f}"
        if type(connect) is float and -_INF < connect < _INF else _J(round(connect, 2)),
        ',"tls_ms":', "null" if tls is None else f"{tls:.2f}"
        if type(tls) is float and -_INF < tls < _INF else _J(round(tls, 2)),
        ',"request_bytes":', "null" if sent is None else f"{sent}" if type(sent) is int
        else _J(sent),
        ',"response_bytes":', "null" if received is None else f"{received}"
        if type(received) is int else _J(received),
        ',"prompt_tokens":', "null" if prompt is None else f"{prompt}"
        if type(prompt) is int else _J(prompt),
        ',"completion_tokens":', "null" if completion is None else f"{completion}"
        if type(completion) is int else _J(completion),
        ',"request_id":', "null" if request_id is None else _S(request_id)
        if type(request_id) is str else _J(request_id),
        "}",
    ))
    return text
