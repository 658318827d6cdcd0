"""The proxy between this machine and the API: which one applies, can it be reached, does it
want credentials (407), and will it open a tunnel (CONNECT) to the API?

Which proxy applies is decided the way Python's ``urllib`` (and so httpx) decides: the
target's own ``proxy``, else ``https_proxy``/``http_proxy`` by scheme, else ``all_proxy``,
lower case winning over upper case; ``NO_PROXY`` entries (host, ``.domain``, ``*``, IP, CIDR,
optional ``:port``) bypass it. Every value shown has its credentials removed.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import ipaddress
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from chatkit.checks.base import CheckContext, register
from chatkit.environment import PROXY_VARIABLES, proxy_settings
from chatkit.findings import Finding
from chatkit.knowledge.classifier import explain
from chatkit.redaction.scrub import redact_url
from chatkit.targets import Target

__all__ = ["ProxyChoice", "no_proxy_match", "probe_proxy", "proxy_authorization", "proxy_for"]


@dataclass(frozen=True, slots=True, repr=False)
class ProxyChoice:
    """The proxy that applies to one URL, and why."""

    url: str | None  # with credentials: for connecting only, never shown (see .shown)
    source: str | None  # "target.proxy", "https_proxy", "HTTPS_PROXY", ...
    bypassed_by: str | None = None  # the NO_PROXY entry that matched
    variables: Mapping[str, str] = field(default_factory=dict)  # redacted, as set

    @property
    def shown(self) -> str | None:
        return redact_url(self.url) if self.url else None

    def __repr__(self) -> str:
        return f"ProxyChoice({self.shown!r}, source={self.source!r})"


def _get(environ: Mapping[str, str], name: str) -> tuple[str | None, str | None]:
    """(value, variable name) for ``name`` in either case, lower case first as urllib does."""
    for variable in (name.lower(), name.upper()):
        value = environ.get(variable)
        if value:
            return value.strip(), variable
    return None, None


def no_proxy_match(host: str, port: int, no_proxy: str | None) -> str | None:
    """The ``NO_PROXY`` entry that makes ``host:port`` bypass the proxy, or None."""
    if not no_proxy:
        return None
    host = host.strip("[]").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return raw.strip()
        name, entry_port = entry, None
        if entry.count(":") == 1 or entry.startswith("["):  # host:port, [v6]:port
            head, _, tail = entry.rpartition(":")
            if tail.isdigit() and head:
                name, entry_port = head, int(tail)
        name = name.strip("[]")
        if entry_port is not None and entry_port != port:
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(name, strict=False):
                    return raw.strip()
            except ValueError:
                pass
            continue
        name = name.lstrip(".").lstrip("*.")
        if host == name or host.endswith("." + name):
            return raw.strip()
    return None


def proxy_for(url: str, environ: Mapping[str, str], explicit: str | None = None) -> ProxyChoice:
    """Which proxy a request to ``url`` goes through, given the environment."""

    variables = proxy_settings(environ)
    if explicit:
        return ProxyChoice(explicit, "target.proxy", variables=variables)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    proxy, source = _get(environ, f"{parts.scheme}_proxy")
    if proxy is None:
        proxy, source = _get(environ, "all_proxy")
    if proxy is None:
        return ProxyChoice(None, None, variables=variables)
    no_proxy, _ = _get(environ, "no_proxy")
    matched = no_proxy_match(host, port, no_proxy)
    if matched is not None:
        return ProxyChoice(None, source, bypassed_by=matched, variables=variables)
    if "://" not in proxy:  # "proxy:3128" means http://proxy:3128 to curl and urllib alike
        proxy = f"http://{proxy}"
    return ProxyChoice(proxy, source, variables=variables)


def _conflicts(environ: Mapping[str, str]) -> list[str]:
    """Variables set in both cases to different values (tools disagree on which wins)."""
    clashes = []
    for name in PROXY_VARIABLES:
        lower, upper = environ.get(name.lower()), environ.get(name)
        if lower and upper and lower.strip() != upper.strip():
            clashes.append(name)
    return clashes


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return status, headers


def proxy_authorization(proxy_url: str) -> str:
    """The ``Proxy-Authorization: Basic`` header line (CRLF included) for the credentials in
    ``proxy_url``, or "" when it has none: what curl and httpx send for ``user:pass@``."""
    parts = urlsplit(proxy_url)
    if parts.username is None:
        return ""
    userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return f"Proxy-Authorization: Basic {base64.b64encode(userinfo.encode()).decode()}\r\n"


async def probe_proxy(proxy_url: str, target_url: str, *, timeout: float) -> dict[str, Any]:
    """Connect to the proxy and ask it for the target: CONNECT for https, a forward GET for
    http. Returns evidence: ``stage`` (connect|request|done), ``status``, timings, error."""
    proxy = urlsplit(proxy_url)
    target = urlsplit(target_url)
    host = target.hostname or ""
    port = target.port or (443 if target.scheme == "https" else 80)
    out: dict[str, Any] = {"proxy": redact_url(proxy_url), "stage": "connect"}
    headers = proxy_authorization(proxy_url)
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(
            proxy.hostname, proxy.port or (443 if proxy.scheme == "https" else 80),
            ssl=True if proxy.scheme == "https" else None), timeout)
    except (OSError, asyncio.TimeoutError) as exc:
        out["error"] = "timeout" if isinstance(exc, asyncio.TimeoutError) else (
            f"{type(exc).__name__}: {exc}")
        return out
    out["connect_ms"] = round((time.perf_counter() - started) * 1000, 3)
    out["stage"] = "request"
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if target.scheme == "https":
        request = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n{headers}\r\n"
        out["method"] = "CONNECT"
    else:
        path = (target.path.rstrip("/") or "") + "/models"
        request = (f"GET http://{authority}{path} HTTP/1.1\r\nHost: {authority}\r\n{headers}"
                   "Connection: close\r\n\r\n")
        out["method"] = "GET"
    sent = time.perf_counter()
    try:
        writer.write(request.encode("latin-1"))
        await writer.drain()
        status, answer = await asyncio.wait_for(_read_head(reader), timeout)
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
            asyncio.LimitOverrunError) as exc:
        out["error"] = "timeout" if isinstance(exc, asyncio.TimeoutError) else (
            f"{type(exc).__name__}: {exc}")
        return out
    finally:
        writer.close()
    out.update(stage="done", status=status, answer_ms=round((time.perf_counter() - sent) * 1000, 3),
               authenticate=answer.get("proxy-authenticate"), via=answer.get("via"))
    return out


def _explain(kind: str, *, status: str = "fail", evidence: Mapping[str, Any],
             **fmt: Any) -> Finding:
    return explain(kind, check="proxy.connect", status=status, evidence=evidence, **fmt)


@register("proxy")
async def proxy_check(target: Target, ctx: CheckContext) -> list[Finding]:
    """Which proxy applies to the target, and whether it carries a request to it."""
    choice = proxy_for(target.url, ctx.environ, target.proxy)
    config = {"variables": dict(choice.variables), "applies": choice.shown,
              "source": choice.source, "no_proxy_match": choice.bypassed_by}
    findings: list[Finding] = []
    clashes = _conflicts(ctx.environ)
    if clashes:
        findings.append(explain("proxy_env_conflict", check="proxy.config", status="info",
                                evidence=config, variables=", ".join(clashes)))
    if choice.url is None:
        title = (f"NO_PROXY entry {choice.bypassed_by!r} sends {target.host} direct"
                 if choice.bypassed_by else "no proxy configured: connections go direct")
        findings.append(Finding(check="proxy.config", status="ok" if not choice.variables
                                else "info", title=title, evidence=config))
        return findings
    findings.append(Finding(check="proxy.config", status="info",
                            title=f"{target.host} goes through {choice.shown} ({choice.source})",
                            evidence=config))
    scheme = urlsplit(choice.url).scheme
    if scheme.startswith("socks"):
        if importlib.util.find_spec("socksio") is None:
            findings.append(_explain("proxy_socks_missing", status="fail", evidence=config,
                                     proxy=choice.shown, scheme=scheme))
        else:
            findings.append(Finding(check="proxy.connect", status="skip",
                                    title="SOCKS proxy: tunnel not probed (HTTP proxies only)",
                                    evidence=config))
        return findings
    started = time.perf_counter()
    probe = await probe_proxy(choice.url, target.url, timeout=ctx.timeout)
    took = (time.perf_counter() - started) * 1000
    evidence = {**config, **probe}
    findings.append(_judge(probe, evidence, target, choice).replace(duration_ms=took))
    return findings


def _judge(probe: Mapping[str, Any], evidence: dict[str, Any], target: Target,
           choice: ProxyChoice) -> Finding:
    host = f"{target.host}:{target.port}"
    if probe["stage"] == "connect":
        return _explain("proxy_unreachable", evidence=evidence, proxy=choice.shown,
                        detail=probe.get("error"))
    if probe["stage"] == "request":
        return _explain("proxy_refused", evidence=evidence, host=host,
                        detail=f"no answer to {probe.get('method')}: {probe.get('error')}")
    status = probe["status"]
    if status == 407:
        schemes = str(probe.get("authenticate") or "unknown scheme")
        return _explain("proxy_auth_required", evidence={**evidence, "schemes": schemes},
                        proxy=choice.shown)
    if status in (502, 503, 504):
        return _explain("proxy_upstream_failure", evidence=evidence, host=host, http_status=status,
                        proxy=choice.shown)
    if probe["method"] == "CONNECT" and not 200 <= status < 300:
        return _explain("proxy_refused", evidence=evidence, host=host,
                        detail=f"CONNECT answered HTTP {status}")
    what = "opens a tunnel (CONNECT)" if probe["method"] == "CONNECT" else "relays requests"
    return Finding(check="proxy.connect", status="ok",
                   title=f"{choice.shown} {what} to {host}: HTTP {status} in "
                         f"{probe.get('answer_ms', 0):.0f} ms", evidence=evidence)
