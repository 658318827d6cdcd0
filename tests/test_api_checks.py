"""The api check group against the simulator: every fault gets the right cause and fix."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from chatkit.checks import CheckContext, doctor
from chatkit.cli import main
from chatkit.findings import Finding, Report
from chatkit.sim import DEFAULT_KEY, FAULTS, SimServer
from chatkit.targets import Target

ENV = {"OPENAI_API_KEY": DEFAULT_KEY}


def _run(url: str, *, environ: dict[str, str] = ENV, timeout: float = 2.0,
         model: str | None = None, extra: dict[str, Any] | None = None,
         api: str | None = "chat") -> Report:
    """The api group; chat completions unless ``api`` says otherwise (test_api_responses.py
    covers the Responses API)."""
    context = CheckContext(environ=environ, timeout=timeout, extra=extra or {}, api=api)
    return doctor(Target(url, model=model), only="api", context=context)


def _by_check(report: Report) -> dict[str, Finding]:
    return {f.check: f for f in report.findings}


def test_healthy_api(server: SimServer) -> None:
    found = _by_check(_run(server.base_url))
    assert {c: f.status for c, f in found.items()} == {
        "api.key": "ok", "api.model": "ok", "api.request": "ok", "api.completion": "ok",
        "api.rate_limits": "ok", "api.stream": "ok"}
    assert found["api.key"].evidence["key"] == "sk-...0000"
    completion = found["api.completion"].evidence
    assert completion["request_id"].startswith("req_")
    assert completion["usage"]["completion_tokens"] > 0
    assert completion["processing_ms"] is not None
    stream = found["api.stream"].evidence
    assert stream["done"] is True and stream["finish_reason"] == "stop"
    assert stream["output_tokens"] > 1
    assert stream["ttft_ms"] > 0 and stream["itl_mean_ms"] > 0 and stream["itl_p95_ms"] > 0
    assert stream["tokens_per_s"] > 0
    limits = found["api.rate_limits"].evidence["rate_limits"]
    assert limits["requests"]["limit"] == 60000 and limits["tokens"]["limit"] == 10_000_000


# fault -> the kind each failing check must name; every simulator fault has a row here.
EXPECTED = {
    "401_invalid_key": "invalid_api_key",
    "403_region": "unsupported_region",
    "404_model": "model_not_found",
    "400_bad_request": "context_length_exceeded",
    "400_content_type": "unsupported_content_type",
    "415_content_type": "unsupported_content_type",
    "429_rate_limit": "rate_limit",
    "429_insufficient_quota": "insufficient_quota",
    "500": "server_error",
    "502_html": "cdn_error_page",
    "503_overloaded": "server_overloaded",
    "504_gateway_timeout": "cdn_error_page",
    "timeout": "read_timeout",
    "reset": "connection_reset",
    "malformed_json": "malformed_json",
    "captive_portal": "captive_portal",
}
# Faults that only break the answer to a chat request, not GET /models.
STREAM_FAULTS = {"stream_cut": ("stream_cut", "stream_cut"),
                 "stream_error": ("server_error", "stream_error")}


def test_every_simulator_fault_is_covered() -> None:
    covered = {*EXPECTED, *STREAM_FAULTS, "slow", "flaky", "response_failed", "incomplete"}
    assert set(FAULTS) == covered


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_fault_is_named_by_every_api_check(server: SimServer, fault: str) -> None:
    report = _run(server.url_for_fault(fault), timeout=0.5 if fault == "timeout" else 2.0)
    found = _by_check(report)
    kind = EXPECTED[fault]
    for check in ("api.key", "api.model", "api.completion", "api.stream"):
        finding = found[check]
        assert finding.status == "fail", (check, finding)
        assert finding.evidence["kind"] == kind, (check, finding)
        assert finding.remedy and finding.cause
    assert found["api.request"].status == "ok"
    assert report.verdict is not None and report.verdict["remedy"]


def test_quota_is_not_retryable_and_points_at_billing(server: SimServer) -> None:
    found = _by_check(_run(server.url_for_fault("429_insufficient_quota")))
    completion = found["api.completion"]
    assert completion.retryable is False and "billing" in (completion.remedy or "")
    # the budget is full, which shows that this 429 is not a rate limit
    assert found["api.rate_limits"].status == "ok"


def test_rate_limit_says_how_long_to_wait(server: SimServer) -> None:
    completion = _by_check(_run(server.url_for_fault("429_rate_limit")))["api.completion"]
    assert completion.retryable is True
    assert completion.evidence["retry_after_s"] == 1.0
    assert "1 s (retry-after)" in (completion.remedy or "")
    assert completion.evidence["rate_limits"]["requests"]["remaining"] == 0


def test_504_page_names_its_status(server: SimServer) -> None:
    completion = _by_check(_run(server.url_for_fault("504_gateway_timeout")))["api.completion"]
    assert completion.evidence["status"] == 504 and "504" in completion.title


@pytest.mark.parametrize("fault", sorted(STREAM_FAULTS))
def test_stream_faults(server: SimServer, fault: str) -> None:
    found = _by_check(_run(server.url_for_fault(fault)))
    completion_kind, stream_kind = STREAM_FAULTS[fault]
    assert found["api.key"].status == "ok"
    assert found["api.completion"].evidence["kind"] == completion_kind
    stream = found["api.stream"]
    assert stream.status == "fail" and stream.evidence["kind"] == stream_kind
    assert stream.retryable is True
    assert stream.evidence["ttft_ms"] is not None  # tokens came before the break


def test_slow_answer_is_a_warning(server: SimServer) -> None:
    found = _by_check(_run(server.url_for_fault("slow:300"), extra={"api.slow_ms": 100}))
    completion = found["api.completion"]
    assert completion.status == "warn" and completion.category == "service"
    assert completion.evidence["latency_ms"] >= 300
    assert completion.evidence["kind"] == "slow_completion"  # worded by classify
    assert "16-token answer took" in (completion.cause or "") and completion.remedy


def test_flaky_failures_are_retryable(server: SimServer) -> None:
    found = _by_check(_run(server.url_for_fault("flaky:1.0")))
    for check in ("api.key", "api.completion", "api.stream"):
        assert found[check].status == "fail"
        assert found[check].evidence["kind"] in ("rate_limit", "server_error", "server_overloaded")
        assert found[check].retryable is True


def test_missing_key(server: SimServer) -> None:
    found = _by_check(_run(server.base_url, environ={}))
    assert found["api.key"].status == "fail"
    assert found["api.key"].evidence["kind"] == "missing_api_key"
    assert "OPENAI_API_KEY" in (found["api.key"].remedy or "")
    assert {found[c].status for c in ("api.model", "api.completion", "api.stream")} == {"skip"}


def test_wrong_key_is_named_and_never_shown(server: SimServer) -> None:
    wrong = "sk-or-v1-0123456789abcdef0123456789abcdef"
    report = _run(server.base_url, environ={"OPENAI_API_KEY": wrong})
    key_findings = [f for f in report.findings if f.check == "api.key"]
    kinds = {f.status: f.evidence["kind"] for f in key_findings}
    assert kinds == {"warn": "invalid_api_key", "fail": "invalid_api_key"}
    assert "OpenRouter" in key_findings[0].title
    assert wrong not in report.to_json() and wrong[-10:] not in report.to_json()


def test_unknown_model_gets_close_names(server: SimServer) -> None:
    model = _by_check(_run(server.base_url, model="gpt-4o-mni"))["api.model"]
    assert model.status == "fail" and model.evidence["kind"] == "model_not_found"
    assert model.evidence["suggestions"][0] == "gpt-4o-mini"
    assert "gpt-4o-mini" in (model.remedy or "")


def test_handed_in_payload_is_validated(server: SimServer) -> None:
    payload = {"model": "gpt-4o", "messages": [{"role": "bot", "content": "hi"}]}
    found = [f for f in _run(server.base_url, extra={"api.request": payload}).findings
             if f.check == "api.request"]
    assert [f.evidence["param"] for f in found] == ["messages[0].role"]


def test_key_with_trailing_newline_is_caught_before_sending(server: SimServer) -> None:
    report = _run(server.base_url, environ={"OPENAI_API_KEY": DEFAULT_KEY + "\n"})
    request = _by_check(report)["api.request"]
    assert request.status == "fail" and request.evidence["kind"] == "client_protocol_error"
    assert "strip" in (request.remedy or "")


def test_nothing_listening_is_connect_refused() -> None:
    with SimServer() as sim:
        url = sim.base_url
    found = _by_check(_run(url))
    assert found["api.key"].evidence["kind"] == "connect_refused"
    assert found["api.key"].category == "network"


def test_proxy_that_is_down_is_named(server: SimServer) -> None:
    with SimServer() as sim:
        dead = sim.root_url
    report = doctor(Target(server.base_url, proxy=dead), only="api",
                    context=CheckContext(environ=ENV, timeout=2.0))
    key = _by_check(report)["api.key"]
    assert key.evidence["kind"] == "proxy_unreachable"
    assert key.evidence["proxy"] == dead


def test_the_proxy_named_is_the_one_the_probe_used(server: SimServer) -> None:
    with SimServer() as sim:
        dead = sim.root_url
    # lower case wins over upper case, as in urllib and httpx
    environ = {**ENV, "HTTP_PROXY": "http://127.0.0.1:1", "http_proxy": dead}
    key = _by_check(_run(server.base_url, environ=environ))["api.key"]
    assert key.evidence["kind"] == "proxy_unreachable"
    assert key.evidence["proxy"] == dead
    # a NO_PROXY network range sends the request direct: no proxy to blame
    environ = {**ENV, "HTTP_PROXY": dead, "NO_PROXY": "127.0.0.0/8"}
    key = _by_check(_run(server.base_url, environ=environ))["api.key"]
    assert key.status == "ok" and key.evidence["proxy"] is None


def test_azure_profile_uses_api_key_header_version_and_deployment_paths() -> None:
    seen: list[httpx.Request] = []

    def azure(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": [{"id": "gpt-4o"}], "object": "list"})
        if request.url.path.endswith("/chat/completions"):
            body = json.loads(request.content)
            if body.get("stream"):
                sse = ('data: {"choices":[{"delta":{"content":"OK"},"finish_reason":null}]}\n\n'
                       'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\n'
                       "data: [DONE]\n\n")
                return httpx.Response(200, text=sse,
                                      headers={"content-type": "text/event-stream"})
            return httpx.Response(200, json={"choices": [{"message": {"content": "OK"}}],
                                             "usage": {"completion_tokens": 1}})
        return httpx.Response(404, json={"error": {"code": "404", "message": "Resource not found"}})

    target = Target("https://myres.openai.azure.com/openai", provider="azure", model="chat-prod")
    context = CheckContext(environ={"AZURE_OPENAI_API_KEY": "azure-key-0123456789"},
                           transport=httpx.MockTransport(azure), timeout=2.0, api="chat")
    found = _by_check(doctor(target, only="api", context=context))
    assert found["api.key"].status == "ok"
    assert found["api.completion"].status == "ok"
    assert found["api.stream"].status == "ok"
    assert found["api.model"].status == "skip"
    chat = [r for r in seen if r.url.path.endswith("/chat/completions")]
    assert {r.url.path for r in chat} == {"/openai/deployments/chat-prod/chat/completions"}
    for request in seen:
        assert request.headers["api-key"] == "azure-key-0123456789"
        assert "authorization" not in request.headers
        assert request.url.params["api-version"] == "2024-10-21"


def test_cli_doctor_names_cause_and_fix(server: SimServer, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", DEFAULT_KEY)
    code = main(["doctor", "--only", "api", "--json",
                 "--base-url", server.url_for_fault("429_insufficient_quota")])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["verdict"]["retryable"] is False
    assert "billing" in report["verdict"]["remedy"]
    assert DEFAULT_KEY not in json.dumps(report)


def test_a_key_echoed_in_a_stream_error_event_is_not_repeated() -> None:
    echoed = "sk-proj-0123456789abcdef0123456789abcdef"

    def broken_stream(request: httpx.Request) -> httpx.Response:
        event = {"error": {"message": f"key {echoed} was revoked", "type": "server_error"}}
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              content=f"data: {json.dumps(event)}\n\n".encode())

    context = CheckContext(environ=ENV, transport=httpx.MockTransport(broken_stream),
                           timeout=2.0)
    report = doctor(Target("http://127.0.0.1:9/v1", provider="compatible"), only="api",
                    context=context)
    stream = _by_check(report)["api.stream"]
    assert stream.evidence["kind"] == "stream_error" and "revoked" in (stream.cause or "")
    assert echoed not in report.to_json()
