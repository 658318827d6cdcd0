"""Every ``chatkit`` command in the README's shell blocks, run from a folder outside the
repository (a temporary one), in the README's order.

A command that would reach the internet (the real API, public resolvers, a provider's status
page) runs with the fewest changes that keep it on 127.0.0.1: the simulator stands in for the
service, local DNS responders for the public resolvers, the simulator's status page for the
provider's. The files a command reads (``requests.jsonl``, ``session.har``, ...) are put there
first, as a user would have them. A README command this table does not know fails the test,
so the README and this test stay in step.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from servers import DNSResponder

from chatkit.cli import main
from chatkit.sim import SimServer

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SAMPLE = REPO / "chatkit" / "data" / "sample_requests.jsonl"
DATA = Path(__file__).resolve().parent / "data"
SCRUBBED = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
            "http_proxy", "https_proxy", "all_proxy", "SSL_CERT_FILE")

# README command -> what is added to (or replaced in) it to stay on 127.0.0.1. ``{sim}``,
# ``{status}``, ``{dns_system}``, ``{dns_public}`` are filled in by the test. "run" means
# exactly as written.
RUN = "run"
OFFLINE = "--sim"  # the simulator instead of api.openai.com
HOW: dict[str, str] = {
    "chatkit doctor --sim": RUN,
    "chatkit doctor": OFFLINE,
    "chatkit doctor --base-url http://localhost:4000/v1 --provider compatible":
        "--local-only --system-resolver {dns_system} --timeout 2",
    "chatkit doctor --json": OFFLINE,
    "chatkit sim": RUN,
    "chatkit sim --fault 429_insufficient_quota": RUN,
    "chatkit doctor --resolver 9.9.9.9 --resolver 127.0.0.1:5353":
        "replace 9.9.9.9={dns_public} 127.0.0.1:5353={dns_public}; add --base-url "
        "https://api.example.com/v1 --only dns --system-resolver {dns_system}",
    "chatkit doctor --local-only": OFFLINE,
    "chatkit doctor --sim --sim-fault 429_insufficient_quota": RUN,
    "chatkit doctor --sim --sim-status major_outage": RUN,
    "chatkit doctor --sim --api responses --sim-fault response_failed": RUN,
    "chatkit doctor --provider chatgpt-web": OFFLINE,
    "chatkit doctor --only web": OFFLINE,
    "chatkit scan ./my-app": RUN,
    "chatkit scan ./my-app --json": RUN,
    "chatkit doctor --label \"office Wi-Fi\" --json > office.json": OFFLINE,
    "chatkit doctor --label \"phone hotspot\" --json > hotspot.json":
        "--sim --sim-fault 429_insufficient_quota",
    "chatkit compare office.json hotspot.json": RUN,
    "chatkit monitor --every 30 -o probes.jsonl": "--sim --count 1 --every 0",
    "chatkit monitor --sim --fault flaky:0.3 --every 1 --count 20 -o demo.jsonl":
        "--count 3 --every 0",
    "chatkit analyze --sample": RUN,
    "chatkit analyze requests.jsonl": RUN,
    "chatkit convert requests.jsonl -o requests.parquet": RUN,
    "chatkit analyze requests.parquet --engine duckdb --json": RUN,
    "chatkit analyze session.har --plots plots/": RUN,
    "chatkit analyze export.csv --map \"Took (ms)=latency_ms\" --map When=ts --map Code=status "
    "--json": RUN,
    "chatkit doctor --sim --persona anthropic --sim-fault 503_overloaded": RUN,
    "chatkit doctor --base-url https://openrouter.ai/api/v1": OFFLINE,
    "chatkit sim --persona openrouter --fault 429_insufficient_quota": RUN,
    "chatkit analyze requests.jsonl --provider-incidents": "--status-page {status}",
    "chatkit analyze gateway.jsonl --status-page https://status.claude.com --plots plots/":
        "replace https://status.claude.com={status}",
    "chatkit redact session.har -o session.redacted.har": RUN,
    "chatkit redact session.redacted.har --check": RUN,
    "chatkit redact debug.log -o debug.clean.log --format text": RUN,
    "chatkit redact chat.har -o chat.redacted.har --drop-content": RUN,
    "chatkit redact session.har -o shared.har --pii": RUN,
    "chatkit doctor --json > report.json": OFFLINE,
    "chatkit bundle --log requests.jsonl --report report.json -o bundle.zip": RUN,
}


def readme_commands() -> list[str]:
    """The ``chatkit`` commands of the README's shell blocks, comments dropped, in order."""
    commands: list[str] = []
    fence: str | None = None  # the language of the block we are in
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fence = line.strip("`").strip() if fence is None else None
            continue
        if fence not in ("bash", "sh", ""):
            continue
        code = line.split("  #")[0].split(" # ")[0].strip()
        for part in code.split("&&"):
            part = " ".join(part.split())
            if part.startswith("chatkit "):
                commands.append(part)
    return commands


def _planned(command: str, fill: dict[str, str]) -> tuple[list[str], str | None]:
    """The argv (without ``chatkit``) a README command runs as here, and the file its
    output is redirected to."""
    how = HOW[command].format(**fill)
    text, _, redirect = command.partition(" > ")
    argv = shlex.split(text)[1:]
    if how.startswith("replace "):
        swaps, _, extra = how.removeprefix("replace ").partition("; add ")
        for swap in swaps.split():
            old, _, new = swap.partition("=")
            argv = [new if a == old else a for a in argv]
        argv += shlex.split(extra)
    elif how != RUN:
        argv += shlex.split(how)
    return argv, redirect.strip() or None


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder outside the repository holding the files the README's commands read."""
    for name in SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("COLUMNS", "100")
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "requests.jsonl").write_text("".join(lines[:300]), encoding="utf-8")
    (tmp_path / "gateway.jsonl").write_text("".join(lines[300:600]), encoding="utf-8")
    shutil.copy(DATA / "har_chrome.har", tmp_path / "session.har")
    shutil.copy(DATA / "har_firefox.har", tmp_path / "chat.har")
    (tmp_path / "export.csv").write_text(
        "When,Took (ms),Code,model\n"
        "2026-03-02T08:00:01Z,812,200,gpt-4o-mini\n"
        "2026-03-02T08:00:03Z,95,429,gpt-4o-mini\n"
        "2026-03-02T08:00:09Z,1304,200,gpt-4o\n", encoding="utf-8")
    (tmp_path / "debug.log").write_text(
        "DEBUG:openai._base_client:Request options: {'headers': {'Authorization': "
        "'Bearer sk-proj-READMEtestKEY0123456789abcdefghij'}}\n", encoding="utf-8")
    app = tmp_path / "my-app"
    app.mkdir()
    (app / "ask.py").write_text(
        "import openai\n\nanswer = openai.ChatCompletion.create(model='gpt-3.5-turbo', "
        "messages=[{'role': 'user', 'content': 'hi'}])\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert not tmp_path.is_relative_to(REPO)
    yield tmp_path


def _serve_until_ctrl_c(argv: list[str], cwd: Path) -> tuple[int, str]:
    """``chatkit sim ...``: its first line; Ctrl-C once it serves."""
    proc = subprocess.Popen([sys.executable, "-m", "chatkit", *argv], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        while "Ctrl-C" not in (said := proc.stdout.readline()) and said:
            pass  # the rest of its banner
        # it answers (and so is serving, past the banner) before it is stopped
        httpx.get(first.strip() + "/models", timeout=10)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=20)
        return code, first + (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_the_readme_and_this_test_know_the_same_commands() -> None:
    commands = readme_commands()
    assert len(commands) == len(set(commands)), "a command is in the README twice"
    assert set(commands) == set(HOW)


@pytest.mark.skipif(sys.platform == "win32", reason="chatkit sim is stopped with SIGINT")
def test_every_readme_command_works_from_another_folder(
        elsewhere: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problems: list[str] = []
    with SimServer() as status_sim, DNSResponder(
            "ok", records={"api.example.com": ["127.0.0.1"], "localhost": ["127.0.0.1"]}
    ) as system, DNSResponder("ok", records={"api.example.com": ["127.0.0.1"]}) as public:
        fill = {"status": status_sim.root_url, "dns_system": system.address,
                "dns_public": public.address}
        for command in readme_commands():
            if command not in HOW:
                problems.append(f"{command}: new in the README; add to HOW how it runs here")
                continue
            argv, redirect = _planned(command, fill)
            if argv[0] == "sim":
                code, out = _serve_until_ctrl_c(argv, elsewhere)
                if code != 0 or not out.startswith("http://127.0.0.1:"):
                    problems.append(f"{command}: exit {code}, {out[:200]!r}")
                continue
            code = main(argv)
            out, err = capsys.readouterr()
            if redirect:
                (elsewhere / redirect).write_text(out, encoding="utf-8")
            if code not in (0, 1) or "Traceback" in err or not out.strip():
                problems.append(f"{command} (as {' '.join(argv)}): exit {code}\n{err[-600:]}")
    assert problems == []
    # what the commands made is there and reads as promised
    assert json.loads((elsewhere / "report.json").read_text())["findings"]
    assert (elsewhere / "bundle.zip").stat().st_size > 0
    assert "READMEtestKEY" not in (elsewhere / "debug.clean.log").read_text()
    assert list((elsewhere / "plots").glob("*.png"))
