"""Secret scrubbing: what leaves chatkit (reports, logs, bundles) carries no credentials.

Three layers, each usable alone:

* names: a header, query parameter, JSON field, cookie or environment variable whose *name*
  says it holds a secret (``Authorization``, ``client_secret``, ``oai-device-id`` ...) loses
  its value; a weaker name (``key``, ``token``, ``state``) only when the value could be a
  secret (:mod:`chatkit.redaction.rules`);
* shapes: a value that *looks* like a credential (``sk-...``, ``AIza...``, a JWT or JWE, a PEM
  key, ``Bearer <long token>``, ``user:pass@`` in a URL) is removed wherever it appears, and a
  random-looking value under a plain name is removed by its entropy
  (:mod:`chatkit.redaction.shapes`);
* structure: URLs, header maps, nested JSON and HAR bodies (:mod:`chatkit.redaction.walk`);
  code and markup bodies (JS, CSS, HTML) are scanned for shapes only, never by name.

Identifiers that travel (the ChatGPT web app's ``oai-did`` cookie, copied into the
``oai-device-id`` header and into bodies) are remembered when first removed by name and
removed wherever else they appear later.

Every removal leaves a marker naming what was removed, ``[REDACTED:authorization]`` (in a
URL's userinfo without brackets, ``https://REDACTED:userinfo@host``, so the URL still parses).
With ``hash_key`` the marker also carries a keyed hash of the secret
(``[REDACTED:authorization:3f9a0c12d4]``) so the same token maps to the same placeholder
across a file without being recoverable from it. A :class:`Redactor` counts what it removed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from chatkit.redaction.pii import EMAIL_RE, PHONE_RE, QUICK_PII, is_name_field
from chatkit.redaction.rules import (
    PARTIAL_HEADERS,
    cookie_strength,
    could_be_secret,
    entropy_exempt,
    field_strength,
    header_strength,
    is_public_header,
    is_secret_field,
    is_secret_header,
    is_secret_param,
    learnable,
    param_strength,
)
from chatkit.redaction.shapes import (
    AZURE_RE,
    CODE_RE,
    MARKER_RE,
    QUICK,
    QUICK_CODE,
    QUICK_URL,
    SHAPE_KINDS,
    SPACED_QUICK,
    SPACED_RE,
    TEXT_RE,
    USERINFO_MARKER_RE,
    USERINFO_RE,
    high_entropy,
)
from chatkit.redaction.walk import Walker

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

_MAX_LEARNED = 64


@dataclass
class Redactor(Walker):
    """Scrubs secrets and counts them; with ``hash_key`` equal secrets share a placeholder.

    ``drop_content`` also replaces what people wrote and models answered (the text under
    ``content``, ``prompt``, ``input``, ``instructions``, ``parts``, ``arguments`` in bodies)
    by its length. ``pii`` also removes e-mail addresses, phone numbers and people's names.
    ``entropy`` (on by default) removes random-looking values under plain JSON and form
    names. ``record`` keeps every removed value in :attr:`replaced` (for measuring; never
    write it anywhere). Not thread-safe (it counts); make one per file or per report.
    """

    hash_key: bytes | None = None
    counts: Counter[str] = field(default_factory=Counter)
    drop_content: bool = False
    pii: bool = False
    entropy: bool = True
    record: bool = False
    replaced: list[tuple[str, str]] = field(default_factory=list, repr=False)
    _learned: dict[str, str] = field(default_factory=dict, repr=False)

    def marker(self, kind: str, secret: str) -> str:
        """The placeholder for ``secret``, counted under ``kind``."""
        kind = re.sub(r"[^a-z0-9_.\-]+", "-", kind.lower()).strip("-") or "secret"
        self.counts[kind] += 1
        if self.record and secret:
            self.replaced.append((kind, secret))
        if self.hash_key is None:
            return f"[REDACTED:{kind}]"
        digest = hmac.new(self.hash_key, secret.encode("utf-8", "replace"), hashlib.sha256)
        return f"[REDACTED:{kind}:{digest.hexdigest()[:10]}]"

    def total(self) -> int:
        """How many values were removed so far."""
        return sum(self.counts.values())

    def learn(self, value: str, kind: str) -> None:
        """Remember an identifier removed by name, to remove its copies elsewhere."""
        value = value.strip()
        if len(value) >= 16 and len(self._learned) < _MAX_LEARNED:
            self._learned.setdefault(value, kind)

    def _known(self, text: str) -> str:
        for value, kind in self._learned.items():
            if value in text:
                text = text.replace(value, self.marker(kind, value))
        return text

    # --- text ------------------------------------------------------------------------------
    def text(self, text: str) -> str:
        """``text`` with every secret-shaped value and secret ``name=value`` removed."""
        if not text:
            return text
        if self._learned:
            text = self._known(text)
        if QUICK.search(text) is not None:
            if "PRIVATE KEY" in text or SPACED_QUICK.search(text):
                # values with spaces or newlines first, so no name=value can cut them in two
                text = SPACED_RE.sub(self._text_match, text)
            text = TEXT_RE.sub(self._text_match, text)
        return self._personal(text) if self.pii else text

    def code(self, text: str) -> str:
        """Code or markup (JS, CSS, HTML): secret shapes only; names there are code."""
        if not text:
            return text
        if self._learned:
            text = self._known(text)
        if QUICK_CODE.search(text) is not None:
            if "PRIVATE KEY" in text or SPACED_QUICK.search(text):
                text = SPACED_RE.sub(self._text_match, text)
            text = CODE_RE.sub(self._text_match, text)
            if "Q~" in text:
                text = AZURE_RE.sub(self._text_match, text)
            if "://" in text and "@" in text:
                text = USERINFO_RE.sub(self._text_match, text)
        return EMAIL_RE.sub(lambda m: self.marker("email", m.group(0)), text) if self.pii \
            else text

    def _personal(self, text: str) -> str:
        if QUICK_PII.search(text) is None:
            return text
        text = EMAIL_RE.sub(lambda m: self.marker("email", m.group(0)), text)
        return PHONE_RE.sub(self._phone, text)

    def _phone(self, m: re.Match[str]) -> str:
        digits = sum(c.isdigit() for c in m.group(0))
        return self.marker("phone", m.group(0)) if 8 <= digits <= 15 else m.group(0)

    def _text_match(self, m: re.Match[str]) -> str:
        group = m.lastgroup or ""
        if group in SHAPE_KINDS:
            value = m.group(0)
            return value if MARKER_RE.fullmatch(value) else self.marker(SHAPE_KINDS[group], value)
        found = m.groupdict()  # the code scans have fewer groups than TEXT_RE
        if found.get("cred") is not None:
            cred = m.group("cred")
            # prose ("Basic authentication") is not a credential: require a digit or length
            if not (len(cred) >= 20 or any(c.isdigit() for c in cred)):
                return m.group(0)
            return m.group("scheme") + self.marker("authorization", cred)
        if found.get("userinfo") is not None:
            return m.group("uscheme") + self._userinfo(m.group("userinfo")) + "@"
        if m.group("kname") is not None:
            name, value = m.group("kname"), m.group("kval")
            head = m.group(0)[: m.start("kval") - m.start()]
            strength = field_strength(name)
            if strength is not None and could_be_secret(value, strength):
                return f"{head}{self.marker(name, value)}{m.group('vq')}"
            return f"{head}{self.text(value)}{m.group('vq')}"  # shapes inside still count
        name, value = m.group("pname"), m.group("pval")
        strength = param_strength(unquote_plus(name))
        if strength is not None and could_be_secret(unquote_plus(value), strength):
            return f"{m.group('pre')}{name}={self.marker(name, value)}"
        return f"{m.group('pre')}{name}={self.text(value)}"

    # --- URLs ------------------------------------------------------------------------------
    def url(self, url: str) -> str:
        """``url`` without userinfo, secret query/fragment parameters or secret-shaped parts."""
        if self._learned:
            url = self._known(url)
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

    def params(self, encoded: str, *, form: bool = False) -> str:
        """A ``a=1&b=2`` string (query, fragment, form body) with secret parameters removed."""
        out = []
        for pair in re.split(r"([&;])", encoded):
            if pair in ("&", ";") or "=" not in pair:
                out.append(pair if pair in ("&", ";") else self.text(pair))
                continue
            name, _, value = pair.partition("=")
            if value.startswith(("[REDACTED", "%5BREDACTED")):
                out.append(pair)
                continue
            whole = self._whole(unquote_plus(name), unquote_plus(value), form)
            out.append(f"{name}={whole if whole is not None else self.text(value)}")
        return "".join(out)

    def param(self, name: str, value: str, *, form: bool = False) -> str:
        """One (decoded) query or form parameter's value, judged by its name and look."""
        if not value:
            return value
        whole = self._whole(name, value, form)
        return whole if whole is not None else self.text(value)

    def _whole(self, name: str, value: str, form: bool) -> str | None:
        """The marker when a parameter's whole value goes, else None."""
        strength = param_strength(name)
        if strength is not None and could_be_secret(value, strength):
            if learnable(name):
                self.learn(value, name)
            return self.marker(name, value)
        if self.pii and value.strip():
            if is_name_field(name):
                return self.marker("name", value)
            if EMAIL_RE.search(value):  # decoded here: "ada%40example.com" in the raw form
                return self.marker("email", value)
        if form and self.entropy and not entropy_exempt(name) and high_entropy(value):
            return self.marker("high-entropy", value)
        return None

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
        if is_public_header(lowered):
            return self.code(value)
        strength = header_strength(lowered)
        # a header is never prose: under a strong name even a plain word is the credential
        if strength is not None and could_be_secret(
                value, "password" if strength == "strong" else strength):
            if learnable(lowered):
                self.learn(value, lowered)
            return self.marker(lowered, value)
        if lowered in ("location", "referer", "origin", "content-location"):
            return self.url(value)
        return self.text(value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """A copy of ``headers`` (any mapping of str) with every credential removed."""
        return {name: self.header(name, value) for name, value in headers.items()}

    def cookie(self, name: str, value: str, kind: str = "cookie") -> str:
        """One cookie's value: removed when its name or its look says it is a credential."""
        if not value or value.startswith("[REDACTED"):
            return value
        strength = cookie_strength(name.strip())
        if could_be_secret(value, "password" if strength == "strong" else strength):
            if learnable(name):
                self.learn(value, kind)
            return self.marker(kind, value)
        return self.text(value)

    def _cookie_pairs(self, value: str, kind: str) -> str:
        out = []
        for pair in value.split(";"):
            name, eq, cookie = pair.partition("=")
            if eq and cookie.strip():
                cookie = self.cookie(name, cookie.strip(), kind)
            out.append(f"{name}{eq}{cookie}")
        return ";".join(out)

    def _partial(self, kind: str, value: str) -> str:
        value = value.strip()
        prefix = re.match(r"^(org-|proj_|user-)?", value)
        head = prefix.group(0) if prefix else ""
        tail = value[-4:] if len(value) - len(head) > 8 else ""
        return f"{head}{self.marker(kind, value)}{'…' + tail if tail else ''}"


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
