"""What counts as a secret by its name, and whether a value could be one.

Data and pure predicates only; :mod:`chatkit.redaction.scrub` applies them, value shapes are
:mod:`chatkit.redaction.shapes`. A name is split into words (on punctuation and camelCase),
so ``x-ratelimit-remaining-tokens`` is not a token but ``refreshToken`` is. A name is
*strong* (``password``, ``client_secret``, ``Authorization``, ``oai-device-id``: whatever it
holds is removed) or *weak* (``key``, ``token``, ``state``, ``code``: the value is removed only
when it could be a secret, :func:`looks_random`), so ``"key": "mit"`` (a licence) and
``"token": "Hello"`` (a log-probability) stay while ``"key": "a8Zk3..."`` goes.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping
from typing import Any, Literal

__all__ = [
    "CONTENT_KEYS",
    "PARTIAL_HEADERS",
    "Strength",
    "body_key",
    "body_kind",
    "cookie_strength",
    "could_be_secret",
    "entropy_exempt",
    "field_strength",
    "header_strength",
    "is_public_header",
    "is_secret_field",
    "is_secret_header",
    "is_secret_param",
    "is_url_key",
    "learnable",
    "looks_random",
    "param_strength",
    "secret_number",
    "textual_mime",
]

Strength = Literal["password", "strong", "weak"]

# --- names -----------------------------------------------------------------------------------
# Words whose presence makes a name hold a secret whatever the value looks like.
_STRONG_WORDS = frozenset({
    "password", "passwd", "passphrase", "secret", "apikey", "privatekey", "accesskey",
    "secretkey", "accesstoken", "refreshtoken", "idtoken", "authtoken", "sessiontoken",
    "sessionid", "sessid", "clientsecret", "authorization", "bearer", "jwt", "csrf", "xsrf",
    "otp", "pin", "passcode", "cvv",
})
# Strong words whose value may be anything at all, even a plain word ("hunter", "1234").
_PASSWORD_WORDS = frozenset({"password", "passwd", "passphrase", "otp", "pin", "passcode",
                             "cvv"})
# Words that make a name hold a secret only if its value could be one.
_WEAK_WORDS = frozenset({"key", "token", "session", "sid", "auth", "credential", "credentials",
                         "signature", "sig", "cookie"})
# Query/fragment parameters also carry one-time OAuth values and SAS/presigned-URL parts.
_PARAM_WEAK_WORDS = _WEAK_WORDS | frozenset({"code", "state", "nonce"})
# Substrings that are unambiguous even inside a single word ("mysessiontoken").
_STRONG_SUBSTRINGS = ("password", "passwd", "secret", "csrf", "xsrf", "apikey", "api_key",
                      "accesstoken", "access_token", "sessionid", "session_id",
                      "sessiontoken", "session_token", "authtoken", "auth_token", "privatekey",
                      "private_key", "refresh_token", "id_token")
# Words that make a name describe a secret rather than hold it ("token_count", "expires_in",
# "key_env": the variable's name, "key_owner", "cookie_bytes").
_MEASURE_WORDS = frozenset({"count", "counts", "length", "len", "size", "limit", "max", "min",
                            "type", "expires", "expiry", "expiration", "ttl", "remaining",
                            "reset", "used", "usage", "budget", "format", "version", "bytes",
                            "kb", "mb", "ms", "age", "env", "owner", "name", "source", "kind",
                            "prefix", "hint", "provider", "policy", "mode", "required",
                            "enabled", "endpoint", "url", "uri", "path", "header", "headers",
                            "field", "param", "status", "pins", "allow", "outcome",
                            "result", "error", "present", "valid", "check", "method", "alg",
                            "algorithm", "sha", "sha1", "sha256", "sha384", "hash", "digest"})
# Identifiers of a person's session or device that travel under plain names: the ChatGPT web
# app's device id (the ``oai-did`` cookie, copied into ``oai-device-id``), its session and
# account headers. Removed whole, and remembered so their copies elsewhere go too.
_IDENTIFIERS = frozenset({"oai-did", "oai-device-id", "oai-session-id", "chatgpt-account-id",
                          "device_id", "deviceid", "device-id", "x-device-id", "oai_device_id",
                          "oai-sc", "oai-hlib", "_puid", "puid", "cf_clearance", "__cf_bm",
                          "x-conduit-token", "conduit_token"})
# Headers that look sensitive by a word but are diagnostic, not secret.
_PUBLIC_HEADERS = frozenset({"www-authenticate", "proxy-authenticate", "keep-alive",
                             "sec-websocket-accept", "sec-websocket-key", "idempotency-key",
                             "access-control-allow-credentials", "access-control-allow-headers",
                             "access-control-expose-headers", "public-key-pins",
                             "public-key-pins-report-only", "x-ratelimit-limit-tokens",
                             "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens",
                             "authentication-info"})
# Account identifiers: kept in part (prefix and last four) so "which org" stays answerable.
PARTIAL_HEADERS = {"openai-organization": "openai-organization",
                   "openai-project": "openai-project"}

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORD_SPLIT.split(name) if w]


def _strength(name: str, weak_words: frozenset[str]) -> Strength | None:
    lowered = name.strip().lower()
    if lowered in _IDENTIFIERS:
        return "strong"
    parts = _words(name)
    if any(w in _MEASURE_WORDS for w in parts):
        return None
    snake = lowered.replace("-", "_")
    if any(w in _PASSWORD_WORDS for w in parts) or any(w in snake for w in _PASSWORD_WORDS
                                                       if len(w) > 5):
        return "password"
    squashed = re.sub(r"[^a-z0-9]", "", lowered)  # "refreshToken", "x-api-key"
    if (any(s in snake for s in _STRONG_SUBSTRINGS) or any(w in _STRONG_WORDS for w in parts)
            or any(w in squashed for w in _STRONG_WORDS if len(w) >= 6)):
        return "strong"
    if "device" in parts and parts[-1] == "id":
        return "strong"
    if not any(w in weak_words for w in parts):
        return None
    return None if parts[-1] == "id" else "weak"  # "kms-key-id", "key_id": which key, not it


@functools.lru_cache(maxsize=4096)  # names repeat on every line of a log
def field_strength(name: str) -> Strength | None:
    """How surely a JSON/form field or environment variable of this name holds a secret."""
    return _strength(name, _WEAK_WORDS)


@functools.lru_cache(maxsize=4096)
def param_strength(name: str) -> Strength | None:
    """How surely a URL query or fragment parameter of this name holds a secret.

    In a URL a key, token or signature parameter is strong (``?token=t14`` is the credential,
    and a URL holds no prose); code, state, nonce and session stay weak (``?state=CA``).
    """
    found = _strength(name, _PARAM_WEAK_WORDS)
    if found == "weak" and set(_words(name)) & {"token", "key", "sig", "signature"}:
        return "strong"
    return found


@functools.lru_cache(maxsize=4096)
def header_strength(name: str) -> Strength | None:
    """How surely a header of this name carries a credential.

    In a header a token, session or auth word is strong (a header is never prose); a key,
    credential or signature word is weak (``public-key-pins``, ``access-control-allow-
    credentials`` hold policy, not secrets).
    """
    lowered = name.strip().lower()
    if lowered in _PUBLIC_HEADERS or lowered in PARTIAL_HEADERS:
        return None
    if lowered in ("cookie", "set-cookie", "authorization", "proxy-authorization"):
        return "strong"
    found = _strength(lowered, _WEAK_WORDS)
    if found == "weak" and set(_words(lowered)) & {"token", "session", "sid", "auth"}:
        return "strong"
    return found


def is_public_header(name: str) -> bool:
    """Headers that carry policy or handshakes, never a credential: scanned for shapes only."""
    return name.strip().lower() in _PUBLIC_HEADERS


@functools.lru_cache(maxsize=4096)
def cookie_strength(name: str) -> Strength:
    """A cookie is weak (removed when random-looking) unless its name says session, token,
    auth or anti-abuse."""
    found = _strength(name, _WEAK_WORDS)
    if found is None:
        return "weak"
    if found == "weak" and not set(_words(name)) & {"token", "session", "sid", "auth"}:
        return "weak"
    return "strong" if found == "weak" else found


def is_secret_header(name: str) -> bool:
    """True when a header of this name carries a credential."""
    return header_strength(name) is not None


def is_secret_field(name: str) -> bool:
    """True when a JSON/form field or environment variable of this name may hold a secret."""
    return field_strength(name) is not None


def is_secret_param(name: str) -> bool:
    """True when a URL query or fragment parameter of this name may hold a secret."""
    return param_strength(name) is not None


def learnable(name: str) -> bool:
    """Values under this name are identifiers that travel (remembered, removed everywhere)."""
    return name.strip().lower() in _IDENTIFIERS or "session-token" in name.lower()


_ENTROPY_EXEMPT_WORDS = frozenset({"id", "ids", "uuid", "guid", "hash", "sha", "sha1", "sha256",
                                   "md5", "etag", "digest", "checksum", "integrity",
                                   "fingerprint", "version", "build", "commit", "revision",
                                   "trace", "span", "request", "cursor", "after", "before",
                                   "url", "uri", "href", "src", "path", "file", "filename",
                                   "mime", "data", "content", "text", "image", "icon", "hex",
                                   "color", "colour", "font", "style", "class", "alt",
                                   "encoded", "base64", "blob", "body", "payload"})


@functools.lru_cache(maxsize=4096)
def entropy_exempt(name: str) -> bool:
    """True when a name says its value is random by design (ids, hashes, data)."""
    return any(w in _ENTROPY_EXEMPT_WORDS for w in _words(name)) or name.lower().endswith("id")


# --- values ----------------------------------------------------------------------------------
_NON_SECRETS = frozenset({"true", "false", "null", "none", "undefined", "nil", "yes", "no",
                          "on", "off", "required", "optional", "include", "omit",
                          "same-origin", "hidden", "password", "text", "bearer", "basic",
                          "token", "secret", "redacted", "n/a", "na", "-", "0", "1"})
_SEGMENTS = re.compile(r"[-_./:+=~%|,]")
_MARKER = re.compile(r"\[?REDACTED:[a-z0-9_.\-]+(?::[0-9a-f]{10})?\]?|\[REMOVED:")
_PLACEHOLDER = re.compile(r"[A-Za-z0-9_\-]{0,8}(?:\.\.\.|…)[A-Za-z0-9_\-]{0,4}|\*{3,}.*"
                          r"|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{.*\}\}|<[^<>]*>|x{3,}",
                          re.IGNORECASE)


_RUNS = re.compile(r"[A-Za-z]+|[0-9]+")
_HEX = re.compile(r"[0-9a-fA-F]+")


def _random_segment(segment: str) -> bool:
    n = len(segment)
    letters = sum(c.isalpha() for c in segment)
    digits = sum(c.isdigit() for c in segment)
    if letters and digits and n >= 6:
        # "a8Zk3q", hex, base64 switch between letters and digits often; sizes (970x250),
        # codes (NANOWDGT01) and versions (v2beta3) seldom
        return n >= 16 or len(_RUNS.findall(segment)) >= 5 or (n >= 8 and _HEX.fullmatch(segment)
                                                              is not None)
    if letters == n >= 8:
        changes = sum(a.islower() != b.islower() for a, b in itertools.pairwise(segment))
        return changes >= n / 4  # random mixed case, not camelCase ("resolveOptions")
    return digits == n >= 12  # a long number (account, card); short ones are counts and dates


def looks_random(value: str) -> bool:
    """Could ``value`` be a generated secret? No spaces, 8+ characters, a random-looking part.

    Words (``mit``, ``apache-2.0``, ``resolveOptions``, ``en-US``), short numbers, dates and
    low-entropy fill (``xxxxxxxx``) are not.
    """
    value = value.strip("\"'")
    if len(value) < 8 or any(c.isspace() for c in value) or len(set(value)) < 5:
        return False
    return any(_random_segment(s) for s in _SEGMENTS.split(value) if s)


_LOWER_WORDS = re.compile(r"[a-z]+(?:[ _\-][a-z]+)*")


def could_be_secret(value: str, strength: Strength) -> bool:
    """Whether a value under a secret name is removed: any value for a password, anything but
    a plain lowercase word (``no-match``, ``krux``) for another strong name, a random-looking
    value for a weak name. Markers, masks and placeholders are never secrets."""
    stripped = value.strip()
    if not stripped or stripped.lower() in _NON_SECRETS or _MARKER.search(stripped):
        return False
    if _PLACEHOLDER.fullmatch(stripped):
        return False
    if strength == "password":
        return True
    if strength == "strong":
        return _LOWER_WORDS.fullmatch(stripped) is None
    return looks_random(stripped)


def secret_number(value: Any, name: str) -> bool:
    """A numeric PIN/OTP/account number under a strong name; booleans and small numbers stay."""
    return (isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1000
            and field_strength(name) in ("password", "strong"))


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


_CODE_MIMES = ("javascript", "ecmascript", "text/css", "text/html", "xhtml", "text/jsx",
               "typescript", "image/svg", "text/xml", "application/xml", "wasm")


def body_kind(mime: str) -> Literal["code", "form", "stream", "other"]:
    """How a body of this content type is read: code/markup is scanned for shapes only."""
    mime = mime.lower()
    if any(t in mime for t in _CODE_MIMES):
        return "code"
    if "x-www-form-urlencoded" in mime:
        return "form"
    if "event-stream" in mime:
        return "stream"
    return "other"


@functools.lru_cache(maxsize=4096)
def is_url_key(key: str) -> bool:
    lowered = key.lower()
    return lowered.endswith("url") or lowered in ("uri", "href", "referer", "location")
