"""HTTP phase timing for one request to the API, as httpstat and ``curl -w`` report it.

The marks are curl's, cumulative from the start: ``namelookup``, ``connect``, ``appconnect``
(TLS done; 0 for plain HTTP), ``pretransfer``, ``starttransfer`` (first byte), ``total``. The
phases are httpstat's differences of them: dns, connect, tls, server (TTFB wait) and transfer.

The name is resolved first with ``getaddrinfo`` (timed: the DNS phase), then httpx connects to
that address with the original Host header and SNI, so the TCP phase holds no second lookup
(httpcore's ``connect_tcp`` would otherwise resolve again inside it). httpx's ``trace``
request extension times the other phases, each between its own events; the marks are their
running sums. Through a proxy the proxy resolves the name, so there is no DNS phase and
``connect`` lasts until the tunnel is open. Against ``curl -w`` on the same loopback server
the phases agree within 2 ms (tests/test_http_phases.py).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from chatkit.checks.base import CheckContext, register
from chatkit.checks.dns import is_ip_literal
from chatkit.checks.probe import probe_client
from chatkit.checks.proxy import proxy_for
from chatkit.findings import Finding
from chatkit.knowledge.classifier import classify, explain
from chatkit.targets import Target

__all__ = ["MARKS", "PHASES", "PhaseTiming", "measure_phases", "phases_from_marks"]

# GET /models needs no model work: a server phase longer than this is the service being slow
# (httpstat's guide calls > 500 ms slow for ordinary pages; an API gateway gets some slack).
SLOW_SERVER_MS = 1000.0

MARKS = ("namelookup", "connect", "appconnect", "pretransfer", "starttransfer", "total")
PHASES = ("dns", "connect", "tls", "server", "transfer")


def phases_from_marks(marks: Mapping[str, float | None], *, tls: bool) -> dict[str, float | None]:
    """httpstat's phases from curl-style cumulative marks (ms); never negative; None where
    the request did not get that far."""

    def gap(later: str, earlier: str | None) -> float | None:
        end, start = marks.get(later), (marks.get(earlier) if earlier else 0.0)
        if end is None or start is None:
            return None
        return round(max(0.0, end - start), 3)

    return {
        "dns": gap("namelookup", None),
        "connect": gap("connect", "namelookup"),
        "tls": gap("appconnect", "connect") if tls else 0.0,
        "server": gap("starttransfer", "pretransfer"),
        "transfer": gap("total", "starttransfer"),
    }


@dataclass(frozen=True, slots=True)
class PhaseTiming:
    """One timed request: the marks, the phases, and what came back (or why not)."""

    url: str
    marks: Mapping[str, float | None]
    phases: Mapping[str, float | None]
    address: str | None = None
    via_proxy: bool = False
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    http_version: str | None = None
    error: BaseException | None = None
    response: Any = None  # the httpx.Response, for classify
    overhead_ms: float | None = None  # Python's own time between the phases
    elapsed_ms: float | None = None  # start to finish (or to the failure), as the user waited
    looked_up: bool = False  # whether the name was resolved here (not an IP, not by a proxy)

    def to_evidence(self) -> dict[str, Any]:
        return {
            "url": self.url, "address": self.address, "via_proxy": self.via_proxy,
            "status": self.status, "http_version": self.http_version,
            "marks_ms": dict(self.marks), "phases_ms": dict(self.phases),
            "overhead_ms": self.overhead_ms, "elapsed_ms": self.elapsed_ms,
            "request_id": self.headers.get("x-request-id"),
            "bytes": len(self.body),
            "error": f"{type(self.error).__name__}: {self.error}" if self.error else None,
        }


class _Trace:
    """Collects httpcore trace events as perf_counter stamps (last one of each name wins: a
    CONNECT tunnel sends its own request headers before the real request's)."""

    def __init__(self) -> None:
        self.stamps: dict[str, float] = {}

    async def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        self.stamps[event] = time.perf_counter()
        # prefix-free alias: connection.start_tls / http_proxy.start_tls -> start_tls
        self.stamps[event.split(".", 1)[1]] = self.stamps[event]

    def get(self, name: str) -> float | None:
        return self.stamps.get(name)


def _with_address(url: str, address: str) -> str:
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _interval(start: float | None, end: float | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, end - start) * 1000, 3)


def _marks_from_phases(phases: Mapping[str, float | None], *, tls: bool) -> dict[str, float | None]:
    """curl-style cumulative marks from the phases; None from the first missing phase on."""
    marks: dict[str, float | None] = {}
    total: float | None = 0.0
    for mark, phase in (("namelookup", "dns"), ("connect", "connect"),
                        ("appconnect", "tls"), ("pretransfer", None),
                        ("starttransfer", "server"), ("total", "transfer")):
        if phase is not None:
            value = phases.get(phase)
            total = None if total is None or value is None else round(total + value, 3)
        marks[mark] = total
    if not tls:
        marks["appconnect"] = 0.0  # as curl reports it for plain HTTP
    return marks


async def measure_phases(url: str, client: Any, *, via_proxy: bool = False,
                         headers: Mapping[str, str] | None = None) -> PhaseTiming:
    """GET ``url`` once through ``client`` (an ``httpx.AsyncClient`` made for it, so that
    building it is not timed) and time every phase. Never raises for a failed request.

    Each phase is the interval between its own trace events, so Python's work between them
    (building the request, the connection pool: curl's C code spends next to nothing there)
    is not charged to the network; it is reported as ``overhead_ms``. Through a proxy the
    connect phase runs until the tunnel is open (the CONNECT exchange included).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    tls = parts.scheme == "https"
    trace = _Trace()
    request_url, address = url, None
    extensions: dict[str, Any] = {"trace": trace}
    send_headers = dict(headers or {})
    started = time.perf_counter()
    resolved = started
    # A proxy resolves the name itself; an IP address needs no lookup.
    looked_up = not via_proxy and not is_ip_literal(host)
    if looked_up:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                                 type=socket.SOCK_STREAM)
        except OSError as exc:
            nothing = dict.fromkeys(PHASES)
            return PhaseTiming(url, _marks_from_phases(nothing, tls=tls), nothing, error=exc,
                               elapsed_ms=round((time.perf_counter() - started) * 1000, 3),
                               looked_up=True)
        resolved = time.perf_counter()
        address = str(infos[0][4][0])
        request_url = _with_address(url, address)
        send_headers.setdefault("Host", parts.netloc.rsplit("@", 1)[-1])
        if tls:
            extensions["sni_hostname"] = host
    elif not via_proxy:
        address = host
    response = None
    error: BaseException | None = None
    body = b""
    finished: float | None = None
    try:
        response = await client.get(request_url, headers=send_headers, extensions=extensions)
        body = response.content
        finished = time.perf_counter()
    except Exception as exc:  # any failure is a measurement; classify says what it means
        error = exc
    elapsed = round((time.perf_counter() - started) * 1000, 3)
    get = trace.get
    sent = get("http11.send_request_headers.started") or get("http2.send_request_headers.started")
    first = get("http11.receive_response_headers.complete") or get(
        "http2.receive_response_headers.complete")
    connected = get("start_tls.started") if via_proxy and tls else None
    phases = {
        "dns": _interval(started, resolved),
        "connect": _interval(get("connection.connect_tcp.started"),
                             connected or get("connection.connect_tcp.complete")),
        "tls": _interval(get("start_tls.started"), get("start_tls.complete")) if tls else 0.0,
        "server": _interval(sent, first),
        "transfer": _interval(first, finished),
    }
    marks = _marks_from_phases(phases, tls=tls)
    overhead = None
    if finished is not None and marks["total"] is not None:
        overhead = round(max(0.0, (finished - started) * 1000 - marks["total"]), 3)
    return PhaseTiming(
        url=url, marks=marks, phases=phases, address=address, via_proxy=via_proxy,
        status=response.status_code if response is not None else None,
        headers=dict(response.headers) if response is not None else {}, body=body,
        http_version=response.http_version if response is not None else None,
        error=error, response=response, overhead_ms=overhead, elapsed_ms=elapsed,
        looked_up=looked_up)


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _summary(phases: Mapping[str, float | None]) -> str:
    return ", ".join(f"{name} {value:.1f}" for name, value in phases.items()
                     if value is not None) + " ms"


@register("http")
async def phases(target: Target, ctx: CheckContext) -> list[Finding]:
    """One keyless GET <base>/models, timed phase by phase (any JSON answer proves the path)."""
    url = f"{target.url}/models"
    via_proxy = proxy_for(url, ctx.environ, target.proxy).url is not None
    async with probe_client(target, ctx) as client:
        timing = await measure_phases(url, client, via_proxy=via_proxy)
    evidence = {"host": target.host, **timing.to_evidence()}
    took = timing.elapsed_ms
    if timing.error is not None:
        why = classify(timing.error, check="http.phases", evidence=evidence)
        skipped = {"tls"} if target.scheme != "https" else set()
        skipped |= set() if timing.looked_up else {"dns"}
        reached = [p for p, v in timing.phases.items() if v is not None and p not in skipped]
        note = f" (got through: {', '.join(reached)})" if reached else ""
        return [why.replace(title=f"{why.title}{note}", evidence={**why.evidence, **evidence},
                            duration_ms=took)]
    if not _is_json(timing.body):
        why = classify(timing.response, check="http.phases", evidence=evidence)
        if why.status != "ok":
            return [why.replace(evidence={**why.evidence, **evidence}, duration_ms=took)]
    server_ms = timing.phases.get("server")
    if server_ms is not None and server_ms > SLOW_SERVER_MS:
        return [explain("http_slow_server", check="http.phases", status="warn",
                        evidence=evidence, host=target.host, server_ms=f"{server_ms:.0f}")
                .replace(duration_ms=took)]
    return [Finding(
        check="http.phases", status="ok",
        title=f"HTTP {timing.status} from {target.host} in {took or 0:.0f} ms: "
              f"{_summary(timing.phases)}",
        evidence=evidence, duration_ms=took)]
