"""Walking nested data and bodies: where names and values sit in JSON, HAR and streams.

:class:`Walker` is the half of :class:`~chatkit.redaction.scrub.Redactor` that knows
structure: nested JSON (walked with an explicit stack, so no depth raises RecursionError),
HAR name/value pairs, cookies and bodies by content type. It asks the other half (text, URL,
header and marker methods) what to do with each value.

A JSON body is rewritten only where something was replaced: the replaced strings are swapped
in the original text, so its spacing, key order and escapes stay as they were; only when that
is impossible (a number replaced, an escape written differently) is it serialised again.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from chatkit.redaction.pii import is_name_field
from chatkit.redaction.rules import (
    CONTENT_KEYS,
    body_key,
    body_kind,
    could_be_secret,
    entropy_exempt,
    field_strength,
    is_url_key,
    learnable,
    secret_number,
    textual_mime,
)
from chatkit.redaction.shapes import high_entropy

__all__ = ["Walker", "dumps"]

_PAIR_LISTS = {"headers": "header", "queryString": "param", "params": "form",
               "cookies": "cookie"}


class _Ctx(NamedTuple):
    secret: str | None = None  # a strong name above: every value below is removed
    key: str | None = None  # the name this value sits under
    pairs: str | None = None  # a list of name/value objects: header, param, form, cookie
    drop: bool = False  # conversation text, replaced by its length
    person: bool = False  # beside an "email": "name" is a person's name


_ROOT = _Ctx()


class Walker:
    """Structure-aware scrubbing; the value rules come from the subclass."""

    drop_content: bool
    pii: bool
    entropy: bool

    # --- provided by the subclass ---------------------------------------------------------
    def marker(self, kind: str, secret: str) -> str:
        raise NotImplementedError

    def total(self) -> int:
        raise NotImplementedError

    def text(self, text: str) -> str:
        raise NotImplementedError

    def code(self, text: str) -> str:
        raise NotImplementedError

    def url(self, url: str) -> str:
        raise NotImplementedError

    def params(self, encoded: str, *, form: bool = False) -> str:
        raise NotImplementedError

    def param(self, name: str, value: str, *, form: bool = False) -> str:
        raise NotImplementedError

    def header(self, name: str, value: str) -> str:
        raise NotImplementedError

    def cookie(self, name: str, value: str) -> str:
        raise NotImplementedError

    def learn(self, value: str, kind: str) -> None:
        raise NotImplementedError

    # --- nested data ------------------------------------------------------------------------
    def obj(self, obj: Any) -> Any:
        """A deep copy of JSON-like ``obj`` with secret fields and secret-shaped strings removed.

        Keys are kept; dicts keep their order; numbers, booleans and null are kept unless they
        sit under a secret-named field. ``{"name": ..., "value": ...}`` pairs (HAR headers,
        query and form params, cookies) are judged by their ``name``; ``{"mimeType", "text"}``
        objects (HAR bodies) by their content type; strings holding JSON are walked too.
        """
        holder: list[Any] = [None]
        stack: list[tuple[Any, _Ctx, Any, Any]] = [(obj, _ROOT, holder, 0)]
        while stack:
            value, ctx, parent, slot = stack.pop()
            if isinstance(value, Mapping):
                parent[slot] = self._mapping(value, ctx, stack)
            elif isinstance(value, (list, tuple)):
                items: list[Any] = [None] * len(value)
                parent[slot] = items
                # pushed last-first so values are met in document order (a cookie before
                # the header or body that copies it)
                stack.extend((item, ctx, items, i) for i, item in reversed(list(enumerate(value))))
            else:
                parent[slot] = self._leaf(value, ctx)
        return holder[0]

    def _leaf(self, value: Any, ctx: _Ctx) -> Any:
        if not isinstance(value, str):
            name = ctx.secret or ctx.key
            if name is not None and secret_number(value, name):
                return self.marker(name, str(value))
            return value
        if ctx.secret is not None:
            if not could_be_secret(value, field_strength(ctx.secret) or "strong"):
                return value
            if learnable(ctx.secret):
                self.learn(value, ctx.secret)
            return self.marker(ctx.secret, value)
        if ctx.drop:
            return self._drop(value)
        key = ctx.key
        if key is not None:
            if field_strength(key) == "weak" and could_be_secret(value, "weak"):
                return self.marker(key, value)
            if self.pii and ((ctx.person and key == "name") or is_name_field(key)) \
                    and value.strip():
                return self.marker("name", value)
            if is_url_key(key):
                return self.url(value)
        if len(value) > 1 and value[0] in "{[" and value[-1] in "}]":
            return self.json_text(value)
        if (self.entropy and key is not None and not entropy_exempt(key)
                and high_entropy(value)):
            return self.marker("high-entropy", value)
        return self.text(value)

    def _mapping(self, obj: Mapping[Any, Any], ctx: _Ctx,
                 stack: list[tuple[Any, _Ctx, Any, Any]]) -> dict[Any, Any]:
        name, value = obj.get("name"), obj.get("value")
        pair = ctx.secret is None and isinstance(name, str) and isinstance(value, str)
        body_field = body_key(obj) if ctx.secret is None else None
        person = self.pii and "email" in obj
        result: dict[Any, Any] = {}
        jobs: list[tuple[Any, _Ctx, Any, Any]] = []
        for key, item in obj.items():
            result[key] = None
            if pair and key in ("name", "value"):
                result[key] = item if key == "name" else self._pair(str(name), str(value),
                                                                    ctx.pairs)
                continue
            if key == body_field:
                result[key] = self._har_body(obj, item)
                continue
            skey = key if isinstance(key, str) else None
            child = _Ctx(ctx.secret, skey, None, ctx.drop and skey in CONTENT_KEYS, person)
            if ctx.secret is None and skey is not None:
                if field_strength(skey) in ("password", "strong"):
                    child = child._replace(secret=skey, drop=False)
                elif (self.drop_content and not ctx.drop and skey in CONTENT_KEYS
                      and not (isinstance(item, Mapping) and "mimeType" in item)):
                    child = child._replace(drop=True)
                elif skey in _PAIR_LISTS and isinstance(item, list):
                    child = child._replace(pairs=_PAIR_LISTS[skey])
            jobs.append((item, child, result, key))
        stack.extend(reversed(jobs))
        return result

    def _pair(self, name: str, value: str, pairs: str | None) -> str:
        """The value of a name/value object: a header, query or form parameter, a cookie."""
        if pairs == "cookie":
            return self.cookie(name, value)
        if pairs in ("param", "form"):
            return self.param(name, value, form=pairs == "form")
        scrubbed = self.header(name, value)
        if pairs is None and scrubbed == value:
            return self.param(name, value, form=True)
        return scrubbed

    def _drop(self, value: str) -> str:
        """Conversation text replaced by its length; structure (roles, part types) kept."""
        if not value:
            return value
        self.marker("content", "")
        return f"[REMOVED:content:{len(value)} chars]"

    # --- bodies -----------------------------------------------------------------------------
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

    def body(self, text: str, mime_type: str | None = None) -> str:
        """A request/response body: JSON by field, forms by parameter, SSE line by line, code
        and markup (JS, CSS, HTML) by secret shapes only."""
        if not text:
            return text
        kind = body_kind(mime_type or "")
        if kind == "code":
            return self.code(text)
        stripped = text.lstrip()
        if stripped[:1] in ("{", "["):
            return self.json_text(text)
        if kind == "form":
            return self.params(text, form=True)
        if kind == "stream" or stripped.startswith(("data:", "event:")):
            # shapes first over the whole stream (a PEM block spans lines), then each event
            return "\n".join(self._sse_line(line) for line in self.text(text).split("\n"))
        return self.text(text)

    def _sse_line(self, line: str) -> str:
        payload = line[5:].lstrip()
        if line.startswith("data:") and payload[:1] in ("{", "["):
            return line[: len(line) - len(payload)] + self.json_text(payload)
        return self.text(line)

    def json_text(self, text: str) -> str:
        """JSON held in a string, walked by field; rewritten only where something was removed."""
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            return self.text(text)
        before = self.total()
        cleaned = self.obj(parsed)
        if self.total() == before:
            return text
        edits: list[tuple[str, str]] = []
        if _string_edits(parsed, cleaned, edits):
            patched = _patch(text, edits)
            if patched is not None:
                return patched
        return dumps(cleaned)


def _string_edits(before: Any, after: Any, edits: list[tuple[str, str]]) -> bool:
    """Collect (old, new) for every string that changed; False if anything else changed."""
    stack = [(before, after)]
    while stack:
        a, b = stack.pop()
        if isinstance(a, str):
            if a != b:
                if not isinstance(b, str):
                    return False
                edits.append((a, b))
        elif isinstance(a, Mapping):
            if not isinstance(b, Mapping) or list(a) != list(b):
                return False
            stack.extend((a[k], b[k]) for k in a)
        elif isinstance(a, (list, tuple)):
            if not isinstance(b, list) or len(a) != len(b):
                return False
            stack.extend(zip(a, b, strict=True))
        elif a != b or type(a) is not type(b):
            return False
    return True


def _patch(text: str, edits: list[tuple[str, str]]) -> str | None:
    """``text`` with each old JSON string replaced in place, or None if one is not found."""
    for old, new in dict(edits).items():
        for ascii_only in (False, True):
            encoded = json.dumps(old, ensure_ascii=ascii_only)
            if encoded in text:
                text = text.replace(encoded, json.dumps(new, ensure_ascii=ascii_only))
                break
        else:
            return None
    return text


def dumps(value: Any) -> str:
    """``json.dumps`` (non-ASCII kept), and for data nested deeper than it can go, the same
    text written without recursion."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except RecursionError:
        pass
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Raw):
            out.append(item)
        elif isinstance(item, Mapping):
            stack.append(_Raw("}"))
            for i, (k, v) in enumerate(reversed(list(item.items()))):
                stack.append(v)
                stack.append(_Raw(json.dumps(str(k), ensure_ascii=False) + ": "))
                if i < len(item) - 1:
                    stack.append(_Raw(", "))
            stack.append(_Raw("{"))
        elif isinstance(item, (list, tuple)):
            stack.append(_Raw("]"))
            for i, v in enumerate(reversed(item)):
                stack.append(v)
                if i < len(item) - 1:
                    stack.append(_Raw(", "))
            stack.append(_Raw("["))
        else:
            out.append(json.dumps(item, ensure_ascii=False))
    return "".join(out)


class _Raw(str):
    """Text already in JSON form (punctuation) on the serialiser's stack."""
