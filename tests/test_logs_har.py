"""HAR files in the shapes Chrome, Firefox, Fiddler and Playwright write, and the browser
diagnosis read from them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from chatkit.errors import EmptyInput, InputError
from chatkit.logs import load, summarize
from chatkit.logs.browser import current_stable, parse_user_agent

DATA = Path(__file__).parent / "data"


def test_chrome_har_timings_bodies_and_errors() -> None:
    frame = load(DATA / "har_chrome.har")
    assert len(frame) == 6 and frame.attrs["formats"] == ["har"]
    ok = frame.iloc[0]
    assert ok["ts"] == pd.Timestamp("2026-03-02T08:00:00Z")
    assert ok["model"] == "gpt-4.1"  # from the request body
    assert ok["latency_ms"] == 700.5
    # Chrome counts ssl inside connect: TCP = 50 - 30, TLS = 30, TTFB = 2.5+10+50+0.5+620
    assert (ok["dns_ms"], ok["connect_ms"], ok["tls_ms"]) == (10.0, 20.0, 30.0)
    assert ok["ttfb_ms"] == 683.0
    assert (ok["prompt_tokens"], ok["completion_tokens"]) == (9, 2)
    assert ok["request_id"] == "req_chrome_ok_1" and ok["response_bytes"] == 512
    sse = frame.iloc[1]
    assert bool(sse["stream"]) and sse["model"] == "o4-mini"
    assert sse["completion_tokens"] == 40  # usage from the last event of the stream
    assert pd.isna(sse["connect_ms"])  # -1: a reused connection
    limited = frame.iloc[2]  # base64 body
    assert limited["status"] == 429 and limited["error_code"] == "rate_limit_exceeded"
    blocked = frame.iloc[3]
    assert pd.isna(blocked["status"]) and blocked["exception"] == "net::ERR_BLOCKED_BY_CLIENT"
    cors = frame.iloc[4]  # a CORS failure keeps its status and the net error
    assert cors["status"] == 400 and cors["exception"] == "net::ERR_FAILED"
    assert frame.iloc[5]["exception"] == "net::ERR_NAME_NOT_RESOLVED"
    assert frame["host"].iloc[5] == "api.openai.invalid"


def test_firefox_local_times_and_separate_ssl() -> None:
    frame = load(DATA / "har_firefox.har")
    first = frame.iloc[0]
    assert first["ts"] == pd.Timestamp("2026-03-02T08:00:00.250Z")  # +02:00 -> UTC
    # Firefox writes the TCP handshake alone in connect and TLS in ssl
    assert (first["connect_ms"], first["tls_ms"]) == (25.0, 40.0)
    assert first["ttfb_ms"] == 0 + 12 + 25 + 40 + 0 + 400
    assert frame.iloc[1]["error_code"] == "server_is_overloaded"
    assert pd.isna(frame.iloc[2]["status"])  # aborted: status 0


def test_fiddler_bom_seven_digit_fractions() -> None:
    frame = load(DATA / "har_fiddler_bom.har")
    assert frame["ts"].iloc[0] == pd.Timestamp("2024-07-06T19:27:16.785Z")
    assert frame["model"].iloc[0] == "text-embedding-3-small"
    assert frame["connect_ms"].iloc[0] == 30.0 and pd.isna(frame["tls_ms"].iloc[0])


def test_playwright_failure_text_and_status_minus_one() -> None:
    frame = load(DATA / "har_playwright.har")
    failed, ok = frame.iloc[0], frame.iloc[1]
    assert pd.isna(failed["status"]) and failed["exception"] == "net::ERR_CERT_AUTHORITY_INVALID"
    assert pd.isna(failed["ttfb_ms"])  # wait -1: no first byte
    assert ok["status"] == 200 and (ok["prompt_tokens"], ok["completion_tokens"]) == (8, 12)


def test_bad_har_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.har"
    empty.write_text('{"log": {"version": "1.2", "entries": []}}')
    with pytest.raises(EmptyInput, match="holds no requests"):
        load(empty)
    cut = tmp_path / "cut.har"
    cut.write_text('{"log": {"version": "1.2", "entries": [{"request": ')
    with pytest.raises(InputError, match="not a valid HAR"):
        load(cut)
    odd = tmp_path / "odd.har"  # one entry without a request: skipped, the other kept
    odd.write_text(json.dumps({"log": {"entries": [
        {"startedDateTime": "2026-03-02T08:00:00Z"},
        entry("https://api.openai.com/v1/models", status=200)]}}))
    frame = load(odd)
    assert len(frame) == 1 and frame.attrs["skipped_at"] == [f"{odd}:entry 1"]


# --- browser diagnosis ------------------------------------------------------------------------

UA_OLD = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/118.0.0.0 Safari/537.36")
UA_NEW = UA_OLD.replace("Chrome/118", "Chrome/145")


def entry(url: str, *, status: int = 200, error: str | None = None, ua: str = UA_NEW,
          cookie: str | None = None, kind: str = "fetch", mime: str = "application/json",
          from_cache: str | None = None, service_worker: bool = False,
          at: str = "2026-03-02T08:00:00.000Z") -> dict[str, Any]:
    headers = [{"name": "user-agent", "value": ua}]
    if cookie is not None:
        headers.append({"name": "cookie", "value": cookie})
    return {
        "startedDateTime": at, "time": 50, "_resourceType": kind,
        **({"_fromCache": from_cache} if from_cache else {}),
        "request": {"method": "GET", "url": url, "headers": headers, "cookies": [],
                    "headersSize": -1, "bodySize": 0},
        "response": {"status": status, "headers": [], "content": {"size": 0, "mimeType": mime},
                     "_error": error, "_fetchedViaServiceWorker": service_worker},
        "cache": {}, "timings": {"send": 1, "wait": 40, "receive": 9},
    }


def har(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    path = tmp_path / "session.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "WebInspector"},
                                        "entries": list(entries)}}))
    return path


def findings(path: Path) -> dict[str, dict[str, Any]]:
    return {f["check"]: f for f in summarize(load(path))["findings"]}


def test_healthy_session_has_no_browser_finding(tmp_path: Path) -> None:
    found = findings(har(tmp_path, entry("https://chatgpt.com/backend-api/me"),
                         entry("https://chatgpt.com/", mime="text/html", kind="document")))
    assert not [c for c in found if c.startswith("browser.")]


def test_cookie_bloat_and_431(tmp_path: Path) -> None:
    big = "; ".join(f"c{i}={'x' * 200}" for i in range(60))  # ~12 KB
    found = findings(har(tmp_path, entry("https://chatgpt.com/backend-api/me", cookie=big),
                         entry("https://chatgpt.com/backend-api/conversation", status=431,
                               cookie=big)))
    cookie = found["browser.cookies"]
    assert cookie["status"] == "fail" and cookie["category"] == "browser"
    assert cookie["evidence"]["kind"] == "cookie_bloat"
    assert cookie["evidence"]["status_431"] == 1 and cookie["evidence"]["cookie_kb"] == "12"
    assert "chatgpt.com" in cookie["remedy"]


def test_old_browser_judged_against_the_hars_date(tmp_path: Path) -> None:
    found = findings(har(tmp_path, entry("https://chatgpt.com/", ua=UA_OLD)))
    old = found["browser.version"]
    assert old["evidence"]["version"] == 118 and old["evidence"]["kind"] == "old_browser"
    assert old["title"].startswith("Chrome 118 is out of date")
    # the same browser in a HAR recorded in its own time is current
    then = har(tmp_path, entry("https://chatgpt.com/", ua=UA_OLD, at="2023-10-20T08:00:00Z"))
    assert "browser.version" not in findings(then)


def test_user_agents_and_release_estimates() -> None:
    assert parse_user_agent(UA_OLD) == ("Chrome", 118)
    edge = UA_NEW + " Edg/140.0.0.0"
    assert parse_user_agent(edge) == ("Edge", 140)
    assert parse_user_agent("Mozilla/5.0 (X11; rv:140.0) Gecko/20100101 Firefox/140.0") == (
        "Firefox", 140)
    safari = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
              "Gecko) Version/17.4 Safari/605.1.15")
    assert parse_user_agent(safari) == ("Safari", 17)
    assert current_stable("Chrome", date(2026, 2, 10)) == 145
    assert current_stable("Chrome", date(2026, 5, 11)) == 148
    assert current_stable("Safari", date(2026, 10, 1)) == 27


def test_extension_block_certificate_and_dns_errors(tmp_path: Path) -> None:
    summary = summarize(load(har(
        tmp_path,
        entry("https://chatgpt.com/ces/v1/t", status=0, error="net::ERR_BLOCKED_BY_CLIENT"),
        entry("https://api.openai.com/v1/models", status=0,
              error="net::ERR_CERT_AUTHORITY_INVALID"),
        entry("https://api.openai.com/v1/models", status=0, error="net::ERR_NAME_NOT_RESOLVED"),
        entry("https://chatgpt.com/backend-api/me"))))
    kinds = {f["evidence"]["kind"]: f for f in summary["findings"] if f["check"] == "log.failures"}
    assert set(kinds) == {"net_blocked_by_client", "tls_unknown_ca", "dns_not_found"}
    assert kinds["net_blocked_by_client"]["category"] == "browser"
    assert summary["status_counts"] == {"200": 1, "no_response": 3}


def test_stale_service_worker(tmp_path: Path) -> None:
    found = findings(har(
        tmp_path,
        entry("https://chatgpt.com/", kind="document", mime="text/html", service_worker=True),
        entry("https://cdn.oaistatic.com/assets/app-1a2b.js", kind="script",
              mime="application/javascript", from_cache="disk"),
        entry("https://cdn.oaistatic.com/assets/chunk-9f8e.js", kind="script", status=404,
              mime="text/html")))
    stale = found["browser.cache"]
    assert stale["evidence"]["kind"] == "service_worker_stale"
    assert stale["evidence"]["cached_scripts"] == 1 and stale["evidence"]["failed_scripts"] == 1


def test_websocket_and_event_stream_failures(tmp_path: Path) -> None:
    found = findings(har(
        tmp_path,
        entry("wss://ws.chatgpt.com/ws", kind="websocket", status=0,
              error="net::ERR_CONNECTION_CLOSED"),
        entry("https://chatgpt.com/backend-api/conversation", mime="text/event-stream")))
    realtime = found["browser.realtime"]
    assert realtime["evidence"]["transport"] == "WebSocket"
    assert realtime["evidence"]["detail"] == "net::ERR_CONNECTION_CLOSED"
    assert realtime["title"] == ("1 WebSocket connection(s) to ws.chatgpt.com failed "
                                 "(net::ERR_CONNECTION_CLOSED)")
    sse = findings(har(tmp_path, entry("https://chatgpt.com/backend-api/conversation",
                                       kind="eventsource", status=0, error="net::ERR_FAILED")))
    assert sse["browser.realtime"]["evidence"]["transport"].startswith("EventSource")


def test_cors_block_is_a_browser_finding_not_a_bad_request() -> None:
    found = summarize(load(DATA / "har_chrome.har"))["findings"]
    (cors,) = [f for f in found if f["check"] == "browser.cors"]
    assert cors["evidence"]["kind"] == "cors_blocked"
    assert cors["title"] == ("1 request(s) to gateway.example.com blocked by CORS (HTTP 400 "
                             "with net::ERR_FAILED)")
    failures = [f["title"] for f in found if f["check"] == "log.failures"]
    assert not [t for t in failures if "ERR_FAILED" in t]
    assert "25% of failures (1 of 4) are net::ERR_BLOCKED_BY_CLIENT" in failures


def test_urls_are_redacted(tmp_path: Path) -> None:
    key = "AIzaSy" + "A" * 33
    frame = load(har(tmp_path, entry(f"https://generativelanguage.googleapis.com/v1/models"
                                     f"?key={key}")))
    assert key not in frame["url"].iloc[0] and "[REDACTED" in frame["url"].iloc[0]
    assert frame["host"].iloc[0] == "generativelanguage.googleapis.com"
