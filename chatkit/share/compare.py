"""Two doctor reports side by side (two networks, two machines, before and after a change): the
differences that explain why the service works on one side and not on the other.

Findings are matched by check and host. Some differences have a meaning of their own: a name
that resolves to 0.0.0.0 (or does not resolve) on one side only is that network's DNS filter, a
certificate issued by someone else on one side is a TLS-inspecting proxy there, a port that
connects on one side only is a firewall. Any other check that fails or warns on one side only is
reported with that side's cause and remedy. Everything else agrees, and is summed up in one line.
The result is itself a :class:`~chatkit.findings.Report`, so it renders, prints as JSON and goes
into a bundle like any other.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from chatkit.findings import SEVERITY, Finding, Report, causal_rank, utcnow_iso
from chatkit.knowledge.classifier import explain

__all__ = ["compare_reports", "report_label"]

Key = tuple[str, str]
_BAD = ("fail", "warn")
_OUTCOME = {"refused": "refused", "timeout": "timed out", "network_unreachable": "unroutable",
            "host_unreachable": "unroutable"}


def report_label(report: Report, fallback: str) -> str:
    """The name a report goes by: its ``--label``, else ``fallback`` and when it ran."""
    if report.label:
        return report.label
    return f"{fallback} ({report.started_at[:16].replace('T', ' ')})"


def _key(finding: Finding) -> Key:
    evidence = finding.evidence
    return finding.check, str(evidence.get("host") or evidence.get("url") or "")


def _index(findings: Iterable[Finding]) -> dict[Key, Finding]:
    """One finding per key: the most severe when a check said several things of one host."""
    out: dict[Key, Finding] = {}
    for finding in findings:
        key = _key(finding)
        if key not in out or SEVERITY[finding.status] < SEVERITY[out[key].status]:
            out[key] = finding
    return out


def _addresses(finding: Finding) -> list[str]:
    """What a dns.resolve finding says the name resolves to (what programs get first)."""
    evidence = finding.evidence
    lookup = evidence.get("os_lookup") or {}
    if lookup.get("addresses"):
        return list(lookup["addresses"])
    found: list[str] = []
    for answer in evidence.get("resolvers") or []:
        if answer.get("role") == "system":
            found += [*answer.get("a", []), *answer.get("aaaa", [])]
    return list(dict.fromkeys(found))


def _public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


class _Sides:
    """The two labels, and which is which for a given difference."""

    def __init__(self, a: str, b: str) -> None:
        self.a, self.b = a, b

    def pick(self, a_is_bad: bool) -> dict[str, str]:
        where, other = (self.a, self.b) if a_is_bad else (self.b, self.a)
        return {"where": f"'{where}'", "other": f"'{other}'"}


_CHECK = {"compare_dns_filtered": "compare.dns", "compare_dns_failed": "compare.dns",
          "compare_tls_inspected": "compare.tls", "compare_port_blocked": "compare.tcp"}


def _explain(kind: str, status: str, evidence: Mapping[str, Any], **values: Any) -> Finding:
    return explain(kind, check=_CHECK[kind], status=status, evidence=dict(evidence), **values)


def _dns(host: str, fa: Finding, fb: Finding, sides: _Sides) -> Finding | None:
    aa, ab = _addresses(fa), _addresses(fb)
    bad_a = [x for x in aa if not _public(x)]
    bad_b = [x for x in ab if not _public(x)]
    evidence = {"host": host, "a": aa, "b": ab}
    for a_is_bad, bad, good in ((True, bad_a, [x for x in ab if _public(x)]),
                                (False, bad_b, [x for x in aa if _public(x)])):
        if bad and good:
            return _explain("compare_dns_filtered", "fail", evidence, host=host,
                            bad=", ".join(bad), good=", ".join(good[:3]), **sides.pick(a_is_bad))
    for a_is_bad, mine, theirs, finding in ((True, aa, ab, fa), (False, ab, aa, fb)):
        if not mine and theirs:
            return _explain("compare_dns_failed", "fail", evidence, host=host,
                            detail=finding.title, **sides.pick(a_is_bad))
    if aa and ab and not set(aa) & set(ab):
        return Finding(
            check="compare.dns", status="info", category="network",
            title=f"{host} resolves to different addresses: {', '.join(aa[:3])} on "
                  f"'{sides.a}', {', '.join(ab[:3])} on '{sides.b}' (normal for a CDN, not a "
                  "cause by itself)", evidence=evidence)
    return None


def _issuer(finding: Finding) -> str | None:
    chain = finding.evidence.get("chain") or [{}]
    return chain[0].get("issuer") if chain else None


def _tls(host: str, fa: Finding, fb: Finding, sides: _Sides) -> Finding | None:
    ia, ib = _issuer(fa), _issuer(fb)
    if not ia or not ib or ia == ib:
        return None
    evidence = {"host": host, "a": ia, "b": ib}
    a_bad, b_bad = fa.status in _BAD, fb.status in _BAD
    if a_bad != b_bad:
        issuer, good = (ia, ib) if a_bad else (ib, ia)
        return _explain("compare_tls_inspected", "fail", evidence, host=host, issuer=issuer,
                        good_issuer=good, **sides.pick(a_bad))
    return Finding(check="compare.tls", status="info", category="network",
                   title=f"the certificate for {host} is issued by {ia} on '{sides.a}' but by "
                         f"{ib} on '{sides.b}': one of the two networks inspects TLS (the one "
                         "whose issuer names a company or a security product)",
                   evidence=evidence)


def _tcp(host: str, fa: Finding, fb: Finding, sides: _Sides) -> Finding | None:
    ra, rb = fa.evidence.get("received"), fb.evidence.get("received")
    if ra is None or rb is None or bool(ra) == bool(rb):
        return None
    a_bad = not ra
    bad = fa if a_bad else fb
    failures = [o for o in bad.evidence.get("outcomes") or [] if o != "ok"]
    why = Counter(failures).most_common(1)[0][0] if failures else "failing"
    port = bad.evidence.get("port") or 443
    return _explain("compare_port_blocked", "fail", {"host": host, "a": fa.evidence.get(
        "outcomes"), "b": fb.evidence.get("outcomes")}, host=host, port=port,
        outcome=_OUTCOME.get(why, why), **sides.pick(a_bad))


_SPECIFIC = {"dns.resolve": _dns, "tls.handshake": _tls, "tcp.connect": _tcp}


def _web_fine(report: Report) -> set[str]:
    """The hosts the web group reached without trouble (it reports only the troubled ones)."""
    return {str(h.get("host")) for f in report.findings if f.check == "web.hosts"
            for h in f.evidence.get("hosts") or [] if isinstance(h, dict) and "kind" not in h}


def _status_differs(key: Key, fa: Finding | None, fb: Finding | None, sides: _Sides, *,
                    missing: tuple[str, str] = ("absent", "absent")) -> Finding | None:
    """A check that fails or warns on one side only: that side's cause and remedy.
    ``missing``: what a side without the finding said (``ok`` when it was fine)."""
    sa = fa.status if fa else missing[0]
    sb = fb.status if fb else missing[1]
    if sa == sb or (sa not in _BAD and sb not in _BAD):
        return None
    a_bad = SEVERITY.get(sa, len(SEVERITY)) < SEVERITY.get(sb, len(SEVERITY))
    bad, where, other, other_status = (fa, sides.a, sides.b, sb) if a_bad else (
        fb, sides.b, sides.a, sa)
    assert bad is not None
    check, host = key
    subject = f"{check} for {host}" if host else check
    then = "not measured" if other_status == "absent" else other_status
    return Finding(check=f"compare.{bad.group}", status=bad.status, category=bad.category,
                   title=f"{subject}: {bad.status} on '{where}' ({bad.title}) but {then} on "
                         f"'{other}'",
                   cause=bad.cause, remedy=bad.remedy, retryable=bad.retryable,
                   evidence={"check": check, "host": host or None,
                             "a": {"status": sa, "title": fa.title if fa else None},
                             "b": {"status": sb, "title": fb.title if fb else None}})


def compare_reports(a: Report, b: Report) -> Report:
    """What differs between report ``a`` and report ``b``, as a report of its own: one finding
    per difference (``fail`` where it explains a failure on one side, ``info`` where it is
    worth knowing), then one ``compare.agree`` finding summing up the checks that agree."""
    sides = _Sides(report_label(a, "A"), report_label(b, "B"))
    ia, ib = _index(a.findings), _index(b.findings)
    fine = (_web_fine(a), _web_fine(b))
    differences: list[tuple[str, Finding]] = []  # (the group compared, the difference)
    agree: list[str] = []
    for key in list(dict.fromkeys([*ia, *ib])):
        fa, fb = ia.get(key), ib.get(key)
        specific = _SPECIFIC.get(key[0])
        found = specific(key[1], fa, fb, sides) if specific and fa and fb else None
        missing = tuple("ok" if key[0].startswith("web.") and key[1] in hosts else "absent"
                        for hosts in fine)
        found = found or _status_differs(key, fa, fb, sides,
                                         missing=(missing[0], missing[1]))
        if found is not None:
            differences.append((key[0].split(".", 1)[0], found))
        elif fa and fb and fa.status == fb.status and fa.status != "skip":
            agree.append(f"{key[0]} {key[1]}".strip() + f" ({fa.status})")
    # Worst first and, among equals, in causal order (a DNS difference explains an API one),
    # so the comparison's verdict is the root cause as in any report.
    differences.sort(key=lambda item: (SEVERITY[item[1].status], causal_rank(item[0])))
    shown = ", ".join(agree[:8]) + (f" and {len(agree) - 8} more" if len(agree) > 8 else "")
    summary = Finding(
        check="compare.agree", status="ok" if agree else "info",
        title=(f"{len(agree)} check(s) agree on '{sides.a}' and '{sides.b}'"
               + (f": {shown}" if agree else "")),
        evidence={"agree": agree, "a": _about(a, sides.a), "b": _about(b, sides.b)})
    return Report(findings=(*(f for _, f in differences), summary), target=dict(a.target),
                  started_at=utcnow_iso(), finished_at=utcnow_iso(),
                  label=f"{sides.a} vs {sides.b}")


def _about(report: Report, label: str) -> dict[str, Any]:
    return {"label": label, "started_at": report.started_at,
            "base_url": report.target.get("base_url"), "summary": report.summary}
