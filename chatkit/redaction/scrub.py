"""Secret scrubbing: what leaves chatkit (reports, logs, bundles) carries no credentials.

Three layers, each usable alone:

* names: a header, query parameter, JSON field or environment variable whose *name* says it
  holds a secret (``Authorization``, ``api_key``, ``session``, ``OPENAI_API_KEY`` ...) loses
  its value whatever that value looks like;
* shapes: a value that *looks* like a credential (``sk-...``, ``AIza...``, a JWT, a PEM private
  key, ``Bearer <long token>``, ``user:pass@`` in a URL) is removed wherever it appears, so a
  key pasted into an error message or a free-text note is caught too;
* structure: :func:`redact_url`, :func:`redact_headers` and :func:`redact_obj` know where
  those names and values sit in URLs, header maps and nested JSON.

Every removal leaves a marker naming what was removed, ``[REDACTED:authorization]`` (in a
URL's userinfo without brackets, ``https://REDACTED:userinfo@host``, so the URL still parses).
With a :class:`Redactor` built with ``hash_key``, the marker also carries a keyed hash of the secret
(``[REDACTED:authorization:3f9a0c12d4]``) so the same token maps to the same placeholder across
a file without being recoverable from it. A :class:`Redactor` counts what it removed by kind.

What counts as a secret (names, shapes) is :mod:`chatkit.redaction.rules`. The module-level
functions are pure and cheap (the request recorder calls them once per request); file
handling (JSONL, HAR, atomic output) is :mod:`chatkit.redaction.files`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from chatkit.redaction.rules import (
    CONTENT_KEYS,
    MARKER_RE,
    MASKED_RE,
    PARTIAL_HEADERS,
    QUICK,
    QUICK_URL,
    SHAPE_KINDS,
    SPACED_QUICK,
    SPACED_RE,
    TEXT_RE,
    USERINFO_MARKER_RE,
    body_key,
    is_secret_field,
    is_secret_header,
    is_secret_param,
    is_url_key,
    secret_number,
    textual_mime,
)

__all__ = [
    "Redactor",
    "is_secret_field",
    "is_secret_header",
    "is_secret_param",
    "redact_headers",
    "redact_obj",
    "redact_text",
    "redact_url",
]


@dataclass
class Redactor:
    """Scrubs secrets and counts them; with ``hash_key`` equal secrets share a placeholder.

    ``drop_content`` also replaces what people wrote and models answered (the text under
    ``content``, ``prompt``, ``input``, ``instructions``, ``parts``, ``arguments`` in bodies)
    by its length, for sharing a failure without the conversation. Not thread-safe (it
    counts); make one per file or per report.
    """

    hash_key: bytes | None = None
    counts: Counter[str] = field(default_factory=Counter)
    drop_content: bool = False

    def marker(self, kind: str, secret: str) -> str:
        """The placeholder for ``secret``, counted under ``kind``."""
        kind = re.sub(r"[^a-z0-9_.\-]+", "-", kind.lower()).strip("-") or "secret"
        self.counts[kind] += 1
        if self.hash_key is None:
            return f"[REDACTED:{kind}]"
        digest = hmac.new(self.hash_key, secret.encode("utf-8", "replace"), hashlib.sha256)
        return f"[REDACTED:{kind}:{digest.hexdigest()[:10]}]"

    # --- text ------------------------------------------------------------------------------
    def text(self, text: str) -> str:
        """``text`` with every secret-shaped value (keys, JWTs, PEM, bearer, userinfo) removed."""
        if not text or QUICK.search(text) is None:
            return text
        if "PRIVATE KEY" in text or SPACED_QUICK.search(text):
            # values with spaces or newlines first, so no name=value match can cut them in two
            text = SPACED_RE.sub(self._text_match, text)
        return TEXT_RE.sub(self._text_match, text)

    def _text_match(self, m: re.Match[str]) -> str:
        group = m.lastgroup or ""
        if group in SHAPE_KINDS:
            value = m.group(0)
            return value if MARKER_RE.fullmatch(value) else self.marker(SHAPE_KINDS[group], value)
        if m.group("cred") is not None:
            cred = m.group("cred")
            # prose ("Basic authentication") is not a credential: require a digit or length
            if not (len(cred) >= 20 or any(c.isdigit() for c in cred)):
                return m.group(0)
            return m.group("scheme") + self.marker("authorization", cred)
        if m.group("userinfo") is not None:
            return m.group("uscheme") + self._userinfo(m.group("userinfo")) + "@"
        if m.group("kname") is not None:
            name, value = m.group("kname"), m.group("kval")
            head = m.group(0)[: m.start("kval") - m.start()]
            if value and is_secret_field(name) and not (
                    MARKER_RE.fullmatch(value) or MASKED_RE.fullmatch(value)):
                return f"{head}{self.marker(name, value)}{m.group('vq')}"
            return f"{head}{self.text(value)}{m.group('vq')}"  # shapes inside still count
        name, value = m.group("pname"), m.group("pval")
        if is_secret_param(unquote_plus(name)) and not (
                value.startswith("[REDACTED") or MASKED_RE.fullmatch(value)):
            return f"{m.group('pre')}{name}={self.marker(name, value)}"
        return f"{m.group('pre')}{name}={self.text(value)}"

    # --- URLs ------------------------------------------------------------------------------
    def url(self, url: str) -> str:
        """``url`` without userinfo, secret query/fragment parameters or secret-shaped parts."""
        if not url or QUICK_URL.search(url) is None:  # the common case: nothing to look at
            return url
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:  # unparsable (bad port, broken IPv6): scrub it as text
            return self.text(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, _ = netloc.rpartition("@")
            host = parts.hostname or ""
            if ":" in host:  # IPv6 literal
                host = f"[{host}]"
            netloc = f"{self._userinfo(userinfo)}@{host}" + (f":{port}" if port else "")
        query = self.params(parts.query) if parts.query else ""
        fragment = self.params(parts.fragment) if parts.fragment else ""
        path = self.text(parts.path)
        return urlunsplit((parts.scheme, netloc, path, query, fragment))

    def _userinfo(self, userinfo: str) -> str:
        """``user:pass`` as the marker without brackets (``REDACTED:userinfo``); kept if one."""
        if USERINFO_MARKER_RE.fullmatch(userinfo):
            return userinfo
        return self.marker("userinfo", userinfo)[1:-1]

    def params(self, encoded: str) -> str:
        """A ``a=1&b=2`` string (query, fragment, form body) with secret parameters removed."""
        out = []
        for pair in re.split(r"([&;])", encoded):
            if pair in ("&", ";") or "=" not in pair:
                out.append(pair if pair in ("&", ";") else self.text(pair))
                continue
            name, _, value = pair.partition("=")
            if value and is_secret_param(unquote_plus(name)):
                if not value.startswith(("[REDACTED", "%5BREDACTED")):
                    value = self.marker(unquote_plus(name), unquote_plus(value))
            else:
                value = self.text(value)
            out.append(f"{name}={value}")
        return "".join(out)

    # --- headers ---------------------------------------------------------------------------
    def header(self, name: str, value: str) -> str:
        """One header's value, scrubbed according to its name."""
        lowered = name.strip().lower()
        if not value or MARKER_RE.fullmatch(value):  # nothing, or already redacted
            return value
        if lowered in PARTIAL_HEADERS:
            return value if MARKER_RE.search(value) else self._partial(
                PARTIAL_HEADERS[lowered], value)
        if lowered == "cookie":
            return self._cookie_pairs(value, "cookie")
        if lowered == "set-cookie":
            first, sep, attributes = value.partition(";")
            return self._cookie_pairs(first, "set-cookie") + sep + attributes
        if lowered in ("authorization", "proxy-authorization"):
            scheme, space, cred = value.strip().partition(" ")
            if space and scheme.isalpha() and len(scheme) <= 16:
                if MARKER_RE.fullmatch(cred.strip()):
                    return value
                return f"{scheme} {self.marker(lowered, cred.strip())}"
            return self.marker(lowered, value)
        if is_secret_header(lowered):
            return self.marker(lowered, value)
        if lowered in ("location", "referer", "origin", "content-location", "link"):
            return self.url(value) if lowered != "link" else self.text(value)
        return self.text(value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """A copy of ``headers`` (any mapping of str) with every credential removed."""
        return {name: self.header(name, value) for name, value in headers.items()}

    def _cookie_pairs(self, value: str, kind: str) -> str:
        out = []
        for pair in value.split(";"):
            name, eq, cookie = pair.partition("=")
            if eq and cookie.strip() and not cookie.strip().startswith("[REDACTED"):
                cookie = self.marker(kind, cookie.strip())
            out.append(f"{name}{eq}{cookie}")
        return ";".join(out)

    def _partial(self, kind: str, value: str) -> str:
        value = value.strip()
        prefix = re.match(r"^(org-|proj_|user-)?", value)
        head = prefix.group(0) if prefix else ""
        tail = value[-4:] if len(value) - len(head) > 8 else ""
        return f"{head}{self.marker(kind, value)}{'…' + tail if tail else ''}"

    # --- bodies ----------------------------------------------------------------------------
    def body(self, text: str, mime_type: str | None = None) -> str:
        """A request/response body: JSON by field, forms by parameter, SSE line by line."""
        if not text:
            return text
        mime = (mime_type or "").lower()
        stripped = text.lstrip()
        if stripped[:1] in ("{", "["):
            return self._json_string(text)
        if "x-www-form-urlencoded" in mime:
            return self.params(text)
        if "event-stream" in mime or stripped.startswith(("data:", "event:")):
            # shapes first over the whole stream (a PEM block spans lines), then fields per event
            return "\n".join(self._sse_line(line) for line in self.text(text).split("\n"))
        return self.text(text)

    def _sse_line(self, line: str) -> str:
        payload = line[5:].lstrip()
        if line.startswith("data:") and payload[:1] in ("{", "["):
            head = line[: len(line) - len(payload)]
            return head + self._json_string(payload)
        return self.text(line)

    def _json_string(self, text: str) -> str:
        """JSON held in a string: walked by field; re-serialised only if something changed."""
        try:
            parsed = json.loads(text)
        except ValueError:
            return self.text(text)
        cleaned = self.obj(parsed)
        return text if cleaned == parsed else json.dumps(cleaned, ensure_ascii=False)

    # --- nested data -----------------------------------------------------------------------
    def obj(self, obj: Any, *, _secret: str | None = None) -> Any:
        """A deep copy of JSON-like ``obj`` with secret fields and secret-shaped strings removed.

        Keys are kept; dicts keep their order; numbers, booleans and null are kept unless they
        sit under a secret-named field. ``{"name": ..., "value": ...}`` pairs (HAR headers,
        query and form params) are judged by their ``name``; ``{"mimeType", "text"}`` objects
        (HAR bodies) by their content type; strings holding JSON are walked too.
        """
        kind = type(obj)
        if obj is None or kind is bool or kind is float or (kind is int and _secret is None):
            return obj  # the bulk of a log line: nothing to look at
        if kind is str or isinstance(obj, str):
            if _secret is not None:
                if not obj or MARKER_RE.fullmatch(obj) or MASKED_RE.fullmatch(obj):
                    return obj
                return self.marker(_secret, obj)
            if len(obj) > 1 and obj[0] in "{[" and obj[-1] in "}]":
                return self._json_string(obj)
            return self.text(obj)
        if kind is dict or isinstance(obj, Mapping):
            return self._mapping(obj, _secret)
        if kind is list or isinstance(obj, (list, tuple)):
            return [self.obj(item, _secret=_secret) for item in obj]
        if _secret is not None and secret_number(obj):
            return self.marker(_secret, str(obj))
        return obj

    def _mapping(self, obj: Mapping[Any, Any], secret: str | None) -> dict[Any, Any]:
        name, value = obj.get("name"), obj.get("value")
        if secret is None and isinstance(name, str) and isinstance(value, str):
            return self._pair(obj)
        body_field = body_key(obj) if secret is None else None
        result: dict[Any, Any] = {}
        for key, value in obj.items():
            kind = secret
            if kind is None and isinstance(key, str) and is_secret_field(key):
                kind = key
            if kind is not None:
                result[key] = self.obj(value, _secret=kind)
            elif (self.drop_content and key in CONTENT_KEYS and key != body_field
                  and not (isinstance(value, Mapping) and "mimeType" in value)):
                result[key] = self._drop(value)  # a HAR content object is a body: walked
            elif key == body_field:
                result[key] = self._har_body(obj, value)
            elif key == "cookies" and isinstance(value, list):
                result[key] = [self._cookie(c) for c in value]
            elif isinstance(key, str) and isinstance(value, str) and is_url_key(key):
                result[key] = self.url(value)
            else:
                result[key] = self.obj(value)
        return result

    def _pair(self, obj: Mapping[Any, Any]) -> dict[Any, Any]:
        """A name/value object: a header, query or form parameter."""
        name, value = obj["name"], obj["value"]
        scrubbed = self.header(name, value)
        if (scrubbed == value and value and not MARKER_RE.search(value)
                and (is_secret_param(name) or is_secret_field(name))):
            scrubbed = self.marker(name, value)
        return {k: (scrubbed if k == "value" else self.obj(v) if k != "name" else v)
                for k, v in obj.items()}

    def _cookie(self, cookie: Any) -> Any:
        """A HAR cookie object: every value is a session credential, whatever its name."""
        if not isinstance(cookie, Mapping):
            return self.obj(cookie, _secret="cookie")
        return {k: (self.obj(v, _secret="cookie") if k == "value" else self.obj(v))
                for k, v in cookie.items()}

    def _har_body(self, obj: Mapping[Any, Any], text: Any) -> Any:
        if not isinstance(text, str):
            return self.obj(text)
        mime = str(obj.get("mimeType") or "")
        if obj.get("encoding") == "base64":
            if not textual_mime(mime):
                return text  # images, fonts: opaque bytes, kept as they are
            try:
                decoded = base64.b64decode(text, validate=True).decode("utf-8")
            except ValueError:
                return self.text(text)
            cleaned = self.body(decoded, mime)
            return text if cleaned == decoded else base64.b64encode(cleaned.encode()).decode()
        return self.body(text, mime)

    def _drop(self, value: Any) -> Any:
        """Conversation text replaced by its length; structure (roles, part types) kept."""
        if isinstance(value, str):
            self.counts["content"] += 1
            return f"[REMOVED:content:{len(value)} chars]" if value else value
        if isinstance(value, list):
            return [self._drop(item) for item in value]
        if isinstance(value, Mapping):
            return {k: (self._drop(v) if k in CONTENT_KEYS else self.obj(v))
                    for k, v in value.items()}
        return value


# --- the module-level, stateless front ---------------------------------------------------------
def redact_url(url: str, *, redactor: Redactor | None = None) -> str:
    """``url`` with userinfo, secret query/fragment parameters and key-shaped parts replaced."""
    if redactor is None and (not url or QUICK_URL.search(url) is None):
        return url  # the recorder's common case, without building a Redactor
    return (redactor or Redactor()).url(url)


def redact_headers(
    headers: Mapping[str, str], *, redactor: Redactor | None = None
) -> dict[str, str]:
    """A copy of ``headers`` with credentials replaced by ``[REDACTED:<header>]`` markers.

    ``Authorization: Bearer sk-...`` keeps its scheme (``Bearer [REDACTED:authorization]``);
    cookies keep their names; ``OpenAI-Organization``/``-Project`` keep prefix and last four.
    """
    return (redactor or Redactor()).headers(headers)


def redact_text(text: str, *, redactor: Redactor | None = None) -> str:
    """``text`` with every secret-shaped value removed (free text, error messages, notes)."""
    if redactor is None and (not text or QUICK.search(text) is None):
        return text
    return (redactor or Redactor()).text(text)


def redact_obj(obj: Any, *, redactor: Redactor | None = None) -> Any:
    """A redacted deep copy of a JSON-like value (dicts, lists, strings, numbers)."""
    return (redactor or Redactor()).obj(obj)
