"""What counts as a secret: names that say so, and values that look like one.

Data and pure predicates only; :mod:`chatkit.redaction.scrub` applies them. A *name* rule judges a
header, query parameter, JSON field or environment variable by its name (split into words, so
``x-ratelimit-remaining-tokens`` is not a token but ``refreshToken`` is); a *shape* rule finds
credentials by their look wherever they are (provider key prefixes, JWTs, PEM blocks,
``Bearer <token>``, ``user:pass@``, ``name=value`` and ``"name": "value"`` in free text).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CONTENT_KEYS",
    "MARKER_RE",
    "MASKED_RE",
    "PARTIAL_HEADERS",
    "QUICK",
    "QUICK_URL",
    "SHAPE_KINDS",
    "SPACED_QUICK",
    "SPACED_RE",
    "TEXT_RE",
    "USERINFO_MARKER_RE",
    "body_key",
    "is_secret_field",
    "is_secret_header",
    "is_secret_param",
    "is_url_key",
    "secret_number",
    "textual_mime",
]

# --- names -----------------------------------------------------------------------------------
# A name is split into words (on punctuation and camelCase); a secret word anywhere marks it.
# Word matching, not substring matching, keeps "x-ratelimit-remaining-tokens" and "max_tokens"
# (plural, diagnostic) while catching "x-api-key" and "refreshToken".
_SECRET_WORDS = frozenset({
    "key", "apikey", "token", "secret", "password", "passwd", "passphrase", "session",
    "sessionid", "sessid", "sid", "auth", "authorization", "authtoken", "csrf", "xsrf",
    "cookie", "credential", "credentials", "signature", "sig", "bearer", "jwt", "otp", "pin",
    "privatekey", "accesskey", "secretkey", "accesstoken", "refreshtoken", "idtoken",
    "clientsecret",
})
# Query/fragment parameters also carry one-time OAuth values and SAS/presigned-URL parts.
_SECRET_PARAM_WORDS = _SECRET_WORDS | frozenset({"code", "state", "nonce"})
_SECRET_PARAM_NAMES = frozenset({"code", "state", "sig", "signature", "key", "token", "nonce"})
# Substrings that are unambiguous even inside a single word ("mysessiontoken").
_SECRET_SUBSTRINGS = ("password", "passwd", "secret", "csrf", "xsrf", "apikey", "api_key",
                      "accesstoken", "access_token", "sessionid", "session_id", "sessiontoken",
                      "authtoken", "credential", "privatekey", "private_key")
# Words that make a name describe a secret rather than hold it ("token_count", "expires_in",
# "key_env": the variable's name, "key_owner", "cookie_bytes").
_MEASURE_WORDS = frozenset({"count", "counts", "length", "len", "size", "limit", "max", "min",
                            "type", "expires", "expiry", "expiration", "ttl", "remaining",
                            "reset", "used", "usage", "budget", "format", "version", "bytes",
                            "kb", "mb", "ms", "age", "env", "owner", "name", "source", "kind",
                            "prefix", "hint", "provider"})
# Headers that look sensitive by the word rule but are diagnostic, not secret.
_PUBLIC_HEADERS = frozenset({"www-authenticate", "proxy-authenticate", "keep-alive",
                             "sec-websocket-accept", "idempotency-key", "x-ratelimit-limit-tokens",
                             "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"})
# Account identifiers: kept in part (prefix and last four) so "which org" stays answerable.
PARTIAL_HEADERS = {"openai-organization": "openai-organization",
                    "openai-project": "openai-project"}

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORD_SPLIT.split(name) if w]


def _name_says_secret(name: str, words: frozenset[str]) -> bool:
    parts = _words(name)
    if any(w in _MEASURE_WORDS for w in parts):
        return False
    lowered = name.lower()
    return any(s in lowered for s in _SECRET_SUBSTRINGS) or any(w in words for w in parts)


@functools.lru_cache(maxsize=4096)  # names repeat on every line of a log
def is_secret_header(name: str) -> bool:
    """True when a header of this name carries a credential (its value is removed whole)."""
    lowered = name.strip().lower()
    if lowered in _PUBLIC_HEADERS or lowered in PARTIAL_HEADERS:
        return False
    return lowered in ("set-cookie", "cookie") or _name_says_secret(lowered, _SECRET_WORDS)


@functools.lru_cache(maxsize=4096)  # names repeat on every line of a log
def is_secret_field(name: str) -> bool:
    """True when a JSON/form field or environment variable of this name holds a secret."""
    return _name_says_secret(name, _SECRET_WORDS)


@functools.lru_cache(maxsize=4096)  # names repeat on every line of a log
def is_secret_param(name: str) -> bool:
    """True when a URL query or fragment parameter of this name holds a secret."""
    lowered = name.lower()
    return lowered in _SECRET_PARAM_NAMES or _name_says_secret(name, _SECRET_PARAM_WORDS)


# --- shapes ----------------------------------------------------------------------------------
# Order matters: specific provider shapes before the generic ``sk-``.
_SHAPES: tuple[tuple[str, str], ...] = (
    ("private-key", r"-----BEGIN[A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
                    r"(?:[\s\S]*?-----END[A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)"),
    ("anthropic-key", r"sk-ant-[A-Za-z0-9_\-]{16,}"),
    ("openrouter-key", r"sk-or-v1-[A-Za-z0-9]{16,}"),
    # also the masked form in OpenAI's 401 message: sk-proj-*****...abcd
    ("openai-key", r"sk-[A-Za-z0-9_\-*]{16,}"),
    ("google-key", r"AIza[0-9A-Za-z_\-]{30,}"),
    ("xai-key", r"xai-[A-Za-z0-9_\-]{20,}"),
    ("groq-key", r"gsk_[A-Za-z0-9]{20,}"),
    ("huggingface-token", r"hf_[A-Za-z0-9]{20,}"),
    ("aws-access-key", r"(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}"),
    ("github-token", r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
    ("slack-token", r"xox[abposr]-[A-Za-z0-9\-]{10,}"),
    ("stripe-key", r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("perplexity-key", r"pplx-[A-Za-z0-9]{20,}"),
    ("replicate-token", r"r8_[A-Za-z0-9]{20,}"),
    ("jwt", r"eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"),
)
# "Bearer <token>" / "Basic <b64>" anywhere in text, whatever the token looks like.
_AUTH_IN_TEXT = r"(?P<scheme>\b(?:Bearer|Basic|Token|Digest)\s+)(?P<cred>[A-Za-z0-9._~+/=\-]{12,})"
# user:password@ in any URL inside text.
_USERINFO_IN_TEXT = r"(?P<uscheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^\s/@:\"'<>]*:[^\s/@\"'<>]*)@"
# name=value after ? & # ; in text (URLs in messages); the name decides.
# name=value after ? & # ; , ( or a space (URLs and key=value pairs in messages); the name decides.
_PARAM_IN_TEXT = (r"(?P<pre>[?&#;,(\s]|^)(?P<pname>[A-Za-z0-9_.\-\[\]]{1,64})="
                  r"(?P<pval>[^&#\s\"'<>;,)]+)")
# "name": "value" / 'name': 'value' / name='value' (JSON fragments, Python reprs, kwargs).
_KV_IN_TEXT = (r"(?<![A-Za-z0-9_])(?P<kq>[\"']?)(?P<kname>[A-Za-z0-9_.\-]{1,64})(?P=kq)\s*[:=]\s*"
               r"(?P<vq>[\"'])(?P<kval>(?:[^\"'\\\n]|\\.){0,4000})(?P=vq)")

TEXT_RE = re.compile(
    "|".join(f"(?P<s{i}>(?<![A-Za-z0-9_\\-]){p})" for i, (_, p) in enumerate(_SHAPES))
    + f"|{_AUTH_IN_TEXT}|{_USERINFO_IN_TEXT}|{_KV_IN_TEXT}|{_PARAM_IN_TEXT}"
)
SHAPE_KINDS = {f"s{i}": kind for i, (kind, _) in enumerate(_SHAPES)}
SPACED_RE = re.compile(f"(?P<s0>{_SHAPES[0][1]})|{_AUTH_IN_TEXT}")
SPACED_QUICK = re.compile(r"\b(?:Bearer|Basic|Token|Digest)\s")
MARKER_RE = re.compile(r"\[REDACTED:[a-z0-9_.\-]+(?::[0-9a-f]{10})?\]")
# The marker in a URL's userinfo drops the brackets: "[...]" before "@" reads as a broken IPv6
# literal to urlsplit, while "REDACTED:userinfo@host" parses (user REDACTED) and curl sends it
# as a harmless dummy credential. The bracketed form from older files is still recognised.
USERINFO_MARKER_RE = re.compile(r"\[?REDACTED:[a-z0-9_.\-]+(?::[0-9a-f]{10})?\]?")
# Already-masked keys (chatkit's mask_key: first 3 and last 4) are the shareable form: kept.
# So are placeholders that stand for a secret without being one: ``$OPENAI_API_KEY``, ``...``.
MASKED_RE = re.compile(r"[A-Za-z0-9_\-]{0,8}(?:\.\.\.|…)[A-Za-z0-9_\-]{0,4}|\*{3}"
                        r"|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
# Cheap pre-filter: text without any of these cannot match TEXT_RE.
_QUICK_SHAPES = (r"sk-|AIza|xai-|gsk_|hf_|A[KSBC][IC]A|gh[pousr]_|github_pat_|xox|_live_|_test_|"
                 r"pplx-|r8_|eyJ|PRIVATE KEY|Bearer|Basic|Token|Digest")
# Every alternative starts with a literal character: a lookahead on that set lets the regex
# engine skip most positions at once (3x faster on a plain URL than the bare alternation).
_FIRSTS = "".join(sorted({alternative[0] for alternative in _QUICK_SHAPES.split("|")}))
QUICK = re.compile(f"(?=[{_FIRSTS}:=\"'])(?:{_QUICK_SHAPES}|://|=|[\"']\\s*:)")
QUICK_URL = re.compile(f"(?=[{_FIRSTS}@?#;])(?:{_QUICK_SHAPES}|[@?#;])")


# --- where things sit --------------------------------------------------------------------
#: Where requests and answers carry what people wrote and models said.
CONTENT_KEYS = frozenset({"content", "prompt", "input", "instructions", "parts", "arguments",
                           "text"})


def body_key(obj: Mapping[Any, Any]) -> str | None:
    # HAR postData {mimeType, text, params} and content {size, mimeType, text, encoding}
    return "text" if "mimeType" in obj and isinstance(obj.get("text"), str) else None


def textual_mime(mime: str) -> bool:
    mime = mime.lower()
    return mime.startswith("text/") or any(t in mime for t in ("json", "xml", "javascript",
                                                              "x-www-form-urlencoded"))


def secret_number(value: Any) -> bool:
    # a numeric PIN/OTP/account number under a secret name; booleans and small numbers stay
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1000


@functools.lru_cache(maxsize=4096)
def is_url_key(key: str) -> bool:
    lowered = key.lower()
    return lowered.endswith("url") or lowered in ("uri", "href", "referer", "location")
