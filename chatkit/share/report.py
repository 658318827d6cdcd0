"""Shareable reports: a Report plus log summaries, figures and notes as Markdown or one HTML file.

Everything that goes in passes through :class:`~chatkit.redaction.scrub.Redactor` first, so a
key in a
note, a token in a finding's evidence or a cookie in a summarised URL never reaches the page.
The findings part reuses :meth:`Report.to_markdown` / :meth:`Report.to_html`; this module adds
the sections around it. The HTML is one self-contained file: styles inline, figures embedded
as base64 PNG, no scripts and no external assets, so it reads the same when attached to a
ticket and opened offline. Timestamps are ISO-8601 UTC.

The support bundle (a zip of all of this plus log excerpts and a reproduction) is
:mod:`chatkit.share.bundle`.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chatkit.errors import InputError, UsageError
from chatkit.findings import (
    Finding,
    Report,
    _md_cell,  # the findings table's cell escaping: one rule for every Markdown table
    render_findings_html,
    render_findings_markdown,
    utcnow_iso,
)
from chatkit.logs.provider_incidents import declared_when
from chatkit.redaction.files import atomic_writer, redact_report
from chatkit.redaction.scrub import Redactor

__all__ = ["Section", "ShareReport", "as_report", "figure_png", "save_report"]

#: A figure: a matplotlib Figure (anything with ``savefig``), PNG bytes, or a path to a PNG.
FigureLike = Any
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def figure_png(figure: FigureLike) -> bytes:
    """PNG bytes of a matplotlib figure, PNG bytes, or a PNG file."""
    if isinstance(figure, (bytes, bytearray)):
        data = bytes(figure)
    elif isinstance(figure, (str, os.PathLike)):
        try:
            data = Path(figure).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read figure {figure}: {exc.strerror}; check the "
                             "path") from None
    elif hasattr(figure, "savefig"):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        data = buffer.getvalue()
    else:
        raise UsageError(f"a figure must be a matplotlib Figure, PNG bytes or a .png path, "
                         f"not {type(figure).__name__}")
    if not data.startswith(_PNG_MAGIC):
        raise UsageError("figure data is not a PNG image; save the figure as PNG")
    return data


@dataclass(frozen=True)
class Section:
    """A titled block of a shared report: a sentence, an optional table, an optional command."""

    text: str = ""
    head: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    code: str = ""

    def redacted(self, red: Redactor) -> Section:
        return Section(red.text(self.text), tuple(red.text(h) for h in self.head),
                       tuple(tuple(red.text(c) for c in row) for row in self.rows),
                       red.text(self.code))

    def to_markdown(self) -> str:
        parts = [self.text.rstrip()] if self.text else []
        if self.head:
            parts.append("\n".join(
                ["| " + " | ".join(map(_md_cell, self.head)) + " |",
                 "|" + "---|" * len(self.head)]
                + ["| " + " | ".join(map(_md_cell, row)) + " |" for row in self.rows]))
        if self.code:
            parts.append(f"```sh\n{self.code.rstrip()}\n```")
        return "\n\n".join(parts) + "\n"

    def to_html(self) -> str:
        esc = html.escape
        parts = [f"<p>{esc(self.text)}</p>"] if self.text else []
        if self.head:
            head = "".join(f"<th>{esc(h)}</th>" for h in self.head)
            rows = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in self.rows)
            parts.append(f"<table><tr>{head}</tr>{rows}</table>")
        if self.code:
            parts.append(f"<pre><code>{esc(self.code)}</code></pre>")
        return "".join(parts)


def _td(text: str) -> str:
    # a long unbroken token (URL, request id) may wrap anywhere; short cells never do
    long = len(text) > 24 and not any(c.isspace() for c in text)
    return f'<td class="long">{html.escape(text)}</td>' if long else f"<td>{html.escape(text)}</td>"


@dataclass(frozen=True)
class ShareReport:
    """What goes into a shared report. Build it, render it: everything passes redaction first.

    :meth:`redacted` is explicit when one :class:`Redactor` should serve several outputs (the
    bundle does this so placeholders agree across files); rendering a report that has not
    been through it redacts it on the way.

    ``summaries`` maps a log's name to its summary (the ``summarize(frame)`` dict);
    ``figures`` maps a caption to a figure; ``sections`` are extra titled blocks (the
    bundle's failure tables and repro command; a plain string is a Markdown block);
    ``notes`` are free text from the person sharing.
    """

    report: Report | None = None
    summaries: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    figures: Mapping[str, FigureLike] = field(default_factory=dict)
    notes: Sequence[str] = ()
    sections: Mapping[str, Section | str] = field(default_factory=dict)
    title: str = "chatkit report"
    generated_at: str = field(default_factory=utcnow_iso)
    removed: Mapping[str, int] = field(default_factory=dict)
    #: set by :meth:`redacted`; rendering an unredacted report redacts it first
    clean: bool = field(default=False, repr=False)

    def redacted(self, redactor: Redactor | None = None) -> ShareReport:
        """A copy with every text passed through redaction (figures are pixels: kept as given).

        ``removed`` records what was taken out, by kind, for the page footer.
        """
        red = redactor or Redactor()
        before = Counter(red.counts)
        report = None
        if self.report is not None:
            report = redact_report(self.report, red)
        result = replace(
            self,
            report=report,
            summaries={red.text(k): red.obj(dict(v)) for k, v in self.summaries.items()},
            figures={red.text(k): v for k, v in self.figures.items()},
            notes=tuple(red.text(n) for n in self.notes),
            sections={red.text(k): v.redacted(red) if isinstance(v, Section) else red.text(v)
                      for k, v in self.sections.items()},
            title=red.text(self.title),
        )
        removed = Counter(self.removed)
        removed.update(Counter(red.counts) - before)
        return replace(result, removed=dict(removed), clean=True)

    # --- Markdown --------------------------------------------------------------------------
    def to_markdown(self, *, figure_links: Mapping[str, str] | None = None) -> str:
        """The report as Markdown. Figures need files: pass ``figure_links`` (caption -> path)."""
        if not self.clean:
            return self.redacted().to_markdown(figure_links=figure_links)
        parts: list[str] = []
        if self.report is not None:
            body = self.report.to_markdown()
            if self.title != "chatkit report":
                body = body.replace("# chatkit report", f"# {self.title}", 1)
            parts += [body, self._generated_line(), ""]
            parts += [block for block in (_environment_markdown(self.report),
                                          _evidence_markdown(self.report)) if block]
        else:
            parts += [f"# {self.title}", "", self._generated_line(), ""]
        for name, summary in self.summaries.items():
            parts += [f"## Log: {name}", "", _summary_markdown(summary)]
        for heading, block in self.sections.items():
            text = block.to_markdown() if isinstance(block, Section) else block
            parts += [f"## {heading}", "", text.rstrip(), ""]
        if self.figures:
            parts += ["## Figures", ""]
            for caption in self.figures:
                link = (figure_links or {}).get(caption)
                parts.append(f"![{caption}]({link})" if link else
                             f"- {caption} (embedded in the HTML report)")
            parts.append("")
        if self.notes:
            parts += ["## Notes", ""]
            for note in self.notes:
                parts += [f"> {line}" if line else ">" for line in note.splitlines()] + [""]
        return "\n".join(parts).rstrip() + "\n"

    def _generated_line(self) -> str:
        removed = sum(self.removed.values())
        what = ", ".join(f"{k} {n}" for k, n in sorted(self.removed.items()))
        tail = f" Removed before sharing: {removed} ({what})." if removed else ""
        return f"_Generated {self.generated_at} (UTC) by chatkit. Secrets are redacted.{tail}_"

    # --- HTML ------------------------------------------------------------------------------
    def to_html(self) -> str:
        """One self-contained HTML page: inline CSS, base64 PNG figures, no scripts or links."""
        if not self.clean:
            return self.redacted().to_html()
        esc = html.escape
        body: list[str] = [f"<h1>{esc(self.title)}</h1>",
                           f'<p class="meta">{esc(self._generated_line().strip("_"))}</p>']
        if self.report is not None:
            body += [self.report.to_html(), "<h2>Environment</h2>",
                     _table_html(_environment_rows(self.report))]
            evidence = _evidence_rows(self.report)
            if evidence:
                body += ["<details><summary>Evidence (what each check measured)</summary>",
                         _table_html(evidence), "</details>"]
        for name, summary in self.summaries.items():
            body += [f"<h2>Log: {esc(name)}</h2>", _summary_html(summary)]
        for heading, block in self.sections.items():
            body += [f"<h2>{esc(heading)}</h2>", block.to_html() if isinstance(block, Section)
                     else f"<pre>{esc(block)}</pre>"]
        if self.figures:
            body.append("<h2>Figures</h2>")
            for caption, figure in self.figures.items():
                data = base64.b64encode(figure_png(figure)).decode("ascii")
                body.append(f'<figure><img alt="{esc(caption)}" '
                            f'src="data:image/png;base64,{data}"><figcaption>{esc(caption)}'
                            "</figcaption></figure>")
        if self.notes:
            body.append("<h2>Notes</h2>")
            body += [f"<blockquote><pre>{esc(n)}</pre></blockquote>" for n in self.notes]
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(self.title)}</title><style>{_PAGE_CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n"
        )


_PAGE_CSS = (
    "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:72rem;margin:2rem auto;"
    "padding:0 1rem;color:#1f2328}h1,h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em}"
    "table{border-collapse:collapse;margin:.5em 0;max-width:100%}td,th{border:1px solid #d0d7de;"
    "padding:3px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}"
    ".long{overflow-wrap:anywhere;"
    "min-width:14ch}"
    "pre{white-space:pre-wrap;"
    "background:#f6f8fa;padding:.6em}.meta{color:#59636e}img{max-width:100%}"
)


# --- sections --------------------------------------------------------------------------------
def _environment_rows(report: Report) -> list[tuple[str, str]]:
    env = report.environment
    rows = [(k, str(env[k])) for k in ("os", "machine", "python", "timezone",
                                       "utc_offset_minutes", "clock_offset_ms") if k in env]
    packages = env.get("packages")
    if isinstance(packages, Mapping):
        rows.append(("packages", ", ".join(f"{k} {v}" for k, v in packages.items() if v)))
    for key in ("proxy", "resolvers"):
        value = env.get(key)
        if value:
            rows.append((key, json.dumps(value, ensure_ascii=False)))
    return rows


def _environment_markdown(report: Report) -> str:
    rows = _environment_rows(report)
    if not rows:
        return ""
    return "## Environment\n\n" + _table_markdown(("Item", "Value"), rows) + "\n"


_EVIDENCE_CHARS = 600


def _evidence_rows(report: Report) -> list[tuple[str, str]]:
    """Each finding's evidence as compact JSON (cut to a readable length)."""
    rows = []
    for f in report.findings:
        if f.evidence:
            text = json.dumps(f.evidence, ensure_ascii=False, default=str)
            cut = text if len(text) <= _EVIDENCE_CHARS else text[:_EVIDENCE_CHARS] + " …"
            rows.append((f"{f.check} ({f.status})", cut))
    return rows


def _evidence_markdown(report: Report) -> str:
    rows = _evidence_rows(report)
    if not rows:
        return ""
    lines = ["## Evidence", ""] + [f"- `{name}`: `{text.replace('`', chr(39))}`"
                                   for name, text in rows]
    return "\n".join(lines) + "\n"


def _summary_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key in ("requests", "skipped", "start", "end"):
        if summary.get(key) is not None:
            rows.append((key, str(summary[key])))
    rate = summary.get("error_rate")
    if isinstance(rate, (int, float)):
        rows.append(("error rate", f"{rate:.1%}"))
    for key in ("latency_ms", "ttft_ms"):
        stats = summary.get(key)
        if isinstance(stats, Mapping):
            rows.append((key, ", ".join(f"{k} {_num(v, k)}" for k, v in stats.items())))
    counts = summary.get("status_counts")
    if isinstance(counts, Mapping):
        rows.append(("status counts", ", ".join(f"{k}: {v}" for k, v in counts.items())))
    for model, stats in (summary.get("by_model") or {}).items():
        if isinstance(stats, Mapping):
            rows.append((f"model {model}",
                         ", ".join(f"{k} {_num(v, k)}" for k, v in stats.items())))
    for incident in summary.get("incidents") or ():
        if isinstance(incident, Mapping):
            rows.append(("incident", ", ".join(f"{k} {_num(v, k)}" for k, v in incident.items())))
    found = summary.get("provider_incidents")
    if isinstance(found, Mapping):
        rows.append(("provider status page", f"{found.get('page')} ({found.get('kind')}, read "
                                             f"{found.get('fetched_at')})"))
        for window in found.get("windows") or ():
            names = "; ".join(f"{m.get('name')} ({declared_when(m.get('lead_minutes'))}) "
                              f"{m.get('link') or ''}".rstrip()
                              for m in window.get("provider_incidents") or ())
            rows.append((f"window {window.get('start')}",
                         f"{window.get('verdict')}: {names or window.get('explanation')}"))
    return rows


def _summary_findings(summary: Mapping[str, Any]) -> list[Finding]:
    found = []
    for item in summary.get("findings") or ():
        try:
            found.append(item if isinstance(item, Finding) else Finding.from_dict(item))
        except (TypeError, ValueError, KeyError):
            continue  # a summary from a newer chatkit: show what can be read
    return found


def _summary_markdown(summary: Mapping[str, Any]) -> str:
    text = _table_markdown(("Measure", "Value"), _summary_rows(summary)) + "\n"
    findings = _summary_findings(summary)
    return text + ("\n" + render_findings_markdown(findings) if findings else "")


def _summary_html(summary: Mapping[str, Any]) -> str:
    findings = _summary_findings(summary)
    return _table_html(_summary_rows(summary)) + (render_findings_html(findings) if findings
                                                   else "")


def _num(value: Any, key: str = "") -> str:
    if isinstance(value, float) and key.endswith("rate"):
        return f"{value:.1%}"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _table_markdown(head: tuple[str, str], rows: Iterable[tuple[str, str]]) -> str:
    lines = [f"| {head[0]} | {head[1]} |", "|---|---|"]
    lines += [f"| {_md_cell(a)} | {_md_cell(b)} |" for a, b in rows]
    return "\n".join(lines)


def _table_html(rows: Iterable[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(a)}</th><td>{html.escape(b)}</td></tr>"
                    for a, b in rows)
    return f"<table>{cells}</table>"


# --- files -----------------------------------------------------------------------------------
ReportLike = Report | Mapping[str, Any] | str | os.PathLike[str]
_NOT_A_REPORT = "is not a chatkit report; write one with `chatkit doctor --json > report.json`"


def as_report(value: ReportLike) -> Report:
    """A :class:`Report` from a Report, its dict (``Report.to_dict()``, what ``chatkit doctor
    --json`` prints) or its JSON file; anything else is refused with one clear message."""
    if isinstance(value, Report):
        return value
    if isinstance(value, (str, os.PathLike)):
        source = Path(value)
        try:
            data = json.loads(source.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise InputError(f"{source} does not exist; check the path") from None
        except (OSError, UnicodeDecodeError, ValueError):
            raise InputError(f"{source} {_NOT_A_REPORT}") from None
        return _report_from(data, str(source))
    if isinstance(value, Mapping):
        return _report_from(value, "the dict given")
    raise UsageError(f"a report must be a Report, its dict or its JSON file, not "
                     f"{type(value).__name__}")


def _report_from(data: Any, name: str) -> Report:
    # A report's dict has its findings (a list) and its target (a dict): a HAR, a log summary
    # or any other JSON would otherwise pass as a report with nothing wrong in it.
    if not (isinstance(data, Mapping) and isinstance(data.get("findings"), list)
            and isinstance(data.get("target"), Mapping)):
        raise InputError(f"{name} {_NOT_A_REPORT}")
    try:
        return Report.from_dict(data)
    except (TypeError, ValueError, KeyError, AttributeError):
        raise InputError(f"{name} {_NOT_A_REPORT}") from None


def save_report(
    path: str | os.PathLike[str],
    report: ReportLike | ShareReport | None = None,
    *,
    redactor: Redactor | None = None,
    **parts: Any,
) -> Path:
    """Write a redacted report as ``.md``, ``.html`` or ``.json`` (by suffix), atomically.

    ``report`` is a :class:`Report`, its dict or its JSON file (or a :class:`ShareReport`);
    ``parts`` are :class:`ShareReport` fields (``summaries``, ``figures``, ``notes``, ...).
    """
    if isinstance(report, ShareReport):
        share = report
    else:
        share = ShareReport(report=None if report is None else as_report(report), **parts)
    share = share.redacted(redactor)
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix in (".md", ".markdown"):
        text = share.to_markdown()
    elif suffix in (".html", ".htm"):
        text = share.to_html()
    elif suffix == ".json":
        if share.report is None:
            raise UsageError("a JSON report needs a Report; use .md or .html for summaries")
        text = share.report.to_json()
    else:
        raise UsageError(f"unknown report type {suffix or '(none)'}; use .md, .html or .json")
    with atomic_writer(target) as out:
        out.write(text)
    return target
