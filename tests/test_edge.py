"""Who answered: Cloudflare's challenge and block pages and OpenAI's country refusal, as captured
from chatgpt.com and relayed in public issues (tests/data/real/web), against the service's own
answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatkit.knowledge.edge import edge_kind

REAL = Path(__file__).parent / "data" / "real" / "web"
CHALLENGE = (REAL / "cf_challenge_chat_openai_2022.html").read_bytes()
BLOCK = (REAL / "cf_block_chatgpt_codex4284.html").read_bytes()
CF = {"server": "cloudflare", "cf-ray": "77839e47c8743481-AMS", "content-type": "text/html"}


def test_the_documented_header_marks_a_challenge_whatever_the_status() -> None:
    for status in (403, 429, 200):  # Cloudflare also challenges with 429 and 200
        kind, found = edge_kind(status, {"Cf-Mitigated": "challenge", "CF-RAY": "8f57-LHR"}, b"")
        assert kind == "web_cloudflare_challenge" and found["ray"] == "8f57-LHR"


def test_a_captured_challenge_page_without_the_header() -> None:
    assert edge_kind(403, CF, CHALLENGE)[0] == "web_cloudflare_challenge"
    assert edge_kind(503, CF, CHALLENGE)[0] == "web_cloudflare_challenge"


def test_the_captured_block_page() -> None:
    kind, found = edge_kind(403, CF, BLOCK)
    assert kind == "web_cloudflare_block" and found["server"] == "cloudflare"


@pytest.mark.parametrize("name", ["openai_unsupported_country_cockpit611.json",
                                  "openai_unsupported_country_oneapi1692.json"])
def test_country_refusals(name: str) -> None:
    body = (REAL / name).read_bytes()
    assert edge_kind(403, {"content-type": "application/json"}, body)[0] == \
        "web_unsupported_country"


def test_a_filters_page_is_not_the_service() -> None:
    page = b"<html><body>Access to this site is blocked by your organisation</body></html>"
    assert edge_kind(403, {"content-type": "text/html"}, page)[0] == "web_block_page"


@pytest.mark.parametrize(("status", "headers", "body"), [
    (200, {"content-type": "text/html"}, b"<!doctype html><title>ChatGPT</title>"),
    (403, CF, b"<html><body>403 Forbidden</body></html>"),  # the CDN's own refusal of "/"
    (404, {"content-type": "application/xml"}, b"<Error><Code>ResourceNotFound</Code></Error>"),
    (101, {"upgrade": "websocket"}, b""),
    (401, {"content-type": "application/json"}, b'{"error": {"code": "invalid_api_key"}}'),
])
def test_the_service_itself(status: int, headers: dict[str, str], body: bytes) -> None:
    assert edge_kind(status, headers, body)[0] is None

