"""The summary of a log as readable text (what ``chatkit analyze`` prints without --json)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatkit.logs.provider_incidents import declared_when

__all__ = ["render_provider_incidents_text", "render_summary_text"]

_MARK = {"ok": "ok  ", "info": "info", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


def _ms(value: Any) -> str:
    if value is None:
        return "-"
    value = float(value)
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def render_summary_text(summary: Mapping[str, Any], *, sources: Sequence[str] = ()) -> str:
    """A plain-text rendering of :func:`~chatkit.logs.summarize`'s dict."""
    out: list[str] = []
    if sources:
        out.append("Log: " + ", ".join(sources))
    skipped = f", {summary['skipped']:,} unreadable line(s) skipped" if summary["skipped"] else ""
    out.append(f"{summary['requests']:,} requests from {summary['start'] or '?'} to "
               f"{summary['end'] or '?'}{skipped}")
    out.append(f"Failed: {summary['error_rate']:.1%} (no 2xx/3xx answer)")
    out.append("")
    rows = []
    for name in ("latency_ms", "ttft_ms"):
        stats = summary.get(name)
        if stats:
            rows.append([name.removesuffix("_ms").replace("ttft", "time to first token"),
                         *(_ms(stats[k]) for k in ("p50", "p90", "p95", "p99", "max"))])
    if rows:
        out += _table(["", "p50", "p90", "p95", "p99", "max"], rows)
        out.append("")
    counts = summary["status_counts"]
    if counts:
        total = max(summary["requests"], 1)
        out += _table(["status", "requests", "share"],
                      [[k, f"{v:,}", f"{v / total:.1%}"] for k, v in counts.items()])
        out.append("")
    models = summary["by_model"]
    if models:
        out += _table(["model", "requests", "failed", "p50", "p95"],
                      [[m, f"{s['requests']:,}", f"{s['error_rate']:.1%}", _ms(s["p50_ms"]),
                        _ms(s["p95_ms"])] for m, s in models.items()])
        out.append("")
    incidents = summary["incidents"]
    if incidents:
        out += _table(["incident start", "end", "requests", "failed", "mostly"],
                      [[i["start"], i["end"], f"{i['requests']:,}", f"{i['error_rate']:.0%}",
                        i["top_status"]] for i in incidents])
        out.append("")
    else:
        out.append("No incidents.")
        out.append("")
    out.append("Findings:")
    for finding in summary["findings"]:
        out.append(f"  {_MARK.get(finding['status'], finding['status'])}  {finding['title']}")
        if finding.get("cause") and finding["status"] in ("warn", "fail"):
            out.append(f"        why: {finding['cause']}")
        if finding.get("remedy") and finding["status"] in ("warn", "fail"):
            out.append(f"        fix: {finding['remedy']}")
    return "\n".join(out).rstrip() + "\n"


def render_provider_incidents_text(found: Mapping[str, Any]) -> str:
    """Each incident window against the provider's status page, as readable text."""
    out = [f"Provider status page: {found['page']} ({found['kind']}, read {found['fetched_at']})"]
    if found.get("error"):
        out.append(f"  unknown: {found['error']}")
    if not found["windows"]:
        out.append("  the log has no incident window to compare")
    for window in found["windows"]:
        out.append(f"  {window['start']} - {window['end']}: {window['explanation']}")
        for match in window.get("provider_incidents", ()):
            when = declared_when(match.get("lead_minutes"))
            parts = ", ".join(match["components"]) or "no component named"
            out.append(f"      {match['name']} ({match['impact']}, {parts}): {when}; "
                       f"{match['start']} to {match['end'] or 'still open'}"
                       + (f"; {match['link']}" if match.get("link") else ""))
    return "\n".join(out) + "\n"
