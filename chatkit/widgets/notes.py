"""Notes: the findings every panel produced, a free-text observation, and one-click exports.

Panels given ``notes=`` add their findings (and the LogExplorer its log summary) here; a
panel's new run replaces its earlier findings. The person adds what they saw in their own
words. The exports are :func:`chatkit.report.save_report` (Markdown, HTML; redacted there) and
the support bundle of :mod:`chatkit.share.bundle`, written next to the notebook and linked.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from chatkit.environment import snapshot
from chatkit.errors import ChatkitError
from chatkit.findings import Finding, Report, render_findings_html, utcnow_iso
from chatkit.redaction.scrub import redact_text
from chatkit.share.bundle import build_bundle
from chatkit.share.report import save_report

__all__ = ["Notes"]


class Notes:
    """Collected findings by source panel, observations, and export buttons."""

    def __init__(self, *, out_dir: str | Path = "chatkit-exports",
                 target: Mapping[str, Any] | None = None) -> None:
        import ipywidgets as widgets

        self.out_dir = Path(out_dir)
        self.target: dict[str, Any] = dict(target or {})
        self._by_source: dict[str, list[Finding]] = {}
        self.observations: list[str] = []
        self.summaries: dict[str, Mapping[str, Any]] = {}
        self.logs: dict[str, Path] = {}  # log name -> file, excerpted into the bundle
        self.bundle_note = ""
        self.exported: dict[str, Path] = {}

        self.table = widgets.HTML()
        self.observation = widgets.Textarea(
            placeholder="What did you see? e.g. 'fails since 09:10 on office Wi-Fi, works on "
                        "my phone's hotspot'", layout=widgets.Layout(width="560px", height="70px"))
        self.add_button = widgets.Button(description="Add observation", icon="plus")
        self.markdown_button = widgets.Button(description="Markdown report", icon="file-text")
        self.html_button = widgets.Button(description="HTML report", icon="file-code-o")
        self.bundle_button = widgets.Button(description="Support bundle", icon="archive",
                                            tooltip="a zip to send to support, secrets removed")
        self.links = widgets.HTML()
        self.errors = widgets.Output()

        self.add_button.on_click(lambda _: self.add_observation())
        self.markdown_button.on_click(lambda _: self._export("markdown"))
        self.html_button.on_click(lambda _: self._export("html"))
        self.bundle_button.on_click(lambda _: self._export("bundle"))

        self.root = widgets.VBox([
            widgets.HTML("<b>Notes</b>: findings collected from the panels, and your own "
                         "observations"),
            self.table,
            widgets.HBox([self.observation, self.add_button]),
            widgets.HBox([self.markdown_button, self.html_button, self.bundle_button]),
            self.links,
            self.errors,
        ])
        self.root.add_class("chatkit-notes")
        self._refresh()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.root._repr_mimebundle_(**kwargs)

    # --- collecting ---------------------------------------------------------------------------

    def add(self, findings: Iterable[Finding], *, source: str = "manual",
            target: Mapping[str, Any] | None = None) -> None:
        """Add a panel's findings; a source's new findings replace its earlier ones."""
        self._by_source[source] = list(findings)
        if target:
            self.target = dict(target)
        self._refresh()

    def add_log(self, name: str, summary: Mapping[str, Any],
                path: str | Path | None = None) -> None:
        """Add (or replace) a log's summary, a section of the report; with ``path`` the
        bundle also carries redacted excerpts around the log's failures."""
        self.summaries[name] = summary
        if path is not None:
            self.logs[name] = Path(path)
        self._refresh()

    def add_observation(self, text: str | None = None) -> str | None:
        """Record the observation field's text (or ``text``), stamped with the UTC time."""
        text = (self.observation.value if text is None else text).strip()
        if not text:
            return None

        # Redacted as it is recorded: the notes table is a widget whose state a notebook saves.
        note = f"{utcnow_iso()}: {redact_text(text)}"
        self.observations.append(note)
        self.observation.value = ""
        self._refresh()
        return note

    @property
    def findings(self) -> list[Finding]:
        return [f for found in self._by_source.values() for f in found]

    def report(self) -> Report:
        """Everything collected as one :class:`Report` (verdict included)."""

        return Report(findings=tuple(self.findings), target=self.target,
                      environment=snapshot())

    def _refresh(self) -> None:
        found = self.findings
        parts = [render_findings_html(found) if found else
                 "<i>No findings yet: run a panel, or add an observation.</i>"]
        if self.summaries:
            parts.append("<div>Log summaries: " + ", ".join(
                html.escape(name) for name in self.summaries) + "</div>")
        if self.observations:
            parts.append("<ul>" + "".join(f"<li>{html.escape(o)}</li>"
                                          for o in self.observations) + "</ul>")
        self.table.value = "".join(parts)

    # --- exporting ------------------------------------------------------------------------

    def export(self, kind: str) -> Path:
        """Write the Markdown or HTML report, or the support bundle; returns its path."""

        if kind not in ("markdown", "html", "bundle"):
            raise ValueError(f"unknown export {kind!r}; choose markdown, html or bundle")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        stamp = utcnow_iso().replace(":", "").replace("-", "").split(".")[0]
        report = self.report()
        if kind == "bundle":
            path = self.out_dir / f"chatkit-bundle-{stamp}.zip"

            result = build_bundle(path, logs=list(self.logs.values()), report=report,
                                  notes=self.observations)
            self.bundle_note = result.describe()
        else:
            suffix = ".md" if kind == "markdown" else ".html"
            path = save_report(self.out_dir / f"chatkit-report-{stamp}{suffix}", report,
                               notes=self.observations, summaries=self.summaries)
        self.exported[kind] = path
        self._show_links()
        return path

    def _export(self, kind: str) -> None:
        self.errors.outputs = ()
        try:
            self.export(kind)
        except (ChatkitError, OSError) as exc:
            self.errors.append_stderr(f"Error: {exc}\n")

    def _show_links(self) -> None:
        items = "".join(
            f'<li>{kind}: <a href="{html.escape(path.as_posix())}" download>'
            f"{html.escape(path.as_posix())}</a></li>"
            for kind, path in self.exported.items()
        )
        note = f"<div>{html.escape(self.bundle_note)}</div>" if self.bundle_note else ""
        self.links.value = f"<ul>{items}</ul>{note}"

