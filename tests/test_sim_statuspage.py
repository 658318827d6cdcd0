"""The simulator's Statuspage v2 endpoints in each state (field names as status.openai.com)."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from chatkit.sim import SimServer

INDICATORS = {"none", "minor", "major", "critical", "maintenance"}
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage",
                      "under_maintenance"}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}
IMPACTS = {"none", "minor", "major", "critical", "maintenance"}


def _is_iso(text: str) -> bool:
    return text.endswith("Z") and datetime.fromisoformat(text.replace("Z", "+00:00")) is not None


def _check_shape(summary: dict) -> None:
    assert list(summary) == ["page", "status", "components", "incidents",
                             "scheduled_maintenances"]
    assert set(summary["page"]) == {"id", "name", "url", "time_zone", "updated_at"}
    assert _is_iso(summary["page"]["updated_at"])
    assert set(summary["status"]) == {"indicator", "description"}
    assert summary["status"]["indicator"] in INDICATORS
    for component in summary["components"]:
        assert {"id", "name", "status", "created_at", "updated_at", "position", "description",
                "showcase", "group_id", "page_id", "group", "only_show_if_degraded"} <= set(
            component)
        assert component["status"] in COMPONENT_STATUSES
    for incident in summary["incidents"] + summary["scheduled_maintenances"]:
        assert {"id", "name", "status", "impact", "created_at", "updated_at", "monitoring_at",
                "resolved_at", "started_at", "shortlink", "page_id", "components",
                "incident_updates"} <= set(incident)
        assert incident["impact"] in IMPACTS
        assert incident["shortlink"].startswith(summary["page"]["url"])
        for update in incident["incident_updates"]:
            assert {"id", "status", "body", "created_at", "updated_at", "display_at",
                    "affected_components"} <= set(update)
            for change in update["affected_components"]:
                assert set(change) == {"code", "name", "old_status", "new_status"}
                assert change["new_status"] in COMPONENT_STATUSES
    for incident in summary["incidents"]:
        assert incident["status"] in INCIDENT_STATUSES
    for maintenance in summary["scheduled_maintenances"]:
        assert maintenance["status"] in MAINTENANCE_STATUSES
        assert _is_iso(maintenance["scheduled_for"]) and _is_iso(maintenance["scheduled_until"])


@pytest.mark.parametrize(("state", "indicator", "description", "api", "incidents", "maint"), [
    ("operational", "none", "All Systems Operational", "operational", 0, 0),
    ("degraded", "minor", "Partially Degraded Service", "degraded_performance", 1, 0),
    ("major_outage", "major", "Major Service Outage", "major_outage", 1, 0),
    ("maintenance", "maintenance", "Service Under Maintenance", "under_maintenance", 0, 1),
])
def test_summary_in_each_state(state: str, indicator: str, description: str, api: str,
                               incidents: int, maint: int) -> None:
    with SimServer(status=state) as sim:
        summary = httpx.get(sim.root_url + "/api/v2/summary.json").json()
        status = httpx.get(sim.root_url + "/api/v2/status.json").json()
        root_url = sim.root_url
    _check_shape(summary)
    assert summary["status"] == {"indicator": indicator, "description": description}
    assert status == {"page": status["page"], "status": summary["status"]}
    assert summary["page"]["url"] == root_url
    by_name = {c["name"]: c["status"] for c in summary["components"]}
    assert by_name["API"] == api
    assert all(s == "operational" for name, s in by_name.items() if name != "API")
    assert len(summary["incidents"]) == incidents
    assert len(summary["scheduled_maintenances"]) == maint


def test_outage_incident_has_a_history(sim: SimServer) -> None:
    sim.set_status("major_outage")
    incident = httpx.get(sim.root_url + "/api/v2/incidents/unresolved.json").json()[
        "incidents"][0]
    assert incident["status"] == "identified" and incident["impact"] == "major"
    statuses = [u["status"] for u in incident["incident_updates"]]
    assert statuses == ["identified", "investigating"]  # newest first
    assert incident["components"][0]["name"] == "API"


def test_other_endpoints_and_404(sim: SimServer) -> None:
    with httpx.Client(base_url=sim.root_url + "/api/v2") as client:
        assert set(client.get("/components.json").json()) == {"page", "components"}
        assert set(client.get("/scheduled-maintenances/active.json").json()) == {
            "page", "scheduled_maintenances"}
        assert client.get("/nothing.json").status_code == 404
        assert client.get("/summary.json").headers["content-type"] == "application/json"
