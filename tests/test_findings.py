"""Finding and Report: the wire form round-trips, renderings are exact, and the verdict is the
root cause."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from chatkit.findings import Finding, Report, iso_utc, utcnow_iso
from chatkit.targets import Target

PLANTED = "sk-proj-PLANTEDsecretKEY0123456789abcdefWXYZ"


def finding(check: str, status: str = "ok", **kw) -> Finding:
    return Finding(check=check, status=status, title=kw.pop("title", f"{check} {status}"), **kw)


def sample_report() -> Report:
    target = Target(base_url="https://api.example.test/v1", provider="compatible",
                    api_key=PLANTED)
    return Report(
        findings=(
            finding("dns.resolve", "fail", category="network",
                    cause="NXDOMAIN from the system resolver", remedy="switch to a public resolver",
                    evidence={"host": "api.example.test"}, retryable=False, duration_ms=12.3456),
            finding("api.key", "fail", category="account", cause="no connection",
                    remedy="fix DNS first"),
            finding("tls.handshake", "skip", title="no address to connect to"),
            finding("status.page", "ok"),
        ),
        target=target.to_dict(),
        started_at="2026-11-25T06:00:00.000Z",
        finished_at="2026-11-25T06:00:01.000Z",
        environment={"python": "3.11.7"},
        chatkit_version="9.9.9",
    )


def test_finding_round_trips_through_json() -> None:
    f = finding("tcp.connect", "warn", category="network", cause="10% loss",
                remedy="check Wi-Fi", evidence={"loss_pct": 10.0, "samples": [1.5, 2.5]},
                retryable=True, duration_ms=3.25)
    assert Finding.from_dict(json.loads(json.dumps(f.to_dict()))) == f


def test_finding_dict_has_the_contract_keys() -> None:
    assert list(finding("x.y").to_dict()) == [
        "check", "status", "category", "title", "cause", "remedy", "evidence", "retryable",
        "duration_ms",
    ]


@pytest.mark.parametrize("field,value", [("status", "bad"), ("category", "weather")])
def test_finding_rejects_values_outside_the_contract(field: str, value: str) -> None:
    kwargs = {"check": "x", "status": "ok", "title": "t", field: value}
    with pytest.raises(ValueError, match=field):
        Finding(**kwargs)


def test_finding_repr_is_short_and_names_the_subject() -> None:
    f = finding("dns.resolve", "fail", evidence={"host": "api.openai.com"})
    assert repr(f) == "<Finding dns.resolve FAIL api.openai.com>"


def test_report_round_trips_and_recomputes_summary_and_verdict() -> None:
    report = sample_report()
    data = json.loads(report.to_json())
    again = Report.from_dict(data)
    assert again == report
    assert again.to_dict() == data
    assert data["summary"] == {"ok": 1, "info": 0, "warn": 0, "fail": 2, "skip": 1}


def test_verdict_is_the_root_cause_not_the_first_failure() -> None:
    api_first = Report(findings=(
        finding("api.completion", "fail", category="account", cause="connection failed"),
        finding("dns.resolve", "fail", category="network", cause="NXDOMAIN", remedy="use 1.1.1.1"),
    ))
    assert api_first.verdict == {"check": "dns.resolve", "category": "network",
                                 "cause": "NXDOMAIN", "remedy": "use 1.1.1.1", "retryable": None}


@pytest.mark.parametrize(("base_url", "nearest"), [
    ("http://localhost:4000/v1", "tcp.connect"),
    ("http://127.0.0.1:4000/v1", "tcp.connect"),
    ("http://[::1]:4000/v1", "tcp.connect"),
    ("http://192.168.1.20:8000/v1", "tcp.connect"),
    ("http://10.0.0.5/v1", "tcp.connect"),
    ("http://llm-box:8080/v1", "tcp.connect"),
    ("http://ollama.local:11434/v1", "tcp.connect"),
    # a target on the internet: nothing reachable at all explains its refused port too
    ("https://api.openai.com/v1", "control.reach"),
    ("https://8.8.8.8/v1", "control.reach"),
])
def test_no_internet_never_outranks_a_local_measurement_for_a_local_target(
        base_url: str, nearest: str) -> None:
    report = Report(target={"base_url": base_url}, findings=(
        finding("control.reach", "fail", cause="this machine has no working path to the internet"),
        finding("tcp.connect", "fail", cause="nothing listens on port 4000"),
        finding("api.models", "fail", cause="connection refused"),
    ))
    assert report.verdict is not None and report.verdict["check"] == nearest


def test_a_proxy_that_refused_names_the_cause_for_a_local_target() -> None:
    report = Report(target={"base_url": "http://localhost:4000/v1"}, findings=(
        finding("control.reach", "fail", cause="no internet"),
        finding("proxy.connect", "fail", cause="the proxy refused the connection"),
    ))
    assert report.verdict is not None and report.verdict["check"] == "proxy.connect"


def test_a_failure_outranks_an_earlier_warning_and_all_well_has_no_verdict() -> None:
    mixed = Report(findings=(finding("dns.resolve", "warn", cause="slow"),
                             finding("api.key", "fail", cause="invalid key")))
    assert mixed.verdict is not None and mixed.verdict["check"] == "api.key"
    assert not mixed.ok
    healthy = Report(findings=(finding("dns.resolve"), finding("status.page", "skip")))
    assert healthy.verdict is None and healthy.ok
    warned = Report(findings=(finding("status.page", "warn", cause="degraded"),))
    assert warned.verdict is not None and warned.verdict["cause"] == "degraded" and warned.ok


def test_report_markdown_is_exact() -> None:
    assert sample_report().to_markdown() == (
        "# chatkit report\n"
        "\n"
        "**Target:** https://api.example.test/v1 (provider compatible, key sk-...WXYZ)  \n"
        "**Run:** 2026-11-25T06:00:00.000Z → 2026-11-25T06:00:01.000Z, chatkit 9.9.9  \n"
        "**Summary:** 1 ok, 0 info, 0 warn, 2 fail, 1 skipped\n"
        "\n"
        "**Verdict:** network: NXDOMAIN from the system resolver. "
        "Fix: switch to a public resolver\n"
        "\n"
        "| | Check | Finding | Cause | Remedy |\n"
        "|---|---|---|---|---|\n"
        "| ✘ fail | `dns.resolve` | dns.resolve fail | NXDOMAIN from the system resolver "
        "| switch to a public resolver |\n"
        "| ✘ fail | `api.key` | api.key fail | no connection | fix DNS first |\n"
        "| – skip | `tls.handshake` | no address to connect to |  |  |\n"
        "| ✔ ok | `status.page` | status.page ok |  |  |\n"
    )


def test_report_text_shows_cause_and_remedy_only_for_problems() -> None:
    text = sample_report().to_text()
    assert "cause:  NXDOMAIN from the system resolver" in text
    assert "remedy: switch to a public resolver" in text
    assert text.count("cause:") == 2
    assert text.rstrip().endswith(
        "Verdict: network: NXDOMAIN from the system resolver. Fix: switch to a public resolver")
    assert "\x1b[" not in text and "\x1b[31m" in sample_report().to_text(color=True)


def test_html_escapes_what_it_shows() -> None:
    f = finding("api.key", "fail", cause="<script>alert(1)</script>")
    rendered = f._repr_html_()
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered


def test_planted_key_never_appears_in_any_rendering() -> None:
    report = sample_report()
    renderings = [report.to_json(), report.to_markdown(), report.to_html(), report.to_text(),
                  repr(report), str(report.to_dict())]
    target = Target(base_url="https://api.example.test/v1", provider="compatible",
                    api_key=PLANTED)
    renderings += [repr(target), str(target.to_dict())]
    for text in renderings:
        assert PLANTED not in text
        assert PLANTED[8:-4] not in text
    assert "sk-...WXYZ" in report.to_json()


def test_timestamps_are_utc_to_the_millisecond_with_z() -> None:
    cet = timezone(timedelta(hours=1))
    assert iso_utc(datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=cet)) == "2026-03-02T08:00:00.123Z"
    now = utcnow_iso()
    assert now.endswith("Z") and len(now) == len("2026-03-02T08:00:00.123Z")
