"""Validation of a chat completion request, with the API's own messages and ``param`` names.

The checks run in the order the real API applies them, and the first problem wins.
"""

from __future__ import annotations

import json
from typing import Any

from chatkit.sim.payloads import API_ERROR_MESSAGES as MSG

__all__ = ["VALID_ROLES", "peek_model", "validate_chat"]

VALID_ROLES = ("system", "assistant", "user", "function", "tool", "developer")


def peek_model(body: bytes) -> str | None:
    """The ``model`` of a JSON body, if it has one (faults use it in their messages)."""
    try:
        model = json.loads(body).get("model") if body else None
    except (ValueError, AttributeError):
        return None
    return model if isinstance(model, str) else None


def validate_chat(request: dict[str, Any]) -> tuple[str, str | None, str | None] | None:
    """The first problem with a chat request's parameters, as (message, param, code)."""
    if "model" not in request or request["model"] in (None, ""):
        return MSG["missing_param"].format(param="model"), "model", "missing_required_parameter"
    if not isinstance(request["model"], str):
        return (MSG["invalid_type"].format(param="model", expected="a string",
                                           got=type(request["model"]).__name__),
                "model", "invalid_type")
    messages = request.get("messages")
    if messages is None:
        return (MSG["missing_param"].format(param="messages"), "messages",
                "missing_required_parameter")
    if not isinstance(messages, list):
        return (MSG["invalid_type"].format(param="messages", expected="an array",
                                           got=type(messages).__name__),
                "messages", "invalid_type")
    if not messages:
        return MSG["empty_array"].format(param="messages"), "messages", "empty_array"
    for index, message in enumerate(messages):
        param = f"messages[{index}].role"
        role = message.get("role") if isinstance(message, dict) else None
        if role is None:
            return MSG["missing_param"].format(param=param), param, "missing_required_parameter"
        if role not in VALID_ROLES:
            return MSG["invalid_role"].format(role=role), param, "invalid_value"
    return None
