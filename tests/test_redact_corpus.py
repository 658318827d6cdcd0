"""Redaction on real HAR files: nothing but secrets replaced, and the copy analyses the same.

The corpus is ``tests/data/real/har/`` (24 files from Chrome, Firefox, Safari, Edge, Brave,
Charles, Insomnia, mitmproxy, Playwright, chrome-har and Chrome HAR Capturer; SOURCES.md).

Precision is measured against ``REVIEWED.json``: every value redaction replaces in each file, by
kind and by a SHA-256 prefix of the value (never the value). Each was reviewed as a secret
(session and tracking cookies with generated values, credential headers, API keys, XSRF tokens,
session ids); a replacement that is not in the list fails the test (a false positive, or a new
catch to review), and so does one that is missing. Regenerate after a review with
``python tests/test_redact_corpus.py --write``.

The 48-value planted HAR (tests/secret_corpus.py) measures recall.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import chatkit
from chatkit.redaction.files import redact_file
from chatkit.redaction.rules import body_kind
from chatkit.redaction.scrub import Redactor

CORPUS = Path(__file__).parent / "data" / "real" / "har"
REVIEWED = CORPUS / "REVIEWED.json"
FILES = sorted(CORPUS.glob("*.har"))
MARKER = "[REDACTED:"


def _replaced(src: Path, out: Path) -> dict[str, list[str]]:
    red = Redactor(record=True)
    redact_file(src, out, redactor=red)
    found: dict[str, list[str]] = {}
    for kind, value in red.replaced:
        found.setdefault(kind, []).append(hashlib.sha256(value.encode()).hexdigest()[:12])
    return {kind: sorted(hashes) for kind, hashes in sorted(found.items())}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8-sig"))


def test_the_corpus_is_real_and_broad() -> None:
    creators = {_load(f)["log"]["creator"]["name"] for f in FILES}
    browsers = {_load(f)["log"].get("browser", {}).get("name") for f in FILES} - {None}
    assert len(FILES) >= 20
    assert len(creators | browsers) >= 6, creators
    sources = (CORPUS.parent / "SOURCES.md").read_text()
    assert all(f"har/{f.name}" in sources for f in FILES)


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_only_secrets_change_and_the_copy_analyses_the_same(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.har"
    reviewed = json.loads(REVIEWED.read_text())[path.name]
    assert _replaced(path, out) == reviewed  # precision: nothing unreviewed is replaced
    _bodies_change_only_where_a_secret_was(_load(path), _load(out))
    before, after = chatkit.load([str(path)]), chatkit.load([str(out)])
    assert chatkit.summarize(after) == chatkit.summarize(before)
    assert list(after.columns) == list(before.columns) and len(after) == len(before)
    for column in before.columns:
        if column != "url":  # the only place a secret can sit in the frame
            assert after[column].equals(before[column]), column


def _bodies_change_only_where_a_secret_was(original: Any, redacted: Any) -> None:
    """Code and markup stay byte for byte; any other body is unchanged or holds a marker;
    CORS and HPKP headers keep their values."""
    pairs = zip(original["log"]["entries"], redacted["log"]["entries"], strict=True)
    for before, after in pairs:
        for side in ("request", "response"):
            b_body = before[side].get("content" if side == "response" else "postData") or {}
            a_body = after[side].get("content" if side == "response" else "postData") or {}
            text, new = b_body.get("text"), a_body.get("text")
            if body_kind(b_body.get("mimeType") or "") == "code":
                assert new == text
            elif new != text:
                assert isinstance(new, str)
                decoded = base64.b64decode(new).decode() if b_body.get("encoding") == "base64" \
                    else new
                assert MARKER in decoded
            for b_h, a_h in zip(before[side]["headers"], after[side]["headers"], strict=True):
                if b_h["name"].lower() in ("access-control-allow-credentials",
                                           "public-key-pins", "public-key-pins-report-only"):
                    assert a_h == b_h


def test_the_issue_examples_are_in_the_corpus_and_stay(tmp_path: Path) -> None:
    """The values name rules used to rewrite, as real files hold them."""
    src = CORPUS / "mitmproxy__har_files_firefox.har"
    out = tmp_path / "out.har"
    redact_file(src, out)
    text = out.read_text()
    for kept in ('this._state=0', '{key:\\"resolveOptions\\"', '\\"key\\": \\"mit\\"',
                 '\\"omit\\"===e.credentials'):
        assert kept in src.read_text() and kept in text, kept


def test_recall_on_the_planted_har(tmp_path: Path) -> None:
    from secret_corpus import planted_har

    har, planted = planted_har()
    src, out = tmp_path / "planted.har", tmp_path / "out.har"
    src.write_text(json.dumps(har, indent=2))
    red = Redactor(record=True)
    redact_file(src, out, redactor=red)
    text = out.read_text()
    for entry in json.loads(text)["log"]["entries"]:
        content = entry["response"]["content"]
        if content.get("encoding") == "base64":
            text += base64.b64decode(content["text"]).decode()
    left = [(p.kind, p.place) for p in planted
            if any(n in text or json.dumps(n)[1:-1] in text for n in p.needles())]
    assert (len(planted), left) == (48, [])
    needles = [n for p in planted for n in p.needles()]
    not_planted = [kind for kind, value in red.replaced
                   if not any(n in value or value in n for n in needles)]
    assert not_planted == []
    assert Counter(kind for kind, _ in red.replaced)["oai-device-id"] == 1


if __name__ == "__main__" and "--write" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        snapshot = {f.name: _replaced(f, Path(tmp) / "out.har") for f in FILES}
    REVIEWED.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
