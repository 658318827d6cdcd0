"""The status check against the simulator's Statuspage endpoint in each state, and pages that
are not Statuspage JSON (unknown, never "down")."""

from __future__ import annotations

import asyncio

import pytest
from servers import HTTPServer, closed_port

from chatkit.checks import CheckContext
from chatkit.checks.status import parse_summary, status_page
from chatkit.findings import Finding
from chatkit.sim import SimServer
from chatkit.targets import Target


def check(status_root: str | None, *, local_only: bool = False,
          provider: str = "compatible") -> Finding:
    base = "https://api.openai.com/v1" if provider == "openai" else "http://127.0.0.1:9/v1"
    target = Target(base_url=base, provider=provider, status_page=status_root)
    ctx = CheckContext(environ={}, timeout=3, local_only=local_only)
    [finding] = asyncio.run(status_page(target, ctx))
    return finding


@pytest.mark.parametrize("state,status,kind", [
    ("operational", "ok", None),
    ("degraded", "warn", "status_degraded"),
    ("major_outage", "fail", "status_outage"),
    ("maintenance", "warn", "status_maintenance"),
])
def test_each_state_of_the_simulated_page(state: str, status: str, kind: str | None) -> None:
    with SimServer(status=state) as sim:
        root = sim.root_url
        finding = check(root)
    assert finding.status == status
    assert finding.evidence.get("kind") == kind
    if kind is not None:
        assert finding.category == "service" and finding.remedy
        assert f"{root}/incidents/" in (finding.remedy or "")  # the incident's link


def test_an_outage_names_the_incident_and_its_latest_update() -> None:
    with SimServer(status="major_outage") as sim:
        finding = check(sim.root_url)
    cause = finding.cause or ""
    assert "Major Service Outage" in cause and "Increased error rates across the API" in cause
    assert "We have identified the issue" in cause  # the newest update, not the first
    assert finding.evidence["degraded_components"] == [{"name": "API", "status": "major_outage"}]
    assert finding.retryable is True


@pytest.mark.parametrize("answer", [
    {"body": b"<html><body>We moved!</body></html>", "content_type": "text/html"},
    {"body": b'{"page": {"name": "not a summary"}}'},
    {"body": b"gone", "status": "404 Not Found", "content_type": "text/plain"},
], ids=["html", "json-without-status", "404"])
def test_a_page_that_is_not_statuspage_json_is_unknown_not_down(answer: dict) -> None:
    with HTTPServer(**answer) as server:
        finding = check(server.url)
    assert finding.status == "info" and finding.evidence["kind"] == "status_unknown"
    assert "not the same as down" in (finding.cause or "")


def test_an_unreachable_status_page_is_unknown() -> None:
    finding = check(f"http://127.0.0.1:{closed_port()}")
    assert finding.status == "info" and finding.evidence["kind"] == "status_unknown"


def test_without_a_status_page_or_beyond_local_only_it_is_skipped() -> None:
    assert check(None).status == "skip"
    skipped = check(None, provider="openai", local_only=True)
    assert skipped.status == "skip" and "status.openai.com" in skipped.title


def test_incident_io_compat_quirks() -> None:
    document = {
        "status": {"indicator": "none", "description": "All Systems Operational"},
        "components": [{"name": "Group", "status": "partial_outage", "group": True},
                       {"name": "Login", "status": "operational"}],
        "incidents": [
            {"id": "01M3ACKDE4GYY67FXXNRRSC0CE", "name": "Elevated Errors with Login",
             "status": "investigating", "impact": "none", "started_at": None,
             "created_at": "2026-09-25T10:00:00Z", "components": [],
             "incident_updates": [
                 {"body": "", "created_at": "2026-09-25T10:05:00Z"},
                 {"body": "Looking into it", "created_at": "2026-09-25T10:01:00Z"}]},
            {"id": "old", "name": "Fixed", "status": "resolved", "incident_updates": []},
        ],
    }
    summary = parse_summary(document, "https://status.openai.com")
    assert summary is not None and summary["degraded_components"] == []  # groups roll up
    [incident] = summary["incidents"]
    assert incident["link"] == "https://status.openai.com/incidents/01M3ACKDE4GYY67FXXNRRSC0CE"
    assert incident["started_at"] == "2026-09-25T10:00:00Z"
    assert incident["latest_update"] is None  # the newest update is empty: say nothing
    assert parse_summary(["not", "a", "summary"], "x") is None
