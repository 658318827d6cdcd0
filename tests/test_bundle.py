"""The support bundle: nothing secret inside, excerpts around failures, a repro that reproduces."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
import support
from secret_corpus import build

import chatkit.share.bundle
from chatkit.cli import main
from chatkit.errors import ChatkitError, InputError
from chatkit.share.bundle import build_bundle, load_report, repro_curl, repro_python
from chatkit.share.excerpts import FailureRow
from chatkit.sim import DEFAULT_KEY, SimServer


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture(scope="module")
def corpus() -> Any:
    return build()


def test_corpus_bundle_has_no_planted_secret_in_any_file(corpus: Any, tmp_path: Path) -> None:
    c, har, records, env, report, notes = corpus
    (tmp_path / "session.har").write_text(json.dumps(har))
    (tmp_path / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    out = tmp_path / "bundle.zip"
    result = build_bundle(out, logs=[tmp_path / "session.har", tmp_path / "requests.jsonl"],
                          report=report, notes=notes, environ=env, figures={"f": png},
                          plots=False)
    files = _members(out)
    assert set(files) == {"README.md", "report.json", "report.md", "report.html",
                          "environment.json", "logs/session.excerpt.har",
                          "logs/requests.excerpt.jsonl", "repro/repro.sh", "repro/repro.py",
                          "figures/figure1.png"}
    for name, data in files.items():
        assert c.leaks(data.decode("utf-8", "replace")) == [], name
    assert result.failures > 0 and sum(result.removed.values()) > 300
    readme = files["README.md"].decode()
    assert "## What was removed" in readme and "- authorization:" in readme
    assert "OPENAI_API_KEY" in readme
    excerpt = json.loads(files["logs/session.excerpt.har"])  # a HAR still
    assert excerpt["log"]["entries"] and excerpt["log"]["version"] == "1.2"
    environment = json.loads(files["environment.json"])
    assert {"os", "python", "packages", "proxy", "resolvers"} <= set(environment)


def _rows(n: int, failures: set[int]) -> list[dict[str, Any]]:
    return [{"ts": f"2026-03-02T08:{i // 60:02d}:{i % 60:02d}.000Z", "method": "POST",
             "url": "https://api.openai.com/v1/chat/completions", "model": "gpt-4o",
             "status": 500 if i in failures else 200, "request_id": f"req_{i}",
             "error_type": "server_error" if i in failures else None} for i in range(n)]


def test_excerpts_keep_n_before_and_after_each_failure(tmp_path: Path) -> None:
    log = tmp_path / "big.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in _rows(100, {10, 50, 52})))
    out = tmp_path / "b.zip"
    build_bundle(out, logs=[log], context=2, plots=False)
    lines = _members(out)["logs/big.excerpt.jsonl"].decode().splitlines()
    ids = [json.loads(line)["request_id"] for line in lines]
    assert ids == [f"req_{i}" for i in (8, 9, 10, 11, 12, 48, 49, 50, 51, 52, 53, 54)]
    md = _members(out)["report.md"].decode()
    assert "100 requests read, 3 failed." in md
    assert "| 11 | 2026-03-02T08:00:10.000Z | 500 | req_10 |" in md  # line numbers are 1-based
    page = _members(out)["report.html"].decode()
    assert "<th>request id</th>" in page and "<td>req_10</td>" in page
    assert "<pre><code>curl -sS -i -g" in page


def test_har_excerpt_is_a_har_of_the_entries_around_failures(tmp_path: Path) -> None:
    def entry(i: int) -> dict[str, Any]:
        return {"startedDateTime": f"2026-03-02T08:00:{i:02d}.000Z", "time": 10,
                "pageref": f"page_{i // 10}",
                "request": {"method": "POST", "url": f"https://chatgpt.com/c/{i}?token=t{i}"},
                "response": {"status": 502 if i == 14 else 200,
                             "headers": [{"name": "x-request-id", "value": f"req_{i}"}]},
                "timings": {"wait": i}}
    har = {"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                   "pages": [{"id": f"page_{p}", "title": "t"} for p in range(3)],
                   "entries": [entry(i) for i in range(30)]}}
    (tmp_path / "s.har").write_text(json.dumps(har))
    build_bundle(tmp_path / "b.zip", logs=[tmp_path / "s.har"], context=2, plots=False)
    files = _members(tmp_path / "b.zip")
    log = json.loads(files["logs/s.excerpt.har"])["log"]
    assert [e["timings"]["wait"] for e in log["entries"]] == [12, 13, 14, 15, 16]
    assert [p["id"] for p in log["pages"]] == ["page_1"]
    assert "t14" not in files["logs/s.excerpt.har"].decode()
    assert "| 15 | 2026-03-02T08:00:14.000Z | 502 | req_14 | POST |" in files["report.md"].decode()


def test_log_figures_are_embedded(tmp_path: Path) -> None:
    pytest.importorskip("chatkit.logs.plots", reason="chatkit.logs.plots is absent")
    log = tmp_path / "l.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in _rows(30, {5, 6, 7})))
    result = build_bundle(tmp_path / "b.zip", logs=[log], context=0)
    files = _members(tmp_path / "b.zip")
    pngs = [n for n in result.files if n.startswith("figures/")]
    assert pngs == ["figures/figure1.png", "figures/figure2.png"]
    assert all(files[n].startswith(b"\x89PNG") for n in pngs)
    assert files["report.html"].count(b'src="data:image/png;base64,') == 2
    assert b"![l.jsonl: error rate over time](figures/figure1.png)" in files["report.md"]


def test_max_failures_caps_the_excerpt(tmp_path: Path) -> None:
    log = tmp_path / "all-bad.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in _rows(50, set(range(50)))))
    result = build_bundle(tmp_path / "b.zip", logs=[log], context=1, max_failures=5,
                          plots=False)
    assert result.failures == 5
    md = _members(tmp_path / "b.zip")["report.md"].decode()
    assert "50 failed; the first 5 are excerpted" in md


# --- a failing simulated session --------------------------------------------------------------
def _session(sim: SimServer, log: Path, fault: str) -> list[dict[str, Any]]:
    """Three good requests, then the fault, recorded by chatkit's own RecordingTransport."""
    from chatkit.client import RecordingTransport, RetryPolicy

    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    transport = RecordingTransport(log=log, policy=RetryPolicy(max_retries=0), flavour="httpx")
    with httpx.Client(transport=transport, timeout=5,
                      headers={"Authorization": f"Bearer {DEFAULT_KEY}"}) as client:
        for _ in range(3):
            client.post(f"{sim.base_url}/chat/completions", json=body)
        sim.set_fault(fault)
        for _ in range(2):
            client.post(f"{sim.base_url}/chat/completions", json=body)
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.mark.parametrize("fault", ["503_overloaded", "429_rate_limit", "401_invalid_key",
                                   "500"])
def test_bundle_of_a_failing_session_reproduces_with_curl(tmp_path: Path, fault: str) -> None:
    curl = shutil.which("curl")
    if curl is None:
        support.missing("curl is not installed")
    log = tmp_path / "session.jsonl"
    with SimServer() as sim:
        rows = _session(sim, log, fault)
        failed = rows[3]["status"]
        assert failed >= 400 and all(r["status"] == 200 for r in rows[:3])

        out = tmp_path / "bundle.zip"
        result = build_bundle(out, logs=[log], plots=False)
        files = _members(out)
        script = files["repro/repro.sh"].decode()
        assert "curl " in script and '"Authorization: Bearer $OPENAI_API_KEY"' in script
        assert result.repro is not None and result.repro in files["report.md"].decode()
        for data in files.values():
            assert DEFAULT_KEY.encode() not in data
        assert rows[3]["request_id"] in files["report.md"].decode()

        (tmp_path / "repro.sh").write_bytes(files["repro/repro.sh"])
        env = {"PATH": os.environ.get("PATH", ""), "OPENAI_API_KEY": DEFAULT_KEY}
        run = subprocess.run(["sh", str(tmp_path / "repro.sh")], capture_output=True, text=True,
                             env=env, timeout=30, check=False)
        assert run.returncode == 0, run.stderr
        status_line = run.stdout.splitlines()[0]
        assert status_line.split()[1] == str(failed), status_line

        (tmp_path / "repro.py").write_bytes(files["repro/repro.py"])
        run = subprocess.run([sys.executable, str(tmp_path / "repro.py")], capture_output=True,
                             text=True, env={**env, "PYTHONPATH": ""}, timeout=30, check=False)
        assert run.returncode == 0, run.stderr
        assert run.stdout.split()[0] == str(failed)

        sim.set_fault(None)  # healed: the same repro now succeeds
        run = subprocess.run(["sh", str(tmp_path / "repro.sh")], capture_output=True, text=True,
                             env=env, timeout=30, check=False)
        assert run.stdout.splitlines()[0].split()[1] == "200"


def test_report_only_bundle_repro_targets_the_base_url(tmp_path: Path, corpus: Any) -> None:
    report = corpus[4]
    (tmp_path / "r.json").write_text(report.to_json())
    result = build_bundle(tmp_path / "b.zip", report=load_report(tmp_path / "r.json"))
    assert result.repro is not None and "api.example.com/v1/chat/completions" in result.repro
    assert "repro/repro.sh" not in result.files  # no logged request to replay
    assert corpus[0].leaks(result.repro) == []


@pytest.mark.parametrize("userinfo", ["REDACTED:userinfo", "[REDACTED:userinfo]",
                                      "REDACTED:userinfo:3f9a0c12d4"])
def test_repro_leaves_a_redacted_userinfo_out(userinfo: str) -> None:
    # the marker (today's form, and the bracketed one older logs carry) is no credential
    # to send: curl would send it as a password
    row = FailureRow(1, None, "POST", f"https://{userinfo}@gw.example:8443/v1/chat/completions"
                     "?api-version=1", 500, None, None, model="gpt-4o")
    for script in (repro_curl(row), repro_python(row)):
        assert "REDACTED:userinfo" not in script
        assert "https://gw.example:8443/v1/chat/completions?api-version=1" in script
    assert '"messages"' in repro_curl(row)  # the path was still recognised


# --- failure modes -----------------------------------------------------------------------------
def test_missing_log_is_one_error_and_no_zip(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        build_bundle(tmp_path / "b.zip", logs=[tmp_path / "nope.jsonl"])
    assert list(tmp_path.iterdir()) == []


def test_a_leak_past_redaction_stops_the_bundle(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "x.jsonl"
    log.write_text(json.dumps(_rows(1, {0})[0]) + "\n")
    leaked = "sk-proj-" + "Ab3" * 15
    monkeypatch.setattr(chatkit.share.bundle, "repro_python", lambda row: f"key = {leaked!r}\n")
    with pytest.raises(ChatkitError, match=r"refusing to write the bundle: repro/repro\.py"):
        build_bundle(tmp_path / "b.zip", logs=[log], plots=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.jsonl"]


def test_bad_report_file(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="not a chatkit report"):
        load_report(tmp_path / "r.json")


def test_cli_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "x.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in _rows(10, {4})))
    out = tmp_path / "b.zip"
    assert main(["bundle", "--log", str(log), "--note", "since 9am", "--no-plots",
                 "-o", str(out)]) == 0
    assert f"Wrote {out}" in capsys.readouterr().out
    assert "> since 9am" in _members(out)["report.md"].decode()
    assert main(["bundle", "-o", str(out)]) == 2
    assert capsys.readouterr().err.startswith("Error: give at least one --log")
    assert main(["bundle", "--log", str(tmp_path / "nope"), "-o", str(out)]) == 2


def test_csv_logs_go_through_chatkits_reader(tmp_path: Path) -> None:
    pytest.importorskip("chatkit.logs", reason="chatkit.logs (the CSV reader) is absent")
    rows = ["ts,method,url,status,latency_ms,request_id,model"] + [
        f"2026-03-02T08:00:0{i}Z,POST,https://api.openai.com/v1/chat/completions?key=Zk{i}secret,"
        f"{500 if i == 2 else 200},100,req_{i},gpt-4o" for i in range(5)]
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    result = build_bundle(tmp_path / "b.zip", logs=[tmp_path / "log.csv"], context=1,
                          plots=False)
    files = _members(tmp_path / "b.zip")
    excerpt = [json.loads(line) for line in files["logs/log.excerpt.jsonl"].splitlines()]
    assert [r["request_id"] for r in excerpt] == ["req_1", "req_2", "req_3"]
    assert result.failures == 1
    assert not [n for n, data in files.items() for i in range(5) if f"Zk{i}secret".encode() in data]
