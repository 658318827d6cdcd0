"""From what each resolver said about a host to findings: the comparison is the diagnosis.

Kept apart from :mod:`chatkit.checks.dns` (which only measures) so the rules can be read, and
tested, on their own. The words — cause, remedy — live in :mod:`chatkit.knowledge.classifier`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any

from chatkit.checks.resolver_answer import ResolverAnswer, address_kind
from chatkit.findings import Finding
from chatkit.knowledge.classifier import explain

__all__ = ["judge_host"]

# Non-public answers that no public API is ever served from.
_ALWAYS_SINKHOLE = ("unspecified",)


def _explain(kind: str, *, check: str, status: str = "fail", title: str | None = None,
             evidence: Mapping[str, Any], duration_ms: float | None = None,
             **fmt: Any) -> Finding:
    finding = explain(kind, check=check, status=status, title=title, evidence=evidence, **fmt)
    return finding.replace(duration_ms=duration_ms) if duration_ms is not None else finding


def _sinkholed(addresses: Iterable[str], public_elsewhere: bool, well_known: bool) -> list[str]:
    """The ``addresses`` that point nowhere real."""
    bad = []
    for address in addresses:
        kind = address_kind(address)
        if kind in _ALWAYS_SINKHOLE or (kind != "public" and (public_elsewhere or well_known)):
            bad.append(address)
    return bad


def judge_host(host: str, answers: Sequence[ResolverAnswer], lookup: Mapping[str, Any] | None,
               *, well_known: bool = False, invented: Set[str] = frozenset(),
               duration_ms: float | None = None) -> list[Finding]:
    """The findings for one host: one ``dns.resolve`` verdict, plus informational notes.
    ``invented``: what the system resolvers answer for names that do not exist."""
    system = [a for a in answers if a.role == "system"]
    public = [a for a in answers if a.role == "public"]
    evidence: dict[str, Any] = {"host": host, "resolvers": [a.to_dict() for a in answers]}
    if lookup is not None:
        evidence["os_lookup"] = dict(lookup)
    system_ok = [a for a in system if a.outcome == "answer"]
    public_ok = [a for a in public if a.outcome == "answer"]
    public_addresses = {x for a in public_ok for x in a.addresses}
    public_elsewhere = any(address_kind(x) == "public" for x in public_addresses)
    os_addresses = list(lookup.get("addresses") or []) if lookup else []
    findings: list[Finding] = []

    def explain(kind: str, status: str = "fail", **fmt: Any) -> Finding:
        return _explain(kind, check="dns.resolve", status=status, evidence=evidence,
                        duration_ms=duration_ms, host=host, **fmt)

    # What programs get (getaddrinfo: hosts file included) outranks what resolvers say.
    os_sinkhole = _sinkholed(os_addresses, public_elsewhere, well_known)
    if os_sinkhole:
        return [explain("dns_sinkhole", addresses=", ".join(os_sinkhole),
                        resolver="this machine's name lookup (hosts file or resolver)")]

    if not system and lookup is None:
        findings.append(explain("dns_no_resolver_config"))
        return findings

    if system and not system_ok and os_addresses:
        # Programs get an address anyway (hosts file, mDNS, a VPN's resolver hook, a local
        # name like localhost): what the DNS servers say does not stop them.
        rcode = next((a.rcode for a in system if a.answered), None) or "no answer"
        return [Finding(
            check="dns.resolve", status="ok",
            title=f"{host} → {', '.join(os_addresses[:4])} (from the OS: hosts file or local "
                  f"name service; the DNS server says {rcode})",
            evidence=evidence, duration_ms=duration_ms)]

    if system and not system_ok:
        failing = system[0]
        if all(not a.answered for a in system):
            if public and not public_ok and all(not a.answered for a in public):
                return [explain("dns_all_timeout", sent=failing.latency["sent"])]
            return [explain("dns_resolver_timeout", resolver=failing.label,
                            sent=failing.latency["sent"])]
        rcode = next((a.rcode for a in system if a.answered), None) or "no answer"
        if public_ok:
            return [explain("dns_system_only_failure", resolver=failing.label, rcode=rcode,
                            public=", ".join(a.address for a in public_ok))]
        if all(a.outcome == "nxdomain" for a in [*system, *public] if a.answered):
            return [explain("dns_not_found")]
        if all(a.outcome == "nodata" for a in [*system, *public] if a.answered):
            return [explain("dns_no_answer")]
        return [explain("dns_servfail")]

    if not system_ok and not os_addresses:
        temporary = (lookup or {}).get("kind") == "dns_temporary_failure"  # from recognize
        return [explain("dns_temporary_failure" if temporary else "dns_not_found")]

    for answer in system_ok:
        bad = _sinkholed(answer.addresses, public_elsewhere, well_known)
        if bad:
            return [explain("dns_sinkhole", addresses=", ".join(bad), resolver=answer.label)]

    if invented and system_ok and all(set(a.addresses) <= invented for a in system_ok):
        fake = sorted({x for a in system_ok for x in a.addresses})
        return [explain("dns_fake_answer", addresses=", ".join(fake),
                        resolver=system_ok[0].label)]

    lossy = [a for a in system if 0 < a.latency["loss_pct"] < 100]
    chosen = system_ok[0] if system_ok else None
    addresses = list(chosen.addresses) if chosen else os_addresses
    if lossy:
        worst = max(lossy, key=lambda a: a.latency["loss_pct"])
        findings.append(explain("dns_packet_loss", status="warn", resolver=worst.label,
                                loss_pct=worst.latency["loss_pct"], sent=worst.latency["sent"]))
    else:
        via = f"{chosen.label}, avg {chosen.latency['avg_ms']:.1f} ms" if chosen else "the OS"
        kinds = {address_kind(x) for x in addresses}
        note = "" if kinds <= {"public"} else " (a private address: fine for an internal gateway)"
        agree = f"; {len(public_ok)} public resolver(s) also answer" if public_ok else ""
        findings.append(Finding(
            check="dns.resolve", status="ok",
            title=f"{host} → {', '.join(addresses[:4]) or '?'} ({via}){agree}{note}",
            evidence=evidence, duration_ms=duration_ms))

    silent = [a for a in public if not a.answered]
    if public and len(silent) == len(public):
        findings.append(_explain(
            "dns_public_unreachable", check="dns.public", status="info", evidence=evidence,
            host=host, resolvers=", ".join(a.address for a in silent)))
    system_addresses = {x for a in system_ok for x in a.addresses}
    if system_addresses and public_addresses and not system_addresses & public_addresses:
        findings.append(_explain(
            "dns_disagreement", check="dns.consistency", status="info", evidence=evidence,
            host=host, system=", ".join(sorted(system_addresses)),
            public=", ".join(sorted(public_addresses))))
    return findings
