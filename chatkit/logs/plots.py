"""Figures from the normalized request-log frame, each readable on its own.

Every function takes the frame (as :func:`chatkit.load` returns it) and returns a
:class:`matplotlib.figure.Figure` built with the object API: nothing goes through pyplot, so
no global figure state leaks between calls, nothing pops up, and it works on a headless
machine. A notebook cell that returns a figure shows it as a PNG image by itself (the figure
has ``_repr_png_``, so no ``%matplotlib inline`` is needed); :func:`save_all` writes them as PNG
files (what ``chatkit analyze --plots DIR`` does).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from chatkit.logs.analyze import status_counts, timeline
from chatkit.logs.columns import Columns
from chatkit.logs.incidents import find_incidents

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["PLOTS", "error_rate_over_time", "latency_histogram", "latency_over_time",
           "phase_waterfall", "provider_incident_timeline", "save_all", "status_bars",
           "ttft_by_model"]

# status class -> colour (colour-blind-safe Okabe-Ito palette)
CLASS_COLORS = {"1xx": "#56B4E9", "2xx": "#009E73", "3xx": "#56B4E9", "4xx": "#E69F00",
                "429": "#D55E00", "5xx": "#CC79A7", "no_response": "#7f7f7f"}
PHASES = (("dns_ms", "DNS", "#56B4E9"), ("connect_ms", "connect", "#0072B2"),
          ("tls_ms", "TLS", "#CC79A7"), ("wait", "waiting (TTFB)", "#E69F00"),
          ("transfer", "transfer", "#009E73"))


@functools.cache
def _figure_class() -> type[Figure]:
    """A Figure that renders itself as PNG in a notebook. IPython shows a bare Figure as
    ``<Figure size 800x450 with 1 Axes>`` unless pyplot's inline backend was activated, and
    figures made without pyplot never activate it."""
    from matplotlib.figure import Figure

    class NotebookFigure(Figure):
        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100)
            return buffer.getvalue()

    return NotebookFigure


def _figure(width: float = 8.0, height: float = 4.5) -> tuple[Figure, Any]:
    figure = _figure_class()(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def _empty(axes: Any, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes,
              color="#555555")
    axes.set_xticks([])
    axes.set_yticks([])


def latency_histogram(frame: pd.DataFrame, column: str = "latency_ms") -> Figure:
    """Histogram of latency on a log axis, with p50, p95 and p99 marked."""
    figure, axes = _figure()
    values = frame[column].to_numpy(dtype="float64", na_value=np.nan) if column in frame else \
        np.array([])
    values = values[np.isfinite(values) & (values > 0)]
    label = "latency" if column == "latency_ms" else column.removesuffix("_ms")
    if values.size == 0:
        _empty(axes, f"no {label} values in this log")
        return figure
    lo, hi = values.min(), values.max()
    bins = np.geomspace(lo, hi if hi > lo else lo * 1.01, 60)
    axes.hist(values, bins=bins, color="#0072B2", alpha=0.8)
    axes.set_xscale("log")
    _ms_axis(axes.xaxis)
    for q, style in ((50, "-"), (95, "--"), (99, ":")):
        value = float(np.percentile(values, q))
        axes.axvline(value, color="#D55E00", linestyle=style, linewidth=1.5,
                     label=f"p{q} = {_duration(value)}")
    axes.set_xlabel(f"{label} (log scale)")
    axes.set_ylabel("requests")
    axes.set_title(f"{label.capitalize()} of {values.size:,} requests")
    axes.legend(loc="upper right")
    return figure


def _duration(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


def _ms_axis(axis: Any) -> None:
    """A log-scale millisecond axis labelled "100 ms", "1 s", "10 s" (no crowded minor labels)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(
        lambda v, _: f"{v / 1000:g} s" if v >= 1000 else f"{v:g} ms"))
    axis.set_minor_formatter(NullFormatter())


def latency_over_time(frame: pd.DataFrame) -> Figure:
    """Latency p50, p95 and p99 per time bucket."""

    figure, axes = _figure()
    line = timeline(frame)
    if line.empty or line["p50_ms"].isna().all():
        _empty(axes, "no timed requests in this log")
        return figure
    for q, color in ((50, "#009E73"), (95, "#E69F00"), (99, "#D55E00")):
        axes.plot(line.index, line[f"p{q}_ms"], color=color, label=f"p{q}", linewidth=1.5)
    axes.set_yscale("log")
    _ms_axis(axes.yaxis)
    axes.set_ylabel("latency (log scale)")
    axes.set_xlabel("time (UTC)")
    axes.set_title("Latency percentiles over time")
    axes.legend(loc="upper left")
    figure.autofmt_xdate()
    return figure


def status_bars(frame: pd.DataFrame) -> Figure:
    """Requests per status code (and "no response"), coloured by class."""

    figure, axes = _figure()
    cols = Columns(frame)
    if cols.n == 0:
        _empty(axes, "no requests in this log")
        return figure
    by_status = status_counts(cols.code)
    names, counts = list(by_status), list(by_status.values())
    colors = [CLASS_COLORS.get(n if n in ("429", "no_response") else f"{n[0]}xx", "#7f7f7f")
              for n in names]
    from matplotlib.ticker import MaxNLocator

    bars = axes.bar(names, counts, color=colors)
    axes.bar_label(bars, labels=[f"{c:,}" for c in counts], fontsize=8)
    # A linear count axis: a log axis labels a count of 2 "2 x 10^0"; the labels on the bars
    # keep the small counts readable beside a tall 200 bar.
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("requests")
    axes.set_xlabel("HTTP status")
    axes.set_title(f"Status codes of {cols.n:,} requests ({cols.failed.mean():.1%} failed)")
    return figure


def error_rate_over_time(frame: pd.DataFrame, incidents: Sequence[dict[str, Any]] | None = None
                         ) -> Figure:
    """Share of failed requests per time bucket, with incident windows shaded."""
    import pandas as pd

    figure, axes = _figure()
    line = timeline(frame)
    if line.empty:
        _empty(axes, "no timed requests in this log")
        return figure
    if incidents is None:
        incidents = [i.to_dict() for i in find_incidents(Columns(frame))]
    axes.plot(line.index, line["error_rate"] * 100, color="#D55E00", linewidth=1.5,
              label="failed requests")
    for n, incident in enumerate(incidents):
        axes.axvspan(pd.Timestamp(incident["start"]), pd.Timestamp(incident["end"]),
                     color="#E69F00", alpha=0.3,
                     label="incident window (log)" if n == 0 else None)
    axes.set_ylim(bottom=0)
    axes.set_ylabel("failed (%)")
    axes.set_xlabel("time (UTC)")
    axes.set_title(f"Error rate over time ({len(incidents)} incident"
                   f"{'' if len(incidents) == 1 else 's'})")
    axes.legend(loc="upper left")
    figure.autofmt_xdate()
    return figure


def provider_incident_timeline(frame: pd.DataFrame, found: dict[str, Any]) -> Figure:
    """The log's error rate with the provider's declared incidents as shaded bands: where the
    two line up, it was them; a window of failures with no band over it is local."""
    import pandas as pd

    figure = error_rate_over_time(frame, found["windows"])
    axes = figure.axes[0]
    line = timeline(frame)
    if line.empty:
        return figure
    low, high = line.index.min(), line.index.max()
    shown = {m["id"]: m for w in found["windows"] for m in w.get("provider_incidents", ())}
    for n, match in enumerate(shown.values()):
        start = max(pd.Timestamp(match["start"]), low)
        end = min(pd.Timestamp(match["end"]) if match["end"] else high, high)
        axes.axvspan(start, end, ymin=0.9, ymax=1.0, color="#0072B2", alpha=0.6,
                     label="provider incident" if n == 0 else None)
        axes.axvline(pd.Timestamp(match["declared"]), color="#0072B2", linestyle="--",
                     linewidth=1, label="declared" if n == 0 else None)
    local = sum(w.get("verdict") == "local" for w in found["windows"])
    axes.set_title(f"Error rate and the provider's incidents ({len(shown)} declared, "
                   f"{local} window{'' if local == 1 else 's'} local)")
    axes.legend(loc="upper left")
    return figure


def ttft_by_model(frame: pd.DataFrame) -> Figure:
    """Time to first token per model (box: p25-p75, whiskers: p5-p95)."""
    figure, axes = _figure()
    if "ttft_ms" not in frame or "model" not in frame or frame["ttft_ms"].isna().all():
        _empty(axes, "no time-to-first-token values (streamed requests) in this log")
        return figure
    work = frame[["model", "ttft_ms"]].dropna()
    groups = [(str(m), g["ttft_ms"].to_numpy(dtype="float64"))
              for m, g in work.groupby("model", observed=True)]
    groups.sort(key=lambda p: float(np.median(p[1])))
    data = [g for _, g in groups]
    try:  # matplotlib >= 3.10 says orientation=, and deprecates vert= from 3.11
        axes.boxplot(data, orientation="horizontal", whis=(5, 95), showfliers=False)
    except TypeError:
        axes.boxplot(data, vert=False, whis=(5, 95), showfliers=False)
    axes.set_yticks(range(1, len(groups) + 1), labels=[m for m, _ in groups])
    axes.set_xscale("log")
    _ms_axis(axes.xaxis)
    axes.set_xlabel("time to first token (log scale)")
    axes.set_title("Time to first token by model")
    return figure


def phase_waterfall(frame: pd.DataFrame, limit: int = 40) -> Figure:
    """Per-request phases (DNS, connect, TLS, waiting, transfer) of the first requests."""
    figure, axes = _figure(9.0, 0.9 + 0.22 * min(max(len(frame), 1), limit))
    if len(frame) == 0 or "ts" not in frame:
        _empty(axes, "no requests in this log")
        return figure
    rows = frame.sort_values("ts").head(limit)
    start = rows["ts"].min()
    offset = ((rows["ts"] - start).dt.total_seconds() * 1000).to_numpy(dtype="float64",
                                                                          na_value=0.0)

    def col(name: str) -> np.ndarray:
        if name not in rows:
            return np.zeros(len(rows))
        return np.nan_to_num(rows[name].to_numpy(dtype="float64", na_value=np.nan))

    dns, connect, tls, ttfb, total = (col(c) for c in ("dns_ms", "connect_ms", "tls_ms",
                                                         "ttfb_ms", "latency_ms"))
    wait = np.clip(ttfb - dns - connect - tls, 0, None)
    transfer = np.clip(total - np.maximum(ttfb, dns + connect + tls), 0, None)
    y = np.arange(len(rows))
    left = offset.copy()
    for values, (_, label, color) in zip((dns, connect, tls, wait, transfer), PHASES, strict=False):
        axes.barh(y, values, left=left, color=color, label=label, height=0.7)
        left = left + values
    def text(name: str) -> list[str]:
        if name not in rows:
            return [""] * len(rows)
        return [str(v) if isinstance(v, str) else "" for v in rows[name].astype("object")]

    several_hosts = "host" in rows and rows["host"].nunique() > 1
    names = [f"{m} {h if several_hosts else ''}{e}".strip()
             for m, h, e in zip(text("method"), text("host"), text("endpoint"), strict=True)]
    axes.set_yticks(y, labels=[n if len(n) <= 48 else "…" + n[-47:] for n in names],
                    fontsize=7)
    axes.invert_yaxis()
    axes.set_xlabel("ms since the first request")
    axes.set_title(f"Request phases (first {len(rows)} requests)")
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return figure


#: file stem -> plot function, in the order ``save_all`` writes them.
PLOTS: dict[str, Callable[[pd.DataFrame], Figure]] = {
    "latency_histogram": latency_histogram,
    "latency_over_time": latency_over_time,
    "status_codes": status_bars,
    "error_rate": error_rate_over_time,
    "ttft_by_model": ttft_by_model,
    "phases": phase_waterfall,
}


def save_all(frame: pd.DataFrame, directory: str | Path, *, dpi: int = 110) -> list[Path]:
    """Write every plot of :data:`PLOTS` as ``DIR/<name>.png``; return the paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, plot in PLOTS.items():
        path = out / f"{name}.png"
        plot(frame).savefig(path, dpi=dpi)
        written.append(path)
    return written
