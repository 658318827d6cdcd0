"""DoctorPanel: fill in a target, press Run, watch findings arrive, read the verdict.

Composition only: the panel reads its fields into a :class:`~chatkit.targets.Target`, calls
:func:`chatkit.checks.run_all` on a worker thread, and shows the :class:`~chatkit.findings.Report`
it returns through the Report's own HTML. A key typed into the password field is moved into
the Target (kept in this Python object only) and the field is emptied at once, so the key never
reaches the widget state a notebook saves.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chatkit import checks
from chatkit.checks import CheckContext, available_groups, run_all
from chatkit.errors import ChatkitError
from chatkit.findings import Finding, Report
from chatkit.redaction.scrub import redact_url
from chatkit.targets import PROVIDERS, Target, get_provider, mask_key
from chatkit.widgets._runner import Runner

if TYPE_CHECKING:
    from chatkit.widgets.notes import Notes

__all__ = ["DoctorPanel"]

# The report's own verdict box, a little larger as the panel's headline.
_RESULT_CSS = "<style>.chatkit-doctor-result .chatkit-verdict{font-size:1.1em}</style>"


class DoctorPanel:
    """Target fields, key, check groups, Run, progress, and the report with its verdict."""

    def __init__(
        self,
        target: Target | None = None,
        *,
        context: CheckContext | None = None,
        groups: Sequence[str] | None = None,
        notes: Notes | None = None,
    ) -> None:
        import ipywidgets as widgets

        target = target or Target()
        self._initial = target
        self.context = context or CheckContext()
        self.notes = notes
        self.report: Report | None = None
        self._typed_key: str | None = None  # held here, never in a widget trait
        self._runner = Runner()

        self.base_url = widgets.Text(value=target.url, description="Base URL",
                                     layout=widgets.Layout(width="460px"))
        self.provider = widgets.Dropdown(options=sorted(PROVIDERS), value=target.provider,
                                         description="Provider")
        self.model = widgets.Text(value=target.model or "", description="Model",
                                  placeholder="default: a small model")
        # Which API the completion and stream probes call (CheckContext.api; "auto" is None
        # there: a Dropdown shows an option whose value is None as no selection at all).
        self.api = widgets.Dropdown(
            options=[("auto (Responses where served)", "auto"), ("Responses API", "responses"),
                     ("Chat completions", "chat")], value=self.context.api or "auto",
            description="API", layout=widgets.Layout(width="auto"))
        self.key = widgets.Password(description="API key", placeholder="or leave empty")
        self.use_env = widgets.Checkbox(value=True, indent=False)
        self.key_note = widgets.HTML()
        self.groups = {
            g: widgets.ToggleButton(value=True, description=g, tooltip=f"run the {g} checks",
                                    layout=widgets.Layout(width="auto"))
            for g in (groups or available_groups())
        }
        for toggle in self.groups.values():
            toggle.add_class("chatkit-doctor-group")
            toggle.observe(_show_toggle_state, names="value")
            _show_toggle_state({"owner": toggle})
        self.run_button = widgets.Button(description="Run", button_style="primary",
                                         icon="stethoscope", tooltip="run the selected checks")
        self.run_button.add_class("chatkit-doctor-run")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Findings",
                                            layout=widgets.Layout(width="240px"))
        self.status = widgets.HTML()
        self.result = widgets.HTML()
        self.result.add_class("chatkit-doctor-result")
        self.errors = widgets.Output()

        self.provider.observe(self._on_provider, names="value")
        self.run_button.on_click(self._on_click)
        self._on_provider()

        title = widgets.HTML("<b>chatkit doctor</b>: network, service, account and API checks")
        self.root = widgets.VBox([
            title,
            widgets.HBox([self.base_url, self.provider]),
            widgets.HBox([self.model, self.api], layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.key, self.use_env, self.key_note]),
            widgets.HBox(list(self.groups.values()), layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.run_button, self.progress, self.status]),
            self.errors,
            self.result,
        ])
        self.root.add_class("chatkit-doctor")

    # --- display ------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.root._repr_mimebundle_(**kwargs)

    # --- reading the fields ---------------------------------------------------------------

    def _on_provider(self, change: Any = None) -> None:
        key_env = get_provider(self.provider.value).key_env
        self.use_env.description = f"use {key_env} from the environment"
        self._show_key_note()

    def _show_key_note(self) -> None:
        if self._typed_key:
            masked = html.escape(str(mask_key(self._typed_key)))
            self.key_note.value = (f"key typed in: <code>{masked}</code> "
                                   "(kept in memory, not saved)")
        else:
            self.key_note.value = ""

    def _take_key(self) -> None:
        """Move a freshly typed key out of the widget (whose state a notebook may save)."""
        typed = self.key.value.strip()
        self.key.value = ""
        if typed:
            self._typed_key = typed
        self._show_key_note()

    def selected_groups(self) -> list[str]:
        return [g for g, button in self.groups.items() if button.value]

    def read_target(self) -> tuple[Target, CheckContext]:
        """The Target and context the fields describe (raises UsageError on a bad field)."""
        self._take_key()
        provider = self.provider.value
        base_url = self.base_url.value.strip() or None
        # The status page given with the initial target (the simulator's) holds while the
        # panel still points at that target; otherwise the provider's own applies.
        same = base_url == self._initial.url and provider == self._initial.provider
        target = Target(base_url=base_url, provider=provider,
                        model=self.model.value.strip() or None, api_key=self._typed_key,
                        timeout=self.context.timeout,
                        status_page=self._initial.status_page if same else None)
        api = None if self.api.value == "auto" else self.api.value
        context = dataclasses.replace(self.context, api=api)
        if not self.use_env.value:
            environ = {k: v for k, v in context.environ.items() if k != target.key_env}
            context = dataclasses.replace(context, environ=environ)
        return target, context

    # --- running ----------------------------------------------------------------------------

    def run(self) -> concurrent.futures.Future[Report] | None:
        """What Run does; returns the Future of the report (None when refused or invalid)."""
        if self._runner.busy:
            self.status.value = "Still running: wait for the current run to finish."
            return None
        self._clear()
        try:
            target, context = self.read_target()
        except ChatkitError as exc:
            self._error(str(exc))
            return None
        only = self.selected_groups()
        if not only:
            self._error("Select at least one check group.")
            return None

        self.progress.value = 0
        self.progress.max = max(1, _expected_checks(only))
        self.progress.bar_style = "info"
        where = html.escape(redact_url(target.url))  # no URL credentials in widget state
        self.status.value = f"Running {len(only)} group(s) against {where} …"
        self.run_button.disabled = True

        def progress(finding: Finding) -> None:
            self.progress.value = min(self.progress.max, self.progress.value + 1)

        return self._runner.submit(
            lambda: run_all(target, only=only, progress=progress, context=context),
            self._finished,
        )

    def wait(self, timeout: float | None = 60.0) -> Report | None:
        """Block until the running checks are done; returns the report (headless use)."""
        self._runner.wait(timeout)
        return self.report

    def _on_click(self, button: Any) -> None:
        self.run()

    def _finished(self, future: concurrent.futures.Future[Report]) -> None:
        self.run_button.disabled = False
        try:
            report = future.result()
        except ChatkitError as exc:
            self.status.value = ""
            self._error(str(exc))
            return
        except Exception as exc:  # a bug must show in the panel, not as a lost traceback
            self.status.value = ""
            self._error(f"{type(exc).__name__}: {exc} (a chatkit problem: please report it)")
            return
        self.report = report
        self.progress.value = self.progress.max
        self.progress.bar_style = "success" if report.ok else "danger"
        self.status.value = f"Done: {len(report.findings)} findings."
        self.result.value = _RESULT_CSS + report.to_html()
        if self.notes is not None:
            self.notes.add(report.findings, source="doctor", target=report.target)

    def _clear(self) -> None:
        """Take the previous run's message, verdict and table off the panel: whatever comes
        next (an error, or the new report) must not sit beside a stale result."""
        self.errors.outputs = ()
        self.result.value = self.status.value = ""
        self.report = None
        self.progress.value = 0
        self.progress.bar_style = ""

    def _error(self, message: str) -> None:
        self._clear()
        self.errors.append_stderr(f"Error: {message}\n")


def _show_toggle_state(change: Mapping[str, Any]) -> None:
    """A selected group reads as selected: filled, with a check mark; an unselected one is
    plain and says so in its tooltip."""
    toggle = change["owner"]
    group = toggle.description
    toggle.button_style = "info" if toggle.value else ""
    toggle.icon = "check" if toggle.value else ""
    toggle.tooltip = f"{group}: selected (click to leave out)" if toggle.value else \
        f"{group}: left out (click to run it)"


def _expected_checks(groups: Sequence[str]) -> int:
    """How many checks the selected groups hold (the progress bar's length)."""

    return sum(len(checks.GROUPS.get(g, ())) for g in groups)
