"""LogExplorer: load a request log (upload or path), filter it, see the summary and plots.

Composition only: :func:`chatkit.logs.load` reads any supported format into the contract's
frame, :class:`~chatkit.widgets.logfilter.LogFilter` selects rows, :func:`chatkit.logs.summarize`
and :mod:`chatkit.logs.plots` say and draw what the selection shows. Loading runs on a worker thread
with a progress bar; a file chatkit cannot read gives one message in the panel.

An upload is copied into a temporary folder the panel owns: a copy is deleted when a newer
upload replaces it (unless :class:`~chatkit.widgets.notes.Notes` still holds it for the
support bundle), and the folder goes when the panel is closed or collected, or the kernel exits.
"""

from __future__ import annotations

import concurrent.futures
import html
import io
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatkit.checks.status_history import fetch_history
from chatkit.errors import ChatkitError
from chatkit.findings import Finding, render_findings_html
from chatkit.logs import load, plots, summarize
from chatkit.logs.provider_incidents import (
    declared_when,
    match_provider_incidents,
    status_page_for,
)
from chatkit.widgets._runner import Runner
from chatkit.widgets.logfilter import ALL, LogFilter, filter_options

if TYPE_CHECKING:
    import pandas as pd

    from chatkit.widgets.notes import Notes

__all__ = ["LogExplorer"]

_ACCEPT = ".jsonl,.json,.har,.csv,.gz,.log,.txt"
_TIME_STEPS = 60
_PATH_HINT = "or a path on the server"


class LogExplorer:
    """Upload or path -> filters -> summary table and plots, updating as the filters change."""

    def __init__(self, path: str | Path | None = None, *, notes: Notes | None = None) -> None:
        import ipywidgets as widgets

        self.notes = notes
        self.frame: pd.DataFrame | None = None
        self.filtered: pd.DataFrame | None = None
        self.summary: dict[str, Any] | None = None
        self.source = ""
        self.loaded_path: Path | None = None
        self._runner = Runner()
        self._updating = False
        self._uploads: Path | None = None  # made on the first upload
        self._cleanup: weakref.finalize | None = None

        self.upload = widgets.FileUpload(accept=_ACCEPT, multiple=False,
                                         description="Upload log",
                                         layout=widgets.Layout(width="auto"))
        self.upload.add_class("chatkit-logs-upload")
        self.path = widgets.Text(value=str(path or ""), placeholder=_PATH_HINT,
                                 layout=widgets.Layout(width="380px"))
        self.load_button = widgets.Button(description="Load", icon="folder-open")
        self.progress = widgets.IntProgress(value=0, min=0, max=100, description="Loading")
        self.status = widgets.HTML()
        self.status.add_class("chatkit-logs-status")

        # The slider's own readout is cut at its fixed width ("03-02 08:00:01-03-02"): the
        # chosen range is spelled out in a label beside it instead.
        self.time = widgets.SelectionRangeSlider(options=["–"], index=(0, 0),
                                                 description="Time", continuous_update=False,
                                                 readout=False,
                                                 layout=widgets.Layout(width="400px"))
        self.time_label = widgets.HTML()
        self.time_label.add_class("chatkit-logs-time")
        self.model = widgets.Dropdown(options=[ALL], description="Model")
        self.endpoint = widgets.Dropdown(options=[ALL], description="Endpoint")
        self.status_class = widgets.Dropdown(options=[ALL], description="Status")
        self.summary_html = widgets.HTML()
        self.summary_html.add_class("chatkit-logs-summary")
        self.plots = widgets.Box(layout=widgets.Layout(flex_flow="row wrap"))
        self.findings_html = widgets.HTML()
        self.incidents_button = widgets.Button(
            description="Provider incidents?", icon="cloud", layout=widgets.Layout(width="auto"),
            tooltip="match the incident windows with the provider's status page history")
        self.incidents_html = widgets.HTML()
        self.incidents_html.add_class("chatkit-logs-provider-incidents")
        self.provider_incidents: dict[str, Any] | None = None
        self.errors = widgets.Output()

        self.upload.observe(self._on_upload, names="value")
        self.load_button.on_click(lambda _: self.load_path(self.path.value))
        self.incidents_button.on_click(lambda _: self.check_provider_incidents())
        for control in (self.time, self.model, self.endpoint, self.status_class):
            control.observe(self._on_filter, names="value")

        self.filters = widgets.VBox([
            widgets.HBox([self.time, self.time_label]),
            widgets.HBox([self.model, self.endpoint, self.status_class],
                         layout=widgets.Layout(flex_flow="row wrap"))])
        self.filters.layout.display = "none"
        self.root = widgets.VBox([
            widgets.HTML("<b>Log explorer</b>: a request log (chatkit JSONL, HAR from the "
                         "browser's DevTools, or CSV)"),
            widgets.HBox([self.upload, self.path, self.load_button]),
            widgets.HBox([self.progress, self.status]),
            self.errors, self.filters, self.summary_html, self.plots, self.findings_html,
            self.incidents_button, self.incidents_html,
        ])
        self.root.add_class("chatkit-logs")
        self.progress.layout.visibility = "hidden"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.root._repr_mimebundle_(**kwargs)

    # --- loading ------------------------------------------------------------------------------

    def load_path(self, path: str | Path) -> concurrent.futures.Future[Any] | None:
        """Load a log from a path on the machine running the kernel."""
        text = str(path).strip()
        if not text:
            self._error("Give a path to a log file, or upload one.")
            return None
        return self._load(Path(text).expanduser(), Path(text).name)

    def load_bytes(self, name: str, content: bytes) -> concurrent.futures.Future[Any] | None:
        """Load an uploaded file's content (written to a temporary file under its own name,
        whose extension helps to tell the format)."""
        if self._uploads is None:
            self._uploads = Path(tempfile.mkdtemp(prefix="chatkit-upload-"))
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._uploads, True)
        # One subfolder per upload: two uploads of the same name never overwrite each other.
        path = Path(tempfile.mkdtemp(dir=self._uploads)) / (Path(name).name or "upload.log")
        path.write_bytes(content)
        future = self._load(path, name)
        if future is None:
            self._discard(path)
        return future

    def close(self) -> None:
        """Close the panel's widgets and delete its uploaded copies."""
        self.root.close()
        if self._cleanup is not None:
            self._cleanup()
        self._uploads = self._cleanup = None

    def _is_upload(self, path: Path | None) -> bool:
        return path is not None and self._uploads is not None and \
            path.parent.parent == self._uploads

    def _discard(self, path: Path | None) -> None:
        """Delete an uploaded copy that is no longer shown nor held by the notes."""
        if path is None or not self._is_upload(path):
            return  # not an upload: a user's own file is never touched
        if self.notes is not None and path in self.notes.logs.values():
            return
        shutil.rmtree(path.parent, ignore_errors=True)

    def _on_upload(self, change: Any) -> None:
        files = change["new"]
        if files:
            item = files[0]
            self.load_bytes(item["name"], bytes(item["content"]))

    def _load(self, path: Path, name: str) -> concurrent.futures.Future[Any] | None:
        if self._runner.busy:
            self.status.value = "Still loading: wait for the current file."
            return None
        self.errors.outputs = ()
        self.progress.value = 0
        self.progress.bar_style = "info"
        self.progress.layout.visibility = "visible"
        self.status.value = f"Reading {html.escape(name)} …"

        def progress(done: int, total: int | None) -> None:
            if total:
                self.progress.value = min(100, int(100 * done / total))

        async def work() -> pd.DataFrame:
            return load(path, progress=progress)

        def finished(future: concurrent.futures.Future[pd.DataFrame]) -> None:
            self._loaded(future, name, path)

        return self._runner.submit(work, finished)

    def wait(self, timeout: float | None = 60.0) -> bool:
        """Block until a load is done (headless use)."""
        return self._runner.wait(timeout)

    def _loaded(self, future: concurrent.futures.Future[pd.DataFrame], name: str,
                path: Path) -> None:
        self.progress.layout.visibility = "hidden"
        try:
            frame = future.result()
        except (ChatkitError, OSError) as exc:
            # The message names the file by its path (an upload's is a temporary copy): it
            # names it once, the way the person knows it.
            message = str(exc).replace(str(path), name)
            self._failed(message if name in message else f"{name}: {message}", path)
            return
        except Exception as exc:  # a reader bug: one line in the panel, not a traceback
            self._failed(f"{name}: could not be read ({type(exc).__name__}: {exc})", path)
            return
        previous = self.loaded_path
        self.frame, self.source, self.loaded_path = frame, name, path
        skipped = int(frame.attrs.get("skipped", 0) or 0)
        note = f", {skipped} unreadable line(s) skipped" if skipped else ""
        self.status.value = f"Loaded <b>{html.escape(name)}</b>: {len(frame)} requests{note}."
        if self._is_upload(path):  # the box must not go on naming the previous file
            self.path.value = ""
            self.path.placeholder = f"showing the upload {name}; or a path on the server"
        else:
            self.path.placeholder = _PATH_HINT
        self._set_options(frame)
        self.filters.layout.display = None
        self.update()
        if previous != path:
            self._discard(previous)  # after update(): the notes now point at the new log

    def _set_options(self, frame: pd.DataFrame) -> None:
        import pandas as pd

        options = filter_options(frame)
        self._updating = True
        try:
            start, end = options["start"], options["end"]
            if start is None:
                steps = [("–", None)]
            else:
                stamps = pd.date_range(start, end, periods=_TIME_STEPS) if end > start else [start]
                steps = [(t.strftime("%m-%d %H:%M:%S"), t) for t in stamps]
            self.time.options = steps
            self.time.index = (0, len(steps) - 1)
            self.model.options = options["models"]
            self.endpoint.options = options["endpoints"]
            self.status_class.options = options["status_classes"]
            self.model.value = self.endpoint.value = self.status_class.value = ALL
        finally:
            self._updating = False

    # --- filtering and showing --------------------------------------------------------------------

    def current_filter(self) -> LogFilter:
        first, last = self.time.index
        full = (first, last) == (0, len(self.time.options) - 1)
        start, end = self.time.value if not full else (None, None)
        return LogFilter(start=start, end=end, model=self.model.value,
                         endpoint=self.endpoint.value, status_class=self.status_class.value)

    def _on_filter(self, change: Any) -> None:
        if not self._updating:
            self.update()

    def _show_time_range(self) -> None:
        first, last = self.time.index
        stamps = [value for _, value in self.time.options] if self.time.options else []
        if not stamps or stamps[first] is None:
            self.time_label.value = ""
            return
        start, end = stamps[first], stamps[last]
        self.time_label.value = (f"{start:%Y-%m-%d %H:%M:%S} to {end:%Y-%m-%d %H:%M:%S} UTC"
                                 if end != start else f"{start:%Y-%m-%d %H:%M:%S} UTC")

    def update(self) -> None:
        """Apply the filters, then redraw the summary and the plots."""
        if self.frame is None:
            return

        self.errors.outputs = ()
        self._show_time_range()
        selected = self.current_filter().apply(self.frame)
        self.filtered = selected
        if selected.empty:
            self.summary = None
            self.summary_html.value = "<i>No requests match these filters.</i>"
            self.plots.children = ()
            self.findings_html.value = ""
            return
        try:
            self.summary = summarize(selected)
            self.summary_html.value = _summary_html(self.summary)
            found = _findings_of(self.summary)
            self.findings_html.value = (
                f"<details open><summary><b>What chatkit concludes</b> ({len(found)} findings)"
                f"</summary>{render_findings_html(found)}</details>" if found else "")
        except ChatkitError as exc:
            self._error(str(exc))
            return
        try:
            self.plots.children = tuple(_plot_images(selected, self.summary))
        except Exception as exc:  # a plotting bug costs the pictures, not the panel
            self.plots.children = ()
            self._error(f"could not draw the plots ({type(exc).__name__}: {exc})")
        if self.notes is not None:
            self.notes.add(_findings_of(self.summary), source=f"log {self.source}")
            self.notes.add_log(self.source, self.summary, path=self.loaded_path)

    def check_provider_incidents(self, status_page: str | None = None
                                 ) -> concurrent.futures.Future[Any] | None:
        """Is it me or them: the log's incident windows against the incidents the provider
        declared (its status page, or ``status_page``), on the worker thread."""
        frame = self.frame
        if frame is None:
            self._error("Load a log first.")
            return None
        page = status_page or status_page_for(frame)
        if page is None:
            self._error("No status page is known for this log's provider.")
            return None
        if self._runner.busy:
            return None
        self.incidents_html.value = f"Reading {html.escape(page)} …"

        async def work() -> dict[str, Any]:
            return match_provider_incidents(frame, fetch_history(page))

        def finished(future: concurrent.futures.Future[dict[str, Any]]) -> None:
            try:
                self.provider_incidents = future.result()
            except Exception as exc:  # shown in the panel, not as a traceback
                self.incidents_html.value = ""
                self._error(f"could not compare with {page} ({type(exc).__name__}: {exc})")
                return
            self.incidents_html.value = _incidents_html(self.provider_incidents)
            if self.summary is not None:
                self.summary["provider_incidents"] = self.provider_incidents

        return self._runner.submit(work, finished)

    def _error(self, message: str) -> None:
        self.errors.outputs = ()
        self.errors.append_stderr(f"Error: {message}\n")

    def _failed(self, message: str, path: Path) -> None:
        """A file that could not be loaded: its message replaces what the panel showed (the
        previous log's summary, filters and plots would read as this file's)."""
        previous = self.loaded_path
        self.frame = self.filtered = self.summary = None
        self.source, self.loaded_path = "", None
        self.status.value = self.summary_html.value = self.findings_html.value = ""
        self.time_label.value = self.incidents_html.value = ""
        self.provider_incidents = None
        self.plots.children = ()
        self.filters.layout.display = "none"
        self._error(message)
        self._discard(path)
        self._discard(previous)


def _findings_of(summary: dict[str, Any]) -> list[Finding]:
    return [f if isinstance(f, Finding) else Finding.from_dict(f)
            for f in summary.get("findings") or ()]


def _incidents_html(found: dict[str, Any]) -> str:
    """One row per incident window: the provider's incident and the lead, or why local."""
    rows = []
    for window in found["windows"]:
        matches = window.get("provider_incidents") or ()
        said = "; ".join(
            f'<a href="{html.escape(m["link"] or "#")}" target="_blank">{html.escape(m["name"])}'
            f"</a> ({declared_when(m.get('lead_minutes'))})" for m in matches)
        rows.append(f"<tr><td>{html.escape(window['start'])}</td><td>{window['verdict']}</td>"
                    f"<td>{said or html.escape(window['explanation'])}</td></tr>")
    note = f" <i>{html.escape(found['error'])}</i>" if found.get("error") else ""
    return (f"<b>Provider incidents</b> from {html.escape(found['page'])} ({found['kind']}, "
            f"read {found['fetched_at']}){note}<table class='chatkit-report'><tr><th>window"
            f"</th><th>whose</th><th>what</th></tr>{''.join(rows)}</table>")


def _summary_html(summary: dict[str, Any]) -> str:
    """The summary's headline figures and status counts as two small tables."""
    latency = summary.get("latency_ms") or {}
    rows = [
        ("requests", summary.get("requests")),
        ("from", summary.get("start")),
        ("to", summary.get("end")),
        ("error rate", f"{100 * float(summary.get('error_rate') or 0):.1f} %"),
        ("latency p50 / p95 / p99 (ms)", " / ".join(
            f"{latency[k]:.0f}" if latency.get(k) is not None else "–"
            for k in ("p50", "p95", "p99"))),
        ("incidents", len(summary.get("incidents") or ())),
    ]
    head = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    counts = summary.get("status_counts") or {}
    statuses = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{v}</td></tr>"
                       for k, v in counts.items())
    return (
        '<div class="chatkit-report" style="display:flex;gap:24px;align-items:flex-start">'
        f"<table>{head}</table>"
        f"<table><tr><th>status</th><th>requests</th></tr>{statuses}</table></div>"
    )


def _plot_images(frame: pd.DataFrame, summary: dict[str, Any]) -> list[Any]:
    """chatkit.logs.plots' figures for the selection, as PNG image widgets (a widget's value, so
    the picture is in the panel whether the kernel runs in a browser or headless)."""
    import ipywidgets as widgets

    figures = [
        plots.latency_histogram(frame),
        plots.error_rate_over_time(frame, summary.get("incidents")),
        plots.status_bars(frame),
        plots.ttft_by_model(frame),
    ]
    images = []
    for figure in figures:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=72)
        images.append(widgets.Image(value=buffer.getvalue(), format="png",
                                    layout=widgets.Layout(max_width="49%")))
    return images
