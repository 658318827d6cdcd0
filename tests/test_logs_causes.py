"""Every distinct failure cause is named, ranked by the calls it hurt, none hidden by a share.

The HAR is built from real parts: the entries of a HAR Chrome 114 exported (mitmproxy's
fixture: a fetched entry and a failed one with ``net::ERR_*``) and error bodies OpenAI sent
to users who pasted them in public issues (tests/data/real/SOURCES.md). Only the URL, the method
and the body of each entry are set for the API call it stands for.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chatkit.logs import load, summarize

REAL = Path(__file__).parent / "data" / "real"
API = "https://api.openai.com/v1/chat/completions"
# (error body in openai_error_bodies/error_bodies.json, calls) — the nine failures of the issue
FAILURES = [("401_invalid_api_key", 2), ("404_model_not_found", 1), ("429_rate_limit_exceeded", 2),
            ("429_insufficient_quota", 1), ("502_cloudflare", 1), ("503_server_is_overloaded", 1)]


def _entry(skeleton: dict[str, Any], at: datetime, model: str) -> dict[str, Any]:
    entry = copy.deepcopy(skeleton)
    entry["startedDateTime"] = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    entry["_resourceType"] = "fetch"
    request = entry["request"]
    request.update(method="POST", url=API)
    kept = ("user-agent", "accept-language")
    headers = [h for h in request["headers"] if h["name"].lower() in kept]
    request["headers"] = [*headers, {"name": "content-type", "value": "application/json"}]
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]})
    request["postData"] = {"mimeType": "application/json", "text": body}
    return entry


def _answer(entry: dict[str, Any], status: int, body: Any) -> dict[str, Any]:
    response = entry["response"]
    text = body if isinstance(body, str) else json.dumps(body)
    mime = "text/html" if isinstance(body, str) else "application/json"
    response.update(status=status, statusText="", _error=None,
                    headers=[{"name": "content-type", "value": mime}],
                    content={"size": len(text), "mimeType": mime, "text": text})
    return entry


def nine_failures_har() -> dict[str, Any]:
    har = json.loads((REAL / "browser_hars" / "mitmproxy_chrome.har").read_text())
    entries = har["log"]["entries"]
    fetched = next(e for e in entries if e["response"]["status"] == 200)
    failed = next(e for e in entries if e["response"].get("_error"))
    bodies = json.loads((REAL / "openai_error_bodies" / "error_bodies.json").read_text())
    start = datetime.fromisoformat(fetched["startedDateTime"].replace("Z", "+00:00"))
    out: list[dict[str, Any]] = []

    def at() -> datetime:
        return start + timedelta(seconds=37 * len(out))

    for _ in range(6):  # calls that worked
        ok = {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
              "usage": {"prompt_tokens": 8, "completion_tokens": 9, "total_tokens": 17}}
        out.append(_answer(_entry(fetched, at(), "gpt-4o-mini"), 200, ok))
    for name, calls in FAILURES:
        sample = bodies[name]
        for _ in range(calls):
            model = "gpt-4o-2024-05-13" if name.startswith("404") else "gpt-4o-mini"
            body = sample.get("body", sample.get("body_text"))
            out.append(_answer(_entry(fetched, at(), model), sample["status"], body))
    blocked = _entry(failed, at(), "gpt-4o-mini")  # Chrome's failed entry, blocked this time
    blocked["response"]["_error"] = "net::ERR_BLOCKED_BY_CLIENT"
    out.append(blocked)
    har["log"]["entries"] = out
    return har


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("har") / "nine.har"
    path.write_text(json.dumps(nine_failures_har()))
    return summarize(load(path))


CAUSES = ["401 invalid_api_key", "404 model_not_found", "429 rate_limit_exceeded",
          "429 insufficient_quota", "502", "503 server_is_overloaded",
          "net::ERR_BLOCKED_BY_CLIENT"]


def test_the_har_holds_the_nine_failures(summary: dict[str, Any]) -> None:
    assert summary["requests"] == 15
    assert summary["status_counts"] == {"200": 6, "401": 2, "404": 1, "429": 3, "502": 1,
                                        "503": 1, "no_response": 1}


def test_every_cause_is_named(summary: dict[str, Any]) -> None:
    text = " | ".join(f["title"] for f in summary["findings"])
    for cause in CAUSES:
        assert cause in text, cause


def test_causes_the_user_must_fix_have_their_own_finding(summary: dict[str, Any]) -> None:
    own = {f["evidence"].get("label"): f for f in summary["findings"]
           if f["check"] in ("log.failures", "log.rate_limit")}
    assert own["401 invalid_api_key"]["category"] == "account"
    assert own["429 insufficient_quota"]["category"] == "account"
    assert own["429 insufficient_quota"]["retryable"] is False
    assert own["404 model_not_found"]["category"] == "integration"
    assert own["net::ERR_BLOCKED_BY_CLIENT"]["category"] == "browser"


def test_ranked_by_calls_and_the_minor_ones_listed_in_one(summary: dict[str, Any]) -> None:
    failures = [f for f in summary["findings"] if f["check"] == "log.failures"]
    labels = [f["evidence"].get("label") for f in failures]
    assert labels[:2] == ["401 invalid_api_key", "429 rate_limit_exceeded"]
    assert failures[0]["title"] == "22% of failures (2 of 9) are 401 invalid_api_key on gpt-4o-mini"
    (grouped,) = [f for f in failures if "causes" in f["evidence"]]
    assert [c["label"] for c in grouped["evidence"]["causes"]] == ["502",
                                                                   "503 server_is_overloaded"]
    assert grouped["title"] == ("2 smaller failure cause(s), 2 of 9 failures: 502 (bad gateway, "
                                "1); 503 server_is_overloaded (servers overloaded, 1)")
    assert grouped["retryable"] is True


def test_retries_of_one_call_count_once_in_the_ranking() -> None:
    rows = [{"ts": f"2026-03-02T08:00:{i:02d}Z", "status": 503, "attempt": i % 3,
             "error_code": "server_is_overloaded", "model": "gpt-4o"} for i in range(9)]
    rows += [{"ts": f"2026-03-02T08:01:{i:02d}Z", "status": 401, "attempt": 0,
              "error_code": "invalid_api_key", "model": "gpt-4o"} for i in range(4)]
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    failures = [f for f in summarize(load(data))["findings"] if f["check"] == "log.failures"]
    assert [f["evidence"]["label"] for f in failures] == ["401 invalid_api_key",
                                                          "503 server_is_overloaded"]
    assert failures[1]["evidence"]["failures"] == 3 and failures[1]["evidence"]["attempts"] == 9
