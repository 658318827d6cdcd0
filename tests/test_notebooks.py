"""The notebooks: committed without outputs, and each runs top to bottom offline, against the
simulated API (no key in the kernel's environment), without an error, showing what a reader
is meant to see: the plots as images, the tables, each report's verdict once, the panels."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import support

nbformat = pytest.importorskip("nbformat", reason="needs nbformat (the test extra)")
nbclient = pytest.importorskip("nbclient", reason="needs nbclient (the test extra)")
pytest.importorskip("ipykernel", reason="needs ipykernel (the test extra) to run notebooks")

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
EXPECTED = ["00_start_here", "01_triage", "02_network", "03_api_and_account",
            "04_log_analysis", "05_share_findings"]
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
# What the kernel must not inherit: a real key would make a notebook leave simulator mode,
# a proxy would route the loopback simulator through it.
SCRUBBED = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
            "http_proxy", "https_proxy", "all_proxy")
PLANTED = "sk-proj-PLANTEDnotebookKEY0123456789abcdefQRS"

_timings: dict[str, float] = {}



@pytest.fixture(scope="module", autouse=True)
def report_timings(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if _timings:
        lines = ", ".join(f"{name} {took:.1f} s" for name, took in _timings.items())
        total = sum(_timings.values())
        support.say(request, f"notebooks executed in {total:.1f} s total ({lines})")


@pytest.fixture
def offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    # Jupyter's own default: chatkit's figures must show without pyplot's inline backend.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")


def execute(nb: Any, cwd: Path, *, timeout: int = 120) -> Any:
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}},
                                     store_widget_state=True)
    return client.execute()


def outputs_text(nb: Any) -> str:
    parts: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", ()):
            parts.append(out.get("text", ""))
            for value in (out.get("data") or {}).values():
                parts.append(value if isinstance(value, str) else json.dumps(value))
    return "\n".join(parts)


def test_every_notebook_the_issue_lists_is_there() -> None:
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_carry_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {cell.id} has outputs"
            assert cell.execution_count is None, f"{path.name}: cell {cell.id} was executed"
    assert "widgets" not in nb.metadata, f"{path.name} carries saved widget state"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "parameters" in first_code.metadata.get("tags", []), \
        f"{path.name}: the first code cell must be the tagged parameter cell"


# What a reader sees, cell by cell: a snippet of a code cell's source -> what its output must
# hold. "png": an image; "table": an HTML table; "widget": a panel; "verdict": a report with
# its verdict shown exactly once; any other string: text that must appear in the output.
WIDGET = "application/vnd.jupyter.widget-view+json"
SEEN: dict[str, dict[str, tuple[str, ...]]] = {
    "00_start_here": {
        "session = connect(": ("chatkit-banner chatkit-sim",),
        "report = await chatkit.run_all": ("verdict", "table"),
        "chatkit.DoctorPanel(": ("widget",),
    },
    "01_triage": {
        "wizard = TriageWizard(": ("widget",),
        "notes\n": ("widget",),
    },
    "02_network": {
        "panel = chatkit.DoctorPanel(": ("widget",),
        "report = await chatkit.run_all": ("verdict", "table"),
        "evidence = pd.DataFrame(": ("table",),
        "plt.show()": ("png",),
        'for fault in ("reset", "captive_portal")': ("table", "captive_portal"),
    },
    "03_api_and_account": {
        "panel = chatkit.DoctorPanel(": ("widget",),
        "report = await chatkit.run_all": ("verdict", "table"),
        "pd.DataFrame([": ("table",),
        "FAULTS = [": ("table", "429_insufficient_quota"),
        "classify(status=429": ("table", "quota"),
        "mistakes = scan_code(CODE)": ("verdict", "table", "sdk.packages"),
    },
    "04_log_analysis": {
        "explorer = LogExplorer()": ("widget",),
        "frame, summary = explorer.filtered": ("requests from",),
        'pd.DataFrame({"latency_ms"': ("table",),
        "plots.latency_histogram(frame)": ("png",),
        "plots.ttft_by_model(frame)": ("png",),
        "plots.status_bars(frame)": ("png",),
        "plots.error_rate_over_time(frame": ("png",),
        'pd.DataFrame(summary["incidents"])': ("table",),
        'pd.DataFrame(summary["by_model"])': ("table",),
        "Report(findings=": ("verdict", "table"),
    },
    "05_share_findings": {
        "notes = Notes()": ("widget",),
        'markdown = notes.export("markdown")': ("# chatkit report",),
        'bundle = notes.export("bundle")': ("report.json",),
        "redact_text(": ("[REDACTED",),
    },
}


def cell_outputs(nb: Any, snippet: str) -> list[Any]:
    """The outputs of the one code cell whose source holds ``snippet``."""
    cells = [c for c in nb.cells if c.cell_type == "code" and snippet in c.source + "\n"]
    assert len(cells) == 1, f"{len(cells)} cells hold {snippet!r}"
    return list(cells[0].get("outputs", ()))


def seen_problems(outputs: list[Any], wanted: tuple[str, ...]) -> list[str]:
    """What a reader would miss in a cell's outputs (empty when all is there)."""
    kinds = {kind for out in outputs for kind in (out.get("data") or {})}
    html = "".join(str((out.get("data") or {}).get("text/html", "")) for out in outputs)
    text = "".join(str(out.get("text", "")) + json.dumps(out.get("data") or {})
                   for out in outputs)
    missing = []
    for want in wanted:
        if want == "png" and "image/png" not in kinds:
            missing.append(f"no image (outputs: {sorted(kinds)})")
        elif want == "table" and "<table" not in html:
            missing.append("no HTML table")
        elif want == "widget" and WIDGET not in kinds:
            missing.append("no widget")
        elif want == "verdict" and html.count("Verdict:") != 1:
            missing.append(f"the verdict shows {html.count('Verdict:')} times")
        elif want not in ("png", "table", "widget", "verdict") and want not in text:
            missing.append(f"{want!r} not shown")
    if "Target:</b> ?" in html or ("<Figure size" in text and "image/png" not in kinds):
        missing.append("a placeholder where content was meant")
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_offline_in_simulator_mode(path: Path, tmp_path: Path,
                                                 offline_env: None) -> None:
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    executed = execute(nb, tmp_path)
    _timings[path.stem] = time.perf_counter() - started
    text = outputs_text(executed)
    assert "chatkit-banner chatkit-sim" in text, "the simulator banner must be visible"
    errors = [o for c in executed.cells for o in c.get("outputs", ())
              if o.get("output_type") == "error"
              or (o.get("name") == "stderr" and "Traceback" in o.get("text", ""))]
    assert errors == []
    problems = {snippet: seen_problems(cell_outputs(executed, snippet), wanted)
                for snippet, wanted in SEEN[path.stem].items()}
    assert {k: v for k, v in problems.items() if v} == {}


def test_a_key_typed_into_the_panel_never_reaches_the_saved_notebook(
        tmp_path: Path, offline_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATKIT_TEST_PLANTED_KEY", PLANTED)
    v4 = nbformat.v4
    nb = v4.new_notebook(cells=[v4.new_code_cell(source) for source in (
        "import os\nfrom chatkit.widgets import DoctorPanel, connect\n"
        "session = connect(simulate=True)\n"
        "panel = DoctorPanel(session.target, context=session.context, groups=['api'])\n"
        "panel",
        # as if typed in the browser: the value reaches the kernel through the widget
        "panel.key.value = os.environ['CHATKIT_TEST_PLANTED_KEY']\n"
        "panel.run()\nreport = panel.wait()\nreport",
        "print(panel.key_note.value)",
    )])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    executed = execute(nb, tmp_path)
    saved = nbformat.writes(executed)
    state = executed.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(m["model_name"] == "PasswordModel" for m in state.values())
    assert PLANTED not in saved
    assert f"sk-...{PLANTED[-4:]}" in saved  # the masked form is what shows
    assert os.environ["CHATKIT_TEST_PLANTED_KEY"] == PLANTED
