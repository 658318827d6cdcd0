"""The triage tree: every path ends in an explained cause, answers become findings, and a
measurement answers a question only when it decides."""

from __future__ import annotations

import pytest

from chatkit.errors import UsageError
from chatkit.findings import Finding
from chatkit.knowledge.table import KNOWLEDGE
from chatkit.knowledge.triage import START, TREE, Choice, Question, Triage, paths, validate_tree

BROWSER = "In the ChatGPT website or app"
API = "In my code or a tool calling the API"


def walk(*labels: str) -> Triage:
    t = Triage()
    for label in labels:
        t.choose(label)
    return t


def test_the_tree_is_valid_and_every_kind_has_a_row() -> None:
    validate_tree()
    kinds = {c.kind for q in TREE.values() for c in q.choices if c.kind}
    assert kinds <= set(KNOWLEDGE)
    assert all(KNOWLEDGE[k].remedy for k in kinds)


@pytest.mark.parametrize("labels", list(paths()), ids=lambda p: " > ".join(p))
def test_every_path_ends_with_a_cause_that_has_a_remedy(labels: list[str]) -> None:
    t = walk(*labels)
    assert t.done and t.question is None
    assert t.cause is not None
    assert t.cause.check.startswith("triage.")
    assert t.cause.remedy, t.cause
    assert len(t.findings) == len(labels)


@pytest.mark.parametrize(("labels", "kind", "category"), [
    ([BROWSER, "No"], "triage_no_internet", "network"),
    ([BROWSER, "Yes", "Yes"], "triage_network_blocks", "network"),
    ([BROWSER, "Yes", "No", "Yes"], "triage_service_incident", "service"),
    ([BROWSER, "Yes", "I can't try another network", "No", "Yes", "No, or I'm not sure"],
     "triage_old_browser", "browser"),
    ([BROWSER, "Yes", "No", "No", "Yes", "Yes", "Yes"], "triage_browser_state", "browser"),
    ([BROWSER, "Yes", "No", "No", "Yes", "Yes", "No", "Yes"], "triage_device_specific",
     "browser"),
    ([BROWSER, "Yes", "No", "No", "Yes", "Yes", "No", "No"], "triage_account", "account"),
    ([BROWSER, "Yes", "No", "No", "No, something stays blank, spins or fails"],
     "triage_web_host_blocked", "browser"),
    ([API, "Yes", "No", "No"], "triage_dns_failure", "network"),
    ([API, "Yes", "No", "Yes", "Yes"], "triage_network_blocks", "network"),
    ([API, "Yes", "No", "Yes", "No"], "triage_endpoint_unreachable", "network"),
    ([API, "Yes", "Yes", "No", "No"], "triage_key_rejected", "account"),
])
def test_paths_reach_the_right_cause(labels: list[str], kind: str, category: str) -> None:
    t = walk(*labels)
    assert t.cause is not None
    assert t.cause.evidence["kind"] == kind
    assert t.cause.category == category
    assert t.cause.status == "fail"
    assert t.remedies[0] == t.cause.remedy


@pytest.mark.parametrize(("answer", "kind"), [
    ("429 You exceeded your current quota", "insufficient_quota"),
    ("429 Too Many Requests (rate limit)", "rate_limit"),
    ("401 Unauthorized", "invalid_api_key"),
    ("404 Not Found (model)", "model_not_found"),
    ("504, or the call times out", "read_timeout"),
])
def test_the_http_code_answer_is_explained_by_classify(answer: str, kind: str) -> None:
    t = walk(API, "Yes", "Yes", "No", "Yes", answer)
    assert t.cause is not None and t.cause.status == "fail"
    assert t.cause.evidence["kind"] == kind
    assert t.cause.evidence["answer"] == answer
    assert t.cause.remedy


def test_calls_that_work_now_end_without_a_failure() -> None:
    t = walk(API, "Yes", "Yes", "No", "Yes", "The calls work now")
    assert t.cause is not None and t.cause.status == "info"
    assert t.remedies == []


def test_facts_on_the_way_are_ok_findings_with_question_and_answer() -> None:
    t = walk(API, "Yes")
    first, second = t.findings
    assert first.status == "info" and first.check == "triage.where"
    assert second.status == "ok" and second.evidence == {
        "question": TREE["a_sites"].text, "answer": "Yes"}
    assert not t.done and t.question is TREE["a_reach"]


def test_a_wrong_label_is_refused_naming_the_choices() -> None:
    t = Triage()
    with pytest.raises(UsageError, match="In my code"):
        t.choose("Maybe")
    assert t.question is TREE[START] and t.findings == []


def test_choosing_after_the_end_is_refused_and_back_undoes() -> None:
    t = walk(BROWSER, "No")
    with pytest.raises(UsageError, match="finished"):
        t.choose("Yes")
    assert t.back() is TREE["b_sites"]
    assert not t.done and len(t.findings) == 1
    t.choose("Yes")
    assert t.question is TREE["b_other_network"]


def _f(check: str, status: str) -> Finding:
    return Finding(check=check, status=status, title=f"{check} {status}")  # type: ignore[arg-type]


def test_a_failing_measurement_answers_and_its_findings_are_kept() -> None:
    t = walk(API, "Yes")  # now at a_reach, measured by the http group
    measured = [_f("http.reach", "fail"), _f("dns.resolve", "ok")]
    assert t.measure(measured) == "No"
    assert t.question is TREE["a_dns"]
    assert measured[0] in t.findings and t.answers[-1].measured


def test_a_passing_measurement_picks_the_pass_answer() -> None:
    t = walk(API, "Yes", "Yes")  # at a_status: an incident is the "failing" answer
    assert t.measure([_f("status.page", "ok")]) == "No"
    assert t.question is TREE["a_key"]


def test_a_degraded_status_counts_as_an_incident() -> None:
    t = walk(API, "Yes", "Yes")
    assert t.measure([_f("status.page", "warn")]) == "Yes"
    assert t.cause is not None and t.cause.evidence["kind"] == "triage_service_incident"


def test_only_the_named_check_decides_the_key_question() -> None:
    t = walk(API, "Yes", "Yes", "No")  # at a_key: only api.key counts
    assert t.measured_label([_f("api.completion", "fail")]) is None
    assert t.measure([_f("api.key", "ok"), _f("api.completion", "fail")]) == "Yes"


def test_a_skipped_or_unrelated_measurement_leaves_the_question_open() -> None:
    t = walk(API)
    assert t.measure([_f("control.reach", "skip"), _f("dns.resolve", "fail")]) is None
    assert t.question is TREE["a_sites"] and len(t.findings) == 1


def test_back_replays_measured_answers_with_their_findings() -> None:
    t = walk(API, "Yes")
    t.measure([_f("http.reach", "ok")])
    t.choose("Yes")  # a_status: incident
    t.back()
    assert t.question is TREE["a_status"]
    assert [f.check for f in t.findings] == ["triage.where", "triage.a_sites", "http.reach",
                                              "triage.a_reach"]


def test_validate_tree_finds_broken_links_loops_and_dead_ends() -> None:
    dangling = {"q": Question("q", "?", (Choice("a", "nowhere"),))}
    with pytest.raises(UsageError, match="unknown"):
        validate_tree(dangling, "q")
    dead_end = {"q": Question("q", "?", (Choice("a"),))}
    with pytest.raises(UsageError, match="without a cause"):
        validate_tree(dead_end, "q")
    loop = {"q": Question("q", "?", (Choice("a", "r"),)),
            "r": Question("r", "?", (Choice("b", "q"),))}
    with pytest.raises(UsageError, match="loops"):
        validate_tree(loop, "q")


def test_the_web_hosts_measurement_answers_whether_the_whole_page_works() -> None:
    t = walk(BROWSER, "Yes", "No", "No")  # at b_web, measured by the web group
    assert t.question is TREE["b_web"]
    blocked = Finding(check="web.dns", status="warn", title="files.oaiusercontent.com filtered",
                      evidence={"host": "files.oaiusercontent.com"})
    assert t.measure([blocked, _f("web.hosts", "info")]) == TREE["b_web"].on_fail
    assert t.cause is not None and t.cause.evidence["kind"] == "triage_web_host_blocked"
    assert blocked in t.findings
    assert "chatkit compare" in TREE["b_other_network"].help


def test_an_error_before_any_answer_leads_to_the_sdk_check_then_to_scan(tmp_path) -> None:
    from chatkit.checks.sdk import inspect_sdk

    before = "An error before any answer (APIRemovedInV1, TypeError 'proxies', ImportError)"
    t = walk(API, "Yes", "Yes", "No", "Yes", before)
    assert t.question is TREE["a_sdk"] and TREE["a_sdk"].measure == "sdk"
    info = tmp_path / "openai-1.55.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Name: openai\nVersion: 1.55.2\n", encoding="utf-8")
    (tmp_path / "httpx-0.28.1.dist-info").mkdir()
    (tmp_path / "httpx-0.28.1.dist-info" / "METADATA").write_text(
        "Name: httpx\nVersion: 0.28.1\n", encoding="utf-8")
    assert t.measure(inspect_sdk(paths=[str(tmp_path)], modules={})) == "No"
    assert t.cause is not None and t.cause.evidence["kind"] == "triage_sdk_conflict"
    fine = walk(API, "Yes", "Yes", "No", "Yes", before, "Yes", "Yes")
    assert fine.cause is not None and fine.cause.evidence["kind"] == "triage_code_mistake"
    assert "chatkit scan" in (fine.cause.cause or "") + (fine.cause.remedy or "")
