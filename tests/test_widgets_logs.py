"""The LogExplorer and its filters, driven in-process on the shipped sample log."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from chatkit.logs import load
from chatkit.widgets import LogExplorer, Notes
from chatkit.widgets.logfilter import ALL, STATUS_CLASSES, LogFilter, filter_options

SAMPLE = Path(__file__).resolve().parent.parent / "chatkit" / "data" / "sample_requests.jsonl"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return load(SAMPLE)


@pytest.fixture
def explorer(tmp_path: Path) -> LogExplorer:
    panel = LogExplorer(notes=Notes(out_dir=tmp_path))
    assert panel.load_path(SAMPLE) is not None
    assert panel.wait()
    assert panel.frame is not None, panel.errors.outputs
    return panel


# --- the filter, pure ---------------------------------------------------------------------------

def test_status_classes_partition_the_log(frame: pd.DataFrame) -> None:
    sizes = {c: len(LogFilter(status_class=c).apply(frame)) for c in STATUS_CLASSES}
    assert sizes[ALL] == len(frame)
    assert sizes["2xx"] + sizes["3xx"] + sizes["4xx"] + sizes["5xx"] + sizes["no response"] \
        == len(frame)
    assert sizes["errors (4xx, 5xx, no response)"] == sizes["4xx"] + sizes["5xx"] \
        + sizes["no response"]
    assert sizes["no response"] == int(frame["status"].isna().sum()) > 0
    only_5xx = LogFilter(status_class="5xx").apply(frame)
    assert only_5xx["status"].between(500, 599).all()


def test_model_endpoint_and_time_filters_select_exactly(frame: pd.DataFrame) -> None:
    options = filter_options(frame)
    assert options["models"][0] == ALL and "gpt-4o" in options["models"]
    picked = LogFilter(model="gpt-4o", endpoint="/v1/chat/completions").apply(frame)
    assert len(picked) > 0
    assert set(picked["model"].astype(str)) == {"gpt-4o"}
    assert set(picked["endpoint"].astype(str)) == {"/v1/chat/completions"}
    middle = options["start"] + (options["end"] - options["start"]) / 2
    late = LogFilter(start=middle).apply(frame)
    early = LogFilter(end=middle).apply(frame)
    assert late["ts"].min() >= middle and early["ts"].max() <= middle
    assert len(late) + len(early) >= len(frame) - 1


def test_an_unknown_status_class_is_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="unknown status class"):
        LogFilter(status_class="6xx").apply(frame)


# --- the panel ------------------------------------------------------------------------------------

def test_loading_fills_filters_summary_plots_and_notes(explorer: LogExplorer) -> None:
    assert "3000 requests" in explorer.status.value
    assert explorer.summary is not None and explorer.summary["requests"] == 3000
    assert "gpt-4o-mini" in explorer.model.options
    assert len(explorer.plots.children) == 4
    assert all(bytes(img.value).startswith(b"\x89PNG") for img in explorer.plots.children)
    assert explorer.filters.layout.display is None
    assert explorer.progress.layout.visibility == "hidden"
    notes = explorer.notes
    assert notes is not None and "sample_requests.jsonl" in notes.summaries
    assert notes.logs["sample_requests.jsonl"] == SAMPLE


def test_filters_change_the_summary_and_the_plotted_data(explorer: LogExplorer) -> None:
    before = [bytes(img.value) for img in explorer.plots.children]
    explorer.model.value = "gpt-4o"
    assert explorer.summary is not None
    assert explorer.summary["requests"] == len(explorer.filtered) < 3000
    assert set(explorer.summary["by_model"]) == {"gpt-4o"}
    after = [bytes(img.value) for img in explorer.plots.children]
    assert after != before
    explorer.status_class.value = "5xx"
    assert set(explorer.summary["status_counts"]) <= {"500", "502", "503", "504"}
    explorer.status_class.value = ALL
    explorer.time.index = (0, 1)  # the first sliver of time
    chosen = explorer.current_filter()
    assert chosen.start is not None and chosen.end is not None
    assert explorer.filtered is not None and 0 < len(explorer.filtered) < 298
    assert explorer.filtered["ts"].between(chosen.start, chosen.end).all()
    explorer.model.value = ALL
    explorer.status_class.value = ALL
    explorer.time.index = (0, len(explorer.time.options) - 1)
    assert explorer.summary["requests"] == 3000


def test_filters_that_match_nothing_say_so(explorer: LogExplorer) -> None:
    explorer.status_class.value = "3xx"  # the sample log has no redirects
    assert explorer.filtered is not None and explorer.filtered.empty
    assert "No requests match" in explorer.summary_html.value
    assert explorer.plots.children == () and explorer.summary is None
    explorer.status_class.value = ALL
    assert explorer.summary is not None and explorer.summary["requests"] == 3000


def test_an_upload_is_read_under_its_own_name() -> None:
    panel = LogExplorer()
    content = "".join(SAMPLE.read_text().splitlines(keepends=True)[:250]).encode()
    # what the browser's FileUpload hands the kernel (ipywidgets 8: a tuple of dicts)
    panel.upload.value = ({"name": "mine.jsonl", "type": "application/jsonl",
                           "size": len(content), "content": memoryview(content),
                           "last_modified": datetime.now(timezone.utc)},)
    panel.wait()
    assert "mine.jsonl" in panel.status.value and "250 requests" in panel.status.value


@pytest.mark.parametrize(("name", "content"), [
    ("notes.txt", b"this is not a request log at all\njust words\n"),
    ("empty.jsonl", b""),
])
def test_a_bad_file_gives_one_clear_message(name: str, content: bytes) -> None:
    panel = LogExplorer()
    panel.load_bytes(name, content)
    panel.wait()
    text = "".join(o.get("text", "") for o in panel.errors.outputs)
    assert text.startswith(f"Error: {name} ") and text.count("\n") == 1, text
    assert text.count(name) == 1 and "chatkit-upload" not in text  # not the temporary copy
    assert "Traceback" not in text
    assert panel.frame is None and panel.status.value == ""


def test_a_missing_path_and_an_empty_path_are_explained(tmp_path: Path) -> None:
    panel = LogExplorer()
    panel.load_path("")
    assert "Give a path" in panel.errors.outputs[0]["text"]
    panel.path.value = str(tmp_path / "nope.jsonl")
    panel.load_button.click()
    panel.wait()
    # the file is named once (not its name, then its full path)
    assert panel.errors.outputs[0]["text"] == "Error: nope.jsonl: no such file; check the path\n"


def test_a_failed_load_replaces_the_previous_log(explorer: LogExplorer, tmp_path: Path) -> None:
    assert explorer.summary is not None and explorer.plots.children
    explorer.load_path(tmp_path / "nonexistent.har")
    explorer.wait()
    assert explorer.errors.outputs[0]["text"].count("nonexistent.har") == 1
    # nothing of the sample log is left on show beside the error
    assert explorer.frame is None and explorer.summary is None
    assert explorer.summary_html.value == "" and explorer.plots.children == ()
    assert explorer.findings_html.value == "" and explorer.filters.layout.display == "none"
    assert explorer.status.value == ""


def test_the_path_box_follows_an_upload_and_the_time_range_reads_in_full() -> None:
    panel = LogExplorer(SAMPLE)
    panel.load_button.click()
    assert panel.wait()
    assert panel.path.value == str(SAMPLE)
    # the whole range, spelled out (the slider's own readout is cut at its width)
    assert panel.time.readout is False
    start, end = panel.summary["start"], panel.summary["end"]  # type: ignore[index]
    assert panel.time_label.value == (f"{start[:10]} {start[11:19]} to {end[:10]} "
                                      f"{end[11:19]} UTC"), (panel.time_label.value, start, end)
    content = "".join(SAMPLE.read_text().splitlines(keepends=True)[:50]).encode()
    panel.load_bytes("mine.jsonl", content)
    assert panel.wait()
    assert panel.path.value == "" and "mine.jsonl" in panel.path.placeholder


def test_uploaded_copies_are_deleted_when_replaced_and_on_close() -> None:
    panel = LogExplorer()
    content = "".join(SAMPLE.read_text().splitlines(keepends=True)[:50]).encode()
    panel.load_bytes("first.jsonl", content)
    assert panel.wait()
    first = panel.loaded_path
    assert first is not None and first.read_bytes() == content
    panel.load_bytes("second.jsonl", content)
    assert panel.wait()
    second = panel.loaded_path
    assert second is not None and second.exists() and not first.parent.exists()
    panel.load_bytes("bad.txt", b"not a log\n")
    assert panel.wait()
    # a failed upload replaces what was shown; neither copy is kept for nothing
    assert panel.loaded_path is None and not second.parent.exists()
    assert list(second.parent.parent.glob("*/*")) == []
    panel.load_bytes("second.jsonl", content)
    assert panel.wait()
    second = panel.loaded_path
    assert second is not None and second.exists()
    panel.close()
    assert not second.parent.parent.exists()


def test_an_upload_the_notes_hold_for_the_bundle_is_kept(tmp_path: Path) -> None:
    panel = LogExplorer(notes=Notes(out_dir=tmp_path))
    content = "".join(SAMPLE.read_text().splitlines(keepends=True)[:50]).encode()
    panel.load_bytes("first.jsonl", content)
    assert panel.wait()
    first = panel.loaded_path
    panel.load_bytes("second.jsonl", content)
    assert panel.wait()
    assert panel.notes is not None and panel.notes.logs["first.jsonl"] == first
    assert first is not None and first.exists()
    panel.load_path(SAMPLE)  # the user's own file replaces an upload; it is never deleted
    assert panel.wait()
    panel.close()
    assert SAMPLE.exists() and not first.exists()
