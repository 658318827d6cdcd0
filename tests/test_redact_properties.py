"""Property tests: random JSON with secrets at random places comes out clean and otherwise equal."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chatkit.redaction.scrub import Redactor, is_secret_field, redact_obj, redact_url

# Benign material cannot form a secret: no '-', '_', '=', '{', ':' or capital letters.
_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 .,!?", max_size=30)
_KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10).filter(
    lambda k: not is_secret_field(k) and k not in ("name", "value", "text", "cookies")
    and not k.endswith("url") and k not in ("uri", "href", "referer", "location"))
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False), _TEXT)
BENIGN = st.recursive(_LEAVES, lambda children: st.one_of(
    st.lists(children, max_size=5), st.dictionaries(_KEYS, children, max_size=5)), max_leaves=40)

_TAIL = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_tail = st.text(alphabet=_TAIL, min_size=40, max_size=60)
SHAPED = st.one_of(
    _tail.map(lambda t: "sk-" + t), _tail.map(lambda t: "sk-proj-" + t),
    _tail.map(lambda t: "sk-svcacct-" + t), _tail.map(lambda t: "sk-ant-api03-" + t),
    _tail.map(lambda t: "sk-or-v1-" + t), _tail.map(lambda t: "AIza" + t[:35]),
    _tail.map(lambda t: "xai-" + t), _tail.map(lambda t: "gsk_" + t),
    _tail.map(lambda t: "hf_" + t), _tail.map(lambda t: "ghp_" + t),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16).map(
        lambda t: "AKIA" + t),
    st.tuples(_tail, _tail, _tail).map(lambda p: f"eyJ{p[0]}.eyJ{p[1]}.{p[2]}"),
)
# An opaque generated secret (a session id, an API key without a prefix): random, as a
# generator makes them; a hash keeps hypothesis from shrinking it to "Zq00000000".
OPAQUE = st.tuples(st.binary(max_size=16), st.integers(16, 40)).map(
    lambda t: "Zq" + hashlib.sha256(t[0]).hexdigest()[: t[1]])
SECRET_NAMES = st.sampled_from(["password", "api_key", "apiKey", "access_token", "secret",
                                "client_secret", "session_id", "refreshToken", "authorization",
                                "private_key", "x-api-key", "OPENAI_API_KEY", "csrf_token"])
MARKER = re.compile(r"\[REDACTED:[a-z0-9_.\-]+(?::[0-9a-f]{10})?\]")


def _paths(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every container (where a key can be added) and leaf."""
    found = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            found += _paths(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += _paths(v, (*path, i))
    return found


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


SENTINEL = "\x00planted\x00"


@st.composite
def planted_documents(draw: st.DrawFn) -> tuple[Any, Any, list[tuple[Any, ...]], list[str]]:
    """(benign, planted copy, the planted paths, the secret values)."""
    benign = draw(st.dictionaries(_KEYS, BENIGN, min_size=1, max_size=5))
    doc = json.loads(json.dumps(benign))
    planted: list[tuple[Any, ...]] = []
    secrets: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        candidates = [p for p in _paths(doc) if not any(p[: len(q)] == q for q in planted)]
        path = draw(st.sampled_from(candidates))
        holder = _get(doc, path)
        how = draw(st.sampled_from(["named", "shaped-leaf", "shaped-embedded"]))
        if how == "named" and isinstance(holder, dict):
            name, value = draw(SECRET_NAMES), draw(OPAQUE)
            if name in holder:
                continue
            holder[name] = value
            planted.append((*path, name))
            secrets.append(value)
        elif path and not isinstance(holder, (dict, list)):
            value = draw(SHAPED)
            parent = _get(doc, path[:-1])
            parent[path[-1]] = value if how == "shaped-leaf" else f"see {value} here"
            planted.append(path)
            secrets.append(value)
    return benign, doc, planted, secrets


def _blank(doc: Any, paths: list[tuple[Any, ...]]) -> Any:
    doc = json.loads(json.dumps(doc))
    for path in paths:
        _get(doc, path[:-1])[path[-1]] = SENTINEL
    return doc


@settings(max_examples=150, deadline=None)
@given(BENIGN)
def test_benign_json_is_unchanged(doc: Any) -> None:
    red = Redactor()
    assert red.obj(doc) == doc
    assert dict(red.counts) == {}


@settings(max_examples=200, deadline=None)
@given(planted_documents())
def test_secrets_anywhere_come_out_and_nothing_else_changes(case: Any) -> None:
    _benign, doc, planted, secrets = case
    out = redact_obj(doc)
    text = json.dumps(out)
    for secret in secrets:
        assert secret not in text
    # everything outside the planted places is exactly as it was
    assert _blank(out, planted) == _blank(doc, planted)
    for path in planted:
        value = _get(out, path)
        assert isinstance(value, str) and MARKER.search(value), value


@settings(max_examples=100, deadline=None)
@given(planted_documents(), st.binary(min_size=8, max_size=16))
def test_keyed_placeholders_are_stable_within_a_key(case: Any, key: bytes) -> None:
    _benign, doc, _planted, _secrets = case
    assert Redactor(hash_key=key).obj(doc) == Redactor(hash_key=key).obj(doc)


_SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(st.lists(_SEGMENT, min_size=1, max_size=4),
       st.lists(st.tuples(_SEGMENT.filter(lambda n: not is_secret_field(n) and n not in (
           "code", "state", "sig", "nonce")), _SEGMENT), max_size=4),
       st.sampled_from(["api_key", "token", "code", "state", "sig", "password", "key"]),
       OPAQUE)
def test_urls_lose_secret_parameters_only(path: list[str], params: list[tuple[str, str]],
                                          secret_name: str, secret: str) -> None:
    base = "https://api.example.com/" + "/".join(path)
    query = "&".join(f"{n}={v}" for n, v in params)
    url = f"{base}?{query}" if query else base
    assert redact_url(url) == url
    dirty = f"{base}?{query + '&' if query else ''}{secret_name}={secret}"
    clean = redact_url(dirty)
    assert secret not in clean
    assert clean.startswith(url if query else base)
    assert clean.endswith(f"{secret_name}=[REDACTED:{secret_name}]")


@settings(max_examples=200, deadline=None)
@given(_TEXT, SHAPED, _TEXT)
def test_a_key_anywhere_in_prose_becomes_one_marker(before: str, secret: str, after: str) -> None:
    text = f"{before} {secret} {after}"
    out = Redactor().text(text)
    assert secret not in out
    assert MARKER.fullmatch(out[len(before) + 1: len(out) - len(after) - 1])
    assert out.startswith(before + " ") and out.endswith(" " + after)
