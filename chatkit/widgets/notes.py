"""Notes: the findings every panel produced, a free-text observation, and one-click exports.

Panels given ``notes=`` add their findings here (a panel's new run replaces its earlier
findings); the person adds what they saw in their own words. The exports are chatkit's
report and support bundle, written next to the notebook and linked from the panel.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from chatkit.errors import ChatkitError
from chatkit.findings import Finding, Report, render_findings_html, utcnow_iso

__all__ = ["Notes"]


class Notes:
    """Collected findings by source panel, observations, and export buttons."""

    def __init__(self, *, out_dir: str | Path = "chatkit-exports",
                 target: Mapping[str, Any] | None = None) -> None:
        import ipywidgets as widgets

        self.out_dir = Path(out_dir)
        self.target: dict[str, Any] = dict(target or {})
        self._by_source: dict[str, list[Finding]] = {}
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

    def add_observation(self, text: str | None = None) -> Finding | None:
        """Record the observation field's text (or ``text``) as an info finding."""
        text = (self.observation.value if text is None else text).strip()
        if not text:
            return None
        finding = Finding(check="notes.observation", status="info", title=text,
                          evidence={"at": utcnow_iso()})
        self._by_source.setdefault("observations", []).append(finding)
        self.observation.value = ""
        self._refresh()
        return finding

    @property
    def findings(self) -> list[Finding]:
        return [f for found in self._by_source.values() for f in found]

    def report(self) -> Report:
        """Everything collected as one :class:`Report` (verdict included)."""
        from chatkit.environment import snapshot

        return Report(findings=tuple(self.findings), target=self.target,
                      environment=snapshot())

    def _refresh(self) -> None:
        found = self.findings
        if not found:
            self.table.value = "<i>No findings yet: run a panel, or add an observation.</i>"
            return
        self.table.value = render_findings_html(found)

    # --- exporting ------------------------------------------------------------------------

    def export(self, kind: str) -> Path:
        """Write the Markdown or HTML report, or the support bundle; returns its path."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        stamp = utcnow_iso().replace(":", "").replace("-", "").split(".")[0]
        report = self.report()
        if kind == "markdown":
            path = self.out_dir / f"chatkit-report-{stamp}.md"
            path.write_text(report.to_markdown(), encoding="utf-8")
        elif kind == "html":
            path = self.out_dir / f"chatkit-report-{stamp}.html"
            path.write_text(report.to_html(), encoding="utf-8")
        elif kind == "bundle":
            path = self.out_dir / f"chatkit-bundle-{stamp}.zip"
            _write_bundle(path, report)
        else:
            raise ValueError(f"unknown export {kind!r}; choose markdown, html or bundle")
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
        self.links.value = f"<ul>{items}</ul>"


def _write_bundle(path: Path, report: Report) -> None:
    try:
        from chatkit import report as sharing
    except ImportError:
        raise ChatkitError("the support bundle needs chatkit.report, which this installation "
                           "lacks; export the Markdown report instead") from None
    sharing.write_bundle(path, report=report)  # type: ignore[attr-defined]
