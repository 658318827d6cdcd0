"""The ``chatkit`` program as a whole: every subcommand turns bad input into one ``Error: ...``
line and exit 2, and ``chatkit sim`` serves until Ctrl-C. Nothing here leaves 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from chatkit.cli import main
from chatkit.sim import DEFAULT_KEY

SAMPLE = Path(__file__).parents[1] / "chatkit" / "data" / "sample_requests.jsonl"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths (the unused -o arguments) land in the test's own folder."""
    monkeypatch.chdir(tmp_path)


def one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run ``chatkit argv``; assert exit 2 and a single ``Error:`` line; return that line."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    return err.rstrip("\n")


@pytest.mark.parametrize(("argv", "expected"), [
    (["doctor", "--base-url", "notaurl"],
     "Error: base URL 'notaurl' is not an http(s) URL; give one like https://api.openai.com/v1"),
    (["doctor", "--base-url", "http://127.0.0.1:9/v1", "--provider", "nope"],
     "Error: unknown provider 'nope'; choose one of: anthropic, azure, chatgpt-web, cometapi, "
     "compatible, deepseek, fireworks, gemini, groq, litellm, lmstudio, mistral, ollama, openai, "
     "openrouter, perplexity, together, vllm, xai"),
    (["doctor", "--sim", "--sim-status", "bogus"],
     "Error: unknown status state 'bogus'; use one of: operational, degraded, major_outage, "
     "maintenance"),
    (["doctor", "--sim", "--sim-fault", "slow:abc"],
     "Error: fault 'slow' takes milliseconds >= 0, not 'abc'; e.g. slow:2000"),
    (["sim", "--fault", "flaky:2"],
     "Error: fault 'flaky' takes a rate between 0 and 1, not '2'; e.g. flaky:0.3"),
    (["monitor", "--base-url", "ftp://127.0.0.1/v1", "--count", "1", "-o", "unused.jsonl"],
     "Error: base URL 'ftp://127.0.0.1/v1' is not an http(s) URL; give one like "
     "https://api.openai.com/v1"),
])
def test_bad_input_is_one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str],
                                     expected: str) -> None:
    assert one_error_line(capsys, argv) == expected


def test_unknown_fault_names_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["sim", "--fault", "gremlins"], ["doctor", "--sim", "--sim-fault", "gremlins"],
                 ["monitor", "--sim", "--fault", "gremlins", "-o", "unused.jsonl"]):
        line = one_error_line(capsys, argv)
        assert line.startswith("Error: unknown fault 'gremlins'; choose one of: slow, ")


def test_missing_files_are_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    out = str(tmp_path / "out")
    exists = f"Error: {missing} does not exist; check the path"
    assert one_error_line(capsys, ["redact", str(missing), "-o", out]) == exists
    assert one_error_line(capsys, ["redact", str(missing), "--check"]) == exists
    assert one_error_line(capsys, ["bundle", "--report", str(missing), "-o", out]) == exists
    assert one_error_line(capsys, ["analyze", str(missing)]) == (
        f"Error: {missing}: no such file; check the path")


def test_unwritable_output_paths_are_one_line(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    # Where a library function does not check the output path itself, the OSError it meets
    # still becomes one line.
    line = one_error_line(capsys, ["analyze", str(SAMPLE), "--plots", str(blocker / "plots")])
    assert line.startswith(f"Error: {blocker / 'plots'}: ")
    assert line.endswith("; check the path and its permissions")
    line = one_error_line(capsys, ["monitor", "--sim", "--count", "1", "--every", "0",
                                   "-o", str(blocker / "sub" / "log.jsonl")])
    assert line.startswith(f"Error: {blocker / 'sub'}: ")
    assert one_error_line(capsys, ["redact", str(SAMPLE), "-o", str(tmp_path / "no" / "x")]) == (
        f"Error: output directory {tmp_path / 'no'} does not exist; create it first")


def test_sim_on_a_taken_or_impossible_port(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_error_line(capsys, ["sim", "--port", str(port)])
    assert line.startswith(f"Error: cannot listen on 127.0.0.1:{port} (")
    assert line.endswith("); choose another --port or leave it out for a free one")
    line = one_error_line(capsys, ["sim", "--port", "70000"])
    assert line.startswith("Error: cannot listen on 127.0.0.1:70000 (")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX signals")
def test_sim_prints_its_url_first_serves_and_stops_on_ctrl_c() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "chatkit", "sim", "--fault", "503_overloaded"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()  # the first line, printed once it listens
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        answer = httpx.get(f"{base_url}/models", headers={"Authorization": f"Bearer {DEFAULT_KEY}"},
                           timeout=5)
        assert answer.status_code == 503
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
