"""DNS, per resolver: does the API's name resolve, to what, how fast, and does everyone agree?

Each host is asked of the system's resolvers (``/etc/resolv.conf`` or the context's
``system_resolvers``) and of public ones (``ctx.resolvers``; ``ip``, ``ip:port`` or
``[v6]:port``, the port defaulting to ``ctx.dns_port``), ``ctx.samples`` times each, the way
dnsdiag's dnsping does: an absolute name, ``perf_counter`` around every query, then
min/avg/max/stddev and loss. The answers (A, AAAA, CNAME chain, rcode, TTL) go into the
evidence; the comparison between resolvers becomes the verdict: a name that fails only on the
system resolver, a sinkholed answer (0.0.0.0, loopback, private ranges for a public name), a
resolver that does not answer, resolvers that disagree. Two more looks: what ``getaddrinfo``
gives (what programs really get: the hosts file included), and one made-up name per system
resolver, which an honest resolver answers NXDOMAIN (dnsrecon's NXDOMAIN-hijack probe).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from chatkit.checks._stats import summarize_latency
from chatkit.checks.base import CheckContext, register
from chatkit.checks.dns_verdict import judge_host
from chatkit.checks.proxy import proxy_for
from chatkit.checks.resolver_answer import ResolverAnswer, Role, address_kind
from chatkit.errors import UsageError
from chatkit.findings import Finding
from chatkit.knowledge.classifier import explain
from chatkit.knowledge.recognize import recognize
from chatkit.targets import Target

__all__ = [
    "ResolverAnswer",
    "address_kind",
    "invented_answers",
    "is_ip_literal",
    "os_lookup",
    "parse_resolver",
    "query_resolver",
    "resolve",
    "system_nameservers",
]

# At most this long per query: a resolver that has not answered in 2 s is not going to
# (dnsping's default wait).
_MAX_QUERY_TIMEOUT = 2.0


def _per_query(timeout: float, samples: int) -> float:
    """One query's time limit: the budget split over the samples (and the AAAA query)."""
    return min(_MAX_QUERY_TIMEOUT, max(0.05, timeout / (samples + 1)))


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def parse_resolver(spec: str, default_port: int = 53) -> tuple[str, int]:
    """``"9.9.9.9"``, ``"127.0.0.1:5353"``, ``"[::1]:53"`` or ``"::1"`` -> (address, port)."""
    spec = spec.strip()
    if is_ip_literal(spec):
        return spec.strip("[]"), default_port
    parts = urlsplit(f"//{spec}")
    try:
        port = parts.port or default_port
    except ValueError:
        port = None
    if not parts.hostname or port is None or not is_ip_literal(parts.hostname):
        raise UsageError(f"resolver {spec!r} is not an IP address (optionally with :port); "
                         "give one like 1.1.1.1 or 127.0.0.1:5353")
    return parts.hostname, port


def system_nameservers() -> tuple[str, ...]:
    """The nameservers the OS is configured with (resolv.conf, or the registry on Windows)."""
    import dns.resolver

    try:
        return tuple(str(ns) for ns in dns.resolver.Resolver(configure=True).nameservers)
    except Exception:  # no resolv.conf, unreadable config: nothing to ask directly
        return ()


def _chain_and_addresses(response: Any, qname: Any, rdtype: Any) -> tuple[list[str], list[str],
                                                                        int | None]:
    import dns.rdataclass
    import dns.rdatatype

    chain: list[str] = []
    name = qname
    for _ in range(16):  # CNAME loops exist in the wild; 16 is more than any real chain
        cname = response.get_rrset(response.answer, name, dns.rdataclass.IN,
                                   dns.rdatatype.CNAME)
        if cname is None:
            break
        name = cname[0].target
        chain.append(name.to_text())
    rrset = response.get_rrset(response.answer, name, dns.rdataclass.IN, rdtype)
    addresses = [r.to_text() for r in rrset] if rrset is not None else []
    ttl = rrset.ttl if rrset is not None else None
    return chain, addresses, ttl


async def _query(host: str, rdtype: str, address: str, port: int,
                 timeout: float) -> tuple[Any, float | None, str | None]:
    """One query: (response or None, elapsed ms or None, error or None)."""
    import dns.asyncquery
    import dns.exception
    import dns.message
    import dns.name

    # Absolute name: a relative one picks up the OS search suffix (dnsdiag #47).
    qname = dns.name.from_text(host.rstrip(".") + ".")
    query = dns.message.make_query(qname, rdtype)
    started = time.perf_counter()
    try:
        response, _ = await dns.asyncquery.udp_with_fallback(query, address, timeout=timeout,
                                                             port=port)
    except dns.exception.Timeout:
        return None, None, "timeout"
    except ConnectionRefusedError:
        return None, None, "refused (nothing listens on that port)"
    except (OSError, dns.exception.DNSException) as exc:
        return None, None, f"{type(exc).__name__}: {exc}"
    return response, (time.perf_counter() - started) * 1000, None


async def query_resolver(host: str, address: str, port: int = 53, *, role: Role = "public",
                         samples: int = 3, timeout: float = 2.0) -> ResolverAnswer:
    """Ask one resolver for ``host``'s A records ``samples`` times (timed) and AAAA once."""
    import dns.name
    import dns.rcode
    import dns.rdatatype

    samples = max(1, samples)
    timings: list[float | None] = []
    first: Any = None
    error: str | None = None
    for _ in range(samples):
        response, took, why = await _query(host, "A", address, port, timeout)
        timings.append(took)
        if response is not None and first is None:
            first = response
        error = error or why
    latency = summarize_latency(timings)
    if first is None:
        return ResolverAnswer(address=address, port=port, role=role,
                              latency=latency, error=error or "no answer")
    qname = dns.name.from_text(host.rstrip(".") + ".")
    chain, a, ttl = _chain_and_addresses(first, qname, dns.rdatatype.A)
    aaaa: list[str] = []
    rcode = dns.rcode.to_text(first.rcode())
    if rcode == "NOERROR":
        response6, _, _ = await _query(host, "AAAA", address, port, timeout)
        if response6 is not None:
            _, aaaa, _ = _chain_and_addresses(response6, qname, dns.rdatatype.AAAA)
    return ResolverAnswer(address=address, port=port, role=role, rcode=rcode,
                          a=tuple(a), aaaa=tuple(aaaa), cname_chain=tuple(chain), ttl=ttl,
                          latency=latency)


async def invented_answers(address: str, port: int = 53, *, timeout: float = 2.0) -> list[str]:
    """What the resolver answers for a name that cannot exist (a random label under .com).
    Any address means it rewrites NXDOMAIN (an ISP "search" page, a portal, a filter)."""
    import secrets

    import dns.name
    import dns.rcode
    import dns.rdatatype

    name = f"chatkit-nx-{secrets.token_hex(8)}.com"
    response, _, _ = await _query(name, "A", address, port, timeout)
    if response is None or response.rcode() != dns.rcode.NOERROR:
        return []
    _, addresses, _ = _chain_and_addresses(response, dns.name.from_text(name + "."),
                                           dns.rdatatype.A)
    return addresses


async def os_lookup(host: str, port: int = 443) -> dict[str, Any]:
    """What programs actually get: ``getaddrinfo`` (hosts file, nsswitch, resolved, VPN hooks)."""
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return {"addresses": [], "error": f"{type(exc).__name__}: {exc}",
                "kind": recognize(exc)[0],  # not found, or DNS temporarily down
                "ms": round((time.perf_counter() - started) * 1000, 3)}
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    return {"addresses": addresses, "error": None,
            "ms": round((time.perf_counter() - started) * 1000, 3)}


def _hosts(target: Target, ctx: CheckContext) -> list[str]:
    hosts = [target.host]
    default = target.profile.default_base_url
    # The provider's other hosts (chatgpt.com for OpenAI) matter when the target is the
    # provider itself, not a gateway in front of it; they are beyond the target: local_only.
    if default and urlsplit(default).hostname == target.host and not ctx.local_only:
        hosts += [h for h in target.profile.extra_hosts if h not in hosts]
    return hosts


def _well_known(target: Target, host: str) -> bool:
    """A host the provider serves publicly, so a private answer for it is never right."""
    default = target.profile.default_base_url
    known = {urlsplit(default).hostname} if default else set()
    return host in known or host in target.profile.extra_hosts


async def resolve(host: str, *, system: Sequence[tuple[str, int]],
                  public: Sequence[tuple[str, int]], samples: int,
                  timeout: float) -> list[ResolverAnswer]:
    """Ask every resolver about ``host`` at once; system resolvers first in the result."""
    per_query = _per_query(timeout, samples)
    jobs = [query_resolver(host, a, p, role="system", samples=samples, timeout=per_query)
            for a, p in system]
    jobs += [query_resolver(host, a, p, role="public", samples=samples, timeout=per_query)
             for a, p in public]
    return list(await asyncio.gather(*jobs))


@register("dns")
async def resolve_hosts(target: Target, ctx: CheckContext) -> list[Finding]:
    """Resolve the API host (and the provider's chat host) through every resolver."""
    if is_ip_literal(target.host):
        return [Finding(check="dns.resolve", status="skip",
                        title=f"{target.host} is an IP address: nothing to resolve",
                        evidence={"host": target.host})]
    injected = ctx.system_resolvers is not None
    system_specs = ctx.system_resolvers if injected else system_nameservers()
    system = [parse_resolver(s, 53) for s in (system_specs or ())]
    public = [] if ctx.local_only else [parse_resolver(s, ctx.dns_port) for s in ctx.resolvers]
    findings: list[Finding] = []
    if ctx.local_only:
        findings.append(Finding(
            check="dns.public", status="skip",
            title="public resolvers not asked: this run reaches only the target itself",
            evidence={"resolvers": list(ctx.resolvers), "reason": "local_only"}))
    elif not public:
        findings.append(Finding(check="dns.public", status="skip",
                                title="no public resolvers configured to compare with"))

    async def measure(host: str) -> tuple[list[ResolverAnswer], Any, float]:
        started = time.perf_counter()
        answers, lookup = await asyncio.gather(
            resolve(host, system=system, public=public, samples=ctx.samples,
                    timeout=ctx.timeout),
            # getaddrinfo goes wherever the OS sends it; with injected resolvers (tests,
            # a chosen resolver) it would leave the loopback the caller asked for.
            os_lookup(host, target.port) if not injected else _none())
        return answers, lookup, (time.perf_counter() - started) * 1000

    hosts = _hosts(target, ctx)
    per_query = _per_query(ctx.timeout, ctx.samples)
    measured, probes = await asyncio.gather(
        asyncio.gather(*(measure(h) for h in hosts)),
        asyncio.gather(*(invented_answers(a, p, timeout=per_query) for a, p in system)))
    invented = {x for found in probes for x in found}
    if invented:
        findings.append(_rewrite_note(system, probes, invented))
    for host, (answers, lookup, took) in zip(hosts, measured, strict=True):
        findings += judge_host(host, answers, lookup, well_known=_well_known(target, host),
                               invented=invented, duration_ms=took)
    return _behind_proxy(target, ctx, findings)


def _rewrite_note(system: Sequence[tuple[str, int]], probes: Sequence[list[str]],
                  invented: set[str]) -> Finding:
    liars = [a if p == 53 else f"{a}:{p}"
             for (a, p), found in zip(system, probes, strict=True) if found]
    return explain("dns_nxdomain_rewrite", check="dns.hijack", status="info",
                   evidence={"resolvers": liars, "invented": sorted(invented)},
                   resolver=f"system resolver {', '.join(liars)}",
                   addresses=", ".join(sorted(invented)))


def _behind_proxy(target: Target, ctx: CheckContext, findings: list[Finding]) -> list[Finding]:
    """Through an HTTP proxy the proxy resolves the API's name: a local DNS problem is worth
    knowing but cannot be why requests fail, so it is noted, not failed."""

    proxy = proxy_for(target.url, ctx.environ, target.proxy)
    if proxy.url is None:
        return findings
    note = f" (not needed: {target.host} is reached through the proxy {proxy.shown})"
    return [f.replace(status="info", title=f.title + note)
            if f.check == "dns.resolve" and f.status in ("fail", "warn") else f
            for f in findings]


async def _none() -> None:
    return None
