"""chatkit monitor: one row and one live line per probe, against the simulator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import jsonl_rows

from chatkit.cli import main
from chatkit.monitor import format_summary, monitor
from chatkit.sim import DEFAULT_KEY, SimServer
from chatkit.targets import Target

LINE = re.compile(r"^\d\d:\d\d:\d\dZ  #(\d+)\s+(\S+)\s+latency\s+\d+ ms  ttft\s+(\d+ ms|-)  (.*)$")


def test_cli_probes_the_simulator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "probes.jsonl"
    assert main(["monitor", "--sim", "--count", "3", "--every", "0", "-o", str(log)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("probing http://127.0.0.1:") and out[0].endswith(str(log))
    probes = [LINE.match(line) for line in out[1:4]]
    assert all(probes), out
    assert [(m.group(1), m.group(2), m.group(4)) for m in probes if m] == [
        ("1", "200", "ok"), ("2", "200", "ok"), ("3", "200", "ok")]
    assert all(m.group(3) != "-" for m in probes if m)  # streamed: time to first token
    assert re.fullmatch(r"3 probes, 0 failed, latency p50 \d+ ms, p95 \d+ ms", out[4])
    rows = jsonl_rows(log)
    assert len(rows) == 3 and {r["stream"] for r in rows} == {True}
    assert all(r["ttft_ms"] is not None and r["completion_tokens"] for r in rows)
    assert DEFAULT_KEY not in log.read_text()


def test_cli_names_the_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "probes.jsonl"
    code = main(["monitor", "--sim", "--fault", "429_insufficient_quota", "--count", "2",
                 "--every", "0", "--no-stream", "-o", str(log)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert [LINE.match(line).group(4) for line in out[1:3]] == [  # type: ignore[union-attr]
        "FAIL quota exhausted (billing)"] * 2
    assert out[3] == "2 probes, 2 failed"
    assert [r["error_code"] for r in jsonl_rows(log)] == ["insufficient_quota"] * 2


def test_rate_limit_line_says_how_long_to_wait(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    main(["monitor", "--sim", "--fault", "429_rate_limit", "--count", "1", "--every", "0",
          "-o", str(tmp_path / "l.jsonl")])
    out = capsys.readouterr().out
    assert "FAIL rate limit reached (wait 1s (as the error message says))" in out


def test_keyless_probe_counts_401_as_reachable(tmp_path: Path) -> None:
    with SimServer() as sim:
        probes = list(monitor(Target(sim.base_url, provider="compatible"),
                              log_path=str(tmp_path / "l.jsonl"), every=0, count=2, environ={}))
    assert [p.row["status"] for p in probes] == [401, 401]
    assert all(p.ok for p in probes) and probes[0].row["endpoint"] == "/v1/models"


def test_probes_keep_their_schedule(tmp_path: Path) -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    with SimServer() as sim:
        probes = list(monitor(Target(sim.base_url, provider="compatible"),
                              log_path=str(tmp_path / "l.jsonl"), every=10, count=3,
                              environ={"OPENAI_API_KEY": DEFAULT_KEY}, sleep=sleep,
                              clock=lambda: now[0]))
    assert slept == [10.0, 10.0] and len(probes) == 3
    assert format_summary(probes).startswith("3 probes, 0 failed, latency p50 ")


def test_nothing_listening(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with SimServer() as sim:
        url = sim.base_url
    code = main(["monitor", "--base-url", url, "--count", "1", "--every", "0",
                 "-o", str(tmp_path / "l.jsonl")])
    assert code == 1
    assert "ConnectError" in capsys.readouterr().out
    assert jsonl_rows(tmp_path / "l.jsonl")[0]["exception"] == "ConnectError"


@pytest.mark.parametrize(("argv", "message"), [
    (["--fault", "500", "--count", "1"], "Error: --fault needs --sim"),
    (["--sim", "--count", "0"], "Error: --every must be >= 0 and --count >= 1"),
])
def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                      message: str) -> None:
    assert main(["monitor", *argv, "-o", str(tmp_path / "l.jsonl")]) == 2
    assert capsys.readouterr().err.splitlines()[0].startswith(message)


@pytest.mark.parametrize(("key", "problem"), [
    ("sk-sim–chatkit",
     "the key has non-ASCII characters (copied with a typographic dash or space?)"),
    ("sk-sim-chatkit\n", "the key has surrounding whitespace or a newline"),
])
def test_a_key_no_client_can_send_is_named_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch, key: str,
                                                problem: str) -> None:
    log = tmp_path / "probes.jsonl"
    with SimServer() as sim:
        monkeypatch.setenv("OPENAI_API_KEY", key)
        code = main(["monitor", "--base-url", sim.base_url, "--count", "3", "--every", "0",
                     "-o", str(log)])
    captured = capsys.readouterr()
    assert code == 1 and captured.err == ""
    out = captured.out.splitlines()
    assert len(out) == 3 and out[2] == "1 probes, 1 failed"
    assert out[1].endswith(f"FAIL headers.Authorization: {problem}")
    assert not log.exists()  # nothing was sent


@pytest.mark.parametrize("stream", [True, False])
def test_probes_through_the_responses_api(tmp_path: Path, stream: bool) -> None:
    log = tmp_path / "probes.jsonl"
    with SimServer() as sim:
        probes = list(monitor(Target(sim.base_url, provider="compatible"), log_path=str(log),
                              every=0, count=2, stream=stream, api="responses",
                              environ={"OPENAI_API_KEY": DEFAULT_KEY}))
    assert all(p.ok for p in probes), [p.finding for p in probes]
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["endpoint"] for r in rows] == ["/v1/responses"] * 2
    assert all(r["completion_tokens"] for r in rows)
    assert all((r["ttft_ms"] is not None) == stream for r in rows)
