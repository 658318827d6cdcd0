"""The guided decision tree of the troubleshooting guide, as data and a small walker.

One question at a time: do other sites work? another network? can you reach the endpoint? is
DNS right? is there a status incident? is the key accepted? which HTTP code? and, for the
ChatGPT website, browser updated, private window, other device. Every answer becomes a
:class:`~chatkit.findings.Finding` whose cause and remedy come from
:mod:`chatkit.knowledge.classifier`
(the ``triage_*`` rows, or ``classify()`` of the HTTP answer a person picked), so the wizard
says nothing that the knowledge table does not.

A question that a measurement can answer names the check group (``measure``); the widget runs
that group and hands the findings to :meth:`Triage.measure`, which picks the answer itself when
the measurement decides (and leaves the question open when every check was skipped)::

    walk = Triage()
    walk.choose("In my code or a tool calling the API")
    walk.measure(report.findings)        # e.g. the "control" group's findings
    ...
    walk.done, walk.cause, walk.remedies

No ipywidgets here: this module is pure and is tested on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatkit.errors import UsageError
from chatkit.findings import Finding, Status
from chatkit.knowledge.classifier import classify, explain

__all__ = ["START", "TREE", "Answer", "Choice", "Question", "Triage", "paths", "validate_tree"]


@dataclass(frozen=True, slots=True)
class Choice:
    """One possible answer: where it leads and what it means.

    ``kind`` names a :data:`~chatkit.knowledge.table.KNOWLEDGE` row (the answer explains the
    problem); ``log_row`` is a request-log row handed to
    :func:`~chatkit.knowledge.classifier.classify` (the person told us the HTTP code or error
    they get); with neither, the answer is a plain fact recorded with ``status`` and
    ``title``. ``next`` is the following question's id, None at the end.
    """

    label: str
    next: str | None = None
    kind: str | None = None
    log_row: Mapping[str, Any] | None = None
    status: Status | None = None  # None: "fail" for an explanation, "ok" for a plain fact
    title: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    """One step of the tree. ``measure`` is the check group that can answer it; then
    ``on_pass`` / ``on_fail`` are the labels chosen when its findings pass / fail, where a
    finding whose status is in ``fail_on`` counts as failing."""

    id: str
    text: str
    choices: tuple[Choice, ...]
    help: str = ""
    measure: str | None = None
    measure_check: str | None = None  # only findings of this check (e.g. "api.key") decide
    on_pass: str | None = None
    on_fail: str | None = None
    fail_on: tuple[Status, ...] = ("fail",)

    def choice(self, label: str) -> Choice:
        for choice in self.choices:
            if choice.label == label:
                return choice
        options = "; ".join(c.label for c in self.choices)
        raise UsageError(f"{label!r} is not an answer to {self.id!r}; choose one of: {options}")


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer given: by a person, or picked from a measurement (``measured``)."""

    question: str
    label: str
    measured: bool = False
    findings: tuple[Finding, ...] = field(default_factory=tuple)


def _yes(next_: str | None = None, *, kind: str | None = None, title: str = "") -> Choice:
    return Choice("Yes", next_, kind=kind, title=title)


def _no(next_: str | None = None, *, kind: str | None = None, title: str = "") -> Choice:
    return Choice("No", next_, kind=kind, title=title)


def _code(label: str, **row: Any) -> Choice:
    return Choice(label, None, log_row=row)


START = "where"
_COMPARE = ("To measure it: `chatkit doctor --label here --json > here.json` on this network, the "
            "same with another label on the other one, then `chatkit compare here.json "
            "there.json` names what differs (a DNS filter, a TLS-inspecting proxy, a blocked "
            "port).")
_PART_FAILS = "No, something stays blank, spins or fails"

# The tree reads top to bottom as the troubleshooting guide does: rule out the network first
# (it explains everything after it), then the service, then the account, then the client.
TREE: dict[str, Question] = {q.id: q for q in (
    Question("where", "Where do you meet the problem?", (
        Choice("In the ChatGPT website or app", "b_sites", status="info",
               title="the problem shows in the ChatGPT website or app"),
        Choice("In my code or a tool calling the API", "a_sites", status="info",
               title="the problem shows in code calling the API"),
    )),
    # --- the ChatGPT website / app ---------------------------------------------------------
    Question("b_sites", "Do other websites load on this device?", (
        _yes("b_other_network", title="other websites load"),
        _no(kind="triage_no_internet"),
    ), help="Try two or three sites you don't visit often, so the page is not cached.",
        measure="control", on_pass="Yes", on_fail="No"),
    Question("b_other_network", "Does ChatGPT work on another network, for example your "
             "phone's mobile data instead of this Wi-Fi?", (
        _yes(kind="triage_network_blocks"),
        _no("b_status", title="it fails on another network too"),
        Choice("I can't try another network", "b_status", status="info",
               title="another network was not tried"),
    ), help=_COMPARE),
    Question("b_status", "Does the status page show an incident right now?", (
        _yes(kind="triage_service_incident"),
        _no("b_web", title="no incident on the status page"),
    ), help="https://status.openai.com", measure="status", on_pass="No", on_fail="Yes",
        fail_on=("fail", "warn")),
    Question("b_web", "Does the whole page work: sign-in, answers appearing as they are "
             "written, uploads?", (
        _yes("b_browser", title="the page and its parts work"),
        Choice(_PART_FAILS, None, kind="triage_web_host_blocked"),
    ), help="The page needs more hosts than chatgpt.com: its scripts' CDN, sign-in, files, "
        "live updates. `chatkit doctor --provider chatgpt-web` checks each from this device.",
        measure="web", on_pass="Yes", on_fail=_PART_FAILS, fail_on=("fail", "warn")),
    Question("b_browser", "Is your browser up to date?", (
        _yes("b_private", title="the browser is up to date"),
        Choice("No, or I'm not sure", None, kind="triage_old_browser"),
    ), help="Chrome/Edge: menu > Help > About; Firefox: menu > Help > About Firefox; "
        "Safari updates with macOS/iOS."),
    Question("b_private", "Does it work in a private (incognito) window, where extensions are "
             "off and no cookies are saved?", (
        _yes(kind="triage_browser_state"),
        _no("b_device", title="it fails in a private window too"),
    )),
    Question("b_device", "Does it work on another device or in the mobile app, signed in to "
             "the same account?", (
        _yes(kind="triage_device_specific"),
        _no(kind="triage_account"),
    )),
    # --- code calling the API --------------------------------------------------------------
    Question("a_sites", "Do other websites load from the machine that runs your code?", (
        _yes("a_reach", title="other websites load"),
        _no(kind="triage_no_internet"),
    ), measure="control", on_pass="Yes", on_fail="No"),
    Question("a_reach", "Does the API endpoint answer at all (any HTTP answer, even an "
             "error)?", (
        _yes("a_status", title="the endpoint answers"),
        _no("a_dns", title="the endpoint does not answer"),
    ), measure="http", on_pass="Yes", on_fail="No"),
    Question("a_dns", "Does the API's host name resolve to an address (DNS)?", (
        _yes("a_other_network", title="the host name resolves"),
        _no(kind="triage_dns_failure"),
    ), help="nslookup api.openai.com (or your gateway's host)", measure="dns",
        on_pass="Yes", on_fail="No"),
    Question("a_other_network", "Does the endpoint answer from another network (home, mobile "
             "hotspot, a cloud machine)?", (
        _yes(kind="triage_network_blocks"),
        _no(kind="triage_endpoint_unreachable"),
        Choice("I can't try another network", None, kind="triage_endpoint_unreachable"),
    ), help=_COMPARE),
    Question("a_status", "Does the provider's status page show an incident?", (
        _yes(kind="triage_service_incident"),
        _no("a_key", title="no incident on the status page"),
    ), measure="status", on_pass="No", on_fail="Yes", fail_on=("fail", "warn")),
    Question("a_key", "Is your API key accepted (listing models with it works)?", (
        _yes("a_code", title="the API key is accepted"),
        _no(kind="triage_key_rejected"),
    ), measure="api", measure_check="api.key", on_pass="Yes", on_fail="No"),
    Question("a_code", "Which answer do your failing calls get?", (
        _code("400 Bad Request", status=400, error_type="invalid_request_error"),
        _code("401 Unauthorized", status=401, error_type="invalid_request_error",
              error_code="invalid_api_key"),
        _code("403 Forbidden", status=403, error_code="unsupported_country_region_territory"),
        _code("404 Not Found (model)", status=404, error_type="invalid_request_error",
              error_code="model_not_found"),
        _code("429 Too Many Requests (rate limit)", status=429, error_type="requests",
              error_code="rate_limit_exceeded"),
        _code("429 You exceeded your current quota", status=429,
              error_type="insufficient_quota", error_code="insufficient_quota"),
        _code("500 / 502 / 503 server error", status=503, error_type="server_error"),
        _code("504, or the call times out", exception="ReadTimeout"),
        Choice("An error before any answer (APIRemovedInV1, TypeError 'proxies', "
               "ImportError)", "a_sdk", status="info",
               title="the client library fails before it sends a request"),
        Choice("The calls work now", None, kind="triage_unresolved", status="info"),
    ), help="The status code is in the exception (openai.APIStatusError.status_code) or in "
        "your request log; chatkit's LogExplorer counts them."),
    Question("a_sdk", "Do the installed client libraries fit together (openai, httpx, "
             "pydantic, ...)?", (
        _yes("a_scan", title="the installed client libraries fit together"),
        _no(kind="triage_sdk_conflict"),
    ), help="chatkit doctor --only sdk lists them and names a combination known to fail",
        measure="sdk", on_pass="Yes", on_fail="No"),
    Question("a_scan", "Does chatkit scan find old API calls or other mistakes in your code?", (
        _yes(kind="triage_code_mistake"),
        _no(kind="triage_unresolved"),
    ), help="chatkit scan PATH reads your code (nothing is run or sent) and lists each mistake "
        "with file:line and the fix"),
)}


def validate_tree(tree: Mapping[str, Question] = TREE, start: str = START) -> None:
    """Raise :class:`UsageError` unless every link exists, every measured question names
    existing answers, every end explains something, and no path loops."""
    if start not in tree:
        raise UsageError(f"start question {start!r} is not in the tree")
    for q in tree.values():
        for c in q.choices:
            if c.next is not None and c.next not in tree:
                raise UsageError(f"{q.id!r} answer {c.label!r} leads to unknown {c.next!r}")
            if c.next is None and c.kind is None and c.log_row is None:
                raise UsageError(f"{q.id!r} answer {c.label!r} ends without a cause")
        if q.measure:
            for label in (q.on_pass, q.on_fail):
                q.choice(label or "")
    for _ in paths(tree, start):  # walking every path finds loops
        pass


def paths(tree: Mapping[str, Question] = TREE, start: str = START) -> Iterator[list[str]]:
    """Every complete walk through the tree, as its list of answer labels."""

    def walk(qid: str, seen: tuple[str, ...], labels: list[str]) -> Iterator[list[str]]:
        if qid in seen:
            raise UsageError(f"the tree loops back to {qid!r}")
        for c in tree[qid].choices:
            if c.next is None:
                yield [*labels, c.label]
            else:
                yield from walk(c.next, (*seen, qid), [*labels, c.label])

    yield from walk(start, (), [])


def _finding(question: Question, choice: Choice) -> Finding:
    """What an answer means, in the Finding shape; explanations come from classify."""
    check = f"triage.{question.id}"
    evidence = {"question": question.text, "answer": choice.label}
    if choice.kind is not None:
        return explain(choice.kind, check=check, status=choice.status or "fail",
                       evidence=evidence)
    if choice.log_row is not None:
        found = classify(dict(choice.log_row), check=check, evidence=evidence)
        return found.replace(evidence={**found.evidence, **evidence})
    return Finding(check=check, status=choice.status or "ok", title=choice.title or choice.label,
                   evidence=evidence)


class Triage:
    """A walk through the tree: the current question, the answers so far, their findings."""

    def __init__(self, tree: Mapping[str, Question] = TREE, start: str = START) -> None:
        self.tree = tree
        self.start = start
        self.answers: list[Answer] = []
        self._findings: list[Finding] = []
        self._current: str | None = start

    @property
    def question(self) -> Question | None:
        """The question to answer now; None once the walk has reached a cause."""
        return None if self._current is None else self.tree[self._current]

    @property
    def done(self) -> bool:
        return self._current is None

    @property
    def findings(self) -> list[Finding]:
        """Every finding so far: measured ones first, then the answer they led to, in order."""
        return list(self._findings)

    def choose(self, label: str, *, measured: tuple[Finding, ...] = ()) -> Question | None:
        """Answer the current question with one of its labels; returns the next question."""
        question = self.question
        if question is None:
            raise UsageError("the triage is finished; call back() or start a new Triage()")
        choice = question.choice(label)
        self.answers.append(Answer(question.id, label, measured=bool(measured),
                                   findings=measured))
        self._findings.extend(measured)
        self._findings.append(_finding(question, choice))
        self._current = choice.next
        return self.question

    def measured_label(self, findings: Iterable[Finding]) -> str | None:
        """The answer a measurement gives to the current question, or None when it cannot
        decide (nothing measured: every relevant check was skipped)."""
        question = self.question
        if question is None or question.measure is None:
            return None
        relevant = [
            f for f in findings
            if f.group == question.measure
            and (question.measure_check is None or f.check == question.measure_check)
            and f.status != "skip"
        ]
        if not relevant:
            return None
        failed = any(f.status in question.fail_on for f in relevant)
        return question.on_fail if failed else question.on_pass

    def measure(self, findings: Iterable[Finding]) -> str | None:
        """Answer the current question from a measurement's findings; returns the label
        chosen, or None (nothing recorded) when the measurement cannot decide."""
        findings = tuple(findings)
        label = self.measured_label(findings)
        if label is not None:
            self.choose(label, measured=findings)
        return label

    def back(self) -> Question | None:
        """Undo the last answer (and its findings); returns the question asked again."""
        if not self.answers:
            return self.question
        kept = self.answers[:-1]
        self.answers, self._findings, self._current = [], [], self.start
        for answer in kept:
            self.choose(answer.label, measured=answer.findings)
        return self.question

    @property
    def cause(self) -> Finding | None:
        """The likely cause: the finding of the answer that ended the walk (None before)."""
        if not self.done or not self._findings:
            return None
        return self._findings[-1]

    @property
    def remedies(self) -> list[str]:
        """What to do, most likely cause first, then other problems met on the way."""
        ordered = [self.cause] if self.cause else []
        ordered += [f for f in self._findings if f is not self.cause]
        seen: list[str] = []
        for f in ordered:
            if f is not None and f.status in ("fail", "warn") and f.remedy and f.remedy not in seen:
                seen.append(f.remedy)
        return seen
