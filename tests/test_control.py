"""Control targets: "do other sites work?", with loopback servers standing in for them."""

from __future__ import annotations

import asyncio

from servers import HTTPServer, closed_port

from chatkit.checks import CheckContext
from chatkit.checks.control import control_url, controls
from chatkit.findings import Finding
from chatkit.targets import Target


def check(api_port: int, *control_ports: int, local_only: bool = False) -> Finding:
    target = Target(base_url=f"http://127.0.0.1:{api_port}/v1", provider="compatible")
    hosts = tuple(f"http://127.0.0.1:{p}/" for p in control_ports)
    ctx = CheckContext(environ={}, timeout=2, control_hosts=hosts, local_only=local_only)
    [finding] = asyncio.run(controls(target, ctx))
    return finding


def test_everything_reachable() -> None:
    with HTTPServer() as api, HTTPServer() as a, HTTPServer() as b:
        finding = check(api.port, a.port, b.port)
    assert finding.status == "ok" and "2 of 2" in finding.title
    assert finding.evidence["api"]["reachable"] and finding.evidence["api"]["status"] == 200


def test_nothing_reachable_is_the_root_cause() -> None:
    finding = check(closed_port(), closed_port(), closed_port())
    assert finding.status == "fail" and finding.evidence["kind"] == "nothing_reachable"
    assert all(c["kind"] == "connect_refused" for c in finding.evidence["controls"])


def test_only_the_api_unreachable_is_context_for_the_specific_failure() -> None:
    with HTTPServer() as a:
        finding = check(closed_port(), a.port)
    assert finding.status == "info" and finding.evidence["kind"] == "only_api_unreachable"
    assert "127.0.0.1" in (finding.cause or "")


def test_controls_down_but_api_up_is_an_allowlist_note() -> None:
    with HTTPServer() as api:
        finding = check(api.port, closed_port())
    assert finding.status == "info" and finding.evidence["kind"] == "control_unreachable"


def test_local_only_sends_nothing_to_control_hosts() -> None:
    with HTTPServer() as api, HTTPServer() as a:
        finding = check(api.port, a.port, local_only=True)
        assert a.connections == 0 and api.connections == 0
    assert finding.status == "skip" and "only the target" in finding.title


def test_control_specs() -> None:
    assert control_url("github.com") == "https://github.com/"
    assert control_url("http://10.0.0.1:8080/health") == "http://10.0.0.1:8080/health"
