"""The support bundle: one zip to attach to a ticket, with nothing secret in it.

Inside: the report (JSON, Markdown, one self-contained HTML page), redacted log excerpts
around each failure, the environment (OS, Python, package versions, proxy settings and
resolver configuration, credentials removed), a minimal reproduction of the first failure as
a ``curl`` command and a Python snippet that read the key from ``$OPENAI_API_KEY``, and a
README saying what is inside and what was removed.

Every text is redacted with one :class:`~chatkit.redaction.scrub.Redactor` keyed with a fresh random
key, so the same token shows as the same placeholder across all files of one bundle. Before
the zip is written, every file is scanned again for secret-shaped values; if anything is
found the bundle is not written (that would be a chatkit bug, and a leak is worse than no
bundle). The zip appears only when complete (see :func:`~chatkit.redaction.files.atomic_writer`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chatkit.checks.status_history import fetch_history
from chatkit.environment import resolver_config, snapshot
from chatkit.errors import ChatkitError, UsageError
from chatkit.findings import Report, utcnow_iso
from chatkit.logs import load, summarize
from chatkit.logs.plots import error_rate_over_time, latency_over_time
from chatkit.logs.provider_incidents import match_provider_incidents, status_page_for
from chatkit.redaction.files import atomic_writer, consistent_key, find_secrets
from chatkit.redaction.scrub import Redactor
from chatkit.share.excerpts import Excerpt, FailureRow, read_excerpt
from chatkit.share.report import (
    FigureLike,
    ReportLike,
    Section,
    ShareReport,
    as_report,
    figure_png,
)

__all__ = ["BundleResult", "build_bundle", "load_report", "repro_curl", "repro_python"]

KEY_VARIABLE = "OPENAI_API_KEY"
_PROMPT = "Say hello."


@dataclass(frozen=True)
class BundleResult:
    """What :func:`build_bundle` wrote."""

    path: str
    files: tuple[str, ...]
    failures: int
    removed: Mapping[str, int]
    repro: str | None  # the curl command, when there was a failure to reproduce

    def describe(self) -> str:
        removed = sum(self.removed.values())
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.removed.items())) or "nothing"
        return (f"Wrote {self.path}: {len(self.files)} files, {self.failures} failed "
                f"request(s) excerpted; removed {removed} secret(s) ({kinds}).")


def load_report(path: str | os.PathLike[str]) -> Report:
    """A Report from its JSON file (``chatkit doctor --json > report.json``)."""
    return as_report(path)


# --- reproduction ----------------------------------------------------------------------------
def _without_userinfo(url: str) -> str:
    # A redacted URL carries "REDACTED:userinfo@", which curl would send as a password; logs
    # redacted by older chatkit carry "[REDACTED:userinfo]@", which urlsplit rejects as a bad
    # IPv6 literal. Text, not urlsplit, so both go: the repro leaves userinfo out.
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#]*@", r"\1", url)


def _repro_request(row: FailureRow) -> tuple[str, str, dict[str, Any] | None]:
    method = (row.method or "POST").upper()
    url = _without_userinfo(row.url or "")
    path = urlsplit(url).path.rstrip("/")
    model = row.model or "gpt-4o-mini"
    body: dict[str, Any] | None
    if method in ("GET", "HEAD", "DELETE", "OPTIONS"):
        body = None
    elif path.endswith("/chat/completions"):
        body = {"model": model, "messages": [{"role": "user", "content": _PROMPT}]}
    elif path.endswith("/responses"):
        body = {"model": model, "input": _PROMPT}
    elif path.endswith("/embeddings"):
        body = {"model": model, "input": _PROMPT}
    elif path.endswith("/completions"):
        body = {"model": model, "prompt": _PROMPT, "max_tokens": 16}
    else:
        body = {"model": model}
    if body is not None and row.stream:
        body["stream"] = True
    return method, url, body


def _auth_header(url: str) -> tuple[str, str]:
    host = urlsplit(url).hostname or ""
    if host.endswith(".openai.azure.com") or "api-version=" in url:
        return "api-key", f"${KEY_VARIABLE}"
    return "Authorization", f"Bearer ${KEY_VARIABLE}"


def repro_curl(row: FailureRow) -> str:
    """The failed request as a ``curl`` command; the key is read from ``$OPENAI_API_KEY``."""
    method, url, body = _repro_request(row)
    name, value = _auth_header(url)
    # -g: no URL globbing, so a [REDACTED:...] marker in the URL is sent as it is
    lines = [f"curl -sS -i -g --max-time 60 -X {method} {shlex.quote(url)}",
             f'-H "{name}: {value}"']
    if body is not None:
        lines += ["-H 'Content-Type: application/json'", f"-d {shlex.quote(json.dumps(body))}"]
        if body.get("stream"):
            lines.insert(1, "-N")
    return " \\\n  ".join(lines)


def repro_python(row: FailureRow) -> str:
    """The failed request as a short httpx script reading the key from the environment."""
    method, url, body = _repro_request(row)
    name = _auth_header(url)[0]
    header = (f'{{"{name}": f"Bearer {{os.environ[\'{KEY_VARIABLE}\']}}"}}'
              if name == "Authorization" else f'{{"{name}": os.environ["{KEY_VARIABLE}"]}}')
    body_arg = f"\n    json={body!r}," if body is not None else ""
    return (
        '"""Reproduce the failed request. Run: OPENAI_API_KEY=... python repro.py"""\n'
        "import os\n\nimport httpx\n\n"
        f"response = httpx.request(\n    {method!r},\n    {url!r},\n"
        f"    headers={header},{body_arg}\n    timeout=60,\n)\n"
        'print(response.status_code, response.headers.get("x-request-id"))\n'
        "print(response.text[:2000])\n"
    )


# --- the bundle ------------------------------------------------------------------------------
def build_bundle(
    out: str | os.PathLike[str],
    *,
    logs: Iterable[str | os.PathLike[str]] = (),
    report: ReportLike | None = None,
    context: int = 3,
    max_failures: int = 20,
    notes: Sequence[str] = (),
    figures: Mapping[str, FigureLike] | None = None,
    environ: Mapping[str, str] | None = None,
    hash_key: bytes | None = None,
    plots: bool = True,
    drop_content: bool = False,
    status_page: str | None = None,
) -> BundleResult:
    """Write the support bundle zip to ``out`` and say what is in it.

    ``drop_content`` replaces prompts and answers in HAR bodies by their length.

    ``plots`` adds each log's error rate and latency over time as figures (when chatkit's log
    reader and matplotlib can make them); ``figures`` adds your own (caption -> figure).
    ``status_page`` matches each log's incident windows with the incidents declared there
    ("provider" for the log's own provider's page).
    """
    if context < 0 or max_failures < 1:
        raise UsageError("context must be >= 0 and max_failures >= 1")
    diagnosis = None if report is None else as_report(report)
    paths = [Path(p) for p in logs]  # read twice: excerpts, then summaries
    red = Redactor(hash_key=hash_key or consistent_key(), drop_content=drop_content)
    files: dict[str, str | bytes] = {}
    excerpts = [read_excerpt(p, red, context=context, max_failures=max_failures) for p in paths]
    for excerpt, name in zip(excerpts, _unique_names(excerpts), strict=True):
        files[f"logs/{name}"] = _excerpt_text(excerpt)
    first = next((row for e in excerpts for row in e.failures), None)
    repro = repro_curl(first) if first is not None else _report_repro(diagnosis, red)
    if first is not None:
        files["repro/repro.sh"] = f"#!/bin/sh\n# {first.status or 'no response'}: {first.url}\n" \
                                  f"{repro}\n"
        files["repro/repro.py"] = repro_python(first)
    files["environment.json"] = json.dumps(_environment(environ, red), indent=2,
                                           ensure_ascii=False) + "\n"
    summaries, log_figures = _summaries(paths, plots, status_page)
    pngs = {caption: figure_png(figure)  # rendered once, for the PNG file and the HTML
            for caption, figure in {**log_figures, **dict(figures or {})}.items()}
    share = ShareReport(report=diagnosis, summaries=summaries, figures=pngs,
                        notes=tuple(notes), sections=_sections(excerpts, repro),
                        title="chatkit support bundle").redacted(red)
    share = replace(share, removed=dict(red.counts))  # the page counts the logs' removals too
    if share.report is not None:
        files["report.json"] = share.report.to_json() + "\n"
    links = {}
    for i, (caption, figure) in enumerate(share.figures.items(), start=1):
        links[caption] = f"figures/figure{i}.png"
        files[links[caption]] = figure
    files["report.md"] = share.to_markdown(figure_links=links)
    files["report.html"] = share.to_html()
    removed = dict(red.counts)
    files = {"README.md": _readme(files, excerpts, removed, share.generated_at), **files}
    _verify_clean(files)
    with atomic_writer(out, "wb") as handle, zipfile.ZipFile(handle, "w",
                                                             zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return BundleResult(str(out), tuple(files), sum(len(e.failures) for e in excerpts), removed,
                        repro)


def _unique_names(excerpts: Sequence[Excerpt]) -> list[str]:
    names: list[str] = []
    for i, e in enumerate(excerpts, start=1):
        stem = Path(e.name).stem
        ext = "har" if e.format == "har" else "jsonl"
        name = f"{stem}.excerpt.{ext}"
        names.append(name if name not in names else f"{i}-{name}")
    return names


def _excerpt_text(excerpt: Excerpt) -> str:
    if excerpt.format == "har":
        log = dict(excerpt.document)
        log["entries"] = list(excerpt.records)
        log["_chatkit_excerpt"] = {"entries_in_source": excerpt.total, "failed": excerpt.failed}
        return json.dumps({"log": log}, indent=1, ensure_ascii=False) + "\n"
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in excerpt.records)


def _report_repro(report: Report | None, red: Redactor) -> str | None:
    if report is None or report.ok or not report.target.get("base_url"):
        return None
    base = red.url(str(report.target["base_url"])).rstrip("/")
    row = FailureRow(0, None, "POST", f"{base}/chat/completions", None, None, None,
                     model=report.target.get("model"))
    return repro_curl(row)


def _environment(environ: Mapping[str, str] | None, red: Redactor) -> dict[str, Any]:
    env = snapshot(environ)
    env["resolvers"] = resolver_config()
    env["bundle_created_at"] = utcnow_iso()
    return dict(red.obj(env))


def _summaries(logs: Iterable[Path], plots: bool, status_page: str | None = None
               ) -> tuple[dict[str, dict[str, Any]], dict[str, FigureLike]]:
    """Whole-log summaries (and two figures each) from chatkit.logs, when it reads the file."""
    found: dict[str, dict[str, Any]] = {}
    figures: dict[str, FigureLike] = {}
    for path in logs:
        try:  # a summary is extra: its failure must not cost the bundle ...
            frame = load([str(path)])
            summary = dict(summarize(frame))
        except ChatkitError:
            raise  # ... but a log that cannot be read at all is said, not bundled empty
        except Exception:
            continue
        page = status_page_for(frame) if status_page == "provider" else status_page
        if page:
            summary["provider_incidents"] = match_provider_incidents(frame, fetch_history(page))
        found[path.name] = summary
        if plots:
            try:
                figures[f"{path.name}: error rate over time"] = error_rate_over_time(
                    frame, summary.get("incidents"))
                figures[f"{path.name}: latency over time"] = latency_over_time(frame)
            except Exception:
                continue
    return found, figures


def _sections(excerpts: Sequence[Excerpt], repro: str | None) -> dict[str, Section]:
    sections: dict[str, Section] = {}
    for e in excerpts:
        text = (f"{e.total} requests read, {e.failed} failed"
                + (f", {e.skipped} unreadable lines skipped" if e.skipped else "")
                + (f"; the first {len(e.failures)} are excerpted" if e.failed > len(e.failures)
                   else "") + "." + ("" if e.failures else " Nothing to excerpt."))
        rows = tuple(tuple(_cell(c) for c in (r.index, r.ts, r.status or "no response",
                                              r.request_id, r.method, r.url, r.error))
                     for r in e.failures)
        head = ("#", "time (UTC)", "status", "request id", "method", "URL", "error")
        sections[f"Failures in {e.name}"] = Section(text, head if rows else (), rows)
    if repro:
        sections["Reproduce"] = Section(
            f"Set {KEY_VARIABLE} to your key (never paste it here), then run:", code=repro)
    return sections


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _readme(files: Mapping[str, Any], excerpts: Sequence[Excerpt], removed: Mapping[str, int],
            generated_at: str) -> str:
    what = {
        "report.json": "the diagnosis (chatkit's Report JSON: findings, verdict, environment)",
        "report.md": "the same as Markdown, with log summaries and the failure tables",
        "report.html": "the same as one self-contained HTML page (figures embedded)",
        "environment.json": "OS, Python, package versions, proxy settings, resolvers",
        "repro/repro.sh": "the first failed request as a curl command",
        "repro/repro.py": "the same request as a short Python (httpx) script",
    }
    lines = ["# chatkit support bundle", "", f"Created {generated_at} (UTC).", "",
             "## What is inside", ""]
    for name in files:
        if name.startswith("logs/"):
            desc = "redacted requests around each failure"
        elif name.startswith("figures/"):
            desc = "a figure from the report"
        else:
            desc = what.get(name, "")
        lines.append(f"- `{name}`: {desc}")
    lines += ["", "## What was removed", "",
              "Credentials were replaced by markers such as `[REDACTED:authorization:3f9a0c12d4]`:"
              " the kind of secret, then a keyed hash that is equal for equal secrets within "
              "this bundle (so one session can be followed across requests) and cannot be "
              "turned back into the secret. Removed: headers (Authorization, api-key, Cookie, "
              "Set-Cookie, any *token*/*secret*/*key*/*session* header), URL credentials and "
              "secret query parameters, secret fields in bodies, and key-, token- and "
              "private-key-shaped values anywhere.", ""]
    lines += ([f"- {kind}: {n}" for kind, n in sorted(removed.items())] or ["- nothing"])
    if excerpts:
        lines += ["", "Logs were cut to the requests around failures:"]
        lines += [f"- {e.name}: {e.total} requests, {e.failed} failed" for e in excerpts]
    lines += ["", "The repro scripts read the key from `$OPENAI_API_KEY`; no key is stored "
              "here. A `[REDACTED:...]` marker in a URL stands for a value you must fill in.",
              ""]
    return "\n".join(lines)


def _verify_clean(files: Mapping[str, str | bytes]) -> None:
    for name, data in files.items():
        if isinstance(data, bytes):
            continue  # PNG figures: pixels, not text
        leftover = find_secrets(data)
        if leftover:
            raise ChatkitError(f"refusing to write the bundle: {name} still holds "
                               f"{', '.join(sorted(leftover))}; this is a chatkit bug, please "
                               "report it (without the file)")
