"""TriageWizard: the troubleshooting guide's decision tree, one question at a time.

The tree and its walker live in :mod:`chatkit.knowledge.triage`; this panel shows the current
question with one button per answer, offers "Measure it" where a check can answer instead of
the person, and at the end shows the likely cause and what to do, and hands the findings to
the notes.
"""

from __future__ import annotations

import concurrent.futures
import html
from typing import TYPE_CHECKING, Any

from chatkit.checks import CheckContext, available_groups, run_all
from chatkit.errors import ChatkitError
from chatkit.findings import Finding, Report, render_findings_html
from chatkit.knowledge.triage import Triage
from chatkit.targets import Target
from chatkit.widgets._runner import Runner

if TYPE_CHECKING:
    from chatkit.widgets.notes import Notes

__all__ = ["TriageWizard"]


class TriageWizard:
    """One question at a time; answers by button, or by measurement where one can decide."""

    def __init__(self, target: Target | None = None, *, context: CheckContext | None = None,
                 notes: Notes | None = None) -> None:
        import ipywidgets as widgets

        self.target = target or Target()
        self.context = context or CheckContext()
        self.notes = notes
        self.triage = Triage()
        self._runner = Runner()

        self.trail = widgets.HTML()  # the questions answered so far, each with its answer
        self.trail.add_class("chatkit-triage-trail")
        self.step = widgets.HTML()
        self.question = widgets.HTML()
        self.question.add_class("chatkit-triage-question")
        self.help = widgets.HTML()
        self.choices = widgets.VBox(layout=widgets.Layout(align_items="flex-start"))
        self.choice_buttons: dict[str, Any] = {}
        self.measure_button = widgets.Button(description="Measure it", icon="tachometer",
                                             button_style="info")
        self.measure_button.add_class("chatkit-triage-measure")
        self.measure_note = widgets.HTML()
        self.back_button = widgets.Button(description="Back", icon="arrow-left")
        self.restart_button = widgets.Button(description="Start over", icon="refresh")
        self.result = widgets.HTML()
        self.result.add_class("chatkit-triage-result")
        self.errors = widgets.Output()

        self.measure_button.on_click(lambda _: self.measure())
        self.back_button.on_click(lambda _: self.back())
        self.restart_button.on_click(lambda _: self.restart())

        self.root = widgets.VBox([
            widgets.HTML("<b>Triage</b>: answer one question at a time, or let chatkit "
                         "measure it"),
            self.trail, self.step, self.question, self.help, self.choices,
            widgets.HBox([self.measure_button, self.measure_note]),
            widgets.HBox([self.back_button, self.restart_button]),
            self.errors, self.result,
        ])
        self.root.add_class("chatkit-triage")
        self._render()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.root._repr_mimebundle_(**kwargs)

    # --- answering -------------------------------------------------------------------------

    def answer(self, label: str) -> None:
        """Answer the current question (what an answer button does)."""
        if self._runner.busy:
            self.measure_note.value = "Measuring: wait for the measurement to finish."
            return
        self.errors.outputs = ()
        try:
            self.triage.choose(label)
        except ChatkitError as exc:
            self.errors.append_stderr(f"Error: {exc}\n")
        self._render()

    def back(self) -> None:
        if not self._runner.busy:
            self.triage.back()
            self._render()

    def restart(self) -> None:
        if not self._runner.busy:
            self.triage = Triage()
            self._render()

    def measure(self) -> concurrent.futures.Future[Report] | None:
        """Run the check group that answers the current question, on a worker thread."""
        question = self.triage.question
        if question is None or question.measure is None:
            return None
        if self._runner.busy:
            self.measure_note.value = "Already measuring: wait for it to finish."
            return None
        self.measure_button.disabled = True
        self.measure_note.value = f"Running the <code>{question.measure}</code> checks …"
        group = question.measure
        return self._runner.submit(
            lambda: run_all(self.target, only=[group], context=self.context), self._measured)

    def wait(self, timeout: float | None = 60.0) -> bool:
        """Block until a running measurement is done (headless use)."""
        return self._runner.wait(timeout)

    def _measured(self, future: concurrent.futures.Future[Report]) -> None:
        self.measure_button.disabled = False
        try:
            report = future.result()
        except Exception as exc:  # shown in the panel, never a lost traceback
            self.measure_note.value = ""
            self.errors.append_stderr(f"Error: the measurement failed: {exc}\n")
            return
        label = self.triage.measure(report.findings)
        if label is None:
            reasons = "; ".join(f"{f.check}: {f.cause or f.title}" for f in report.findings)
            self.measure_note.value = (
                "The measurement could not decide here"
                f"{' (' + html.escape(reasons) + ')' if reasons else ''}: please answer yourself."
            )
            self._render(keep_note=True)
        else:
            # The measured answer shows in the trail, under its own question; the note
            # beside the Measure button belongs to the question now asked.
            self._render()

    # --- showing ---------------------------------------------------------------------------

    def _render(self, *, keep_note: bool = False) -> None:
        import ipywidgets as widgets

        question = self.triage.question
        answered = len(self.triage.answers)
        self.step.value = (f"<small>Step {answered + 1}</small>" if question is not None
                           else f"<small>Finished after {answered} answers</small>")
        self.back_button.disabled = not self.triage.answers
        self.trail.value = self._trail_html()
        if not keep_note:
            self.measure_note.value = ""
        if self.notes is not None:
            # The answers so far, every time: going Back takes the withdrawn answer's
            # finding out of the notes again.
            self.notes.add(self.triage.findings, source="triage",
                           target=self.target.to_dict(self.context.environ))
        if question is None:
            self.measure_button.layout.display = "none"
            self._replace_buttons({})
            self.help.value = ""
            self.question.value = "<b>Done.</b>"
            self.result.value = self._result_html()
            return
        # Everything else first, the question text last: when the new question shows, its
        # answers and the Measure button are already in place.
        self.result.value = ""
        measurable = question.measure is not None and question.measure in available_groups()
        self.measure_button.layout.display = None if measurable else "none"
        buttons = {}
        for choice in question.choices:
            button = widgets.Button(description=choice.label, tooltip=choice.label,
                                    layout=widgets.Layout(width="auto"))
            button.on_click(lambda _, label=choice.label: self.answer(label))
            buttons[choice.label] = button
        self._replace_buttons(buttons)
        self.help.value = f"<small>{html.escape(question.help)}</small>" if question.help else ""
        self.question.value = f"<h4>{html.escape(question.text)}</h4>"

    def _trail_html(self) -> str:
        """Each answered question with its answer ("Measured: Yes" when a check gave it)."""
        rows = []
        for answer in self.triage.answers:
            asked = self.triage.tree[answer.question].text
            given = f"Measured: {answer.label}" if answer.measured else answer.label
            rows.append(f"<li>{html.escape(asked)} <b>{html.escape(given)}</b></li>")
        return (f'<ol style="margin:0 0 4px 0;color:#59636e">{"".join(rows)}</ol>'
                if rows else "")

    def _replace_buttons(self, buttons: dict[str, Any]) -> None:
        """Show new answer buttons and close the old ones (else they pile up in the kernel
        and in the widget state a notebook saves)."""
        old = list(self.choice_buttons.values())
        self.choice_buttons = buttons
        self.choices.children = tuple(buttons.values())
        for button in old:
            button.close()

    def _result_html(self) -> str:
        cause: Finding | None = self.triage.cause
        if cause is None:
            return ""
        remedies = "".join(f"<li>{html.escape(r)}</li>" for r in self.triage.remedies)
        noted = " The findings were added to the notes." if self.notes is not None else ""
        return (
            f"<div><b>Likely cause:</b> {html.escape(cause.cause or cause.title)}</div>"
            + (f"<div><b>What to do:</b><ol>{remedies}</ol></div>" if remedies else "")
            + f"<details><summary>All findings ({len(self.triage.findings)}).{noted}</summary>"
            + render_findings_html(self.triage.findings) + "</details>"
        )

