"""`chatkit analyze`: the shipped sample log, a HAR and a CSV, as text, JSON and plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatkit.cli import main
from chatkit.logs import load, summarize

SAMPLE = Path(__file__).parents[1] / "chatkit" / "data" / "sample_requests.jsonl"
DATA = Path(__file__).parent / "data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["analyze", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_is_exactly_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(SAMPLE), "--json")
    assert code == 0
    assert json.loads(out) == json.loads(json.dumps(summarize(load(SAMPLE))))


def test_text_table_of_the_sample_log(capsys: pytest.CaptureFixture[str]) -> None:
    summary = summarize(load(SAMPLE))
    code, out, _ = run(capsys, str(SAMPLE))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"Log: {SAMPLE}"
    assert lines[1] == f"3,000 requests from {summary['start']} to {summary['end']}"
    assert lines[2] == f"Failed: {summary['error_rate']:.1%} (no 2xx/3xx answer)"
    assert any(line.split() == ["429", f"{summary['status_counts']['429']:,}",
                                f"{summary['status_counts']['429'] / 3000:.1%}"]
               for line in lines)
    titles = [f["title"] for f in summary["findings"]]
    for title in titles:
        assert any(line.endswith(title) for line in lines)
    assert "Findings:" in lines


def test_har_and_csv_with_mapping(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(DATA / "har_chrome.har"))
    assert code == 0
    assert "6 requests from 2026-03-02T08:00:00.000Z to 2026-03-02T08:00:08.000Z" in out
    assert "net::ERR_BLOCKED_BY_CLIENT" in out and "Chrome 141 is out of date" in out
    code, out, _ = run(capsys, str(DATA / "requests_other_columns.csv"), "--json",
                       "--map", "When=ts", "--map", "Code=status", "--map", "Engine=model",
                       "--map", "Took (ms)=latency_ms")
    summary = json.loads(out)
    assert code == 0
    assert summary["requests"] == 5 and summary["skipped"] == 1
    assert summary["status_counts"] == {"200": 2, "429": 1, "500": 1, "no_response": 1}
    assert summary["latency_ms"]["max"] == 1210.0


def test_plots_are_written(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, str(SAMPLE), "--plots", str(tmp_path / "p"))
    assert code == 0 and err.strip() == f"wrote 6 plots to {tmp_path / 'p'}"
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        "error_rate.png", "latency_histogram.png", "latency_over_time.png", "phases.png",
        "status_codes.png", "ttft_by_model.png"]


def test_bad_input_is_one_error_line(capsys: pytest.CaptureFixture[str],
                                     tmp_path: Path) -> None:
    code, out, err = run(capsys, str(tmp_path / "missing.jsonl"))
    assert (code, out) == (2, "")
    assert err == f"Error: {tmp_path / 'missing.jsonl'}: no such file; check the path\n"
    empty = tmp_path / "empty.har"
    empty.write_text("")
    code, _, err = run(capsys, str(empty))
    assert code == 2 and err.startswith(f"Error: {empty} is empty;")
    code, _, err = run(capsys, str(SAMPLE), "--map", "nonsense")
    assert code == 2 and err == "Error: --map needs THEIRS=OURS, got 'nonsense'\n"
