"""``chatkit doctor`` and ``run_all``: concurrency, the Report contract, and a named cause for
every simulated fault, in the terminal and in JSON."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from servers import BlackHole, ConnectProxy, DNSResponder, HTTPServer, closed_port

from chatkit import checks
from chatkit.checks import CheckContext, register, run_all
from chatkit.cli import main
from chatkit.findings import CATEGORIES, STATUSES, Finding, Report
from chatkit.sim import FAULTS
from chatkit.targets import Target

FINDING_KEYS = ["check", "status", "category", "title", "cause", "remedy", "evidence",
                "retryable", "duration_ms"]
REPORT_KEYS = ["chatkit_version", "target", "started_at", "finished_at", "environment",
               "findings", "summary", "verdict"]


def assert_report_contract(data: dict[str, Any]) -> None:
    """The Report JSON contract of DESIGN.md, key by key."""
    assert list(data) == REPORT_KEYS
    assert {"base_url", "provider", "key"} <= set(data["target"])
    for stamp in (data["started_at"], data["finished_at"]):
        assert stamp.endswith("Z") and "T" in stamp
    counts = dict.fromkeys(STATUSES, 0)
    for finding in data["findings"]:
        assert list(finding) == FINDING_KEYS
        assert finding["status"] in STATUSES and finding["category"] in (*CATEGORIES, None)
        assert isinstance(finding["title"], str) and finding["title"]
        assert isinstance(finding["evidence"], dict)
        assert finding["retryable"] in (True, False, None)
        assert finding["duration_ms"] is None or finding["duration_ms"] >= 0
        counts[finding["status"]] += 1
    assert data["summary"] == counts
    verdict = data["verdict"]
    if verdict is not None:
        assert list(verdict) == ["check", "category", "cause", "remedy", "retryable"]


def doctor_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["doctor", "--sim", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_doctor_on_a_healthy_simulator_is_all_well(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy in the user's environment must not be used for the in-process simulator.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    code, data = doctor_json(capsys)
    assert_report_contract(data)
    assert code == 0 and data["verdict"] is None and data["summary"]["fail"] == 0
    found = {f["check"]: f for f in data["findings"]}
    assert set(checks.GROUP_ORDER) == {c.split(".")[0] for c in found}
    # groups that would leave the machine are skipped, saying why
    assert found["control.reach"]["status"] == "skip"
    assert "only the target" in found["control.reach"]["title"]
    assert found["dns.resolve"]["status"] == "skip"  # 127.0.0.1: nothing to resolve
    assert found["status.page"]["status"] == "ok" and found["http.phases"]["status"] == "ok"


def test_an_outage_on_the_status_page_becomes_the_verdict(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, data = doctor_json(capsys, "--sim-status", "major_outage")
    assert_report_contract(data)
    assert code == 1
    assert data["verdict"]["check"] == "status.page" and data["verdict"]["category"] == "service"
    assert "Major Service Outage" in data["verdict"]["cause"]


def _fault_spec(name: str) -> str:
    return "flaky:1" if name == "flaky" else name  # every request fails, not a seeded share


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_simulated_fault_is_named_with_class_cause_and_remedy(
        fault: str, capsys: pytest.CaptureFixture[str]) -> None:
    timeout = ["--timeout", "1"] if fault == "timeout" else []
    code, data = doctor_json(capsys, "--sim-fault", _fault_spec(fault), *timeout)
    assert_report_contract(data)
    verdict = data["verdict"]
    assert verdict is not None, f"{fault}: nothing found"
    assert verdict["category"] in CATEGORIES and verdict["cause"] and verdict["remedy"], verdict
    assert code == (0 if data["summary"]["fail"] == 0 else 1)
    # the terminal rendering of the same report says the same
    text = Report.from_dict(data).to_text(width=10_000)
    assert f"Verdict: {verdict['category']}: " in text and f"Fix: {verdict['remedy']}" in text


def test_terminal_report_is_a_table_with_colour_only_when_asked(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--sim", "--color", "always", "--only", "tcp,status"]) == 0
    coloured = capsys.readouterr().out
    assert "\x1b[32m✔ ok" in coloured
    assert main(["doctor", "--sim", "--color", "never", "--only", "tcp,status"]) == 0
    plain = capsys.readouterr().out
    assert "\x1b[" not in plain
    lines = plain.splitlines()
    assert any(line.startswith("✔ ok    tcp.connect") for line in lines)
    assert lines[-1] == "Verdict: All checks passed: nothing wrong was found."


def test_bad_usage_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--sim", "--only", "dns,weather"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: unknown check group weather; choose from: dns, tcp")
    assert main(["doctor", "--sim-fault", "gremlins"]) == 2
    assert "unknown fault 'gremlins'" in capsys.readouterr().err


# --- run_all ---------------------------------------------------------------------------------

@pytest.fixture
def rendezvous() -> Iterator[str]:
    """Two checks that each wait for the other: they can only finish if run concurrently."""
    group = "rendezvous_test"
    arrived = {"a": asyncio.Event(), "b": asyncio.Event()}

    async def meet(me: str, other: str) -> list[Finding]:
        arrived[me].set()
        await arrived[other].wait()
        return [Finding(check=f"{group}.{me}", status="ok", title=f"{me} met {other}")]

    async def a(target: Target, ctx: CheckContext) -> list[Finding]:
        return await meet("a", "b")

    async def b(target: Target, ctx: CheckContext) -> list[Finding]:
        return await meet("b", "a")

    register(group)(a)
    register(group)(b)
    try:
        yield group
    finally:
        del checks.GROUPS[group]


def test_run_all_runs_checks_concurrently_and_reports_progress(rendezvous: str) -> None:
    seen: list[str] = []
    target = Target(base_url="http://127.0.0.1:9/v1", provider="compatible")
    report = asyncio.run(run_all(target, only=rendezvous, progress=lambda f: seen.append(f.check),
                                 context=CheckContext(environ={}, timeout=0.5)))
    assert sorted(f.check for f in report.findings) == [f"{rendezvous}.a", f"{rendezvous}.b"]
    assert all(f.status == "ok" for f in report.findings)  # neither hit its time limit
    assert sorted(seen) == sorted(f.check for f in report.findings)


def test_a_crashing_or_hanging_check_becomes_a_finding() -> None:
    group = "broken_test"
    key = "sk-proj-0123456789abcdef0123456789abcdef"

    async def crash(target: Target, ctx: CheckContext) -> list[Finding]:
        raise RuntimeError(f"boom with {key}")  # a crash's text must not carry a key out

    async def hang(target: Target, ctx: CheckContext) -> list[Finding]:
        await asyncio.Event().wait()
        return []

    register(group)(crash)
    register(group)(hang)
    try:
        report = asyncio.run(run_all(Target(base_url="http://127.0.0.1:9/v1",
                                            provider="compatible"), only=group,
                                     context=CheckContext(environ={}, timeout=0.01)))
    finally:
        del checks.GROUPS[group]
    by_check = {f.check: f for f in report.findings}
    assert by_check["broken_test.crash"].status == "warn"
    assert "RuntimeError: boom" in (by_check["broken_test.crash"].cause or "")
    assert key not in report.to_json()
    assert "did not finish" in by_check["broken_test.hang"].title


# --- network faults end to end: the verdict is the root cause, not the API call after it ------

@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE",
                 "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-loopback-only-0000")
    return monkeypatch


def doctor_at(capsys: pytest.CaptureFixture[str], base_url: str, *args: str) -> dict[str, Any]:
    code = main(["doctor", "--base-url", base_url, "--provider", "compatible", "--local-only",
                 "--json", "--timeout", "1", *args])
    data = json.loads(capsys.readouterr().out)
    assert_report_contract(data)
    assert code == 1 and data["verdict"] is not None
    return data


def verdict_kind(data: dict[str, Any]) -> tuple[str, str]:
    [cause] = [f for f in data["findings"] if f["check"] == data["verdict"]["check"]
               and f["status"] == "fail"][:1]
    return cause["check"], cause["evidence"]["kind"]


def test_closed_port_verdict_is_tcp(clean_env: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = doctor_at(capsys, f"http://127.0.0.1:{closed_port()}/v1")
    assert verdict_kind(data) == ("tcp.connect", "connect_refused")


def test_silent_server_verdict_is_the_http_read_timeout(
        clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with BlackHole() as server:
        data = doctor_at(capsys, f"http://127.0.0.1:{server.port}/v1")
    assert verdict_kind(data) == ("http.phases", "read_timeout")


def test_untrusted_certificate_verdict_is_tls(clean_env: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import ssl

    import trustme

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    with HTTPServer(ssl_context=context) as server:
        data = doctor_at(capsys, f"https://127.0.0.1:{server.port}/v1")
    assert verdict_kind(data) == ("tls.handshake", "tls_unknown_ca")
    assert "never disable verification" in data["verdict"]["remedy"]


def test_proxy_wanting_credentials_verdict_is_the_proxy(
        clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with ConnectProxy(require_auth="u:p") as proxy, HTTPServer() as origin:
        clean_env.setenv("HTTPS_PROXY", proxy.url)
        data = doctor_at(capsys, f"https://127.0.0.1:{origin.port}/v1")
    assert verdict_kind(data) == ("proxy.connect", "proxy_auth_required")


def test_sinkholed_name_verdict_is_dns(clean_env: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    with DNSResponder("sinkhole") as system:
        # --only dns: the other groups would look the name up through the real system resolver
        data = doctor_at(capsys, "https://api.example.com/v1", "--only", "dns",
                         "--system-resolver", system.address)
    assert verdict_kind(data) == ("dns.resolve", "dns_sinkhole")


def test_a_check_context_never_shows_the_environment_it_carries() -> None:
    planted = "sk-proj-PLANTEDcontextKEY0123456789abcdefXYZ"
    from chatkit.checks import CheckContext

    ctx = CheckContext(environ={"OPENAI_API_KEY": planted})
    assert planted not in repr(ctx) and "timeout=" in repr(ctx)
