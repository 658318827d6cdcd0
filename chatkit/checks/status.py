"""Is the provider itself having trouble? Its Statuspage-style ``/api/v2/summary.json``.

The rollup (``status.indicator``: none|minor|major|critical, and ``maintenance`` on some
pages), the components not operational, the open incidents with their latest update and link,
and maintenances in progress. status.openai.com is incident.io serving an Atlassian-compatible
API, so the quirks are handled: ULID ids, ``started_at`` null, active incidents with impact
``none``, empty update bodies, links via ``shortlink``. A page that answers 200 but not with
Statuspage JSON (a moved page, a login wall) means *unknown*, never *down*.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from chatkit.checks.base import CheckContext, register
from chatkit.checks.probe import probe_client
from chatkit.findings import Finding, Report
from chatkit.knowledge.classifier import explain
from chatkit.targets import Target

__all__ = ["parse_summary", "summary_url", "with_open_incident"]

_OUTAGE = {"major", "critical"}
_CLOSED = {"resolved", "postmortem", "completed"}
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def summary_url(status_page: str) -> str:
    return f"{status_page.rstrip('/')}/api/v2/summary.json"


def _latest(updates: Any) -> Mapping[str, Any]:
    if not isinstance(updates, list) or not updates:
        return {}
    stamps = [u for u in updates if isinstance(u, Mapping)]
    return max(stamps, key=lambda u: str(u.get("display_at") or u.get("created_at") or ""),
               default={})


def _incident(item: Mapping[str, Any], page: str) -> dict[str, Any]:
    latest = _latest(item.get("incident_updates"))
    return {
        "name": item.get("name"), "status": item.get("status"), "impact": item.get("impact"),
        "started_at": item.get("started_at") or item.get("created_at"),
        "latest_update": (latest.get("body") or "").strip() or None,
        "updated_at": latest.get("display_at") or latest.get("created_at"),
        "link": item.get("shortlink") or (f"{page.rstrip('/')}/incidents/{item['id']}"
                                          if item.get("id") else page),
        "components": [c.get("name") for c in item.get("components") or []
                       if isinstance(c, Mapping)],
    }


def parse_summary(document: Any, page: str) -> dict[str, Any] | None:
    """The parts of a summary.json that matter, or None when it is not one."""
    if not isinstance(document, Mapping) or not isinstance(document.get("status"), Mapping):
        return None
    status = document["status"]
    components = [
        {"name": c.get("name"), "status": c.get("status")}
        for c in document.get("components") or []
        if isinstance(c, Mapping) and c.get("status") not in (None, "operational")
        and not c.get("group")
    ]
    incidents = [_incident(i, page) for i in document.get("incidents") or []
                 if isinstance(i, Mapping) and i.get("status") not in _CLOSED]
    maintenances = [_incident(m, page) for m in document.get("scheduled_maintenances") or []
                    if isinstance(m, Mapping) and m.get("status") in ("in_progress", "verifying")]
    return {"indicator": status.get("indicator"), "description": status.get("description"),
            "degraded_components": components, "incidents": incidents,
            "maintenances": maintenances}


def _story(items: list[dict[str, Any]]) -> str:
    parts = []
    for item in items[:3]:
        update = f" — {item['latest_update']}" if item.get("latest_update") else ""
        parts.append(f"{item['name']} ({item['status']}){update}")
    return "; ".join(parts) or "no incident posted yet"


def _unknown(url: str, detail: str, evidence: Mapping[str, Any]) -> Finding:
    return explain("status_unknown", check="status.page", status="info",
                   evidence={**evidence, "url": url}, url=url, detail=detail)


@register("status")
async def status_page(target: Target, ctx: CheckContext) -> list[Finding]:
    """Read the provider's status page summary and judge it."""
    import json

    page = target.status_page
    human = target.profile.status_page
    if not page and human:  # an Instatus, Better Stack or home-made page: for people only
        return [Finding(check="status.page", status="skip",
                        title=f"{target.profile.label}'s status page is not one chatkit can "
                              "read: its service status was not read",
                        remedy=f"open {human} in a browser", evidence={"page": human})]
    if not page:
        return [Finding(check="status.page", status="skip",
                        title=f"no status page is known for provider {target.provider!r}: "
                              "its service status was not read",
                        remedy="look at your provider's status page in a browser")]
    page_host = urlsplit(page).hostname or ""
    if ctx.local_only and page_host not in {target.host, *_LOOPBACK}:
        return [Finding(check="status.page", status="skip",
                        title=f"{page} not read: this run reaches only the target itself",
                        evidence={"page": page, "reason": "local_only"})]
    url = summary_url(page)
    evidence: dict[str, Any] = {"page": page, "url": url}
    started = time.perf_counter()
    try:
        async with probe_client(target, ctx, url=url, follow_redirects=True) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
    except Exception as exc:  # an unreadable page is a finding, not a crash
        return [_unknown(url, f"{type(exc).__name__}: {exc}", evidence)]
    took = (time.perf_counter() - started) * 1000
    evidence["http_status"] = response.status_code
    if response.status_code != 200:
        return [_unknown(url, f"HTTP {response.status_code}", evidence).replace(duration_ms=took)]
    try:
        summary = parse_summary(json.loads(response.content), page)
    except ValueError:
        summary = None
    if summary is None:
        kind = response.headers.get("content-type", "?").split(";")[0]
        return [_unknown(url, f"HTTP 200 but {kind}, not Statuspage JSON", evidence)
                .replace(duration_ms=took)]
    evidence.update(summary)
    indicator = summary["indicator"]
    component_states = {c["status"] for c in summary["degraded_components"]}
    open_items = summary["incidents"] + summary["maintenances"]
    link = open_items[0]["link"] if open_items else page
    fmt = {"page": page_host, "description": summary["description"] or indicator,
           "incidents": _story(open_items), "link": link}
    if indicator in _OUTAGE or "major_outage" in component_states:
        kind, status = "status_outage", "fail"
    elif indicator == "maintenance" or summary["maintenances"] or (
            "under_maintenance" in component_states):
        kind, status = "status_maintenance", "warn"
    elif indicator == "minor" or component_states & {"degraded_performance", "partial_outage"}:
        kind, status = "status_degraded", "warn"
    else:
        note = f"; open: {_story(summary['incidents'])}" if summary["incidents"] else ""
        return [Finding(check="status.page", status="info" if note else "ok",
                        title=f"{page_host}: {summary['description'] or 'operational'}{note}",
                        evidence=evidence, duration_ms=took)]
    title = f"{page_host}: {summary['description'] or indicator}"
    return [explain(kind, check="status.page", status=status, title=title, evidence=evidence,
                    **fmt).replace(duration_ms=took)]


def with_open_incident(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """When the verdict is a service-side failure and the status page lists an open incident,
    that incident (name, last update, link) goes into the verdict's finding."""
    cause = Report(findings=tuple(findings)).root_cause
    if cause is None or cause.category != "service" or cause.group == "status":
        return tuple(findings)
    incidents = next((f.evidence["incidents"] for f in findings
                      if f.group == "status" and f.evidence.get("incidents")), None)
    if not incidents:
        return tuple(findings)
    first = incidents[0]
    update = f", last update {first['updated_at']}" if first.get("updated_at") else ""
    said = f": {first['latest_update']}" if first.get("latest_update") else ""
    note = (f"; the provider reports an open incident, {first['name']!r} ({first['status']}"
            f"{update}){said} {first['link']}")
    told = cause.replace(cause=(cause.cause or cause.title) + note,
                         evidence={**cause.evidence, "provider_incident": dict(first)})
    return tuple(told if f is cause else f for f in findings)
