"""Do other sites work? The same HTTP reachability probe against well-known hosts and the API.

The comparison is the point: nothing answers (this machine is offline, or needs a proxy) vs
only the API does not (something blocks it specifically). The probes go the way any client's
would — through the proxy that applies — and any HTTP answer counts as reachable. Skipped under
``local_only``, since the control hosts are beyond the target.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from chatkit.checks.base import CheckContext, register
from chatkit.checks.probe import probe_client
from chatkit.findings import Finding
from chatkit.knowledge.classifier import classify, explain
from chatkit.targets import Target

__all__ = ["control_url", "reach"]


def control_url(spec: str) -> str:
    """``"github.com"`` -> ``"https://github.com/"``; full URLs are kept."""
    return spec if "://" in spec else f"https://{spec}/"


async def reach(url: str, target: Target, ctx: CheckContext) -> dict[str, Any]:
    """HEAD ``url`` once: reachable (any HTTP answer) or the kind of failure, and the time."""

    started = time.perf_counter()
    try:
        async with probe_client(target, ctx, url=url) as client:
            response = await client.head(url)
    except Exception as exc:  # a failure to reach is the measurement
        why = classify(exc, check="control.reach")
        return {"url": url, "reachable": False, "kind": why.evidence.get("kind"),
                "error": f"{type(exc).__name__}: {exc}",
                "ms": round((time.perf_counter() - started) * 1000, 3)}
    return {"url": url, "reachable": True, "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 3)}


def _explain(kind: str, *, status: str, evidence: Mapping[str, Any], **fmt: Any) -> Finding:
    return explain(kind, check="control.reach", status=status, evidence=evidence, **fmt)


@register("control")
async def controls(target: Target, ctx: CheckContext) -> list[Finding]:
    """Reach the control hosts and the API at once, and compare."""
    if ctx.local_only:
        return [Finding(check="control.reach", status="skip",
                        title="control sites not tried: this run reaches only the target itself",
                        evidence={"control_hosts": list(ctx.control_hosts),
                                  "reason": "local_only"})]
    if not ctx.control_hosts:
        return [Finding(check="control.reach", status="skip",
                        title="no control sites configured")]
    started = time.perf_counter()
    urls = [control_url(h) for h in ctx.control_hosts]
    *others, api = await asyncio.gather(*(reach(u, target, ctx) for u in urls),
                                        reach(target.url, target, ctx))
    took = (time.perf_counter() - started) * 1000
    evidence = {"controls": others, "api": api}
    up = [o["url"] for o in others if o["reachable"]]
    down = [o["url"] for o in others if not o["reachable"]]
    hosts = ", ".join(ctx.control_hosts)
    if not up and not api["reachable"]:
        finding = _explain("nothing_reachable", status="fail", evidence=evidence, hosts=hosts)
    elif not up:
        finding = _explain("control_unreachable", status="info", evidence=evidence, hosts=hosts)
    elif not api["reachable"]:
        # Informational: the dns/tcp/tls/proxy findings say *why* the API is blocked.
        finding = _explain("only_api_unreachable", status="info", evidence=evidence,
                           hosts=", ".join(up), host=target.host)
    else:
        partial = f"; {len(down)} did not ({', '.join(down)})" if down else ""
        finding = Finding(check="control.reach", status="ok" if not down else "info",
                          title=f"the API and {len(up)} of {len(others)} control site(s) "
                                f"answer{partial}", evidence=evidence)
    return [finding.replace(duration_ms=took)]
