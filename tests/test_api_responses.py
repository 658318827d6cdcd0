"""The api group through the Responses API (``--api responses``): healthy, every fault named."""

from __future__ import annotations

import json

import httpx
import pytest

from chatkit.checks import CheckContext, doctor
from chatkit.cli import main
from chatkit.findings import Finding, Report
from chatkit.sim import DEFAULT_KEY, FAULTS, SimServer
from chatkit.targets import Target

ENV = {"OPENAI_API_KEY": DEFAULT_KEY}


def _run(url: str, *, provider: str = "openai", api: str | None = None,
         timeout: float = 2.0) -> dict[str, Finding]:
    context = CheckContext(environ=ENV, timeout=timeout, api=api)
    report: Report = doctor(Target(url, provider=provider), only="api", context=context)
    return {f.check: f for f in report.findings}


def test_openai_is_probed_through_the_responses_api(server: SimServer) -> None:
    found = _run(server.base_url)
    assert {c: f.status for c, f in found.items()} == {
        "api.key": "ok", "api.model": "ok", "api.request": "ok", "api.completion": "ok",
        "api.rate_limits": "ok", "api.stream": "ok"}
    completion, stream = found["api.completion"].evidence, found["api.stream"].evidence
    assert completion["api"] == stream["api"] == "responses"
    assert completion["url"].endswith("/v1/responses")
    assert completion["usage"]["output_tokens"] > 0
    assert stream["status"] == "completed" and stream["done"] is True
    assert stream["ttft_ms"] > 0 and stream["output_tokens"] > 1 and stream["tokens_per_s"] > 0


def test_other_gateways_are_probed_through_chat(server: SimServer) -> None:
    found = _run(server.base_url, provider="compatible")
    assert found["api.completion"].evidence["api"] == "chat"
    assert found["api.stream"].evidence["finish_reason"] == "stop"
    forced = _run(server.base_url, provider="compatible", api="responses")
    assert forced["api.stream"].evidence["api"] == "responses"


EXPECTED = {
    "401_invalid_key": "invalid_api_key", "403_region": "unsupported_region",
    "404_model": "model_not_found", "400_bad_request": "context_length_exceeded",
    "400_content_type": "unsupported_content_type",
    "415_content_type": "unsupported_content_type", "429_rate_limit": "rate_limit",
    "429_insufficient_quota": "insufficient_quota", "500": "server_error",
    "502_html": "cdn_error_page", "503_overloaded": "server_overloaded",
    "504_gateway_timeout": "cdn_error_page", "timeout": "read_timeout",
    "reset": "connection_reset", "malformed_json": "malformed_json",
    "captive_portal": "captive_portal",
}
# fault -> (status and kind of api.completion, status and kind of api.stream)
ANSWER_FAULTS = {
    "stream_cut": (("fail", "stream_cut"), ("fail", "stream_cut")),
    "stream_error": (("fail", "server_error"), ("fail", "stream_error")),
    "response_failed": (("fail", "server_error"), ("fail", "response_failed")),
    "incomplete": (("warn", "response_incomplete"), ("warn", "response_incomplete")),
    "incomplete:content_filter": (("warn", "response_content_filter"),
                                  ("warn", "response_content_filter")),
}


def test_every_fault_is_covered() -> None:
    named = {f.split(":")[0] for f in (*EXPECTED, *ANSWER_FAULTS)}
    assert set(FAULTS) == named | {"slow", "flaky"}


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_http_faults_are_named(server: SimServer, fault: str) -> None:
    found = _run(server.url_for_fault(fault), timeout=0.5 if fault == "timeout" else 2.0)
    for check in ("api.completion", "api.stream"):
        assert found[check].status == "fail", (check, found[check])
        assert found[check].evidence["kind"] == EXPECTED[fault], (check, found[check])
        assert found[check].evidence["api"] == "responses"
    assert found["api.request"].status == "ok"


@pytest.mark.parametrize("fault", sorted(ANSWER_FAULTS))
def test_answer_faults_are_named(server: SimServer, fault: str) -> None:
    found = _run(server.url_for_fault(fault))
    (c_status, c_kind), (s_status, s_kind) = ANSWER_FAULTS[fault]
    completion, stream = found["api.completion"], found["api.stream"]
    assert (completion.status, completion.evidence["kind"]) == (c_status, c_kind)
    assert (stream.status, stream.evidence["kind"]) == (s_status, s_kind)
    assert stream.evidence["ttft_ms"] is not None and stream.remedy
    if fault == "response_failed":
        assert stream.evidence["error_code"] == "server_error" and stream.retryable is True


def test_azure_classic_is_probed_on_its_v1_api() -> None:
    seen: list[httpx.Request] = []

    def azure(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": [{"id": "gpt-4o"}], "object": "list"})
        body = json.loads(request.content)
        if body.get("stream"):
            text = ('event: response.output_text.delta\ndata: {"type":"response.output_text.'
                    'delta","delta":"OK","sequence_number":0}\n\nevent: response.completed\n'
                    'data: {"type":"response.completed","sequence_number":1,"response":'
                    '{"status":"completed","usage":{"input_tokens":9,"output_tokens":1}}}\n\n')
            return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json={"object": "response", "status": "completed",
                                         "usage": {"output_tokens": 1}})

    target = Target("https://myres.openai.azure.com/openai", provider="azure", model="prod")
    context = CheckContext(environ={"AZURE_OPENAI_API_KEY": "azure-key-0123456789"},
                           transport=httpx.MockTransport(azure), timeout=2.0)
    found = {f.check: f for f in doctor(target, only="api", context=context).findings}
    assert found["api.completion"].status == "ok" and found["api.stream"].status == "ok"
    probes = [r for r in seen if r.method == "POST"]
    assert {r.url.path for r in probes} == {"/openai/v1/responses"}
    assert all("api-version" not in r.url.params for r in probes)
    assert all(json.loads(r.content)["model"] == "prod" for r in probes)


def test_cli_doctor_sim_api_responses_is_healthy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--sim", "--api", "responses", "--json", "--only", "api"]) == 0
    report = json.loads(capsys.readouterr().out)
    apis = {f["evidence"].get("api") for f in report["findings"]
            if f["check"] in ("api.completion", "api.stream")}
    assert apis == {"responses"} and report["summary"]["fail"] == 0


@pytest.mark.parametrize(("fault", "kind"), [("response_failed", "response_failed"),
                                             ("incomplete:content_filter",
                                              "response_content_filter"),
                                             ("429_insufficient_quota", "insufficient_quota")])
def test_cli_doctor_names_the_fault(capsys: pytest.CaptureFixture[str], fault: str,
                                    kind: str) -> None:
    code = main(["doctor", "--sim", "--sim-fault", fault, "--api", "responses", "--json",
                 "--only", "api"])
    report = json.loads(capsys.readouterr().out)
    stream = next(f for f in report["findings"] if f["check"] == "api.stream")
    assert stream["evidence"]["kind"] == kind
    assert code == (0 if stream["status"] == "warn" else 1)


def test_cli_refuses_an_unknown_api(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--sim", "--api", "completions"]) == 2
    assert "invalid choice: 'completions'" in capsys.readouterr().err
