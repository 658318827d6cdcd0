"""Every fault in the catalogue, over real HTTP with httpx."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx
import pytest

from chatkit.errors import UsageError
from chatkit.sim import DEFAULT_KEY, FAULTS, SimServer
from chatkit.sim.faults import FAULT_TABLE, parse_fault

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}
STREAM = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert list(body) == ["error"]
    assert list(body["error"]) == ["message", "type", "param", "code"]
    return body["error"]


# fault -> (status, error.type, error.code, a piece of error.message)
JSON_FAULTS = [
    ("401_invalid_key", 401, "invalid_request_error", "invalid_api_key",
     "Incorrect API key provided: sk-sim"),
    ("403_region", 403, "request_forbidden", "unsupported_country_region_territory",
     "Country, region, or territory not supported"),
    ("404_model", 404, "invalid_request_error", "model_not_found",
     "The model `gpt-4o-mini` does not exist or you do not have access to it."),
    ("400_bad_request", 400, "invalid_request_error", "context_length_exceeded",
     "maximum context length"),
    ("400_content_type", 400, "invalid_request_error", "unsupported_content_type",
     "Unsupported content type: 'text/plain'."),
    ("415_content_type", 400, "invalid_request_error", "unsupported_content_type",
     "This API method only accepts 'application/json' requests"),
    ("429_rate_limit", 429, "requests", "rate_limit_exceeded",
     "Rate limit reached for gpt-4o-mini in organization org-chatkitsim on requests per min"),
    ("429_rate_limit:tokens", 429, "tokens", "rate_limit_exceeded", "on tokens per min (TPM)"),
    ("429_insufficient_quota", 429, "insufficient_quota", "insufficient_quota",
     "You exceeded your current quota, please check your plan and billing details."),
    ("500", 500, "server_error", None, "The server had an error while processing your request"),
    ("503_overloaded", 503, "service_unavailable_error", "server_is_overloaded",
     "The server is overloaded or not ready yet."),
]


@pytest.mark.parametrize(("fault", "status", "type_", "code", "message"), JSON_FAULTS,
                         ids=[row[0] for row in JSON_FAULTS])
def test_json_error_faults(sim: SimServer, sim_http: httpx.Client, fault: str, status: int,
                           type_: str, code: str | None, message: str) -> None:
    response = sim_http.post("/v1/chat/completions", json=CHAT,
                             headers={"x-chatkit-fault": fault})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"].startswith("req_")
    assert response.headers["openai-version"] == "2020-10-01"
    error = _error(response)
    assert (error["type"], error["code"]) == (type_, code)
    assert message in error["message"]
    assert DEFAULT_KEY not in response.text  # the key is masked, never echoed whole


def test_rate_limit_fault_headers(sim_http: httpx.Client) -> None:
    response = sim_http.post("/v1/chat/completions", json=CHAT,
                             headers={"x-chatkit-fault": "429_rate_limit"})
    assert response.headers["retry-after"] == "1"
    assert response.headers["retry-after-ms"] == "1000"
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert int(response.headers["x-ratelimit-limit-requests"]) > 0
    tokens = sim_http.post("/v1/chat/completions", json=CHAT,
                           headers={"x-chatkit-fault": "429_rate_limit:tokens"})
    assert tokens.headers["x-ratelimit-remaining-tokens"] == "0"
    assert tokens.headers["retry-after-ms"] == "644"


def test_quota_fault_has_no_retry_after(sim_http: httpx.Client) -> None:
    response = sim_http.post("/v1/chat/completions", json=CHAT,
                             headers={"x-chatkit-fault": "429_insufficient_quota"})
    assert "retry-after" not in response.headers


@pytest.mark.parametrize(("fault", "status", "title"), [
    ("502_html", 502, "502 Bad Gateway"),
    ("504_gateway_timeout", 504, "504 Gateway Time-out"),
])
def test_cdn_html_faults(sim_http: httpx.Client, fault: str, status: int, title: str) -> None:
    response = sim_http.post("/v1/chat/completions", json=CHAT, headers={"x-chatkit-fault": fault})
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html"
    assert response.headers["server"] == "cloudflare"
    assert "x-request-id" not in response.headers  # the request never reached the API
    assert f"<title>{title}</title>" in response.text
    with pytest.raises(ValueError):
        response.json()


def test_captive_portal(sim_http: httpx.Client) -> None:
    response = sim_http.get("/v1/models", headers={"x-chatkit-fault": "captive_portal"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Guest Wi-Fi" in response.text
    assert "x-request-id" not in response.headers


def test_malformed_json(sim_http: httpx.Client) -> None:
    response = sim_http.post("/v1/chat/completions", json=CHAT,
                             headers={"x-chatkit-fault": "malformed_json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_slow_waits_then_answers(sim_http: httpx.Client) -> None:
    started = time.perf_counter()
    response = sim_http.get("/v1/models", headers={"x-chatkit-fault": "slow:300"})
    assert time.perf_counter() - started >= 0.3
    assert response.status_code == 200
    assert response.json()["object"] == "list"


def test_timeout_never_answers(sim: SimServer) -> None:
    with httpx.Client(timeout=0.3) as client, pytest.raises(httpx.ReadTimeout):
        client.get(sim.url_for_fault("timeout") + "/models")


def test_timeout_with_cap_closes_without_answer(sim: SimServer) -> None:
    with httpx.Client(timeout=5) as client, pytest.raises(httpx.RemoteProtocolError):
        client.get(sim.url_for_fault("timeout:200") + "/models")


def test_stop_releases_a_hung_request(sim: SimServer) -> None:
    # A raw socket waits in the `timeout` fault; stop() must not wait for it.
    with socket.create_connection(("127.0.0.1", sim.port)) as conn:
        conn.sendall(b"GET /fault/timeout/v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.1)  # let the handler reach its wait; readiness is not what is tested
        started = time.perf_counter()
        sim.stop()
        assert time.perf_counter() - started < 2
        conn.settimeout(2)
        assert conn.recv(100) == b""  # closed without a response


def test_reset_sends_rst(sim: SimServer) -> None:
    with socket.create_connection(("127.0.0.1", sim.port)) as conn:
        conn.sendall(b"GET /fault/reset/v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.settimeout(2)
        with pytest.raises(ConnectionResetError):
            conn.recv(100)


def test_reset_with_httpx(sim: SimServer) -> None:
    with httpx.Client(timeout=2) as client, pytest.raises(
        (httpx.ReadError, httpx.RemoteProtocolError)
    ):
        client.get(sim.url_for_fault("reset") + "/models")


def _events(lines: list[str]) -> list[str]:
    return [line[len("data: "):] for line in lines if line.startswith("data: ")]


def test_stream_cut_ends_mid_body(sim: SimServer) -> None:
    lines: list[str] = []
    with httpx.Client(timeout=5) as client, pytest.raises(httpx.RemoteProtocolError,
                                                          match="incomplete chunked read"):
        with client.stream("POST", sim.url_for_fault("stream_cut") + "/chat/completions",
                           json=STREAM, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                lines.append(line)
    events = _events(lines)
    assert events and "[DONE]" not in events
    assert all(json.loads(e)["choices"][0]["finish_reason"] is None for e in events)


def test_stream_cut_non_stream_truncates_body(sim: SimServer) -> None:
    with httpx.Client(timeout=5) as client, pytest.raises(httpx.RemoteProtocolError):
        client.post(sim.url_for_fault("stream_cut") + "/chat/completions", json=CHAT,
                    headers={"Authorization": f"Bearer {DEFAULT_KEY}"})


def test_stream_error_event(sim: SimServer) -> None:
    with httpx.Client(timeout=5) as client:
        r = client.post(sim.url_for_fault("stream_error") + "/chat/completions", json=STREAM,
                        headers={"Authorization": f"Bearer {DEFAULT_KEY}"})
    assert r.status_code == 200
    events = _events(r.text.splitlines())
    assert "[DONE]" not in events
    last = json.loads(events[-1])
    assert last["error"]["type"] == "server_error"
    assert "choices" in json.loads(events[0])


def test_stream_error_non_stream_is_500(sim_http: httpx.Client) -> None:
    response = sim_http.post("/v1/chat/completions", json=CHAT,
                             headers={"x-chatkit-fault": "stream_error"})
    assert response.status_code == 500
    assert _error(response)["type"] == "server_error"


def test_flaky_is_seeded_and_mixed() -> None:
    def statuses(seed: int) -> list[int]:
        with SimServer(fault="flaky:0.5", seed=seed) as sim, httpx.Client(
            base_url=sim.base_url, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}
        ) as client:
            return [client.get("/models").status_code for _ in range(40)]

    first = statuses(7)
    assert first == statuses(7)
    assert set(first) <= {200, 429, 500, 503}
    assert 200 in first and len(set(first)) >= 3
    assert 8 <= first.count(200) <= 32


def test_faults_spare_status_page_and_control(sim: SimServer) -> None:
    sim.set_fault("500")
    with httpx.Client(base_url=sim.root_url) as client:
        assert client.get("/api/v2/status.json").status_code == 200
        assert client.get("/_sim/state").json()["fault"] == "500"
        assert client.get("/v1/models").status_code == 500


def test_catalogue_reads_as_a_document() -> None:
    assert list(FAULTS) == list(FAULT_TABLE)
    for name, description in FAULTS.items():
        assert description and "\n" not in description, name
    required = {"slow", "401_invalid_key", "403_region", "404_model", "400_bad_request",
                "415_content_type", "429_rate_limit", "429_insufficient_quota", "500",
                "502_html", "503_overloaded", "504_gateway_timeout", "timeout", "reset",
                "stream_cut", "stream_error", "malformed_json", "flaky", "captive_portal"}
    assert required <= set(FAULTS)


@pytest.mark.parametrize("spec", ["nope", "slow:fast", "flaky:2", "429_rate_limit:minutes"])
def test_bad_fault_specs_are_usage_errors(spec: str) -> None:
    with pytest.raises(UsageError):
        parse_fault(spec)
    with pytest.raises(UsageError):
        SimServer(fault=spec)
