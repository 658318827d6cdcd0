"""Proxy settings and probes, against loopback proxies (one tunnelling, one answering 407)."""

from __future__ import annotations

import asyncio
import importlib.util
import json

import pytest
from servers import ConnectProxy, HTTPServer, closed_port

from chatkit.checks import CheckContext
from chatkit.checks.proxy import no_proxy_match, proxy_check, proxy_for
from chatkit.findings import Finding
from chatkit.targets import Target

API = "https://api.openai.com/v1"


def run(base_url: str, environ: dict[str, str], proxy: str | None = None) -> list[Finding]:
    target = Target(base_url=base_url, provider="compatible", proxy=proxy)
    return asyncio.run(proxy_check(target, CheckContext(environ=environ, timeout=3)))


def connect_finding(findings: list[Finding]) -> Finding:
    [finding] = [f for f in findings if f.check == "proxy.connect"]
    return finding


def test_which_variable_applies_either_case_lower_case_first() -> None:
    assert proxy_for(API, {"HTTPS_PROXY": "http://up:1"}).source == "HTTPS_PROXY"
    both = proxy_for(API, {"HTTPS_PROXY": "http://up:1", "https_proxy": "http://low:2"})
    assert (both.url, both.source) == ("http://low:2", "https_proxy")
    assert proxy_for("http://h/v1", {"HTTPS_PROXY": "http://p:1"}).url is None
    assert proxy_for("http://h/v1", {"http_proxy": "p:3128"}).url == "http://p:3128"
    assert proxy_for(API, {"ALL_PROXY": "socks5://s:1080"}).source == "ALL_PROXY"
    explicit = proxy_for(API, {"HTTPS_PROXY": "http://env:1"}, "http://mine:2")
    assert (explicit.url, explicit.source) == ("http://mine:2", "target.proxy")


@pytest.mark.parametrize("entry,host,port,bypass", [
    ("*", "api.openai.com", 443, True),
    ("openai.com", "api.openai.com", 443, True),
    (".openai.com", "api.openai.com", 443, True),
    ("*.openai.com", "api.openai.com", 443, True),
    ("notopenai.com", "api.openai.com", 443, False),
    ("api.openai.com:8443", "api.openai.com", 443, False),
    ("api.openai.com:443", "api.openai.com", 443, True),
    ("10.0.0.0/8", "10.1.2.3", 443, True),
    ("127.0.0.1", "127.0.0.1", 8000, True),
    ("localhost, 127.0.0.1", "10.0.0.1", 80, False),
    ("[::1]:8000", "::1", 8000, True),
])
def test_no_proxy_entries(entry: str, host: str, port: int, bypass: bool) -> None:
    assert (no_proxy_match(host, port, entry) is not None) is bypass


def test_no_proxy_in_either_case_sends_the_target_direct() -> None:
    findings = run(API, {"HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": ".openai.com"})
    [config] = findings
    assert config.status == "info" and "'.openai.com'" in config.title
    assert config.evidence["applies"] is None


def test_without_a_proxy_there_is_nothing_to_probe() -> None:
    [config] = run(API, {})
    assert config.status == "ok" and "direct" in config.title


def test_connect_tunnel_through_a_working_proxy_with_credentials_redacted() -> None:
    with HTTPServer() as origin, ConnectProxy(require_auth="alice:s3cret!") as proxy:
        url = f"http://alice:s3cret%21@127.0.0.1:{proxy.port}"
        findings = run(f"https://127.0.0.1:{origin.port}/v1", {"HTTPS_PROXY": url})
        assert proxy.requests == [f"CONNECT 127.0.0.1:{origin.port} HTTP/1.1"]
    finding = connect_finding(findings)
    assert finding.status == "ok" and "CONNECT" in finding.title
    everything = json.dumps([f.to_dict() for f in findings])
    assert "s3cret" not in everything and "alice" not in everything
    assert "REDACTED:userinfo@" in everything


def test_proxy_wanting_credentials_answers_407() -> None:
    with ConnectProxy(require_auth="alice:secret") as proxy:
        finding = connect_finding(run(API, {"https_proxy": proxy.url}))
    assert finding.status == "fail" and finding.evidence["kind"] == "proxy_auth_required"
    assert finding.evidence["status"] == 407 and "Basic" in finding.evidence["schemes"]
    assert "user:password@" in (finding.remedy or "")


def test_proxy_policy_refusing_the_tunnel() -> None:
    with ConnectProxy(refuse=True) as proxy:
        finding = connect_finding(run(API, {"HTTPS_PROXY": proxy.url}))
    assert finding.evidence["kind"] == "proxy_refused" and "403" in (finding.cause or "")


def test_proxy_that_cannot_reach_the_target() -> None:
    with ConnectProxy() as proxy:
        finding = connect_finding(run(f"https://127.0.0.1:{closed_port()}/v1",
                                      {"HTTPS_PROXY": proxy.url}))
    assert finding.evidence["kind"] == "proxy_upstream_failure" and finding.retryable


def test_proxy_that_is_not_there() -> None:
    finding = connect_finding(run(API, {"HTTPS_PROXY": f"http://127.0.0.1:{closed_port()}"}))
    assert finding.status == "fail" and finding.evidence["kind"] == "proxy_unreachable"
    assert "refused" in finding.evidence["error"].lower()


def test_plain_http_target_is_relayed_with_an_absolute_form_request() -> None:
    with HTTPServer(status="401 Unauthorized") as origin, ConnectProxy() as proxy:
        finding = connect_finding(run(f"http://127.0.0.1:{origin.port}/v1",
                                      {"HTTP_PROXY": proxy.url}))
        assert proxy.requests == [f"GET http://127.0.0.1:{origin.port}/v1/models HTTP/1.1"]
    assert finding.status == "ok" and finding.evidence["status"] == 401


@pytest.mark.skipif(importlib.util.find_spec("socksio") is not None,
                    reason="socksio is installed here, so the missing-support case cannot occur")
def test_socks_proxy_without_socksio() -> None:
    finding = connect_finding(run(API, {"ALL_PROXY": "socks5://127.0.0.1:1080"}))
    assert finding.evidence["kind"] == "proxy_socks_missing" and "httpx[socks]" in (
        finding.remedy or "")


def test_variables_that_disagree_between_cases_are_noted() -> None:
    findings = run(API, {"HTTPS_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:8",
                         "NO_PROXY": "*"})
    notes = [f for f in findings if f.evidence.get("kind") == "proxy_env_conflict"]
    assert len(notes) == 1 and "HTTPS_PROXY" in (notes[0].cause or "")
