"""The ChatGPT web app: can this machine reach every host the page needs, the way a browser would?

The page needs more than chatgpt.com: its scripts come from a CDN, sign-in from another host,
live updates over a WebSocket, files from a storage host, the "Verify you are human" check from
Cloudflare (:data:`chatkit.knowledge.webhosts.WEB_HOSTS`). A DNS filter, firewall, proxy or
extension that blocks one of them breaks one part of the page while the API works. For each host,
concurrently: the name through the system's resolvers (a 0.0.0.0 answer is a filter), a TCP
connect, then one request over verified TLS through the proxy that applies: a GET, or a WebSocket
upgrade for the live-update host. The answer is judged by who gave it
(:func:`chatkit.knowledge.edge.edge_kind`): the service, a Cloudflare check or block page, a
country refusal, a filter's page. An untrusted certificate is fetched once more unverified, only
to name its issuer (the inspecting proxy names itself there).

``ctx.connect_to`` sends a host's connections elsewhere, as curl's ``--connect-to`` does (the
name still goes into SNI and Host): how tests stand loopback servers in for the real hosts.
"""

from __future__ import annotations

import asyncio
import base64
import os
import ssl
import time
from collections.abc import Mapping
from typing import Any

from chatkit.checks.base import CheckContext, register
from chatkit.checks.dns import os_lookup, parse_resolver, query_resolver, system_nameservers
from chatkit.checks.proxy import proxy_for
from chatkit.checks.resolver_answer import address_kind
from chatkit.checks.tcp import connect_once
from chatkit.checks.tls import (
    describe_certificate,
    handshake,
    open_socket,
    trust_store,
    verifying_context,
)
from chatkit.findings import Finding
from chatkit.knowledge.classifier import explain
from chatkit.knowledge.edge import edge_kind
from chatkit.knowledge.webhosts import WEB_HOSTS, WebHost
from chatkit.redaction.scrub import redact_url
from chatkit.targets import Target

__all__ = ["exchange", "probe_host"]

# The providers whose users meet the ChatGPT web app.
_WEB_PROVIDERS = ("openai", "chatgpt-web")
_STATUS = {"required": "fail", "feature": "warn", "optional": "info"}
_MAX_BODY = 64 * 1024


def _destination(host: str, ctx: CheckContext) -> tuple[str, int] | None:
    """Where ``ctx.connect_to`` sends ``host``'s port 443, or None."""
    spec = ctx.connect_to.get(f"{host}:443") or ctx.connect_to.get(host)
    if not spec:
        return None
    address, _, port = spec.rpartition(":")
    return address.strip("[]"), int(port)


def _request(web: WebHost) -> bytes:
    lines = [f"GET {web.path} HTTP/1.1", f"Host: {web.name}",
             "User-Agent: chatkit (reachability probe)", "Accept: */*"]
    if web.websocket:
        key = base64.b64encode(os.urandom(16)).decode()
        lines += ["Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
                  f"Sec-WebSocket-Key: {key}", "Origin: https://chatgpt.com"]
    else:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_answer(tls: ssl.SSLSocket) -> dict[str, Any]:
    """Status, headers and (up to 64 KB of) body of one HTTP/1.1 answer."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < _MAX_BODY:
        chunk = tls.recv(16384)
        if not chunk:
            break
        data += chunk
    if b"\r\n\r\n" not in data:
        return {"status": None, "error": "the connection closed without an HTTP answer"
                if not data else "an answer that is not HTTP"}
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if status != 101:
        length = headers.get("content-length", "")
        wanted = min(int(length) if length.isdigit() else _MAX_BODY, _MAX_BODY)
        try:  # the status is in: a body that stalls or breaks off is judged as far as it came
            while len(body) < wanted:
                chunk = tls.recv(16384)
                if not chunk:
                    break
                body += chunk
        except OSError:
            pass
    return {"status": status, "headers": headers, "body": body[:_MAX_BODY]}


def exchange(web: WebHost, destination: tuple[str, int], *, cafile: str | None,
             proxy: str | None, timeout: float) -> dict[str, Any]:
    """One request to ``web`` over verified TLS (blocking): ``stage`` is how far it got
    (connect, tls, http, done); ``error`` the exception where it stopped."""

    out: dict[str, Any] = {"stage": "connect"}
    try:
        sock = open_socket(destination[0], destination[1], timeout, proxy)
    except OSError as exc:
        out["error"] = exc
        return out
    out["stage"] = "tls"
    context = verifying_context(cafile)
    context.set_alpn_protocols(["http/1.1"])
    try:
        with sock:
            sock.settimeout(timeout)
            with context.wrap_socket(sock, server_hostname=web.name) as tls:
                out["tls_version"] = tls.version()
                leaf = tls.getpeercert(binary_form=True)
                if leaf:
                    out["certificate"] = describe_certificate(leaf)
                out["stage"] = "http"
                tls.sendall(_request(web))
                out.update(_read_answer(tls))
                out["stage"] = "done" if out.get("status") is not None else "http"
    except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
        out["error"] = exc
    return out


def _issuer(web: WebHost, destination: tuple[str, int], proxy: str | None,
            timeout: float) -> str | None:
    """Who issued the certificate presented for ``web`` (looked at unverified, nothing sent)."""

    seen = handshake(web.name, destination[1], cafile=None, verify=False, timeout=timeout,
                     proxy=proxy, address=destination[0])
    chain = seen.get("chain") or [{}]
    return chain[0].get("issuer")


async def _dns(web: WebHost, ctx: CheckContext, timeout: float) -> dict[str, Any]:
    """What the system's resolvers (or getaddrinfo) answer for ``web.name``."""

    injected = ctx.system_resolvers is not None
    specs = ctx.system_resolvers if injected else system_nameservers()
    resolvers = [parse_resolver(s, 53) for s in (specs or ())]
    answers = await asyncio.gather(*(query_resolver(web.name, a, p, role="system", samples=1,
                                                    timeout=timeout) for a, p in resolvers))
    answered = [a for a in answers if a.addresses]
    if not injected:
        lookup = await os_lookup(web.name, 443)
        if lookup["addresses"]:
            return {"addresses": lookup["addresses"], "resolver": "this machine's name lookup"}
        if not answered:
            return {"addresses": [], "error": lookup["error"]}
    if answered:
        return {"addresses": list(answered[0].addresses), "resolver": answered[0].label}
    why = next((a.rcode or a.error for a in answers), None) or "no resolver configured"
    return {"addresses": [], "error": why}


def _judge_dns(web: WebHost, found: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:

    addresses = found["addresses"]
    if not addresses:
        return "web_dns_failed", {"detail": found.get("error")}
    bad = [a for a in addresses if address_kind(a) != "public"]
    if bad:  # no host of the web app is ever served from 0.0.0.0, loopback or a private range
        return "web_dns_filtered", {"addresses": ", ".join(bad), "resolver": found["resolver"]}
    return None


async def probe_host(web: WebHost, target: Target, ctx: CheckContext) -> dict[str, Any]:
    """Everything measured for one host: ``kind`` and its values when something is wrong."""
    step = max(0.2, ctx.timeout / 3)
    proxy = proxy_for(f"https://{web.name}/", ctx.environ, target.proxy).url
    shown = redact_url(proxy) if proxy else None
    result: dict[str, Any] = {"host": web.name, "need": web.need, "proxy": shown}
    mapped = _destination(web.name, ctx)
    if proxy is None:  # through a proxy, the proxy resolves the name and connects
        dns = await _dns(web, ctx, min(2.0, step))
        result["dns"] = dns
        bad = _judge_dns(web, dns)
        if bad is not None:
            return {**result, "stage": "dns", "kind": bad[0], **bad[1]}
        destination = mapped or (dns["addresses"][0], 443)
        took, why = await connect_once(destination[0], destination[1], step)
        result["connect_ms"] = round(took, 3) if took is not None else None
        if why is not None:
            return {**result, "stage": "tcp", "kind": "web_unreachable", "detail": why}
    else:
        destination = mapped or (web.name, 443)
    result["destination"] = f"{destination[0]}:{destination[1]}"
    _, cafile = trust_store(target, ctx.environ)
    answer = await asyncio.to_thread(exchange, web, destination, cafile=cafile,
                                     proxy=proxy if proxy and proxy.startswith("http://")
                                     else None, timeout=step)
    return {**result, **await _judge_exchange(web, answer, destination, proxy, shown, step)}


async def _judge_exchange(web: WebHost, answer: dict[str, Any], destination: tuple[str, int],
                          proxy: str | None, shown: str | None, step: float) -> dict[str, Any]:

    error = answer.pop("error", None)
    body = answer.pop("body", b"")
    out: dict[str, Any] = {"stage": answer["stage"], "tls_version": answer.get("tls_version"),
                           "issuer": (answer.get("certificate") or {}).get("issuer"),
                           "status": answer.get("status"), "bytes": len(body),
                           "headers": {k: v for k, v in (answer.get("headers") or {}).items()
                                       if k in ("server", "cf-ray", "cf-mitigated", "via",
                                                "content-type")}}
    detail = f"{type(error).__name__}: {error}" if error is not None else answer.get("error")
    if answer["stage"] == "connect":
        refused = proxy is not None and "proxy answered" in str(error)
        return {**out, "kind": "web_proxy_refused" if refused else "web_unreachable",
                "detail": detail, "proxy": shown}
    if answer["stage"] == "tls":
        if isinstance(error, ssl.SSLCertVerificationError):
            issuer = await asyncio.to_thread(_issuer, web, destination, proxy, step)
            return {**out, "kind": "web_tls_inspected", "issuer": issuer or "an unknown issuer",
                    "detail": detail}
        return {**out, "kind": "web_tls_failed", "detail": detail}
    if answer["stage"] == "http":
        dropped = "web_websocket_dropped" if web.websocket else "web_no_answer"
        return {**out, "kind": dropped, "detail": detail}
    status = int(answer["status"])
    headers = answer.get("headers") or {}
    kind, found = edge_kind(status, headers, body)
    out.update(ray=found["ray"])
    if web.websocket and status != 101 and not found["ray"] and kind in (None, "web_block_page"):
        # Not the service (it answers through Cloudflare) but whoever sits on the way.
        who = (f"the proxy {shown}" if shown else
               "something on the way (a security product or a transparent proxy)")
        return {**out, "kind": "web_websocket_refused", "who": who,
                "detail": f"HTTP {status} instead of 101 Switching Protocols"}
    return {**out, "kind": kind} if kind is not None else out


def _finding(web: WebHost, result: dict[str, Any]) -> Finding:

    kind = result["kind"]
    status = _STATUS[web.need]
    if kind == "web_cloudflare_challenge":  # Cloudflare answered: a browser may well pass
        status = "info"
    elif kind == "web_unsupported_country":
        status = "fail"
    check = {"dns": "web.dns", "tcp": "web.tcp", "tls": "web.tls", "connect": "web.tcp"}.get(
        result["stage"], "web.websocket" if web.websocket else "web.https")
    values = {"role": web.role, "breaks": web.breaks, "ray": result.get("ray") or "none"}
    evidence = {k: v for k, v in result.items() if k != "kind"}
    return explain(kind, check=check, status=status, evidence=evidence, **values)


def _nothing_resolves(results: list[dict[str, Any]]) -> Finding:
    return explain("web_nothing_resolves", check="web.dns", count=len(results), evidence={
        "hosts": [{"host": r["host"], "detail": r.get("detail")} for r in results]})


@register("web")
async def web_hosts(target: Target, ctx: CheckContext) -> list[Finding]:
    """Reach every host the ChatGPT web app needs, and say what breaks without each."""
    names = [w.name for w in WEB_HOSTS]
    if ctx.local_only:
        return [Finding(check="web.hosts", status="skip",
                        title="web app hosts not tried: this run reaches only the target itself",
                        evidence={"hosts": names, "reason": "local_only"})]
    if target.provider not in _WEB_PROVIDERS:
        return [Finding(check="web.hosts", status="skip",
                        title=f"web app hosts not tried: the {target.provider} target is not "
                              "the ChatGPT web app (use --provider chatgpt-web)",
                        evidence={"hosts": names, "provider": target.provider})]
    started = time.perf_counter()
    results = await asyncio.gather(*(probe_host(w, target, ctx) for w in WEB_HOSTS))
    took = (time.perf_counter() - started) * 1000
    findings = [_finding(w, r) for w, r in zip(WEB_HOSTS, results, strict=True) if "kind" in r]
    if all(r.get("kind") == "web_dns_failed" for r in results):
        findings = [_nothing_resolves(results)]  # one cause, not one finding per host
    fine = [r["host"] for r in results if "kind" not in r]
    trouble = [r["host"] for r in results if "kind" in r]
    title = (f"{len(fine)} of {len(results)} hosts the ChatGPT web app needs answer"
             + (f": {', '.join(fine)}" if fine else ""))
    if trouble:
        title += f"; trouble with {', '.join(trouble)}"
    summary = Finding(check="web.hosts", status="ok" if not trouble else "info", title=title,
                      evidence={"hosts": results}, duration_ms=took)
    return [*(f.replace(duration_ms=took) for f in findings), summary]

