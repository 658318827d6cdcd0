"""Findings and reports: the one shape every measurement and explanation takes.

A check measures and returns :class:`Finding` values; :func:`chatkit.classify` turns a raw
failure into the same shape; a :class:`Report` collects them, counts them, and names the most
likely root cause (its *verdict*). Both have one wire form (``to_dict``/``from_dict``) and
render themselves as Markdown, HTML and plain text through the functions at the bottom.
"""

from __future__ import annotations

import html
import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, TypedDict, cast
from urllib.parse import urlsplit

from chatkit import __version__

__all__ = [
    "CATEGORIES",
    "CAUSAL_ORDER",
    "SEVERITY",
    "STATUSES",
    "Finding",
    "FindingDict",
    "Report",
    "ReportDict",
    "causal_rank",
    "iso_utc",
    "utcnow_iso",
]

Status = Literal["ok", "info", "warn", "fail", "skip"]
Category = Literal["network", "service", "browser", "account", "integration"]

STATUSES: tuple[Status, ...] = ("ok", "info", "warn", "fail", "skip")
CATEGORIES: tuple[Category, ...] = ("network", "service", "browser", "account", "integration")

# Which check group explains which: a failure early in this list is the root cause of a
# failure later in it (no DNS -> no TCP -> no TLS -> no API call). "control" failing means
# nothing at all is reachable, which explains everything below it.
CAUSAL_ORDER: tuple[str, ...] = ("control", "proxy", "dns", "tcp", "tls", "http", "status", "api")
#: status -> rank, the most severe first.
SEVERITY: dict[str, int] = {"fail": 0, "warn": 1, "info": 2, "ok": 3, "skip": 4}


def causal_rank(group: str) -> int:
    """Where a check group stands in :data:`CAUSAL_ORDER` (groups not in it come after)."""
    return CAUSAL_ORDER.index(group) if group in CAUSAL_ORDER else len(CAUSAL_ORDER)


class FindingDict(TypedDict):
    check: str
    status: Status
    category: Category | None
    title: str
    cause: str | None
    remedy: str | None
    evidence: dict[str, Any]
    retryable: bool | None
    duration_ms: float | None


class VerdictDict(TypedDict):
    check: str
    category: Category | None
    cause: str | None
    remedy: str | None
    retryable: bool | None


class _Labelled(TypedDict, total=False):
    label: str  # only when the run was given one (doctor --label)


class ReportDict(_Labelled):
    chatkit_version: str
    target: dict[str, Any]
    started_at: str
    finished_at: str
    environment: dict[str, Any]
    findings: list[FindingDict]
    summary: dict[str, int]
    verdict: VerdictDict | None


_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def _needs_no_internet(url: str) -> bool:
    """True for a URL on this machine or the local network: a loopback, private or link-local
    address, ``localhost``, a single-label name, or a local-only domain (``.local``, ...)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(_LOCAL_SUFFIXES)
    return address.is_loopback or address.is_private or address.is_link_local


def iso_utc(moment: datetime) -> str:
    """An aware ``moment`` as ISO-8601 UTC with a ``Z`` suffix, to the millisecond."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def utcnow_iso() -> str:
    """The current time as ISO-8601 UTC with a ``Z`` suffix, to the millisecond."""
    return iso_utc(datetime.now(timezone.utc))


@dataclass(frozen=True, slots=True)
class Finding:
    """One measured fact or explained failure, with what to do about it."""

    check: str
    status: Status
    title: str
    category: Category | None = None
    cause: str | None = None
    remedy: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    retryable: bool | None = None
    duration_ms: float | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"Finding status must be one of {STATUSES}, not {self.status!r}")
        if self.category is not None and self.category not in CATEGORIES:
            raise ValueError(f"Finding category must be one of {CATEGORIES}, not {self.category!r}")

    @property
    def group(self) -> str:
        """The check group, the part of ``check`` before the first dot (``dns``)."""
        return self.check.split(".", 1)[0]

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def replace(self, **changes: Any) -> Finding:
        """A copy with some fields changed (findings are frozen)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(changes)
        return Finding(**values)

    def to_dict(self) -> FindingDict:
        return {
            "check": self.check,
            "status": self.status,
            "category": self.category,
            "title": self.title,
            "cause": self.cause,
            "remedy": self.remedy,
            "evidence": dict(self.evidence),
            "retryable": self.retryable,
            "duration_ms": self.duration_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            check=data["check"],
            status=data["status"],
            title=data["title"],
            category=data.get("category"),
            cause=data.get("cause"),
            remedy=data.get("remedy"),
            evidence=dict(data.get("evidence") or {}),
            retryable=data.get("retryable"),
            duration_ms=data.get("duration_ms"),
        )

    def __repr__(self) -> str:
        subject = self.evidence.get("host") or self.evidence.get("url") or self.title
        return f"<Finding {self.check} {self.status.upper()} {subject}>"

    def _repr_markdown_(self) -> str:
        return render_findings_markdown([self])

    def _repr_html_(self) -> str:
        return render_findings_html([self])


@dataclass(frozen=True, slots=True)
class Report:
    """The findings of one diagnosis run, with their summary and verdict."""

    findings: tuple[Finding, ...] = ()
    target: Mapping[str, Any] = field(default_factory=dict)
    started_at: str = field(default_factory=utcnow_iso)
    finished_at: str = field(default_factory=utcnow_iso)
    environment: Mapping[str, Any] = field(default_factory=dict)
    chatkit_version: str = ""
    label: str | None = None  # a name for the run ("office Wi-Fi"), to compare runs by

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(self.findings))
        if not self.chatkit_version:
            object.__setattr__(self, "chatkit_version", __version__)

    @property
    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for finding in self.findings:
            counts[finding.status] += 1
        return counts

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not any(f.failed for f in self.findings)

    @property
    def root_cause(self) -> Finding | None:
        """The most likely root cause: the most severe problem, earliest in the causal chain.

        A DNS failure explains the API call that failed after it, so among failures the one
        whose group comes first in :data:`CAUSAL_ORDER` wins. Warnings are considered only
        when nothing failed; all-well gives None. A target on this machine or the local
        network needs no internet: for it, "nothing is reachable" (control) comes last, and
        the direct measurement (a refused port, an unreachable LAN host, a proxy that refused)
        names the cause.
        """
        problems = [f for f in self.findings if f.status in ("fail", "warn")]
        if not problems:
            return None
        local = _needs_no_internet(str(self.target.get("base_url") or ""))

        def rank(f: Finding) -> tuple[int, int]:
            group = f.group
            order = causal_rank(group)
            if local and group == "control":
                order = len(CAUSAL_ORDER) + 1
            return (SEVERITY[f.status], order)

        return min(problems, key=rank)  # min is stable: ties keep the earlier finding

    @property
    def verdict(self) -> VerdictDict | None:
        cause = self.root_cause
        if cause is None:
            return None
        return {
            "check": cause.check,
            "category": cause.category,
            "cause": cause.cause or cause.title,
            "remedy": cause.remedy,
            "retryable": cause.retryable,
        }

    def to_dict(self) -> ReportDict:
        data: ReportDict = {
            "chatkit_version": self.chatkit_version,
            "target": dict(self.target),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "environment": dict(self.environment),
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary,
            "verdict": self.verdict,
        }
        if self.label:
            data["label"] = self.label
        return data

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Rebuild a report; its summary and verdict are recomputed from the findings."""
        return cls(
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", ())),
            target=dict(data.get("target") or {}),
            started_at=data.get("started_at") or utcnow_iso(),
            finished_at=data.get("finished_at") or utcnow_iso(),
            environment=dict(data.get("environment") or {}),
            chatkit_version=data.get("chatkit_version") or "",
            label=data.get("label") or None,
        )

    def __repr__(self) -> str:
        s = self.summary
        where = self.target.get("base_url", "?")
        return f"<Report {where} ok={s['ok']} warn={s['warn']} fail={s['fail']} skip={s['skip']}>"

    def to_markdown(self) -> str:
        return render_report_markdown(self)

    def to_html(self) -> str:
        return render_report_html(self)

    def to_text(self, *, color: bool = False, width: int = 100) -> str:
        """The terminal table; ``width`` is where long lines wrap."""
        return render_report_text(self, color=color, width=width)

    _repr_markdown_ = to_markdown
    _repr_html_ = to_html


# --- rendering: a value in, a string out; nothing is computed here -------------------------

_ICON = {"ok": "✔", "info": "ℹ", "warn": "⚠", "fail": "✘", "skip": "–"}
_HTML_COLOR = {
    "ok": "#1a7f37", "info": "#0969da", "warn": "#9a6700", "fail": "#cf222e", "skip": "#6e7781",
}
_ANSI = {"ok": "32", "info": "34", "warn": "33", "fail": "31", "skip": "90"}


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ") if text is not None else ""


def render_findings_markdown(findings: Iterable[Finding]) -> str:
    """A Markdown table of findings: status, check, what was found, cause and remedy."""
    lines = ["| | Check | Finding | Cause | Remedy |", "|---|---|---|---|---|"]
    for f in findings:
        lines.append(
            f"| {_ICON[f.status]} {f.status} | `{f.check}` | {_md_cell(f.title)} "
            f"| {_md_cell(f.cause)} | {_md_cell(f.remedy)} |"
        )
    return "\n".join(lines) + "\n"


def _verdict_line(report: Report) -> str:
    v = report.verdict
    if v is None:
        return "All checks passed: nothing wrong was found."
    category = f"{v['category']}: " if v["category"] else ""
    remedy = f" Fix: {v['remedy']}" if v["remedy"] else ""
    return f"{category}{(v['cause'] or '').rstrip('.')}.{remedy}"


def render_report_markdown(report: Report) -> str:
    s = report.summary
    target = report.target
    lines = [
        f"# chatkit report{': ' + report.label if report.label else ''}",
        "",
        *([f"**Target:** {target['base_url']} (provider {target.get('provider') or '?'}, "
           f"key {target.get('key') or 'none'})  "] if target.get("base_url") else []),
        f"**Run:** {report.started_at} → {report.finished_at}, chatkit {report.chatkit_version}  ",
        f"**Summary:** {s['ok']} ok, {s['info']} info, {s['warn']} warn, {s['fail']} fail, "
        f"{s['skip']} skipped",
        "",
        f"**Verdict:** {_verdict_line(report)}",
        "",
        render_findings_markdown(report.findings),
    ]
    return "\n".join(lines)


# The findings table has fixed column widths (status and check narrow, the text the rest):
# with automatic widths a long URL in a remedy pushes the table past the page.
_CSS = (
    "<style>.chatkit-report table{border-collapse:collapse;font-size:0.92em}"
    ".chatkit-report td,.chatkit-report th{border:1px solid #d0d7de;padding:3px 8px;"
    "text-align:left;vertical-align:top;overflow-wrap:anywhere}"
    ".chatkit-report table.chatkit-findings{table-layout:fixed;width:100%;max-width:100%}"
    ".chatkit-report td.chatkit-why{color:#3b434b;border-top-style:dotted}"
    ".chatkit-verdict{padding:6px 10px;margin:6px 0;border-left:4px solid}</style>"
)
_FINDINGS_COLUMNS = '<colgroup><col style="width:5.5em"><col style="width:11em"><col></colgroup>'


def render_findings_html(findings: Iterable[Finding]) -> str:
    """A table of findings: status, check and what was found on one row; the cause and the
    remedy under it across the text columns, so they keep a readable width in a narrow
    notebook (five columns squeezed the cause to a word per line)."""
    rows = []
    for f in findings:
        color = _HTML_COLOR[f.status]
        why = [f"<b>{label}</b> {html.escape(text)}" for label, text in
               (("Cause:", f.cause), ("Remedy:", f.remedy)) if text]
        rows.append(
            "<tr>"
            f'<td rowspan="{2 if why else 1}" style="color:{color};font-weight:bold">'
            f"{_ICON[f.status]} {f.status}</td>"
            f"<td><code>{html.escape(f.check)}</code></td>"
            f"<td>{html.escape(f.title)}</td>"
            "</tr>"
            + (f'<tr><td colspan="2" class="chatkit-why">{"<br>".join(why)}</td></tr>'
               if why else "")
        )
    head = "<tr><th></th><th>Check</th><th>Finding, cause and remedy</th></tr>"
    return (f'<div class="chatkit-report">{_CSS}<table class="chatkit-findings">'
            f'{_FINDINGS_COLUMNS}{head}{"".join(rows)}</table></div>')


def render_report_html(report: Report) -> str:
    s = report.summary
    target = report.target
    v = report.verdict
    color = _HTML_COLOR["ok" if v is None else ("fail" if not report.ok else "warn")]
    where = (f"<b>Target:</b> {html.escape(str(target['base_url']))} "
             f"(provider {html.escape(str(target.get('provider') or '?'))}, "
             f"key {html.escape(str(target.get('key') or 'none'))})<br>"
             if target.get("base_url") else "")
    return (
        '<div class="chatkit-report">'
        f"{_CSS}"
        f"<div>{where}"
        f"<b>Summary:</b> {s['ok']} ok, {s['info']} info, {s['warn']} warn, {s['fail']} fail, "
        f"{s['skip']} skipped</div>"
        f'<div class="chatkit-verdict" style="border-color:{color}">'
        f'<b style="color:{color}">Verdict:</b> {html.escape(_verdict_line(report))}</div>'
        f"{render_findings_html(report.findings)}</div>"
    )


def _took(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms:.0f} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


def render_report_text(report: Report, *, color: bool = False, width: int = 100) -> str:
    """The terminal form: a table (status, check, time, finding), then for each problem its
    cause and remedy wrapped under it, the summary, and the verdict last. A cause and remedy
    already shown for an earlier check are not repeated: the line names that check instead."""
    from functools import partial
    from textwrap import wrap as _wrap

    # URLs and key-like tokens must stay whole to be copied.
    wrap = partial(_wrap, break_long_words=False, break_on_hyphens=False)

    def paint(status: str, text: str) -> str:
        return f"\x1b[{_ANSI[status]}m{text}\x1b[0m" if color else text

    def dim(text: str) -> str:
        return f"\x1b[2m{text}\x1b[0m" if color else text

    target = report.target
    lines = [
        f"chatkit {report.chatkit_version} — {target.get('base_url', '?')} "
        f"(provider {target.get('provider', '?')}, key {target.get('key') or 'none'})"
        + (f" — {report.label}" if report.label else ""),
        "",
    ]
    check_width = max((len(f.check) for f in report.findings), default=10)
    time_width = max((len(_took(f.duration_ms)) for f in report.findings), default=0)
    indent = " " * (8 + check_width + 2 + (time_width + 2 if time_width else 0))
    text_width = max(40, width - len(indent))
    explained: dict[tuple[str | None, str | None], str] = {}
    for f in report.findings:
        badge = paint(f.status, f"{_ICON[f.status]} {f.status:<4}")
        took = f"{_took(f.duration_ms):>{time_width}}  " if time_width else ""
        title = wrap(f.title, text_width) or [""]
        lines.append(f"{badge}  {f.check:<{check_width}}  {dim(took) if took.strip() else took}"
                     f"{title[0]}")
        lines += [indent + more for more in title[1:]]
        if f.status not in ("fail", "warn") or not (f.cause or f.remedy):
            continue
        seen = explained.get((f.cause, f.remedy))
        if seen is not None:
            lines.append(f"{indent}{dim(f'same cause and remedy as {seen}')}")
            continue
        explained[(f.cause, f.remedy)] = f.check
        for label, text in (("cause:  ", f.cause), ("remedy: ", f.remedy)):
            if text:
                wrapped = wrap(text, max(30, text_width - len(label))) or [""]
                lines.append(f"{indent}{label}{wrapped[0]}")
                lines += [indent + " " * len(label) + more for more in wrapped[1:]]
    s = report.summary
    verdict = wrap(f"Verdict: {_verdict_line(report)}", width,
                            subsequent_indent=" " * 9) or [""]
    status = "ok" if report.verdict is None else "fail" if not report.ok else "warn"
    lines += [
        "",
        f"{s['ok']} ok, {s['info']} info, {s['warn']} warn, {s['fail']} fail, {s['skip']} skipped",
        *(paint(cast(str, status), line) for line in verdict),
    ]
    return "\n".join(lines) + "\n"
