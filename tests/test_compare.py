"""compare: two doctor reports, measured on loopback as two networks would differ (a DNS filter
sinkholing the API's name, a TLS-inspecting proxy's certificate, a port that refuses), name each
difference in the user's words; the checks that agree are summed up."""

from __future__ import annotations

import asyncio
import json
import ssl
from pathlib import Path

import pytest
import trustme
from servers import DNSResponder, TLSServer, closed_port

from chatkit.checks.base import CheckContext
from chatkit.checks.dns import resolve_hosts
from chatkit.checks.tcp import connect
from chatkit.checks.tls import tls_check
from chatkit.cli import main
from chatkit.findings import Finding, Report
from chatkit.share.compare import compare_reports
from chatkit.targets import Target

API = "162.159.140.245"


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def measure(*, dns_mode: str, ca: trustme.CA, open_port: bool,
            cafile: str, label: str) -> Report:
    """One network's report: DNS for api.openai.com, TLS and TCP to a loopback server."""
    records = {"api.openai.com": [API]} if dns_mode == "ok" else None
    findings: list[Finding] = []
    with DNSResponder(dns_mode, records=records) as dns, \
            TLSServer(server_context(ca)) as server:
        ctx = CheckContext(environ={"SSL_CERT_FILE": cafile}, timeout=2, samples=1,
                           system_resolvers=(dns.address,), resolvers=(), local_only=True)
        findings += asyncio.run(resolve_hosts(Target(), ctx))
        findings += asyncio.run(tls_check(
            Target(base_url=f"https://127.0.0.1:{server.port}/v1", provider="compatible"), ctx))
        port = server.port if open_port else closed_port()
        findings += asyncio.run(connect(
            Target(base_url=f"http://127.0.0.1:{port}/v1", provider="compatible"), ctx))
    return Report(findings=tuple(findings), label=label)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Report]:
    public = trustme.CA(organization_name="Loopback Public Roots")
    inspector = trustme.CA(organization_name="Contoso Inspection")
    cafile = tmp_path_factory.mktemp("ca") / "ca.pem"
    public.cert_pem.write_to_path(str(cafile))
    office = measure(dns_mode="sinkhole", ca=inspector, open_port=False,
                     cafile=str(cafile), label="office Wi-Fi")
    hotspot = measure(dns_mode="ok", ca=public, open_port=True,
                      cafile=str(cafile), label="phone hotspot")
    return office, hotspot


def by_check(report: Report) -> dict[str, Finding]:
    return {f.check: f for f in report.findings}


def test_each_difference_is_named(reports: tuple[Report, Report]) -> None:
    office, hotspot = reports
    result = compare_reports(office, hotspot)
    found = by_check(result)
    dns = found["compare.dns"]
    assert dns.status == "fail" and dns.evidence["kind"] == "compare_dns_filtered"
    assert "api.openai.com resolves to 0.0.0.0, :: on 'office Wi-Fi'" in (dns.cause or "")
    assert API in (dns.cause or "") and "filters DNS" in (dns.cause or "")
    tls = found["compare.tls"]
    assert tls.status == "fail" and "Contoso Inspection" in (tls.cause or "")
    assert "TLS-inspecting proxy or antivirus on 'office Wi-Fi'" in (tls.cause or "")
    tcp = found["compare.tcp"]
    assert "refused only on 'office Wi-Fi'" in (tcp.cause or "")
    assert result.label == "office Wi-Fi vs phone hotspot" and not result.ok


def test_the_side_with_the_problem_is_named_whichever_comes_first(
        reports: tuple[Report, Report]) -> None:
    office, hotspot = reports
    found = by_check(compare_reports(hotspot, office))
    assert "on 'office Wi-Fi' but to" in (found["compare.dns"].cause or "")
    assert "(they work on 'phone hotspot')" in (found["compare.tcp"].cause or "")


def test_what_agrees_is_summed_up(reports: tuple[Report, Report]) -> None:
    office, _ = reports
    same = compare_reports(office, office)
    assert [f.check for f in same.findings] == ["compare.agree"]
    agree = same.findings[0]
    assert agree.status == "ok" and "agree on 'office Wi-Fi' and 'office Wi-Fi'" in agree.title
    assert any(item.startswith("dns.resolve api.openai.com") for item in agree.evidence["agree"])


def test_a_check_failing_on_one_side_only_keeps_its_cause() -> None:
    fail = Finding(check="status.page", status="fail", title="major outage", cause="incident",
                   remedy="wait", evidence={"host": "status.openai.com"})
    ok = Finding(check="status.page", status="ok", title="operational",
                 evidence={"host": "status.openai.com"})
    result = compare_reports(Report(findings=(ok,), label="home"),
                             Report(findings=(fail,), label="work"))
    [difference] = [f for f in result.findings if f.check != "compare.agree"]
    assert difference.status == "fail" and difference.remedy == "wait"
    assert difference.title.startswith("status.page for status.openai.com: fail on 'work'")


def test_the_label_is_optional_in_the_report_contract() -> None:
    plain = Report(findings=())
    assert "label" not in plain.to_dict()  # unlabelled reports are exactly as before
    labelled = Report.from_dict({**plain.to_dict(), "label": "office"})
    assert labelled.label == "office" and labelled.to_dict()["label"] == "office"


def test_cli_compare(reports: tuple[Report, Report], tmp_path: Path,
                     capsys: pytest.CaptureFixture[str]) -> None:
    office, hotspot = reports
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(office.to_json(), encoding="utf-8")
    b.write_text(hotspot.to_json(), encoding="utf-8")
    assert main(["compare", str(a), str(b), "--json"]) == 1  # differences explain a failure
    data = json.loads(capsys.readouterr().out)
    assert data["label"] == "office Wi-Fi vs phone hotspot"
    assert {"compare.dns", "compare.tls", "compare.tcp"} <= {f["check"] for f in data["findings"]}
    assert main(["compare", str(a), str(a)]) == 0
    assert "agree on 'office Wi-Fi'" in capsys.readouterr().out
    assert main(["compare", str(a), str(tmp_path / "missing.json")]) == 2
    assert capsys.readouterr().err.startswith("Error: ")


def test_doctor_stores_the_label(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--sim", "--only", "dns", "--label", "office Wi-Fi", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["label"] == "office Wi-Fi"


def test_the_verdict_is_the_difference_earliest_in_the_causal_chain(
        reports: tuple[Report, Report]) -> None:
    office, hotspot = reports
    api_fail = Finding(check="api.key", status="fail", title="no answer", cause="no connection",
                       evidence={"host": "api.openai.com"})
    api_ok = Finding(check="api.key", status="ok", title="accepted",
                     evidence={"host": "api.openai.com"})
    worse = Report(findings=(api_fail, *office.findings), label="office Wi-Fi")
    better = Report(findings=(api_ok, *hotspot.findings), label="phone hotspot")
    result = compare_reports(worse, better)
    assert [f.check for f in result.findings][:2] == ["compare.dns", "compare.tcp"]
    assert result.verdict is not None and result.verdict["check"] == "compare.dns"


def test_a_web_host_in_trouble_on_one_side_only() -> None:
    trouble = Finding(check="web.dns", status="warn", title="files.oaiusercontent.com is "
                      "filtered by DNS", cause="uploads stop", remedy="allow-list it",
                      evidence={"host": "files.oaiusercontent.com", "kind": "web_dns_filtered"})
    hosts = [{"host": "chatgpt.com"}, {"host": "files.oaiusercontent.com"}]
    office = Report(findings=(trouble, Finding(
        check="web.hosts", status="info", title="1 of 2", evidence={"hosts": [
            hosts[0], {**hosts[1], "kind": "web_dns_filtered"}]})), label="office")
    home = Report(findings=(Finding(check="web.hosts", status="ok", title="2 of 2",
                                    evidence={"hosts": hosts}),), label="home")
    [difference] = [f for f in compare_reports(office, home).findings
                    if f.check != "compare.agree"]
    assert difference.title.startswith("web.dns for files.oaiusercontent.com: warn on 'office'")
    assert difference.title.endswith("but ok on 'home'") and difference.remedy == "allow-list it"
