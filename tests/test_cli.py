"""The ``chatkit`` program as a whole: every subcommand turns bad input into one ``Error: ...``
line and exit 2, and ``chatkit sim`` serves until Ctrl-C. Nothing here leaves 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from servers import DNSResponder, closed_port

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


# --- option values: one line in the words of the command line ------------------------------

GROUPS = "dns, tcp, tls, proxy, http, control, status, api, web, sdk"


@pytest.mark.parametrize(("argv", "expected"), [
    (["doctor", "--timeout", "-1"], "Error: --timeout takes seconds > 0, not -1"),
    (["doctor", "--timeout", "0"], "Error: --timeout takes seconds > 0, not 0"),
    (["doctor", "--samples", "0"], "Error: --samples takes a count >= 1, not 0"),
    (["doctor", "--dns-port", "70000"],
     "Error: --dns-port takes a port from 1 to 65535, not 70000"),
    (["doctor", "--only", ""],
     f"Error: --only needs at least one check group; choose from: {GROUPS}"),
    (["doctor", "--only", " , "],
     f"Error: --only needs at least one check group; choose from: {GROUPS}"),
    (["doctor", "--sim", "--only", "dns,nope"],
     f"Error: unknown check group nope; choose from: {GROUPS}"),
    (["doctor", "--proxy", "garbage"], "Error: proxy 'garbage' is not an http(s) URL; give one "
                                       "like http://proxy.example.com:3128"),
    (["doctor", "--ca-bundle", "missing.pem"], "Error: --ca-bundle missing.pem does not exist; "
                                               "give the PEM file of the CA certificates to trust"),
    (["doctor", "--timeout", "soon"],
     "Error: argument --timeout: invalid float value: 'soon'; see chatkit doctor --help"),
    (["analyze"], "Error: give a log file to read, or --sample for the sample log shipped with "
                  "chatkit"),
    (["doctor", "--sim", "--resolver", "garbage"], "Error: resolver 'garbage' is not an IP "
     "address (optionally with :port); give one like 1.1.1.1 or 127.0.0.1:5353"),
    (["doctor", "--sim", "--system-resolver", "10.0.0.1:99999"], "Error: resolver "
     "'10.0.0.1:99999' is not an IP address (optionally with :port); give one like 1.1.1.1 or "
     "127.0.0.1:5353"),
    (["monitor", "--sim", "--timeout", "-1", "-o", "m.jsonl"],
     "Error: --timeout takes seconds > 0, not -1"),
    (["bundle", "--log", "x.jsonl", "--context", "-1", "-o", "x.zip"],
     "Error: --context takes a count of requests >= 0, not -1"),
])
def test_bad_option_values_are_one_error_line(capsys: pytest.CaptureFixture[str],
                                              argv: list[str], expected: str) -> None:
    line = one_error_line(capsys, argv)
    assert line == expected
    assert "Target(" not in line and "=" not in line.replace(">=", "")  # no Python spellings


def test_an_unknown_option_shows_the_usage_of_its_command(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: chatkit doctor [-h]")
    assert err.splitlines()[-1] == "Error: unrecognized arguments: --bogus; see chatkit doctor " \
                                   "--help"
    assert err.count("Error:") == 1


def test_a_log_chatkit_cannot_read_names_the_format_option(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_text("just some words\nnot a log\n")
    assert one_error_line(capsys, ["analyze", str(words)]) == (
        f"Error: {words} is not a log chatkit can read (expected JSONL request log, HAR, CSV, "
        "OpenTelemetry JSON, a LiteLLM export or an openai debug log); force a format with "
        "--format (format= in Python)")


def test_the_sample_log_is_reachable_from_any_directory(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert Path.cwd() == tmp_path  # not the repository
    assert main(["analyze", "--sample", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["requests"] == 3000


# --- verdicts point at the nearest cause --------------------------------------------------------

@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def test_no_internet_never_outranks_a_refused_local_port(
        capsys: pytest.CaptureFixture[str], no_proxy_env: None) -> None:
    # Nothing listens on the target's port, and no control site answers either (they are
    # closed loopback ports here: this machine "has no internet").
    port, control = closed_port(), closed_port()
    code = main(["doctor", "--base-url", f"http://127.0.0.1:{port}/v1", "--provider",
                 "compatible", "--control", f"127.0.0.1:{control}", "--json", "--timeout", "2",
                 "--only", "tcp,control,api"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    control_finding = next(f for f in data["findings"] if f["check"] == "control.reach")
    assert control_finding["status"] == "fail"  # measured and shown, but not the verdict
    assert data["verdict"]["check"] == "tcp.connect"
    assert f"port {port}" in data["verdict"]["cause"]


def test_the_text_report_shows_what_each_resolver_answered(
        capsys: pytest.CaptureFixture[str], no_proxy_env: None) -> None:
    records = {"api.example.com": ["127.0.0.1"]}
    with DNSResponder("ok", records=records) as system, DNSResponder("nxdomain") as public:
        code = main(["doctor", "--base-url", "https://api.example.com/v1", "--only", "dns",
                     "--system-resolver", system.address, "--resolver", public.address,
                     "--timeout", "2", "--color", "never"])
    out = capsys.readouterr().out
    assert code in (0, 1)
    tail = out[out.index("Resolvers asked about api.example.com:"):].splitlines()
    assert tail[1].split() == ["system", system.address, "127.0.0.1"]
    assert tail[2].split() == ["public", public.address, "NXDOMAIN"]


# --- reports given in any form ------------------------------------------------------------------

def test_bundle_and_save_report_take_a_report_its_dict_or_its_file(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from chatkit.share.bundle import build_bundle
    from chatkit.share.report import save_report

    assert main(["doctor", "--sim", "--json"]) == 0
    text = capsys.readouterr().out
    (tmp_path / "report.json").write_text(text)
    data = json.loads(text)
    assert "Verdict" in save_report(tmp_path / "a.md", data).read_text()
    assert "Verdict" in save_report(tmp_path / "b.md", tmp_path / "report.json").read_text()
    assert build_bundle(tmp_path / "c.zip", report=data).files
    assert main(["bundle", "--report", "report.json", "-o", "d.zip"]) == 0


@pytest.mark.parametrize("content", ['{"foo": 1}', '{"log": {"version": "1.2", "entries": []}}',
                                     '[1, 2]', "not json"])
def test_anything_but_a_report_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          content: str) -> None:
    from chatkit.errors import InputError
    from chatkit.share.report import save_report

    other = tmp_path / "other.json"
    other.write_text(content)
    assert one_error_line(capsys, ["bundle", "--report", str(other), "-o", "x.zip"]) == (
        f"Error: {other} is not a chatkit report; write one with "
        "`chatkit doctor --json > report.json`")
    with pytest.raises(InputError, match="is not a chatkit report"):
        save_report(tmp_path / "x.md", other)
    if content.startswith("{"):
        with pytest.raises(InputError, match=r"^the dict given is not a chatkit report"):
            save_report(tmp_path / "x.md", json.loads(content))
    assert not (tmp_path / "x.zip").exists()
