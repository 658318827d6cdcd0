"""TLS to the API: handshake time, version, ALPN, and the certificate chain — and when the
chain is not trusted, why (unknown CA, expired, another host's certificate).

The handshake uses the trust store the client would use: the target's ``ca_bundle``, else
``SSL_CERT_FILE``, else certifi (what httpx and openai < 3 use), else the system store. When
that fails, one more handshake without verification fetches the certificate so the finding
can say who issued it (a TLS-inspecting proxy names itself there); nothing is sent over it.
If the system store trusts what certifi does not, the fix is to use the system store
(``truststore``), not to disable verification.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from chatkit.checks.base import CheckContext, register
from chatkit.checks.proxy import proxy_authorization, proxy_for
from chatkit.findings import Finding
from chatkit.knowledge.classifier import classify, explain
from chatkit.redaction.scrub import redact_url
from chatkit.targets import Target

__all__ = [
    "describe_certificate",
    "handshake",
    "open_socket",
    "trust_store",
    "verifying_context",
]

_EXPIRY_WARNING_DAYS = 14
_ALPN = ["h2", "http/1.1"]


def trust_store(target: Target, environ: Mapping[str, str]) -> tuple[str, str | None]:
    """(name, location) of the store the client would verify with, in httpx's order: a PEM
    file or a hashed certificate directory; None = the system store."""
    if target.ca_bundle:
        return "ca_bundle", target.ca_bundle
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        if environ.get(variable):
            return variable, environ[variable]
    try:
        import certifi
    except ImportError:
        return "system", None
    return "certifi", certifi.where()


def verifying_context(location: str | None) -> ssl.SSLContext:
    """A verifying client context trusting ``location`` (file or directory; None: system)."""
    import os

    if location and os.path.isdir(location):
        return ssl.create_default_context(capath=location)
    return ssl.create_default_context(cafile=location)


def _context(cafile: str | None, *, verify: bool = True) -> ssl.SSLContext:
    context = verifying_context(cafile) if verify else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(_ALPN)
    return context


def _name(name: Any) -> str:
    return ", ".join(f"{a.oid._name}={a.value}" for a in name)  # CN=..., O=...


def describe_certificate(der: bytes) -> dict[str, Any]:
    """Subject, issuer, SAN, validity of a DER certificate (needs ``cryptography``)."""
    import hashlib

    out: dict[str, Any] = {"sha256": hashlib.sha256(der).hexdigest()}
    try:
        from cryptography import x509
    except ImportError:  # pragma: no cover - cryptography is a dependency
        return out
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(v) for v in san.get_values_for_type(x509.DNSName)]
        names += [str(v) for v in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    not_after = cert.not_valid_after_utc
    out.update(
        subject=_name(cert.subject), issuer=_name(cert.issuer), san=names,
        not_before=cert.not_valid_before_utc.isoformat(), not_after=not_after.isoformat(),
        days_left=(not_after - datetime.now(timezone.utc)).days,
        self_signed=cert.subject == cert.issuer,
    )
    return out


def open_socket(host: str, port: int, timeout: float, proxy: str | None) -> socket.socket:
    """A TCP socket to host:port, through an HTTP proxy's CONNECT tunnel when given."""
    if proxy is None:
        return socket.create_connection((host, port), timeout=timeout)

    parts = urlsplit(proxy)
    sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
    auth = proxy_authorization(proxy)
    authority = f"{host}:{port}"
    sock.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n{auth}\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    status = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"?"
    if not status.startswith(b"2"):
        sock.close()
        raise ConnectionRefusedError(f"proxy answered {status.decode(errors='replace')} to "
                                     f"CONNECT {authority}")
    return sock


def _presented_chain(tls: ssl.SSLSocket) -> list[bytes]:
    """The certificates the server sent, leaf first, as DER. Public API from Python 3.13;
    the same method exists on the private SSL object since 3.10; else the leaf alone."""
    chain = getattr(tls, "get_unverified_chain", None)
    if chain is None:
        chain = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)
    try:
        certs = list(chain() or []) if chain is not None else []
    except (ssl.SSLError, ValueError):
        certs = []
    import _ssl

    ders = [c if isinstance(c, bytes) else c.public_bytes(_ssl.ENCODING_DER) for c in certs]
    if not ders:
        leaf = tls.getpeercert(binary_form=True)
        ders = [leaf] if leaf else []
    return ders


def handshake(host: str, port: int, *, cafile: str | None, verify: bool = True,
              timeout: float = 10.0, proxy: str | None = None,
              address: str | None = None) -> dict[str, Any]:
    """One TLS handshake (blocking). Evidence dict; ``error`` holds the exception if any.
    ``address``: connect there instead of to ``host`` (which still goes into SNI)."""
    out: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        sock = open_socket(address or host, port, timeout, proxy)
    except OSError as exc:
        out["connect_error"] = exc
        return out
    out["connect_ms"] = round((time.perf_counter() - started) * 1000, 3)
    try:
        with sock:
            sock.settimeout(timeout)
            began = time.perf_counter()
            with _context(cafile, verify=verify).wrap_socket(sock, server_hostname=host) as tls:
                out["handshake_ms"] = round((time.perf_counter() - began) * 1000, 3)
                out["version"] = tls.version()
                out["alpn"] = tls.selected_alpn_protocol()
                cipher = tls.cipher()
                out["cipher"] = cipher[0] if cipher else None
                out["chain"] = [describe_certificate(d) for d in _presented_chain(tls)]
    except (ssl.SSLError, ssl.CertificateError, OSError) as exc:
        out["error"] = exc
        out["handshake_ms"] = round((time.perf_counter() - started) * 1000, 3)
    return out


def _explain(kind: str, *, status: str = "fail", evidence: Mapping[str, Any],
             **fmt: Any) -> Finding:
    return explain(kind, check="tls.handshake", status=status, evidence=evidence, **fmt)


@register("tls")
async def tls_check(target: Target, ctx: CheckContext) -> list[Finding]:
    """Handshake with the API host and judge its certificate."""
    if target.scheme != "https":
        return [Finding(check="tls.handshake", status="skip",
                        title=f"{target.url} is plain HTTP: no TLS to check",
                        evidence={"host": target.host})]
    proxy = proxy_url(target, ctx)
    store, cafile = trust_store(target, ctx.environ)
    started = time.perf_counter()
    result = await asyncio.to_thread(handshake, target.host, target.port, cafile=cafile,
                                     timeout=ctx.timeout, proxy=proxy)
    evidence: dict[str, Any] = {"host": target.host, "port": target.port, "trust_store": store,
                                "cafile": cafile, "proxy": redact_url(proxy) if proxy else None}
    if "connect_error" in result:
        why = classify(result["connect_error"], check="tls.handshake")
        return [Finding(check="tls.handshake", status="skip",
                        title=f"no TLS handshake: could not connect ({why.title})",
                        cause=why.cause, evidence={**evidence, **why.evidence},
                        duration_ms=(time.perf_counter() - started) * 1000)]
    error = result.pop("error", None)
    evidence.update(result)
    if error is None:
        finding = _judge_trusted(target, evidence)
    else:
        finding = await _judge_failure(target, ctx, error, evidence, store, proxy)
    return [finding.replace(duration_ms=(time.perf_counter() - started) * 1000)]


def _judge_trusted(target: Target, evidence: dict[str, Any]) -> Finding:
    leaf = (evidence.get("chain") or [{}])[0]
    days = leaf.get("days_left")
    if days is not None and days < _EXPIRY_WARNING_DAYS:
        return _explain("tls_expiring_soon", status="warn", evidence=evidence, host=target.host,
                        days=days, not_after=leaf.get("not_after"))
    if evidence.get("version") in ("TLSv1", "TLSv1.1", "SSLv3"):
        return _explain("tls_old_version", status="warn", evidence=evidence, host=target.host,
                        version=evidence["version"])
    issuer = leaf.get("issuer") or "?"
    return Finding(
        check="tls.handshake", status="ok",
        title=f"{evidence.get('version')} with {target.host} in "
              f"{evidence.get('handshake_ms', 0):.0f} ms, ALPN {evidence.get('alpn') or 'none'}; "
              f"certificate by {issuer}, {days if days is not None else '?'} days left",
        evidence=evidence)


async def _judge_failure(target: Target, ctx: CheckContext, error: BaseException,
                         evidence: dict[str, Any], store: str, proxy: str | None) -> Finding:
    evidence["error"] = f"{type(error).__name__}: {error}"
    evidence["verify_code"] = getattr(error, "verify_code", None)
    if isinstance(error, ssl.SSLCertVerificationError):
        # Look at what was presented (no verification, nothing sent) to say who issued it.
        seen = await asyncio.to_thread(handshake, target.host, target.port, cafile=None,
                                       verify=False, timeout=ctx.timeout,
                                       proxy=proxy)
        evidence["chain"] = seen.get("chain", [])
        if store != "system":
            system = await asyncio.to_thread(handshake, target.host, target.port, cafile=None,
                                             timeout=ctx.timeout,
                                             proxy=proxy)
            evidence["trusted_by_system_store"] = "error" not in system and "chain" in system
            if evidence["trusted_by_system_store"]:
                return _explain("tls_os_store_only", evidence=evidence, host=target.host,
                                store=store)
    why = classify(error, check="tls.handshake", evidence=evidence)
    leaf = (evidence.get("chain") or [{}])[0]
    issuer = leaf.get("issuer")
    title = why.title + (f" (issued by {issuer})" if issuer else "")
    return why.replace(title=title, evidence={**why.evidence, **evidence})


def proxy_url(target: Target, ctx: CheckContext) -> str | None:
    """The HTTP proxy (with credentials) the TLS connection tunnels through, if any."""

    url = proxy_for(target.url, ctx.environ, target.proxy).url
    return url if url and urlsplit(url).scheme == "http" else None
