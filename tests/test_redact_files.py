"""Redacting files and objects: the planted-secret corpus, HAR validity, bad input, atomicity."""

from __future__ import annotations

import base64
import json
import re
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from secret_corpus import SHAPED, build

import chatkit
import chatkit.redaction.harstream
from chatkit.cli import main
from chatkit.errors import InputError, UsageError
from chatkit.findings import Report
from chatkit.redaction.files import RedactionResult, detect_format, find_secrets, redact_file
from chatkit.redaction.scrub import Redactor

MARKER = re.compile(r"\[REDACTED:[a-z0-9_.\-]+(?::[0-9a-f]{10})?\]")


@pytest.fixture(scope="module")
def corpus() -> Any:
    return build()


@pytest.fixture
def har_path(tmp_path: Path, corpus: Any) -> Path:
    path = tmp_path / "session.har"
    path.write_text(json.dumps(corpus[1], indent=2), encoding="utf-8")
    return path


@pytest.fixture
def jsonl_path(tmp_path: Path, corpus: Any) -> Path:
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in corpus[2]), encoding="utf-8")
    return path


def test_corpus_is_broad(corpus: Any) -> None:
    c = corpus[0]
    assert set(SHAPED) <= c.kinds
    assert len(c.planted) >= 500
    places = {p.place for p in c.planted}
    assert {"request-header", "url-query", "url-fragment", "url-userinfo", "json-body-deep",
            "form-body", "har-cookie", "response-text", "response-base64", "env",
            "initiator-url", "websocket", "note"} <= places


def test_planted_secrets_exist_in_the_inputs(corpus: Any) -> None:
    # the search must be able to fail: every planted value is in some input as written
    c, har, records, env, report, notes = corpus
    raw = json.dumps(har) + json.dumps(records) + json.dumps(env) + report.to_json() + \
        json.dumps(notes)
    raw += "".join(base64.b64decode(e["_base64_response"]["text"]).decode()
                   for e in har["log"]["entries"][: len(SHAPED)])
    missing = [p for p in c.planted if not any(n in raw for n in p.needles())]
    assert missing == []


def test_redacted_har_has_no_planted_secret(corpus: Any, har_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "clean.har"
    result = redact_file(har_path, out)
    text = out.read_text(encoding="utf-8")
    assert corpus[0].leaks(text) == []
    assert result.format == "har" and result.records == len(corpus[1]["log"]["entries"])
    assert result.removed > 300
    assert find_secrets(text) == {}


def test_redacted_jsonl_has_no_planted_secret(corpus: Any, jsonl_path: Path,
                                              tmp_path: Path) -> None:
    out = tmp_path / "clean.jsonl"
    result = redact_file(jsonl_path, out)
    text = out.read_text(encoding="utf-8")
    assert corpus[0].leaks(text) == []
    assert result.format == "jsonl" and result.records == len(corpus[2]) and result.dropped == 0
    rows = [json.loads(line) for line in text.splitlines()]
    original = corpus[2]
    for row, before in zip(rows, original, strict=True):
        for key in ("ts", "status", "latency_ms", "request_id", "endpoint", "host", "model"):
            assert row[key] == before[key]


def test_environment_snapshot_and_report(corpus: Any) -> None:
    c, _, _, env, report, notes = corpus
    clean_env = chatkit.redact(env)
    assert c.leaks(json.dumps(clean_env)) == []
    assert clean_env["PATH"] == "/usr/bin:/bin"
    assert clean_env["HTTPS_PROXY"].startswith("http://REDACTED:userinfo@proxy.corp:3128")
    clean = chatkit.redact(report)
    assert isinstance(clean, Report)
    for text in (clean.to_json(), clean.to_markdown(), clean.to_html()):
        assert c.leaks(text) == []
    assert clean.target["key"] == "sk-...abcd"  # the masked form is the shareable form
    assert [f.check for f in clean.findings] == [f.check for f in report.findings]
    assert c.leaks(chatkit.redact("\n".join(notes))) == []


def test_har_stays_valid_har(corpus: Any, har_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "clean.har"
    redact_file(har_path, out)
    before = corpus[1]["log"]
    after = json.loads(out.read_text(encoding="utf-8"))["log"]
    assert after["version"] == "1.2" and after["creator"] == before["creator"]
    assert after["_chatkit_redacted"]["removed"]
    assert len(after["entries"]) == len(before["entries"])
    for a, b in zip(after["entries"], before["entries"], strict=True):
        assert a["timings"] == b["timings"] and a["time"] == b["time"]
        assert a["startedDateTime"] == b["startedDateTime"]
        assert a["response"]["status"] == b["response"]["status"]
        assert a["response"]["content"]["size"] == b["response"]["content"]["size"]
        assert a["response"]["_transferSize"] == b["response"]["_transferSize"]
        assert a["request"]["method"] == b["request"]["method"]
        assert a["serverIPAddress"] == b["serverIPAddress"]
        assert set(a) == set(b) and set(a["request"]) - {"_cookieBytes"} == set(b["request"])
        # host kept; headers stay a list of name/value objects with their names
        assert a["request"]["url"].split("/")[2].split("@")[-1] == \
            b["request"]["url"].split("/")[2].split("@")[-1]
        assert [h["name"] for h in a["request"]["headers"]] == \
            [h["name"] for h in b["request"]["headers"]]
        json.loads(a["request"]["postData"]["text"])  # JSON bodies stay JSON


def test_redacted_har_loads_in_chatkits_reader(har_path: Path, tmp_path: Path) -> None:
    logs = pytest.importorskip("chatkit.logs", reason="chatkit.logs (the HAR reader) is absent")
    out = tmp_path / "clean.har"
    redact_file(har_path, out)
    before, after = logs.load([str(har_path)]), logs.load([str(out)])
    assert len(after) == len(before)
    for column in ("status", "latency_ms", "dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "ts"):
        assert after[column].equals(before[column]), column


def test_paths_and_ordinary_values_are_untouched(tmp_path: Path) -> None:
    har = {"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": [{
        "startedDateTime": "2026-03-02T08:00:00Z", "time": 5,
        "request": {"method": "GET", "url": "https://api.openai.com/v1/models?limit=5",
                    "headers": [{"name": "accept", "value": "application/json"}],
                    "queryString": [{"name": "limit", "value": "5"}], "cookies": [],
                    "headersSize": -1, "bodySize": 0, "httpVersion": "h2"},
        "response": {"status": 200, "statusText": "OK", "headers": [], "cookies": [],
                     "content": {"size": 11, "mimeType": "application/json",
                                 "text": "{\"data\": []}"},
                     "redirectURL": "", "headersSize": -1, "bodySize": 11, "httpVersion": "h2"},
        "cache": {}, "timings": {"send": 1, "wait": 3, "receive": 1}}]}}
    src = tmp_path / "plain.har"
    src.write_text(json.dumps(har))
    result = redact_file(src, tmp_path / "out.har")
    after = json.loads((tmp_path / "out.har").read_text())
    after["log"].pop("_chatkit_redacted")
    assert after == har and result.removed == 0
    assert "Nothing secret was found." in result.describe()


def test_correlated_markers_follow_one_session(tmp_path: Path) -> None:
    rows = [{"url": "https://h/x?session=AAAA1111bC9dE7fQ", "n": 1},
            {"url": "https://h/x?session=BBBB2222xY4zW8kP", "n": 2},
            {"url": "https://h/x?session=AAAA1111bC9dE7fQ", "n": 3}]
    src = tmp_path / "a.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    redact_file(src, tmp_path / "b.jsonl", hash_key=b"k" * 32)
    urls = [json.loads(line)["url"] for line in (tmp_path / "b.jsonl").read_text().splitlines()]
    assert urls[0] == urls[2] != urls[1]
    assert "AAAA1111" not in "".join(urls) and MARKER.search(urls[0])


def test_redacting_twice_changes_nothing_more(har_path: Path, tmp_path: Path) -> None:
    once, twice = tmp_path / "1.har", tmp_path / "2.har"
    redact_file(har_path, once)
    result = redact_file(once, twice)
    assert result.counts == {}
    assert json.loads(once.read_text())["log"]["entries"] == \
        json.loads(twice.read_text())["log"]["entries"]


# --- bad input -------------------------------------------------------------------------------
def _only(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir())


def test_truncated_har_is_one_error_and_leaves_no_output(har_path: Path, tmp_path: Path) -> None:
    data = har_path.read_bytes()
    har_path.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out.har"
    out.write_text("previous complete output")
    with pytest.raises(InputError, match=r"truncated"):
        redact_file(har_path, out)
    assert out.read_text() == "previous complete output"  # never replaced by a partial file
    assert _only(tmp_path) == ["out.har", "session.har"]


@pytest.mark.parametrize(("content", "message"), [
    (b"\x00\x01\x02binary\xff\xfe" * 100, "binary"),
    (b"\xff\xfe\xfd not utf-8 at all " * 10, "not UTF-8"),
    (b"", "empty"),
    (b"hello, world\n", "neither JSON Lines nor a HAR"),
    (b"{not json\n{also not\n", "no JSON records"),
    (b'{"log": {"pages": []}}', "no log.entries"),
])
def test_bad_input_is_one_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    src = tmp_path / ("in.har" if b"log" in content else "in.jsonl")
    src.write_bytes(content)
    with pytest.raises(InputError, match=message):
        redact_file(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert _only(tmp_path) == [src.name]


def test_jsonl_bad_lines_are_left_out_and_counted(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"a": 1}\n{"api_key": "k3y-torn-li\n{"b": 2}\n')
    result = redact_file(src, tmp_path / "out.jsonl")
    assert (result.records, result.dropped) == (2, 1)
    assert "k3y-torn-li" not in (tmp_path / "out.jsonl").read_text()
    assert "Left out 1 line" in result.describe()


def test_document_size_policy(tmp_path: Path) -> None:
    src = tmp_path / "doc.json"
    src.write_text(json.dumps({"rows": [{"token": "tok_" + "x9Q" * 16}] * 100}, indent=1))
    with pytest.raises(InputError, match="limit is"):
        redact_file(src, tmp_path / "out.json", max_document_bytes=1000)
    assert not (tmp_path / "out.json").exists()
    assert redact_file(src, tmp_path / "out.json").counts == {"token": 100}


def test_har_is_streamed_whatever_the_chunk_boundaries(har_path: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    expected = Redactor().obj(json.loads(har_path.read_text()))["log"]
    monkeypatch.setattr(chatkit.redaction.harstream, "_CHUNK", 7)  # a value split at every position
    redact_file(har_path, tmp_path / "out.har")
    got = json.loads((tmp_path / "out.har").read_text())["log"]
    got.pop("_chatkit_redacted")
    for entry in got["entries"]:  # the cookies' size before redaction, kept for analysis
        entry["request"].pop("_cookieBytes", None)
    assert got == expected


def test_har_memory_is_bounded_by_an_entry_not_the_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chatkit.redaction.harstream, "_CHUNK", 64 * 1024)
    entry = {"startedDateTime": "2026-03-02T08:00:00Z", "time": 1,
             "request": {"method": "GET", "url": "https://h/x?token=k8Jq2ZpW0x", "headers": []},
             "response": {"status": 200, "content": {"mimeType": "text/plain",
                                                     "text": "y" * 5_000}},
             "timings": {"wait": 1}}
    src = tmp_path / "big.har"
    with src.open("w") as out:  # ~5 MB
        out.write('{"log": {"version": "1.2", "entries": [')
        out.write(",".join(json.dumps(entry) for _ in range(1000)))
        out.write('], "comment": "after"}}')
    tracemalloc.start()
    try:
        result = redact_file(src, tmp_path / "out.har")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.records == 1000 and result.counts == {"token": 1000}
    # parsing it whole would need several times the file; streaming needs a few buffers
    assert peak < src.stat().st_size / 10, peak
    log = json.loads((tmp_path / "out.har").read_text())["log"]
    assert list(log) == ["version", "entries", "comment", "_chatkit_redacted"]


@pytest.mark.parametrize(("text", "message"), [
    ('{"log": {"entries": [{"a": 1} {"b": 2}]}}', "expected ','"),
    ('{"log": {"entries": [{"a": 1}]}} trailing', "text after the end"),
    ('{"other": 1}', "no log object"),
    ('{"log": {"entries": [{"a": tru}]}}', "Expecting"),
])
def test_har_stream_errors(tmp_path: Path, text: str, message: str) -> None:
    src = tmp_path / "x.har"
    src.write_text(text)
    with pytest.raises(InputError, match=message):
        redact_file(src, tmp_path / "out.har")
    assert not (tmp_path / "out.har").exists()


def test_missing_file_directory_and_output_dir(tmp_path: Path, jsonl_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        redact_file(tmp_path / "nope.har", tmp_path / "o")
    with pytest.raises(InputError, match="directory"):
        detect_format(tmp_path)
    with pytest.raises(UsageError, match="does not exist"):
        redact_file(jsonl_path, tmp_path / "no" / "such" / "dir.jsonl")


def test_front_door_types(tmp_path: Path, jsonl_path: Path) -> None:
    result = chatkit.redact(jsonl_path)
    assert isinstance(result, RedactionResult)
    assert Path(result.output).name == "requests.redacted.jsonl"
    assert chatkit.redact(str(jsonl_path), tmp_path / "x.jsonl").records > 0
    assert chatkit.redact(5) == 5 and chatkit.redact(None) is None
    with pytest.raises(UsageError):
        chatkit.redact(object())
    with pytest.raises(UsageError):
        chatkit.redact({"a": 1}, tmp_path / "x")
    assert chatkit.redact_url is not None and callable(chatkit.redact)


# --- the command -----------------------------------------------------------------------------
def test_cli_redact_prints_kinds_and_counts(corpus: Any, har_path: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "clean.har"
    assert main(["redact", str(har_path), "-o", str(out), "--correlate"]) == 0
    printed = capsys.readouterr().out
    assert f"Wrote {out} (har, {len(corpus[1]['log']['entries'])} entries)" in printed
    counts = dict(re.findall(r"^\s+([a-z0-9_.\-]+)\s+(\d+)$", printed, re.M))
    assert int(counts["authorization"]) >= 1 and int(counts["cookie"]) >= 1
    assert int(counts["openai-key"]) >= 5 and "private-key" in counts
    assert corpus[0].leaks(out.read_text()) == [] and corpus[0].leaks(printed) == []


def test_cli_redact_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "junk.har"
    src.write_bytes(b'{"log": {"entries": [')
    assert main(["redact", str(src), "-o", str(tmp_path / "o.har")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o.har").exists()


def test_redactor_counts_are_per_instance() -> None:
    red = Redactor()
    red.obj({"password": "a", "nested": {"token": "k8Jq2ZpW0x"}, "logprob": {"token": "Hello"}})
    assert dict(red.counts) == {"password": 1, "token": 1}
    assert dict(Redactor().counts) == {}


def test_plain_text_logs_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = "sk-proj-" + "Qw9" * 16
    src = tmp_path / "debug.log"
    src.write_text(f"DEBUG Request options: {{'api_key': 'opaque-value-1'}}\n"
                   f"INFO HTTP Request: POST https://h/v1?key=k3yQ81xZ \"HTTP/1.1 401\"\n"
                   f"ERROR Incorrect API key provided: {key}\nplain line\n")
    with pytest.raises(InputError, match="--format text"):
        redact_file(src, tmp_path / "out.log")
    assert main(["redact", str(src), "-o", str(tmp_path / "out.log"), "--format", "text"]) == 0
    out = (tmp_path / "out.log").read_text()
    assert "opaque-value-1" not in out and "k3yQ81xZ" not in out and key not in out
    assert out.splitlines()[3] == "plain line" and len(out.splitlines()) == 4
    assert "(text, 4 lines)" in capsys.readouterr().out


def test_check_says_what_is_left(har_path: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["redact", str(har_path), "--check"]) == 1
    printed = capsys.readouterr().out
    assert printed.startswith(f"Checked {har_path} (har,") and "Holds " in printed
    clean = tmp_path / "clean.har"
    assert main(["redact", str(har_path), "-o", str(clean)]) == 0
    capsys.readouterr()
    assert main(["redact", str(clean), "--check"]) == 0
    assert "Nothing secret was found." in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.har", "session.har"]
    assert main(["redact", str(har_path)]) == 2  # neither -o nor --check


def test_unwritable_output_is_one_clear_error(jsonl_path: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(UsageError, match=r"cannot write in .*Permission denied"):
        redact_file(jsonl_path, tmp_path / "out.jsonl")


def test_disk_full_while_writing_leaves_nothing(jsonl_path: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(UsageError, match="No space left"):
        redact_file(jsonl_path, tmp_path / "out.jsonl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requests.jsonl"]


def test_a_loaded_log_frame(corpus: Any, jsonl_path: Path) -> None:
    logs = pytest.importorskip("chatkit.logs", reason="chatkit.logs is absent")
    frame = logs.load([str(jsonl_path)])
    clean = chatkit.redact(frame)
    assert corpus[0].leaks(clean.to_csv()) == []
    assert clean["status"].equals(frame["status"]) and clean["ts"].equals(frame["ts"])
    assert clean["request_id"].equals(frame["request_id"])
    assert corpus[0].leaks(frame.to_csv())  # the input did hold them


def test_drop_content_keeps_the_failure_not_the_conversation(tmp_path: Path) -> None:
    prompt, answer = "my private business plan", "here is a summary of your plan"
    sse = (f'data: {{"choices": [{{"delta": {{"content": "{answer}"}}}}]}}\n\n'
           "data: [DONE]\n\n")
    entries = [
        {"startedDateTime": "2026-03-02T08:00:00Z", "time": 5,
         "request": {"method": "POST", "url": "https://chatgpt.com/backend-api/conversation",
                     "postData": {"mimeType": "application/json", "text": json.dumps(
                         {"messages": [{"author": {"role": "user"}, "content": {
                             "content_type": "text", "parts": [prompt]}}]})}},
         "response": {"status": 200, "content": {"size": len(sse),
                                                 "mimeType": "text/event-stream", "text": sse}},
         "timings": {"wait": 4}},
        {"startedDateTime": "2026-03-02T08:00:01Z", "time": 5,
         "request": {"method": "POST", "url": "https://api.openai.com/v1/chat/completions",
                     "postData": {"mimeType": "application/json", "text": json.dumps(
                         {"model": "gpt-4o", "messages": [{"role": "user", "content": prompt}]})}},
         "response": {"status": 404, "content": {"size": 80, "mimeType": "application/json",
                                                 "text": json.dumps({"error": {
                                                     "message": "The model gpt-5x does not exist",
                                                     "code": "model_not_found"}})}},
         "timings": {"wait": 4}},
    ]
    src = tmp_path / "chat.har"
    src.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    result = redact_file(src, tmp_path / "out.har", drop_content=True)
    out = (tmp_path / "out.har").read_text()
    assert prompt not in out and answer not in out
    assert f"[REMOVED:content:{len(prompt)} chars]" in out
    assert "The model gpt-5x does not exist" in out and "model_not_found" in out  # diagnosis kept
    assert result.counts["content"] == 3
    kept = redact_file(src, tmp_path / "kept.har")  # without the option, content stays
    assert prompt in (tmp_path / "kept.har").read_text() and "content" not in kept.counts
