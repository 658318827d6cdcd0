"""DNS per resolver against loopback responders: each behaviour is named correctly."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from servers import DNSResponder

from chatkit.checks import CheckContext
from chatkit.checks.dns import ResolverAnswer, os_lookup, parse_resolver, resolve_hosts
from chatkit.checks.dns_verdict import judge_host
from chatkit.errors import UsageError
from chatkit.findings import Finding
from chatkit.targets import Target

HOST = "api.example.com"
GOOD = {HOST: ["93.184.216.34", "2606:2800:220:1::1"]}
GATEWAY = Target(base_url=f"https://{HOST}/v1", provider="compatible")


def run(target: Target, system: DNSResponder | None, *public: DNSResponder,
        **options: object) -> list[Finding]:
    ctx = CheckContext(
        environ=options.pop("environ", {}),  # type: ignore[arg-type]
        timeout=options.pop("timeout", 0.8),  # type: ignore[arg-type]
        system_resolvers=(system.address,) if system else (),
        resolvers=tuple(p.address for p in public), **options)  # type: ignore[arg-type]
    return asyncio.run(resolve_hosts(target, ctx))


def by_check(findings: list[Finding], check: str) -> Finding:
    matches = [f for f in findings if f.check == check]
    assert len(matches) == 1, findings
    return matches[0]


@pytest.fixture
def good() -> Iterator[DNSResponder]:
    with DNSResponder("ok", records=GOOD) as responder:
        yield responder


def test_all_fine_reports_answers_chain_and_latency_per_resolver() -> None:
    with DNSResponder("ok", records={"edge.cdn.example.net": ["93.184.216.34"]},
                      cnames={HOST: "api.cdn.example.net", "api.cdn.example.net":
                              "edge.cdn.example.net"}) as system, \
            DNSResponder("ok", records={HOST: ["93.184.216.34"]}) as public:
        findings = run(GATEWAY, system, public, samples=4)
    resolve = by_check(findings, "dns.resolve")
    assert resolve.status == "ok" and "93.184.216.34" in resolve.title
    first, second = resolve.evidence["resolvers"]
    assert first["role"] == "system" and second["role"] == "public"
    assert first["cname_chain"] == ["api.cdn.example.net.", "edge.cdn.example.net."]
    assert first["rcode"] == "NOERROR" and first["a"] == ["93.184.216.34"]
    assert first["sent"] == 4 and first["received"] == 4 and first["loss_pct"] == 0.0
    assert 0 < first["min_ms"] <= first["avg_ms"] <= first["max_ms"]
    assert first["stddev_ms"] >= 0 and first["ttl"] == 300
    assert [f.check for f in findings] == ["dns.resolve"]  # nothing to note: they agree


@pytest.mark.parametrize("mode,rcode", [("nxdomain", "NXDOMAIN"), ("servfail", "SERVFAIL")])
def test_failure_on_the_system_resolver_only(good: DNSResponder, mode: str, rcode: str) -> None:
    with DNSResponder(mode) as system:
        finding = by_check(run(GATEWAY, system, good), "dns.resolve")
    assert finding.status == "fail" and finding.category == "network"
    assert finding.evidence["kind"] == "dns_system_only_failure"
    assert rcode in (finding.cause or "") and "public resolver" in (finding.remedy or "")


def test_sinkholed_answer_is_named(good: DNSResponder) -> None:
    with DNSResponder("sinkhole") as system:
        finding = by_check(run(GATEWAY, system, good), "dns.resolve")
    assert finding.status == "fail" and finding.evidence["kind"] == "dns_sinkhole"
    assert "0.0.0.0" in (finding.cause or "") and "::" in (finding.cause or "")


def test_silent_system_resolver_is_a_timeout(good: DNSResponder) -> None:
    with DNSResponder("drop") as system:
        finding = by_check(run(GATEWAY, system, good), "dns.resolve")
    assert finding.status == "fail" and finding.evidence["kind"] == "dns_resolver_timeout"
    assert finding.evidence["resolvers"][0]["loss_pct"] == 100.0
    assert finding.retryable is True


def test_no_resolver_answering_at_all() -> None:
    with DNSResponder("drop") as system, DNSResponder("drop") as public:
        finding = by_check(run(GATEWAY, system, public), "dns.resolve")
    assert finding.evidence["kind"] == "dns_all_timeout"


def test_name_missing_everywhere_is_not_found() -> None:
    with DNSResponder("nxdomain") as system, DNSResponder("nxdomain") as public:
        finding = by_check(run(GATEWAY, system, public), "dns.resolve")
    assert finding.status == "fail" and finding.evidence["kind"] == "dns_not_found"


def test_blocked_public_resolvers_are_only_a_note(good: DNSResponder) -> None:
    with DNSResponder("drop") as public:
        findings = run(GATEWAY, good, public)
    assert by_check(findings, "dns.resolve").status == "ok"
    note = by_check(findings, "dns.public")
    assert note.status == "info" and note.evidence["kind"] == "dns_public_unreachable"


def test_disagreeing_resolvers_are_informational(good: DNSResponder) -> None:
    with DNSResponder("ok", records={HOST: ["104.18.7.192"]}) as public:
        findings = run(GATEWAY, good, public)
    assert by_check(findings, "dns.resolve").status == "ok"
    note = by_check(findings, "dns.consistency")
    assert note.status == "info" and note.evidence["kind"] == "dns_disagreement"
    assert "104.18.7.192" in (note.cause or "") and "93.184.216.34" in (note.cause or "")


def test_lost_queries_are_a_warning() -> None:
    with DNSResponder("ok", records=GOOD, drop_every=2) as system:
        finding = by_check(run(GATEWAY, system, samples=4), "dns.resolve")
    assert finding.status == "warn" and finding.evidence["kind"] == "dns_packet_loss"
    assert finding.evidence["resolvers"][0]["loss_pct"] == 50.0


def test_private_answer_is_a_sinkhole_for_the_providers_host_but_fine_for_a_gateway() -> None:
    records = {"api.openai.com": ["10.20.30.40"], "chatgpt.com": ["104.18.32.47"],
               HOST: ["10.20.30.40"]}
    with DNSResponder("ok", records=records) as system, DNSResponder("nxdomain") as public:
        openai = run(Target(), system, public)
        gateway = run(GATEWAY, system, public)
    hosts = {f.evidence["host"]: f for f in openai if f.check == "dns.resolve"}
    assert set(hosts) == {"api.openai.com", "chatgpt.com"}  # the chat host is checked too
    assert hosts["api.openai.com"].evidence["kind"] == "dns_sinkhole"
    assert hosts["chatgpt.com"].status == "ok"
    ok = by_check(gateway, "dns.resolve")
    assert ok.status == "ok" and "private address" in ok.title


def test_ip_literal_host_is_skipped() -> None:
    finding = by_check(run(Target(base_url="http://127.0.0.1:8000/v1", provider="compatible"),
                           None), "dns.resolve")
    assert finding.status == "skip" and "IP address" in finding.title


def test_local_only_never_asks_public_resolvers(good: DNSResponder) -> None:
    with DNSResponder("ok", records=GOOD) as public:
        findings = run(GATEWAY, good, public, local_only=True)
        assert public.queries == 0
    assert by_check(findings, "dns.public").status == "skip"
    assert by_check(findings, "dns.resolve").status == "ok"


def test_resolver_specs() -> None:
    assert parse_resolver("9.9.9.9", 5353) == ("9.9.9.9", 5353)
    assert parse_resolver("127.0.0.1:5300") == ("127.0.0.1", 5300)
    assert parse_resolver("[::1]:5300") == ("::1", 5300)
    assert parse_resolver("::1") == ("::1", 53)
    with pytest.raises(UsageError, match="not an IP address"):
        parse_resolver("dns.google")


def test_os_lookup_reports_what_getaddrinfo_gives() -> None:
    found = asyncio.run(os_lookup("localhost", 443))
    assert found["error"] is None and set(found["addresses"]) & {"127.0.0.1", "::1"}


def test_behind_a_proxy_a_local_dns_failure_is_only_noted(good: DNSResponder) -> None:
    with DNSResponder("sinkhole") as system:
        findings = run(GATEWAY, system, good, environ={"HTTPS_PROXY": "http://u:p@127.0.0.1:3128"})
    finding = by_check(findings, "dns.resolve")
    assert finding.status == "info" and finding.evidence["kind"] == "dns_sinkhole"
    assert "reached through the proxy http://REDACTED:userinfo@127.0.0.1:3128" in finding.title


def test_a_name_the_os_resolves_itself_is_fine_whatever_the_dns_server_says() -> None:
    # localhost, a hosts-file entry, an mDNS name: getaddrinfo answers, the DNS server does not.
    refusal = ResolverAnswer(address="10.0.0.53", port=53, role="system", rcode="NXDOMAIN")
    [finding] = judge_host("localhost", [refusal], {"addresses": ["127.0.0.1"], "error": None})
    assert finding.status == "ok" and "from the OS" in finding.title and "NXDOMAIN" in finding.title
    # ... unless what the OS gives is a sinkhole (an ad-blocking hosts file)
    [blocked] = judge_host("api.openai.com", [refusal], {"addresses": ["0.0.0.0"], "error": None})
    assert blocked.status == "fail" and blocked.evidence["kind"] == "dns_sinkhole"


def test_a_resolver_that_invents_answers_is_noted() -> None:
    with DNSResponder("ok", records=GOOD, invent="93.184.216.99") as system:
        findings = run(GATEWAY, system)
    assert by_check(findings, "dns.resolve").status == "ok"
    note = by_check(findings, "dns.hijack")
    assert note.status == "info" and note.evidence["kind"] == "dns_nxdomain_rewrite"
    assert note.evidence["invented"] == ["93.184.216.99"]


def test_a_mistyped_host_that_only_resolves_by_invention_fails() -> None:
    typo = Target(base_url="https://api.exmaple.com/v1", provider="compatible")
    with DNSResponder("ok", records=GOOD, invent="93.184.216.99") as system:
        finding = by_check(run(typo, system), "dns.resolve")
    assert finding.status == "fail" and finding.evidence["kind"] == "dns_fake_answer"
    assert "93.184.216.99" in (finding.cause or "")


def test_getaddrinfo_failing_for_now_is_temporary_not_a_missing_name() -> None:
    # no resolver to ask directly: the verdict rests on what getaddrinfo's error means
    temporary = {"addresses": [], "error": "gaierror: [Errno -3] Temporary failure in name "
                 "resolution", "kind": "dns_temporary_failure"}
    [finding] = judge_host("api.example.com", [], temporary)
    assert finding.evidence["kind"] == "dns_temporary_failure" and finding.retryable is True
    missing = {"addresses": [], "error": "gaierror: [Errno -2] Name or service not known",
               "kind": "dns_not_found"}
    [finding] = judge_host("api.example.com", [], missing)
    assert finding.evidence["kind"] == "dns_not_found"


def test_os_lookup_says_what_its_failure_means() -> None:
    import socket

    async def lookup(errno: int, message: str) -> dict:
        async def failing(*args: object, **kwargs: object) -> list:
            raise socket.gaierror(errno, message)

        asyncio.get_running_loop().getaddrinfo = failing  # type: ignore[method-assign]
        return await os_lookup("api.example.com")

    down = asyncio.run(lookup(-3, "Temporary failure in name resolution"))
    assert down["addresses"] == [] and down["kind"] == "dns_temporary_failure"
    assert asyncio.run(lookup(-2, "Name or service not known"))["kind"] == "dns_not_found"
