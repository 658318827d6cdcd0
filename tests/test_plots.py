"""chatkit.logs.plots: every figure renders from a real log, with the right number of marks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from chatkit.logs import load, plots, summarize
from chatkit.logs.schema import empty_frame

SAMPLE = Path(__file__).parents[1] / "chatkit" / "data" / "sample_requests.jsonl"
HAR = Path(__file__).parent / "data" / "har_chrome.har"


@pytest.fixture(scope="module")
def frame():  # type: ignore[no-untyped-def]
    return load(SAMPLE)


def bars(figure: Figure) -> list[Rectangle]:
    axes = figure.axes[0]
    return [p for p in axes.patches if isinstance(p, Rectangle)]


def test_latency_histogram_marks_three_percentiles(frame) -> None:  # type: ignore[no-untyped-def]
    figure = plots.latency_histogram(frame)
    axes = figure.axes[0]
    assert axes.get_xscale() == "log"
    labels = [line.get_label() for line in axes.get_lines()]
    assert [label.split(" =")[0] for label in labels] == ["p50", "p95", "p99"]
    p50 = np.percentile(frame["latency_ms"].dropna(), 50)
    assert axes.get_lines()[0].get_xdata()[0] == pytest.approx(p50)


def test_status_bars_one_per_status_coloured_by_class(frame) -> None:  # type: ignore[no-untyped-def]
    figure = plots.status_bars(frame)
    counts = summarize(frame)["status_counts"]
    rects = bars(figure)
    assert len(rects) == len(counts)
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == list(counts)
    colors = {t.get_text(): r.get_facecolor() for t, r in
              zip(figure.axes[0].get_xticklabels(), rects, strict=True)}
    assert colors["500"] == colors["503"] != colors["200"]


def test_percentiles_over_time_has_three_lines(frame) -> None:  # type: ignore[no-untyped-def]
    axes = plots.latency_over_time(frame).axes[0]
    assert [line.get_label() for line in axes.get_lines()] == ["p50", "p95", "p99"]


def test_error_rate_shades_each_incident(frame) -> None:  # type: ignore[no-untyped-def]
    incidents = summarize(frame)["incidents"]
    axes = plots.error_rate_over_time(frame).axes[0]
    assert len(axes.get_lines()) == 1
    spans = [p for p in axes.patches if not isinstance(p, Rectangle) or p.get_alpha() == 0.3]
    spans += [c for c in axes.collections if isinstance(c, PolyCollection)]
    # the sample's outage; its 429 wave was mostly rescued by retries, so it is no incident
    assert len(spans) == len(incidents) == 1


def test_ttft_by_model_one_box_per_streamed_model(frame) -> None:  # type: ignore[no-untyped-def]
    axes = plots.ttft_by_model(frame).axes[0]
    models = frame.loc[frame["ttft_ms"].notna(), "model"].dropna().unique()
    assert len(axes.get_yticklabels()) == len(models)
    assert {t.get_text() for t in axes.get_yticklabels()} == {str(m) for m in models}


def test_waterfall_five_phases_per_request() -> None:
    har = load(HAR)
    figure = plots.phase_waterfall(har)
    assert len(bars(figure)) == 5 * len(har)
    assert len(figure.axes[0].get_yticklabels()) == len(har)


def test_empty_log_still_draws_a_labelled_figure() -> None:
    for plot in plots.PLOTS.values():
        figure = plot(empty_frame())
        assert isinstance(figure, Figure)
        assert figure.axes[0].texts  # says why it is empty


def test_save_all_writes_pngs(frame, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    written = plots.save_all(frame, tmp_path / "plots")
    assert [p.name for p in written] == [f"{name}.png" for name in plots.PLOTS]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plots_do_not_use_pyplot() -> None:
    code = ("import sys, chatkit.logs.plots, chatkit.logs as L; "
            f"chatkit.logs.plots.status_bars(L.load({str(SAMPLE)!r})); "
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
