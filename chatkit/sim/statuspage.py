"""A Statuspage v2 status page in four states, with status.openai.com's field names.

status.openai.com is incident.io serving an Atlassian-compatible API (research §5): the
simulator serves ``/api/v2/summary.json``, ``status.json``, ``components.json``,
``incidents.json``, ``incidents/unresolved.json`` and ``scheduled-maintenances.json`` with the
same fields and enums, so the status check can be tested in every state without internet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from chatkit.findings import iso_utc

__all__ = ["ENDPOINTS", "STATES", "IncidentSpan", "history_document", "slice_for",
           "spans_from_events", "status_document"]

#: state -> (indicator, description) of the page rollup.
STATES: dict[str, tuple[str, str]] = {
    "operational": ("none", "All Systems Operational"),
    "degraded": ("minor", "Partially Degraded Service"),
    "major_outage": ("major", "Major Service Outage"),
    "maintenance": ("maintenance", "Service Under Maintenance"),
}

_PAGE_ID = "01JMXBRMFE6N2NNT7DG6XZQ6PA"
# (id, name); the first two are status.openai.com's native ids for "OpenAI API" and "ChatGPT".
_COMPONENTS = (
    ("01JMXBRMFE6N2NNT7DG6XZQ6PW", "API"),
    ("01JMXBNJXGV1T5GT2M9XA83XNG", "ChatGPT"),
    ("01JMXBS3W7N9Q2C1M4K8YTDV5R", "Sora"),
    ("01JMXBT6H2P4R8Z0XB3GQWNE7C", "Playground"),
)
#: state -> the API component's status in that state.
_API_COMPONENT_STATUS = {
    "operational": "operational",
    "degraded": "degraded_performance",
    "major_outage": "major_outage",
    "maintenance": "under_maintenance",
}


def _component(cid: str, name: str, status: str, position: int, stamp: str) -> dict[str, Any]:
    return {
        "id": cid,
        "name": name,
        "status": status,
        "created_at": "2025-02-20T00:00:00.000Z",
        "updated_at": stamp,
        "position": position,
        "description": None,
        "showcase": True,
        "start_date": None,
        "group_id": None,
        "page_id": _PAGE_ID,
        "group": False,
        "only_show_if_degraded": False,
    }


def _update(
    uid: str, status: str, body: str, at: datetime, affected: list[dict[str, str]]
) -> dict[str, Any]:
    stamp = iso_utc(at)
    return {
        "id": uid,
        "status": status,
        "body": body,
        "created_at": stamp,
        "updated_at": stamp,
        "display_at": stamp,
        "affected_components": affected,
    }


def _incident(
    iid: str, name: str, status: str, impact: str, started: datetime,
    updates: list[dict[str, Any]], components: list[dict[str, Any]], root_url: str,
) -> dict[str, Any]:
    return {
        "id": iid,
        "name": name,
        "status": status,
        "impact": impact,
        "created_at": iso_utc(started),
        "updated_at": updates[0]["updated_at"],
        "monitoring_at": None,
        "resolved_at": None,
        "started_at": iso_utc(started),
        "shortlink": f"{root_url}/incidents/{iid}",
        "page_id": _PAGE_ID,
        "components": components,
        "incident_updates": updates,
    }


def status_document(state: str, *, root_url: str, now: datetime | None = None) -> dict[str, Any]:
    """The ``summary.json`` document for ``state`` (one of :data:`STATES`).

    The other endpoints are slices of it (see :func:`slice_for`).
    """
    if state not in STATES:
        raise ValueError(f"unknown status state {state!r}; use one of {', '.join(STATES)}")
    now = now or datetime.now(timezone.utc)
    stamp = iso_utc(now)
    indicator, description = STATES[state]
    api_status = _API_COMPONENT_STATUS[state]
    components = [
        _component(cid, name, api_status if name == "API" else "operational", i + 1, stamp)
        for i, (cid, name) in enumerate(_COMPONENTS)
    ]
    api = components[0]
    incidents: list[dict[str, Any]] = []
    maintenances: list[dict[str, Any]] = []
    if state == "degraded":
        started = now - timedelta(minutes=18)
        change = [{"code": api["id"], "name": "API", "old_status": "operational",
                   "new_status": "degraded_performance"}]
        incidents.append(_incident(
            "01K0SIMDEGRADED0000000000A", "Elevated latency on Chat Completions",
            "investigating", "minor", started,
            [_update("01K0SIMDEGRADEDUPD0000000A", "investigating",
                     "We are investigating elevated latency for some API requests.",
                     started, change)],
            [api], root_url,
        ))
    elif state == "major_outage":
        started = now - timedelta(minutes=42)
        change = [{"code": api["id"], "name": "API", "old_status": "degraded_performance",
                   "new_status": "major_outage"}]
        first = [{"code": api["id"], "name": "API", "old_status": "operational",
                  "new_status": "degraded_performance"}]
        incidents.append(_incident(
            "01K0SIMOUTAGE000000000000B", "Increased error rates across the API",
            "identified", "major", started,
            [  # newest first, as Statuspage lists them
                _update("01K0SIMOUTAGEUPD00000002B", "identified",
                        "We have identified the issue and are working on a fix. API requests "
                        "are failing with 500 and 503 errors.", now - timedelta(minutes=12),
                        change),
                _update("01K0SIMOUTAGEUPD00000001B", "investigating",
                        "We are investigating increased error rates for API requests.",
                        started, first),
            ],
            [api], root_url,
        ))
    elif state == "maintenance":
        started = now - timedelta(minutes=10)
        change = [{"code": api["id"], "name": "API", "old_status": "operational",
                   "new_status": "under_maintenance"}]
        maintenance = _incident(
            "01K0SIMMAINTENANCE0000000C", "Scheduled database maintenance",
            "in_progress", "maintenance", started,
            [_update("01K0SIMMAINTENANCEUPD000C", "in_progress",
                     "Scheduled maintenance is in progress. Some API requests may fail.",
                     started, change)],
            [api], root_url,
        )
        maintenance["scheduled_for"] = iso_utc(started)
        maintenance["scheduled_until"] = iso_utc(started + timedelta(hours=1))
        maintenances.append(maintenance)
    return {
        "page": {
            "id": _PAGE_ID,
            "name": "OpenAI",
            "url": root_url,
            "time_zone": "Etc/UTC",
            "updated_at": stamp,
        },
        "status": {"indicator": indicator, "description": description},
        "components": components,
        "incidents": incidents,
        "scheduled_maintenances": maintenances,
    }


#: path under /api/v2/ -> the keys of the summary document it returns.
ENDPOINTS: dict[str, tuple[str, ...]] = {
    "summary.json": ("page", "status", "components", "incidents", "scheduled_maintenances"),
    "status.json": ("page", "status"),
    "components.json": ("page", "components"),
    "incidents.json": ("page", "incidents"),
    "incidents/unresolved.json": ("page", "incidents"),
    "scheduled-maintenances.json": ("page", "scheduled_maintenances"),
    "scheduled-maintenances/active.json": ("page", "scheduled_maintenances"),
}


def slice_for(endpoint: str, document: dict[str, Any]) -> dict[str, Any]:
    """The part of ``document`` that ``/api/v2/<endpoint>`` returns."""
    return {key: document[key] for key in ENDPOINTS[endpoint]}


@dataclass(frozen=True)
class IncidentSpan:
    """One incident the simulated provider declares: when it began, when it was declared (its
    ``created_at``), when it was resolved (None: still open)."""

    start: datetime
    end: datetime | None = None
    declared: datetime | None = None
    name: str = "Increased error rates across the API"
    impact: str = "major"


def spans_from_events(events: list[float], *, gap_s: float, declare_after_s: float,
                      now: float) -> list[IncidentSpan]:
    """Incidents consistent with the 5xx answers the simulator gave (epoch seconds): answers
    less than ``gap_s`` apart are one incident, declared ``declare_after_s`` after its first
    answer, resolved ``gap_s`` after its last one (open until then)."""
    spans: list[IncidentSpan] = []
    group: list[float] = []
    for moment in [*sorted(events), math.inf]:
        if group and moment - group[-1] > gap_s:
            first, last = group[0], group[-1]
            at = datetime.fromtimestamp
            spans.append(IncidentSpan(
                start=at(first, timezone.utc),
                end=at(last + gap_s, timezone.utc) if now - last > gap_s else None,
                declared=at(first + declare_after_s, timezone.utc)))
            group = []
        group.append(moment)
    return spans


def history_document(spans: list[IncidentSpan], *, kind: str, root_url: str,
                     now: datetime | None = None) -> dict[str, Any]:
    """An ``incidents.json`` listing ``spans``, newest first, in the shape of ``kind``:
    ``statuspage`` (Atlassian: 12-character ids, stspg.io shortlinks, every time set) or
    ``incident.io`` (status.openai.com's compatible API: ULID ids, ``started_at`` null, an open
    incident with impact ``none``)."""
    now = now or datetime.now(timezone.utc)
    incidents = []
    for n, span in enumerate(sorted(spans, key=lambda s: s.start, reverse=True)):
        declared = span.declared or span.start
        resolved = span.end is not None and span.end <= now
        status = "resolved" if resolved else "investigating"
        if kind == "incident.io":
            iid = f"01K0SIMHISTORY{n:012d}"
            item: dict[str, Any] = {"id": iid, "name": span.name, "status": status,
                    "impact": span.impact if resolved else "none",
                    "created_at": iso_utc(declared), "started_at": None,
                    "resolved_at": iso_utc(span.end) if resolved and span.end else None,
                    "shortlink": f"{root_url}/incidents/{iid}",
                    "components": [], "incident_updates": []}
        else:
            iid = f"sim{n:09d}"
            update = _update(f"upd{n:09d}", "investigating", "We are investigating increased "
                             "error rates.", declared, [])
            item = _incident(iid, span.name, status, span.impact, span.start, [update], [],
                             root_url)
            item.update(created_at=iso_utc(declared), page_id="simstatuspge",
                        shortlink=f"https://stspg.io/{iid}",
                        resolved_at=iso_utc(span.end) if resolved and span.end else None)
        incidents.append(item)
    page_id = _PAGE_ID if kind == "incident.io" else "simstatuspge"
    return {"page": {"id": page_id, "name": "OpenAI", "url": root_url, "time_zone": "Etc/UTC",
                     "updated_at": iso_utc(now)},
            "incidents": incidents}
