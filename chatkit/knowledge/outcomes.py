"""What a 200 answer that did not end well means: a stream cut short or carrying an error
event, a Responses run that stopped ``incomplete`` or ``failed``.

The status said the call worked; the body says otherwise. :func:`stream_outcome` reads the end
of a measured stream (:class:`~chatkit.knowledge.sse.StreamMeter`), :func:`response_kind` a
plain Responses answer, and both name the knowledge-table row through :func:`outcome_kind`
(an error code the API also sends as an HTTP error keeps that error's row).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatkit.knowledge.dialects import error_fields
from chatkit.knowledge.patterns import INCOMPLETE_KINDS, STREAM_ERROR_CODES
from chatkit.knowledge.sse import StreamMeter

__all__ = ["outcome_kind", "response_kind", "stream_kind", "stream_outcome"]


def stream_kind(text: str, found: dict[str, Any]) -> str | None:
    """``stream_error`` for an error event, ``stream_cut`` for no ``[DONE]``, else None."""
    meter = StreamMeter(started=0.0)
    meter.feed(text.encode("utf-8"), 0.0)
    meter.close(0.0)
    outcome = stream_outcome(meter)
    if outcome is None:
        return None
    found.update(outcome[1])
    return outcome[0]


def stream_outcome(meter: StreamMeter) -> tuple[str, dict[str, Any]] | None:
    """What the end of a measured stream means: None when it ended cleanly, else the kind
    (``stream_cut``, ``stream_error``, ``response_failed``, ``response_incomplete``, or the
    kind its error code has as an HTTP error) and the error's fields."""
    if meter.error is not None:
        return (outcome_kind("response.failed" if meter.status == "failed" else None,
                             meter.error.get("code")), error_fields(meter.error))
    if meter.status == "incomplete":
        return (outcome_kind("incomplete", meter.incomplete_reason),
                {"error_code": meter.incomplete_reason})
    return None if meter.done else ("stream_cut", {})


def response_kind(data: Mapping[str, Any], found: dict[str, Any]) -> str | None:
    """A plain Responses API answer that is incomplete or failed (None when completed)."""
    if data.get("status") == "incomplete":
        details = data.get("incomplete_details") or {}
        reason = details.get("reason") if isinstance(details, Mapping) else None
        found["error_code"] = reason
        return outcome_kind("incomplete", reason)
    if data.get("status") == "failed":
        error = data.get("error")
        if not isinstance(error, Mapping):
            error = {}
        found.update(error_fields(error))
        return outcome_kind("response.failed", error.get("code"))
    return None


def outcome_kind(outcome: str | None, code: Any) -> str:
    """The kind of a 200 answer that did not end well: ``outcome`` is ``incomplete``,
    ``response.failed`` or None (an error event); ``code`` the reason or error code."""
    if outcome == "incomplete":
        return INCOMPLETE_KINDS.get(str(code), "response_incomplete")
    named = STREAM_ERROR_CODES.get(str(code))
    return named or ("response_failed" if outcome == "response.failed" else "stream_error")
