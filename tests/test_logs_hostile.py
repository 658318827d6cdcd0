"""Hostile input: absurd nesting, broken HARs, huge lines, CSVs without the columns that matter.

Every case ends in one clear ``Error:`` line (exit 2) or in a counted skip; never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatkit.cli import main
from chatkit.errors import InputError
from chatkit.logs import load, summarize

DEPTH = 100_000
DEEP = "[" * DEPTH + "]" * DEPTH


def _ok(second: int) -> str:
    return json.dumps({"ts": f"2026-03-02T09:00:{second:02d}Z", "status": 200,
                       "latency_ms": 12.0, "endpoint": "/v1/chat/completions"})


@pytest.fixture
def deep_jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "deep.jsonl"
    deep_line = _ok(1)[:-1] + f', "error_message": {DEEP}}}'
    path.write_text("\n".join([_ok(0), deep_line, _ok(2)]) + "\n")
    return path


@pytest.fixture
def deep_har(tmp_path: Path) -> Path:
    path = tmp_path / "deep.har"
    entry = ('{"startedDateTime": "2026-03-02T09:00:00Z", "time": 1, "request": {"method": "GET",'
             ' "url": "https://api.openai.com/v1/models", "headers": []}, "response": {"status":'
             f' 200, "headers": [], "content": {{"x": {DEEP}}}}}, "timings": {{}}}}')
    path.write_text('{"log": {"version": "1.2", "creator": {"name": "x"}, "entries": ['
                    + entry + "]}}")
    return path


@pytest.fixture
def deep_array(tmp_path: Path) -> Path:
    path = tmp_path / "deep.json"
    path.write_text(f"[{DEEP}]")
    return path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_deeply_nested_jsonl_line_is_skipped_and_counted(deep_jsonl: Path) -> None:
    frame = load(deep_jsonl)
    assert len(frame) == 2
    assert frame.attrs["skipped"] == 1
    assert summarize(frame)["skipped"] == 1


def test_analyze_redact_and_bundle_of_a_deep_jsonl(deep_jsonl: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["analyze", str(deep_jsonl), "--json"], capsys)
    assert code == 0 and json.loads(out)["skipped"] == 1 and err == ""
    code, out, err = _run(["redact", str(deep_jsonl), "-o", str(tmp_path / "r.jsonl")], capsys)
    assert code == 0 and "Left out 1 line(s)" in out
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 2
    code, out, err = _run(["bundle", "--log", str(deep_jsonl), "-o", str(tmp_path / "b.zip")],
                          capsys)
    assert code == 0 and (tmp_path / "b.zip").exists()


@pytest.mark.parametrize("command", ["analyze", "redact", "bundle"])
def test_a_deeply_nested_har_is_one_error_line(command: str, deep_har: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    argv = {"analyze": ["analyze", str(deep_har)],
            "redact": ["redact", str(deep_har), "-o", str(tmp_path / "r.har")],
            "bundle": ["bundle", "--log", str(deep_har), "-o", str(tmp_path / "b.zip")]}[command]
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert err == (f"Error: {deep_har} is not a valid HAR file: a value nests deeper than can be "
                   "read; export it again from the browser's network panel\n")
    assert not (tmp_path / "r.har").exists() and not (tmp_path / "b.zip").exists()


def test_a_deeply_nested_json_array(deep_array: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InputError, match="nested deeper than can be read"):
        load(deep_array, format="json_array")
    code, _, err = _run(["analyze", str(deep_array)], capsys)
    assert code == 2 and err.startswith("Error: ") and err.count("\n") == 1
    code, _, err = _run(["redact", str(deep_array), "-o", str(tmp_path / "r.json")], capsys)
    assert (code, err) == (2, f"Error: {deep_array} nests JSON deeper than can be read; export "
                              "the file again\n")


def test_bundle_of_a_har_without_entries_is_an_error(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    har = tmp_path / "broken.har"
    har.write_text('{"log": {"version": "1.2", "creator": {"name": "x"}}}')
    code, _, err = _run(["bundle", "--log", str(har), "-o", str(tmp_path / "b.zip")], capsys)
    assert (code, err) == (2, f"Error: {har}: a HAR file needs log.entries; export it again\n")
    assert not (tmp_path / "b.zip").exists()


def test_a_huge_line_is_skipped_unread_in_bounded_memory(tmp_path: Path) -> None:
    """A 64 MiB line (four times MAX_LINE_BYTES) is counted and warned about, never parsed:
    the load's peak memory grows by less than the line, and by the same for a longer one
    (before: about ten times the line)."""
    import subprocess
    import sys

    path = tmp_path / "huge.jsonl"
    with path.open("wb") as out:
        out.write((_ok(0) + "\n").encode())
        out.write(b'{"ts": "2026-03-02T09:00:01Z", "status": 200, "error_message": "')
        for _ in range(64):
            out.write(b"x" * (1 << 20))
        out.write(b'"}\n' + (_ok(2) + "\n").encode())
    script = ("import json, resource, sys\n"
              "import chatkit.logs, pandas, pyarrow.json, numpy\n"
              "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
              "frame = chatkit.logs.load(sys.argv[1])\n"
              "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
              "print(json.dumps({'rows': len(frame), 'attrs': frame.attrs,\n"
              "                  'grew_mb': (peak - base) / 1024}, default=str))\n")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, check=True)
    result = json.loads(done.stdout)
    assert result["rows"] == 2 and result["attrs"]["skipped"] == 1
    assert result["attrs"]["warnings"] == [f"{path}: line 2 is longer than 16 MiB and was "
                                           "skipped unread"]
    assert result["grew_mb"] < 64, result["grew_mb"]  # measured: about 50, for 200 MB as well
