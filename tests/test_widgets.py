"""The panels, driven in-process as a person would: set fields, click buttons, read widgets.

Each test talks to a simulated API on 127.0.0.1 that it starts itself.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import ipywidgets
import pytest

from chatkit.checks import CheckContext
from chatkit.sim import DEFAULT_KEY, SimServer
from chatkit.targets import Target
from chatkit.widgets import DoctorPanel, Notes, TriageWizard, connect

PLANTED = "sk-proj-PLANTEDsecretKEY0123456789abcdefXYZ"


def sim_target(sim: SimServer, base_url: str | None = None) -> Target:
    return Target(base_url=base_url or sim.base_url, provider="compatible",
                  status_page=sim.root_url, timeout=5)


def sim_context(**env: str) -> CheckContext:
    return CheckContext(environ=env, timeout=5, local_only=True)


def stderr_of(output: ipywidgets.Output) -> str:
    return "".join(o.get("text", "") for o in output.outputs)


def widget_state_json() -> str:
    return json.dumps(ipywidgets.Widget.get_manager_state(), default=repr)


@pytest.fixture
def panel_notes(tmp_path: Path) -> Notes:
    return Notes(out_dir=tmp_path / "exports")


# --- DoctorPanel ------------------------------------------------------------------------------

def test_run_fills_the_report_with_the_verdict_and_feeds_the_notes(
        sim: SimServer, panel_notes: Notes) -> None:
    panel = DoctorPanel(sim_target(sim), context=sim_context(OPENAI_API_KEY=DEFAULT_KEY),
                        notes=panel_notes)
    panel.run_button.click()
    report = panel.wait()
    assert report is not None and report.ok, report
    assert panel.result.value.count("Verdict:") == 1  # one verdict, the report's own
    assert "Verdict:</b> All checks passed" in panel.result.value
    assert "chatkit-findings" in panel.result.value and "api.key" in panel.result.value
    assert panel.progress.value == panel.progress.max and panel.progress.bar_style == "success"
    assert not panel.run_button.disabled
    assert [f.check for f in panel_notes.findings] == [f.check for f in report.findings]


def test_a_failing_service_shows_a_failing_verdict(sim: SimServer) -> None:
    panel = DoctorPanel(sim_target(sim, sim.url_for_fault("401_invalid_key")),
                        context=sim_context(OPENAI_API_KEY=DEFAULT_KEY))
    panel.run_button.click()
    report = panel.wait()
    assert report is not None and not report.ok
    assert report.verdict is not None and report.verdict["cause"]
    assert panel.result.value.count("Verdict:") == 1
    headline = panel.result.value.split("<table")[0]
    assert report.verdict["cause"].rstrip(".")[:40] in html.unescape(headline)
    assert "#cf222e" in headline  # the verdict is marked red
    assert panel.progress.bar_style == "danger"


def test_a_typed_key_is_used_but_never_kept_in_widget_state() -> None:
    with SimServer(keys=(PLANTED,)) as sim:
        panel = DoctorPanel(sim_target(sim), context=sim_context(), groups=["api"])
        panel.key.value = PLANTED
        future = panel.run()
        # read out of the widget before any check ran
        assert panel.key.value == ""
        assert future is not None
        report = panel.wait()
    assert report is not None
    key_check = next(f for f in report.findings if f.check == "api.key")
    assert key_check.status == "ok", key_check  # the simulator accepts only the typed key
    assert PLANTED not in widget_state_json()
    assert PLANTED not in report.to_json() and PLANTED not in panel.result.value
    assert f"sk-...{PLANTED[-4:]}" in panel.key_note.value


def test_without_the_environment_key_the_api_check_says_none(sim: SimServer) -> None:
    panel = DoctorPanel(sim_target(sim), context=sim_context(OPENAI_API_KEY=DEFAULT_KEY),
                        groups=["api"])
    panel.use_env.value = False
    panel.run_button.click()
    report = panel.wait()
    assert report is not None
    key_check = next(f for f in report.findings if f.check == "api.key")
    assert key_check.status == "fail" and "no API key" in key_check.title


def test_a_second_click_while_running_is_refused_politely() -> None:
    with SimServer(fault="slow:1500") as sim:
        panel = DoctorPanel(sim_target(sim), context=sim_context(OPENAI_API_KEY=DEFAULT_KEY),
                            groups=["http"])
        first = panel.run()
        assert first is not None and not first.done()
        assert panel.run_button.disabled
        panel.run_button.click()
        assert "Still running" in panel.status.value
        assert panel.run() is None
        panel.wait()
    assert first.done() and not panel.run_button.disabled


def test_a_bad_field_shows_one_error_line_in_the_panel(sim: SimServer) -> None:
    panel = DoctorPanel(sim_target(sim), context=sim_context())
    panel.base_url.value = "ftp://example.invalid"
    panel.run_button.click()
    text = stderr_of(panel.errors)
    assert text.startswith("Error: base URL 'ftp://example.invalid' is not an http(s) URL")
    assert "Traceback" not in text and not panel.run_button.disabled
    assert panel.report is None
    for button in panel.groups.values():
        button.value = False
    panel.base_url.value = sim.base_url
    panel.run_button.click()
    assert "at least one check group" in stderr_of(panel.errors)


def test_an_error_replaces_the_previous_result(sim: SimServer) -> None:
    panel = DoctorPanel(sim_target(sim), context=sim_context(OPENAI_API_KEY=DEFAULT_KEY),
                        groups=["http"])
    panel.run_button.click()
    assert panel.wait() is not None and "Verdict:" in panel.result.value
    assert panel.status.value.startswith("Done:")
    panel.base_url.value = "not a url"
    panel.run_button.click()
    assert stderr_of(panel.errors).startswith("Error: base URL 'not a url'")
    # nothing of the earlier run is left to be read as this one's
    assert panel.result.value == "" and panel.status.value == "" and panel.report is None
    assert panel.progress.value == 0 and panel.progress.bar_style == ""
    panel.base_url.value = sim.base_url
    panel.run_button.click()
    assert panel.wait() is not None
    assert panel.errors.outputs == () and "Verdict:" in panel.result.value


def test_group_toggles_show_whether_they_are_selected(sim: SimServer) -> None:
    panel = DoctorPanel(sim_target(sim), context=sim_context(), groups=["dns", "tcp"])
    dns, tcp = panel.groups["dns"], panel.groups["tcp"]
    assert (dns.button_style, dns.icon) == ("info", "check")
    tcp.value = False
    assert (tcp.button_style, tcp.icon) == ("", "")
    assert "left out" in tcp.tooltip and "selected" in dns.tooltip
    assert panel.selected_groups() == ["dns"]


def test_a_status_page_skip_speaks_plainly(sim: SimServer) -> None:
    panel = DoctorPanel(Target(base_url=sim.base_url, provider="compatible", timeout=5),
                        context=sim_context(), groups=["status"])
    panel.run_button.click()
    report = panel.wait()
    assert report is not None
    skip = next(f for f in report.findings if f.check == "status.page")
    assert skip.status == "skip" and "Target(" not in (skip.remedy or "") + skip.title
    assert "Target(" not in panel.result.value


def test_the_panel_displays_through_its_root_box(sim: SimServer) -> None:
    panel = DoctorPanel(sim_target(sim), context=sim_context())
    bundle = panel._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == panel.root.model_id


# --- TriageWizard -------------------------------------------------------------------------------

def test_the_wizard_walks_to_a_cause_and_adds_the_findings_to_the_notes(
        sim: SimServer, panel_notes: Notes) -> None:
    wizard = TriageWizard(sim_target(sim), context=sim_context(), notes=panel_notes)
    assert "Where do you meet the problem?" in wizard.question.value
    first = list(wizard.choice_buttons.values())
    wizard.choice_buttons["In the ChatGPT website or app"].click()
    assert all(b.comm is None for b in first)  # the old answers are closed, not piled up
    assert "Do other websites load" in wizard.question.value
    wizard.choice_buttons["Yes"].click()
    wizard.choice_buttons["Yes"].click()  # works on another network
    assert wizard.triage.done and wizard.choices.children == ()
    assert "Likely cause" in wizard.result.value and "blocks" in wizard.result.value
    assert [f.check for f in panel_notes.findings] == [
        "triage.where", "triage.b_sites", "triage.b_other_network"]
    wizard.back_button.click()
    assert not wizard.triage.done and "another network" in wizard.question.value
    # Back withdraws the answer, in the notes too
    assert [f.check for f in panel_notes.findings] == ["triage.where", "triage.b_sites"]
    assert "Do other websites load" in wizard.trail.value and "another network" not in \
        wizard.trail.value
    wizard.restart_button.click()
    assert wizard.triage.answers == [] and wizard.back_button.disabled


def test_the_wizard_measures_reachability_instead_of_asking(sim: SimServer) -> None:
    wizard = TriageWizard(sim_target(sim), context=sim_context(OPENAI_API_KEY=DEFAULT_KEY))
    wizard.answer("In my code or a tool calling the API")
    wizard.answer("Yes")  # other sites load
    assert wizard.triage.question is not None and wizard.triage.question.id == "a_reach"
    assert wizard.measure_button.layout.display is None  # offered
    wizard.measure_button.click()
    wizard.wait()
    assert wizard.triage.answers[-1].measured
    # The measured answer stands under its own question, not beside the next one.
    assert wizard.trail.value.endswith(
        "error)? <b>Measured: Yes</b></li></ol>"), wizard.trail.value
    assert wizard.measure_note.value == ""
    assert "Does the API endpoint answer" not in wizard.question.value
    assert any(f.group == "http" for f in wizard.triage.findings)


def test_the_wizard_measures_a_rejected_key() -> None:
    with SimServer() as sim:
        wizard = TriageWizard(sim_target(sim), context=sim_context(OPENAI_API_KEY="sk-wrong-1234"))
        for label in ("In my code or a tool calling the API", "Yes", "Yes", "No"):
            wizard.answer(label)
        wizard.measure()
        wizard.wait()
    assert wizard.triage.done
    assert wizard.triage.cause is not None
    assert wizard.triage.cause.evidence["kind"] == "triage_key_rejected"
    assert "platform.openai.com/api-keys" in wizard.result.value


# --- Notes ----------------------------------------------------------------------------------------

def test_notes_collect_observations_and_export_reports(panel_notes: Notes) -> None:
    panel_notes.observation.value = "fails since 09:10 on office Wi-Fi"
    panel_notes.add_button.click()
    assert panel_notes.observation.value == ""
    assert "office Wi-Fi" in panel_notes.table.value
    assert panel_notes.observations[0].endswith("Z: fails since 09:10 on office Wi-Fi")
    panel_notes.markdown_button.click()
    panel_notes.html_button.click()
    md, page = panel_notes.exported["markdown"], panel_notes.exported["html"]
    assert "office Wi-Fi" in md.read_text() and md.suffix == ".md"
    assert "office Wi-Fi" in page.read_text() and "<table>" in page.read_text()
    assert md.as_posix() in panel_notes.links.value


def test_a_panel_rerun_replaces_its_earlier_findings(panel_notes: Notes) -> None:
    from chatkit.findings import Finding

    panel_notes.add([Finding("dns.resolve", "fail", "no")], source="doctor")
    panel_notes.add([Finding("dns.resolve", "ok", "yes")], source="doctor")
    panel_notes.add([Finding("triage.where", "info", "web")], source="triage")
    assert [f.status for f in panel_notes.findings] == ["ok", "info"]
    assert panel_notes.report().ok


# --- connect ------------------------------------------------------------------------------------

def test_without_a_key_connect_starts_the_simulator_and_says_so() -> None:
    session = connect(environ={})
    try:
        assert session.simulated and session.sim is not None
        assert session.target.url == session.sim.base_url
        assert "Simulated mode" in session.banner_html
        assert "No API key in OPENAI_API_KEY" in session.banner_html
        assert session.context.local_only
        assert session.target.key(session.context.environ) == DEFAULT_KEY
    finally:
        session.close()
    assert session.sim is None


def test_with_a_key_connect_targets_the_real_service_showing_the_key_masked() -> None:
    session = connect("https://gateway.example/v1", provider="compatible",
                      environ={"OPENAI_API_KEY": PLANTED})
    assert not session.simulated and session.sim is None
    assert session.target.url == "https://gateway.example/v1"
    assert PLANTED not in session.banner_html and PLANTED[-4:] in session.banner_html


def test_a_session_never_shows_the_environment_it_holds() -> None:
    session = connect("https://gateway.example/v1", provider="compatible",
                      environ={"OPENAI_API_KEY": PLANTED, "OTHER_SECRET": "hunter2-secret"})
    assert PLANTED not in repr(session) and "hunter2" not in repr(session)
    assert "gateway.example" in repr(session)


def test_credentials_in_the_base_url_stay_out_of_the_banner_and_the_panel_state() -> None:
    url = "https://alice:hunter2pass@gateway.example/v1"
    session = connect(url, provider="compatible", environ={"OPENAI_API_KEY": PLANTED})
    assert session.target.url == url
    assert "hunter2pass" not in session.banner_html and "hunter2pass" not in repr(session)
    # The panel runs against a closed port on loopback: nothing leaves the machine.
    closed = "http://alice:hunter2pass@127.0.0.1:9/v1"
    panel = DoctorPanel(Target(base_url=closed, provider="compatible"),
                        context=CheckContext(environ={}, local_only=True, timeout=2),
                        groups=["http"])
    assert panel.run() is not None
    assert "hunter2pass" not in panel.status.value  # the "Running ... against URL" line
    assert panel.wait() is not None
    assert "hunter2pass" not in panel.result.value and "127.0.0.1:9" in panel.result.value


def test_an_observation_with_a_key_in_it_is_redacted_in_every_export(
        panel_notes: Notes) -> None:
    panel_notes.add_observation(f"my key {PLANTED} stopped working")
    markdown = panel_notes.export("markdown").read_text()
    page = panel_notes.export("html").read_text()
    assert "stopped working" in markdown and "stopped working" in page
    assert PLANTED not in markdown and PLANTED not in page
    assert PLANTED not in panel_notes.table.value and PLANTED not in widget_state_json()


def test_the_bundle_button_writes_a_zip_with_the_report(panel_notes: Notes) -> None:
    import zipfile

    from chatkit.findings import Finding

    panel_notes.add([Finding("api.key", "fail", "HTTP 401", category="account")],
                    source="doctor")
    panel_notes.add_observation("since 09:10")
    panel_notes.bundle_button.click()
    bundle = panel_notes.exported["bundle"]
    names = zipfile.ZipFile(bundle).namelist()
    assert {"README.md", "report.json", "report.md", "report.html"} <= set(names)
    assert "since 09:10" in zipfile.ZipFile(bundle).read("report.md").decode()
    assert bundle.name in panel_notes.links.value and "Wrote" in panel_notes.links.value
    assert panel_notes.errors.outputs == ()


def test_a_measurement_that_cannot_decide_leaves_the_question_to_the_person(
        sim: SimServer) -> None:
    # local_only: the control sites are not probed, so "do other sites load?" stays open
    wizard = TriageWizard(sim_target(sim), context=sim_context(OPENAI_API_KEY=DEFAULT_KEY))
    wizard.answer("In my code or a tool calling the API")
    wizard.measure_button.click()
    wizard.wait()
    assert "could not decide" in wizard.measure_note.value
    assert wizard.triage.question is not None and wizard.triage.question.id == "a_sites"
    assert len(wizard.triage.answers) == 1 and "Yes" in wizard.choice_buttons


def test_the_panel_offers_the_api_to_probe(sim: SimServer) -> None:
    panel = DoctorPanel(sim_target(sim), context=sim_context(OPENAI_API_KEY=DEFAULT_KEY),
                        groups=["api"])
    # auto (the Responses API where the provider serves it) shows as a choice, not as blank
    assert panel.api.value == "auto" and panel.api.label == "auto (Responses where served)"
    assert panel.read_target()[1].api is None
    panel.api.value = "responses"
    _, context = panel.read_target()
    assert context.api == "responses" and panel.context.api is None
