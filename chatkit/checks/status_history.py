"""What the provider itself declared: the incident history of its status page.

Two kinds of page answer ``/api/v2/incidents.json`` (the 50 most recent incidents):

* Atlassian Statuspage (``status.claude.com``, ``discordstatus.com``, ...): 12-character ids,
  ``created_at``/``started_at``/``resolved_at`` with offsets, ``shortlink`` on stspg.io;
* incident.io's Atlassian-compatible API (``status.openai.com``): ULID ids, ``started_at`` may
  be null, an open incident may carry ``impact: "none"``, and some records have no
  ``created_at`` at all, only ``updated_at``.

Anything else (an HTML page, a moved page, a timeout) is *unknown*, never "no incident". The
history is fetched once per page and run, and remembers when it was fetched.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import httpx

from chatkit.findings import iso_utc

__all__ = [
    "PageKind",
    "ProviderIncident",
    "StatusHistory",
    "fetch_history",
    "incidents_url",
    "page_kind",
    "parse_history",
]

PageKind = Literal["statuspage", "incident.io", "unknown"]

_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_CLOSED = {"resolved", "postmortem", "completed"}
_CACHE: dict[str, StatusHistory] = {}
_CACHE_LOCK = threading.Lock()


def incidents_url(status_page: str) -> str:
    return f"{status_page.rstrip('/')}/api/v2/incidents.json"


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _link(item: Mapping[str, Any], page: str) -> str | None:
    link = item.get("shortlink")
    if isinstance(link, str) and link.startswith(("https://", "http://")):
        return link
    if isinstance(item.get("id"), str) and page.startswith(("https://", "http://")):
        return f"{page.rstrip('/')}/incidents/{item['id']}"
    return None


@dataclass(frozen=True, slots=True)
class ProviderIncident:
    """One incident as the provider declared it, times in UTC."""

    id: str
    name: str
    status: str | None
    impact: str | None
    start: datetime  # when the provider says it began
    declared: datetime  # when the provider first said so (created_at, else the first update)
    end: datetime | None  # None: still open
    components: tuple[str, ...] = ()
    link: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "status": self.status, "impact": self.impact,
                "start": iso_utc(self.start), "declared": iso_utc(self.declared),
                "end": iso_utc(self.end) if self.end else None,
                "components": list(self.components), "link": self.link}


def _incident(item: Mapping[str, Any], page: str) -> ProviderIncident | None:
    updates = [u for u in item.get("incident_updates") or () if isinstance(u, Mapping)]
    update_times = sorted(t for u in updates
                          if (t := _when(u.get("display_at") or u.get("created_at"))))
    declared = _when(item.get("created_at")) or (update_times[0] if update_times else None)
    start = _when(item.get("started_at")) or declared or _when(item.get("updated_at"))
    if start is None:
        return None
    status = item.get("status") if isinstance(item.get("status"), str) else None
    end = _when(item.get("resolved_at"))
    if end is None and status in _CLOSED:
        end = _when(item.get("updated_at")) or (update_times[-1] if update_times else None)
        if end is None:
            return None  # closed, but when is unknown: not shown as open
    names = [c.get("name") for c in item.get("components") or () if isinstance(c, Mapping)]
    names += [a.get("name") for u in updates for a in u.get("affected_components") or ()
              if isinstance(a, Mapping)]
    return ProviderIncident(
        id=str(item.get("id") or ""), name=str(item.get("name") or "unnamed incident"),
        status=status, impact=item.get("impact") if isinstance(item.get("impact"), str) else None,
        start=min(start, declared) if declared else start, declared=declared or start, end=end,
        components=tuple(dict.fromkeys(n for n in names if isinstance(n, str))),
        link=_link(item, page))


def page_kind(document: Any) -> PageKind:
    """Which kind of page wrote ``document``: incident.io's ids are ULIDs."""
    if not isinstance(document, Mapping) or not isinstance(document.get("incidents"), list):
        return "unknown"
    page_id = (document.get("page") or {}).get("id") if isinstance(document.get("page"),
                                                                    Mapping) else None
    ids = [page_id, *(i.get("id") for i in document["incidents"] if isinstance(i, Mapping))]
    return "incident.io" if any(isinstance(i, str) and _ULID.match(i) for i in ids) \
        else "statuspage"


@dataclass(frozen=True)
class StatusHistory:
    """A page's incident history as fetched at ``fetched_at``; ``error`` says why it is unknown."""

    page: str
    kind: PageKind
    fetched_at: datetime
    incidents: tuple[ProviderIncident, ...] = ()
    error: str | None = None

    @property
    def known(self) -> bool:
        return self.kind != "unknown"

    def overlapping(self, start: datetime, end: datetime, *,
                    slack: timedelta = timedelta(minutes=15)) -> list[ProviderIncident]:
        """The incidents whose span (open ones: until the fetch) meets [start, end], with a
        little slack: a provider's start time is rounded, and the first failures may come just
        before it."""
        return [i for i in self.incidents
                if i.start - slack <= end and (i.end or self.fetched_at) + slack >= start]

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "kind": self.kind, "fetched_at": iso_utc(self.fetched_at),
                "error": self.error, "incidents": [i.to_dict() for i in self.incidents]}


def parse_history(document: Any, page: str, *, fetched_at: datetime | None = None
                  ) -> StatusHistory:
    """A :class:`StatusHistory` from an ``incidents.json`` (or ``summary.json``) document."""
    fetched_at = fetched_at or datetime.now(timezone.utc)
    kind = page_kind(document)
    if kind == "unknown":
        return StatusHistory(page, "unknown", fetched_at,
                             error="the page did not answer with a Statuspage incident list")
    found = (_incident(i, page) for i in document["incidents"] if isinstance(i, Mapping))
    incidents = sorted((i for i in found if i is not None), key=lambda i: i.start)
    return StatusHistory(page, kind, fetched_at, tuple(incidents))


def fetch_history(status_page: str, *, timeout: float = 10.0, transport: Any = None,
                  refresh: bool = False) -> StatusHistory:
    """The incident history of ``status_page``, fetched once per page (``refresh`` to fetch
    again). Never raises for a failed fetch: the history is then *unknown*, with the reason."""
    with _CACHE_LOCK:
        cached = _CACHE.get(status_page)
    if cached is not None and not refresh:
        return cached
    fetched_at = datetime.now(timezone.utc)
    try:
        with httpx.Client(timeout=timeout, transport=transport, follow_redirects=True) as client:
            response = client.get(incidents_url(status_page),
                                  headers={"accept": "application/json"})
        if response.status_code != 200:
            history = StatusHistory(status_page, "unknown", fetched_at,
                                    error=f"the page answered HTTP {response.status_code}")
        else:
            try:
                document = response.json()
            except ValueError:
                document = None
            history = parse_history(document, status_page, fetched_at=fetched_at)
    except httpx.HTTPError as exc:
        history = StatusHistory(status_page, "unknown", fetched_at,
                                error=f"could not fetch the page: {type(exc).__name__}")
    with _CACHE_LOCK:
        _CACHE[status_page] = history
    return history
