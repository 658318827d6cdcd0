"""Shareable reports: Markdown and one self-contained HTML page, all redacted, UTC times."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from secret_corpus import build

from chatkit.errors import InputError, UsageError
from chatkit.findings import Finding, Report
from chatkit.share.report import ShareReport, figure_png, save_report

UTC_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


@pytest.fixture(scope="module")
def corpus() -> Any:
    return build()


@pytest.fixture(scope="module")
def png() -> bytes:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([1, 2, 3], [3, 1, 2])
    try:
        return figure_png(fig)
    finally:
        plt.close(fig)


def _summary(secret: str) -> dict[str, Any]:
    return {"requests": 120, "skipped": 1, "start": "2026-03-02T08:00:00.000Z",
            "end": "2026-03-02T09:00:00.000Z", "error_rate": 0.125,
            "latency_ms": {"p50": 812.5, "p95": 2400.0}, "ttft_ms": None,
            "status_counts": {"200": 105, "429": 15},
            "by_model": {"gpt-4o": {"requests": 120, "error_rate": 0.125}},
            "incidents": [{"start": "2026-03-02T08:10:00Z", "requests": 15, "top_status": 429,
                           "note": f"burst from {secret}"}],
            "findings": [Finding("logs.rate_limit", "warn", "15 requests hit 429",
                                 cause=f"token {secret} over quota").to_dict()]}


def _share(corpus: Any, png: bytes) -> ShareReport:
    c, _, _, _, report, notes = corpus
    secret = c.plant("openai-project-key", "summary")
    return ShareReport(report=report, summaries={"requests.jsonl": _summary(secret)},
                       figures={"latency over time": png}, notes=tuple(notes),
                       title="Ticket 4711")


def test_markdown_and_html_carry_no_planted_secret(corpus: Any, png: bytes) -> None:
    share = _share(corpus, png).redacted()
    md, page = share.to_markdown(), share.to_html()
    assert corpus[0].leaks(md) == [] and corpus[0].leaks(page) == []
    assert share.removed and sum(share.removed.values()) > 40
    # what the reader needs is still there
    assert "| ✘ fail | `api.key` |" in md  # Report.to_markdown's findings table is reused
    assert "## Log: requests.jsonl" in md and "error rate | 12.5%" in md
    assert "429: 15" in md and "15 requests hit 429" in md
    assert "## Notes" in md and "I pasted [REDACTED:" in md
    assert md.startswith("# Ticket 4711")
    assert "## Evidence" in md and '`api.key (fail)`: `{"sent": "[REDACTED:' in md


def test_html_is_one_self_contained_page(corpus: Any, png: bytes) -> None:
    page = _share(corpus, png).redacted().to_html()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    sources = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"', page)
    assert [alt for alt, _ in sources] == ["latency over time"]
    assert base64.b64decode(sources[0][1]) == png
    assert '<meta charset="utf-8">' in page
    assert "<details><summary>Evidence" in page


def test_timestamps_are_utc_iso(corpus: Any, png: bytes) -> None:
    share = _share(corpus, png).redacted()
    assert UTC_ISO.fullmatch(share.generated_at)
    assert f"_Generated {share.generated_at} (UTC)" in share.to_markdown()
    assert share.report is not None and UTC_ISO.fullmatch(share.report.started_at)


def test_markdown_links_figures_when_given_files(png: bytes) -> None:
    share = ShareReport(figures={"errors": png})
    assert "- errors (embedded in the HTML report)" in share.to_markdown()
    assert "![errors](figures/a.png)" in share.to_markdown(figure_links={"errors": "figures/a.png"})


def test_figures_must_be_png(tmp_path: Path, png: bytes) -> None:
    path = tmp_path / "f.png"
    path.write_bytes(png)
    assert figure_png(path) == png
    with pytest.raises(UsageError, match="not a PNG"):
        figure_png(b"GIF89a....")
    with pytest.raises(UsageError, match="matplotlib Figure"):
        figure_png(3.5)
    with pytest.raises(InputError, match="cannot read figure"):
        figure_png(tmp_path / "missing.png")


def test_report_without_findings_or_report() -> None:
    md = ShareReport(notes=("just a note",)).redacted().to_markdown()
    assert md.startswith("# chatkit report") and "> just a note" in md
    assert "<h1>chatkit report</h1>" in ShareReport().to_html()


def test_save_report_by_suffix(corpus: Any, tmp_path: Path, png: bytes) -> None:
    c, _, _, _, report, notes = corpus
    for name in ("r.md", "r.html", "r.json"):
        path = save_report(tmp_path / name, report, notes=notes, figures={"f": png})
        text = path.read_text(encoding="utf-8")
        assert c.leaks(text) == [], name
    restored = Report.from_dict(json.loads((tmp_path / "r.json").read_text()))
    assert len(restored.findings) == len(report.findings)
    with pytest.raises(UsageError, match="unknown report type"):
        save_report(tmp_path / "r.pdf", report)
    with pytest.raises(UsageError, match="needs a Report"):
        save_report(tmp_path / "x.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json", "r.md"]


def test_rendering_always_redacts(corpus: Any, png: bytes) -> None:
    share = _share(corpus, png)  # never passed through .redacted() by hand
    assert corpus[0].leaks(share.to_markdown()) == []
    assert corpus[0].leaks(share.to_html()) == []
