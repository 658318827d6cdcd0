"""Who answered a web request: the service, or something at the edge in front of it.

Cloudflare marks every challenge page with ``cf-mitigated: challenge`` (its documented header;
some challenges come as a 429 or even a 200), and its block page is the "Attention Required!"
page saying "Sorry, you have been blocked"; both carry a ``cf-ray`` id. OpenAI refuses
countries it does not serve with a JSON ``unsupported_country_region_territory`` error. Any
other HTML page from a 4xx/5xx that a filter, firewall or captive portal would send counts as a
block page. The shapes are tested on pages captured from chatgpt.com (tests/data/real/web).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from chatkit.knowledge.patterns import is_html

__all__ = ["edge_kind"]

_CHALLENGE_BODY = re.compile(r"<title>\s*Just a moment\.\.\.\s*</title>|window\._cf_chl_opt",
                             re.IGNORECASE)
_BLOCK_BODY = re.compile(r"Sorry, you have been blocked|Attention Required! \| Cloudflare"
                         r"|cf-error-details", re.IGNORECASE)
_COUNTRY = "unsupported_country_region_territory"


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _error_code(body: str) -> str | None:
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return str(error.get("code")) if isinstance(error, dict) else None


def edge_kind(status: int, headers: Mapping[str, str], body: str | bytes
              ) -> tuple[str | None, dict[str, Any]]:
    """``(kind, found)``: the knowledge row for an answer that did not come from the service
    itself (a Cloudflare check or block, a country refusal, a filter's page), or ``(None,
    found)`` when the service answered. ``found`` holds ``status``, ``ray`` and ``server``."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    lower = _lower(headers)
    found: dict[str, Any] = {"status": status, "ray": lower.get("cf-ray"),
                             "server": lower.get("server")}
    cloudflare = "cf-ray" in lower or lower.get("server", "").lower() == "cloudflare"
    if lower.get("cf-mitigated", "").strip().lower() == "challenge" or (
            cloudflare and status in (403, 429, 503) and _CHALLENGE_BODY.search(text)):
        return "web_cloudflare_challenge", found
    if status == 403 and _BLOCK_BODY.search(text):
        return "web_cloudflare_block", found
    if status == 403 and _error_code(text) == _COUNTRY:
        return "web_unsupported_country", found
    html = is_html(lower.get("content-type", ""), text)
    if html and not cloudflare and status in (403, 407, 451, 502, 511):
        return "web_block_page", found
    return None, found
