"""Is it me or them? Each incident window of a log against the provider's declared incidents.

A window that overlaps an incident on the provider's status page is the provider's, and the
*detection lead* says how many minutes the log's first failure came before the provider declared
it. A window that no incident overlaps is called local, with the evidence that points there
(which hosts, statuses and models failed, and whether other hosts kept working). When the page
could not be read, nothing is called local: the answer is "unknown".
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from chatkit.checks.status_history import StatusHistory
from chatkit.findings import iso_utc
from chatkit.logs.columns import Columns
from chatkit.logs.incidents import Incident, find_incidents
from chatkit.providers import PROVIDERS, detect_provider

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["declared_when", "match_provider_incidents", "status_page_for"]


def declared_when(lead_minutes: float | None) -> str:
    """The detection lead in words: when the provider declared the incident, counted from
    the log's first failure (negative: before it)."""
    if lead_minutes is None:
        return "declared"
    side = "after" if lead_minutes >= 0 else "before"
    return f"declared {abs(lead_minutes):.0f} min {side} the log's first failure"


def status_page_for(frame: pd.DataFrame) -> str | None:
    """The status page of the provider most of the log's requests went to, if it has one."""
    for column in ("provider", "host"):
        if column not in frame or not frame[column].notna().any():
            continue
        top = str(frame[column].value_counts().index[0])
        name = top if top in PROVIDERS else detect_provider(top)
        page = PROVIDERS[name].readable_status_page if name else None
        if page:  # a page for people only cannot be matched
            return page
    return None


def _moment(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc)


def _values(cols: Columns, name: str, rows: np.ndarray) -> list[str]:
    codes, labels = cols.codes(name)
    picked = codes[rows]
    return sorted({labels[c] for c in picked if c >= 0})


def _local_evidence(cols: Columns, incident: Incident) -> dict[str, Any]:
    rows = incident.rows
    failed_rows = rows[cols.failed[rows]]
    hosts = _values(cols, "host", failed_rows)
    ok_rows = rows[~cols.failed[rows]]
    healthy = sorted(set(_values(cols, "host", ok_rows)) - set(hosts))
    no_answer = int((cols.code[failed_rows] < 0).sum())
    return {"failed_hosts": hosts, "hosts_still_answering": healthy,
            "failed_models": _values(cols, "model", failed_rows),
            "no_response": no_answer, "failures": int(failed_rows.size)}


def _reason(evidence: dict[str, Any], top_status: str, hosts_in_log: int) -> str:
    parts = []
    if top_status == "429":
        parts.append("mostly 429 answers: this key's or organization's rate limit, which a "
                     "status page does not cover")
    if len(evidence["failed_hosts"]) == 1 and hosts_in_log > 1:
        parts.append(f"every failure was on one host ({evidence['failed_hosts'][0]})")
    if evidence["hosts_still_answering"]:
        parts.append("other hosts kept answering (" +
                     ", ".join(evidence["hosts_still_answering"][:3]) + ")")
    if evidence["failures"] and evidence["no_response"] == evidence["failures"]:
        parts.append("no request got any HTTP answer, which points at this machine's network, "
                     "proxy or DNS")
    return "; ".join(parts) or "the provider declared no incident for this period"


def match_provider_incidents(frame: pd.DataFrame, history: StatusHistory) -> dict[str, Any]:
    """The ``provider_incidents`` part of a log summary: one entry per incident window."""
    cols = Columns(frame)
    windows = []
    for incident in find_incidents(cols):
        failed = incident.rows[cols.failed[incident.rows]]
        times = cols.ts[failed if failed.size else incident.rows]
        times = times[~np.isnan(times)]
        first = _moment(float(times.min())) if times.size else None
        start = _moment(float(np.nanmin(cols.ts[incident.rows])))
        end = _moment(float(np.nanmax(cols.ts[incident.rows])))
        entry: dict[str, Any] = {**incident.to_dict(),
                                 "first_failure": iso_utc(first) if first else None}
        if not history.known:
            entry.update(verdict="unknown", provider_incidents=[],
                         explanation=f"the provider's status page could not be read "
                                     f"({history.error})")
        else:
            matches = history.overlapping(start, end)
            entry["provider_incidents"] = [
                {**m.to_dict(), "lead_minutes": round((m.declared - first).total_seconds() / 60,
                                                      1) if first else None}
                for m in matches]
            if matches:
                entry.update(verdict="provider", explanation=f"the provider declared "
                             f"{matches[0].name!r} for this period")
            else:
                evidence = _local_evidence(cols, incident)
                entry.update(verdict="local", evidence=evidence,
                             explanation="no provider incident: look local; "
                             + _reason(evidence, incident.top_status, len(cols.codes("host")[1])))
        windows.append(entry)
    return {**history.to_dict(), "windows": windows}
