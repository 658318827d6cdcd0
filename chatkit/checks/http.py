"""Can an HTTP request reach the API at all? One unauthenticated request to ``/models``.

Any HTTP answer proves the path works: the real API answers 401 to a keyless request.
"""

from __future__ import annotations

import time

import httpx

from chatkit.checks import CheckContext, probe_client, register
from chatkit.findings import Finding
from chatkit.targets import Target


@register("http")
async def reach(target: Target, ctx: CheckContext) -> list[Finding]:
    """GET <base>/models without a key and time it."""
    url = f"{target.url}/models"
    started = time.perf_counter()
    try:
        async with probe_client(target, ctx) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        took = (time.perf_counter() - started) * 1000
        return [Finding(
            check="http.reach", status="fail", category="network",
            title=f"no HTTP answer from {target.host}",
            cause=f"{type(exc).__name__}: {exc}",
            remedy="check the network path to the API (DNS, firewall, proxy)",
            evidence={"url": url, "host": target.host, "exception": type(exc).__name__},
            retryable=True, duration_ms=took,
        )]
    took = (time.perf_counter() - started) * 1000
    return [Finding(
        check="http.reach", status="ok",
        title=f"{target.host} answered HTTP {response.status_code} in {took:.0f} ms",
        evidence={"url": url, "host": target.host, "status": response.status_code,
                  "latency_ms": round(took, 1),
                  "request_id": response.headers.get("x-request-id")},
        duration_ms=took,
    )]
