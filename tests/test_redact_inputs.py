"""``redact`` reads what ``analyze`` reads: gzip, a BOM, bad lines named, any nesting depth."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

import chatkit
from chatkit.cli import main
from chatkit.redaction.files import redact_file
from chatkit.redaction.scrub import Redactor
from chatkit.redaction.walk import dumps

KEY = "sk-proj-" + "Qw9rT2" * 8
CORPUS = Path(__file__).parent / "data" / "real" / "har"


def _record(n: int, **extra: object) -> str:
    return json.dumps({"ts": f"2026-03-02T08:00:0{n}Z", "status": 401, "latency_ms": 12.5,
                       "error_message": f"Incorrect API key provided: {KEY}", **extra})


def test_gzipped_jsonl_and_har_are_read(tmp_path: Path) -> None:
    src = tmp_path / "requests.jsonl.gz"
    src.write_bytes(gzip.compress(("\n".join(_record(i) for i in range(3)) + "\n").encode()))
    result = redact_file(src, tmp_path / "out.jsonl")
    out = (tmp_path / "out.jsonl").read_text()
    assert (result.format, result.records, result.dropped) == ("jsonl", 3, 0)
    assert KEY not in out and out.count("[REDACTED:openai-key]") == 3
    har = CORPUS / "mitmproxy__flows_event_stream.har"
    gz = tmp_path / "session.har.gz"
    with gzip.open(gz, "wb") as handle, har.open("rb") as plain_file:
        shutil.copyfileobj(plain_file, handle)
    plain, packed = redact_file(har, tmp_path / "a.har"), redact_file(gz, tmp_path / "b.har")
    assert packed.format == "har" and packed.counts == plain.counts
    assert (tmp_path / "a.har").read_text() == (tmp_path / "b.har").read_text()
    assert len(chatkit.load([str(gz)])) == len(chatkit.load([str(tmp_path / "b.har")]))


def test_a_truncated_gz_keeps_what_it_decoded(tmp_path: Path) -> None:
    data = gzip.compress(("\n".join(_record(i % 10) for i in range(2000)) + "\n").encode())
    src = tmp_path / "killed.jsonl.gz"
    src.write_bytes(data[: len(data) * 2 // 3])
    result = redact_file(src, tmp_path / "out.jsonl")
    assert 0 < result.records < 2000 and result.dropped == 1
    assert result.dropped_at[0].endswith("(the file ends early: a truncated .gz)")
    assert KEY not in (tmp_path / "out.jsonl").read_text()
    assert chatkit.summarize(chatkit.load([str(src)]))["requests"] >= result.records


def test_bad_lines_are_left_out_and_named(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.jsonl"
    lines = [_record(0).encode(), b'{"api_key": "torn-li', b"\xff\xfe not utf-8 " + KEY.encode(),
             b"[1, 2]", b"null", b"", _record(1).encode(), b'"just a string"']
    src.write_bytes(b"\n".join(lines) + b"\n")
    result = redact_file(src, tmp_path / "out.jsonl")
    out = (tmp_path / "out.jsonl").read_text()
    assert (result.records, result.dropped) == (2, 5)
    assert result.dropped_at == ("line 2 (not JSON)", "line 3 (not UTF-8)",
                                 "line 4 (a JSON array, not an object)",
                                 "line 5 (a JSON null, not an object)",
                                 "line 8 (a JSON string, not an object)")
    assert KEY not in out and "torn-li" not in out and len(out.splitlines()) == 2
    assert main(["redact", str(src), "-o", str(tmp_path / "o.jsonl")]) == 0
    printed = capsys.readouterr().out
    assert "Left out 5 line(s) that were not JSON records: line 2 (not JSON), line 3 " in printed
    # analyze skips the same lines
    assert chatkit.summarize(chatkit.load([str(src)]))["requests"] == 2


def test_a_bad_text_line_does_not_end_the_file(tmp_path: Path) -> None:
    src = tmp_path / "debug.log"
    src.write_bytes(b"first " + KEY.encode() + b"\n\xff\xfe\n" + b"third line\n")
    result = redact_file(src, tmp_path / "out.log", format="text")
    assert (result.records, result.dropped_at) == (2, ("line 2 (not UTF-8)",))
    assert (tmp_path / "out.log").read_text() == "first [REDACTED:openai-key]\nthird line\n"


def test_any_nesting_depth_is_redacted_without_recursion_error(tmp_path: Path) -> None:
    deep: list[object] = []
    cur = deep
    for _ in range(100_000):
        nxt: list[object] = []
        cur.append(nxt)
        cur = nxt
    cur.append({"password": "hunter2", "note": KEY})
    out = chatkit.redact(deep)
    text = dumps(out)
    assert "hunter2" not in text and KEY not in text and text.count("[") > 100_000
    body = "[" * 5000 + json.dumps({"api_key": "zz9Q8xW7vU6t"}) + "]" * 5000
    cleaned = Redactor().body(body, "application/json")  # too deep for json: read as text
    assert "zz9Q8xW7vU6t" not in cleaned
    src = tmp_path / "deep.jsonl"
    src.write_text(_record(0) + "\n" + '{"a": ' * 3000 + "1" + "}" * 3000 + "\n")
    result = redact_file(src, tmp_path / "out.jsonl")
    assert (result.records, result.dropped_at) == (1, ("line 2 (not JSON)",))
    har = {"log": {"version": "1.2", "entries": [{"request": {"method": "GET", "url": "https://h/",
                                                              "headers": []},
                                                  "response": {"status": 200}, "x": deep}]}}
    src = tmp_path / "deep.har"
    src.write_text(dumps(har))
    with pytest.raises(chatkit.ChatkitError):  # the HAR reader cannot take it either
        redact_file(src, tmp_path / "out.har")


def test_iterative_dumps_equals_json_dumps() -> None:
    doc = {"a": [1, {"b": "c\u00e9", "d": [None, True, 2.5, {}], "e": []}], "f": "x\"y"}
    assert dumps(doc) == json.dumps(doc, ensure_ascii=False)
