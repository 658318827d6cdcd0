"""A corpus of planted secrets: every kind chatkit must remove, in every place it can hide.

Each planted value is unique to its (kind, place), so a leak names where it came from. The
builders return a HAR document, JSONL request records, an environment mapping, a Report and
free-text notes holding every planted value; :func:`leaks` searches any output for them.

Two families:

* *shaped* secrets are recognisable by their value (``sk-...``, ``AIza...``, JWT, PEM, ...):
  they are planted under innocent names (``x-debug``, ``q=``, ``"note"``) in every place;
* *named* secrets are opaque strings recognisable only by where they sit (the ``api-key``
  header, ``?code=``, ``"client_secret"``, ``DB_PASSWORD``): each is planted in every place
  that has names.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chatkit.findings import Finding, Report

_rng = random.Random(20261125)
_ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt() -> str:
    head = _b64url(b'{"alg":"HS256","typ":"JWT"}')
    body = _b64url(json.dumps({"sub": _rand(12), "sid": _rand(16)}).encode())
    return f"{head}.{body}.{_b64url(_rand(32).encode())}"


def _pem() -> str:
    lines = [_rand(64, _ALNUM + "+/") for _ in range(4)]
    return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"


#: kind -> factory of a fresh value of that shape
SHAPED: dict[str, Callable[[], str]] = {
    "openai-legacy-key": lambda: "sk-" + _rand(48),
    "openai-project-key": lambda: "sk-proj-" + _rand(100, _ALNUM + "_-"),
    "openai-svcacct-key": lambda: "sk-svcacct-" + _rand(60, _ALNUM + "_-"),
    "openai-admin-key": lambda: "sk-admin-" + _rand(60),
    "openai-masked-key": lambda: "sk-proj-" + "*" * 40 + _rand(4),
    "anthropic-key": lambda: "sk-ant-api03-" + _rand(93, _ALNUM + "_-") + "AA",
    "openrouter-key": lambda: "sk-or-v1-" + _rand(64, "0123456789abcdef"),
    "google-key": lambda: "AIza" + _rand(35, _ALNUM + "_-"),
    "xai-key": lambda: "xai-" + _rand(80),
    "groq-key": lambda: "gsk_" + _rand(52),
    "huggingface-token": lambda: "hf_" + _rand(34),
    "aws-access-key": lambda: "AKIA" + _rand(16, string.ascii_uppercase + string.digits),
    "github-token": lambda: "ghp_" + _rand(36),
    "jwt": _jwt,
    "pem-private-key": _pem,
    "bearer-in-text": lambda: "Bearer " + _rand(40, _ALNUM + "._-"),
}

#: Places a shaped secret is planted (under an innocent name).
SHAPED_PLACES = (
    "request-header", "response-header", "url-query", "url-fragment", "url-path",
    "json-body-deep", "form-body", "har-cookie", "har-query-array", "har-form-params",
    "response-json", "response-text", "response-sse", "response-base64", "websocket",
    "initiator-url", "page-title", "jsonl-error-message", "jsonl-nested", "env", "note",
    "report-evidence", "report-cause",
)

#: Opaque secrets recognisable only by their name, per place.
NAMED_HEADERS = ("Authorization", "authorization", "Proxy-Authorization", "api-key",
                 "x-api-key", "X-Goog-Api-Key", "x-csrf-token", "x-session-id", "x-auth-token",
                 "x-amz-security-token", "Helicone-Auth", "OpenAI-Organization",
                 "OpenAI-Project", "Cookie", "Set-Cookie")
NAMED_PARAMS = ("key", "api_key", "token", "access_token", "refresh_token", "id_token", "code",
                "state", "sig", "signature", "session", "password", "client_secret",
                "X-Amz-Signature")
NAMED_FIELDS = ("password", "api_key", "apiKey", "secret", "client_secret", "access_token",
                "refreshToken", "session_id", "token", "authorization", "private_key",
                "credentials", "csrf_token", "passwd")
NAMED_ENV = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD",
             "MY_SERVICE_SECRET", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@dataclass(frozen=True)
class Planted:
    kind: str
    place: str
    value: str

    def needles(self) -> list[str]:
        """The strings that must not appear in any output (forms the value can take)."""
        if self.kind == "pem-private-key":
            return [line for line in self.value.splitlines() if "-----" not in line]
        if self.kind == "bearer-in-text":
            return [self.value.split(" ", 1)[1]]
        if self.kind == "basic-credentials":
            return [self.value, base64.b64decode(self.value).decode().split(":", 1)[1]]
        return [self.value]


class Corpus:
    """Every planted value, and the artefacts that carry them."""

    def __init__(self) -> None:
        self.planted: list[Planted] = []

    def plant(self, kind: str, place: str, value: str | None = None) -> str:
        value = value if value is not None else (SHAPED[kind]() if kind in SHAPED else
                                                 _rand(12) + "Zq" + _rand(22))
        self.planted.append(Planted(kind, place, value))
        return value

    def leaks(self, text: str) -> list[Planted]:
        """Planted values found in ``text`` (also JSON-escaped, for PEM newlines)."""
        return [p for p in self.planted if any(n in text for n in p.needles())]

    @property
    def kinds(self) -> set[str]:
        return {p.kind for p in self.planted}


# --- builders --------------------------------------------------------------------------------
def _nv(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": n, "value": v} for n, v in pairs]


def build(corpus: Corpus | None = None) -> tuple[Corpus, dict[str, Any], list[dict[str, Any]],
                                                 dict[str, str], Report, list[str]]:
    """(corpus, har, jsonl records, environment, report, notes), every secret planted."""
    c = corpus or Corpus()
    entries = [_shaped_entry(c, kind, i) for i, kind in enumerate(SHAPED)]
    entries.append(_named_entry(c))
    har = {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
                   "pages": [{"startedDateTime": "2026-03-02T08:00:00.000Z", "id": "page_1",
                              "title": "ChatGPT " + c.plant("openai-legacy-key", "page-title"),
                              "pageTimings": {"onContentLoad": 120.5, "onLoad": 300.1}}],
                   "entries": entries}}
    records = [_jsonl_record(c, kind, i) for i, kind in enumerate(SHAPED)]
    records.append(_named_record(c))
    env = {f"NOTE_{i}": c.plant(kind, "env") for i, kind in enumerate(SHAPED)}
    env.update({name: c.plant(f"env:{name}", "env") for name in NAMED_ENV})
    env["HTTPS_PROXY"] = f"http://proxyuser:{c.plant('proxy-password', 'env')}@proxy.corp:3128"
    env["PATH"] = "/usr/bin:/bin"
    notes = [f"I pasted {c.plant(kind, 'note')} by mistake" for kind in SHAPED]
    notes += [f"it broke at https://example.com/cb?q={c.plant(kind, 'text-url')}&x=1"
              for kind in SHAPED]
    notes += [f"Request options: {{'{n}': '{c.plant(f'field:{n}', 'python-repr')}'}}"
              for n in NAMED_FIELDS]
    notes += [f"debug {n}={c.plant(f'param:{n}', 'text-kv')} then" for n in NAMED_PARAMS]
    report = _report(c)
    return c, har, records, env, report, notes


def _entry(i: int, url: str, status: int, req_headers: list[dict[str, str]],
           resp_headers: list[dict[str, str]], post: dict[str, Any] | None,
           content: dict[str, Any], **extra: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"method": "POST" if post else "GET", "url": url,
                               "httpVersion": "http/2.0", "headers": req_headers,
                               "queryString": extra.pop("query", []),
                               "cookies": extra.pop("req_cookies", []), "headersSize": -1,
                               "bodySize": len(post["text"]) if post else 0}
    if post:
        request["postData"] = post
    return {
        "startedDateTime": f"2026-03-02T08:00:{i:02d}.250Z", "time": 100.5 + i,
        "request": request,
        "response": {"status": status, "statusText": "", "httpVersion": "http/2.0",
                     "headers": resp_headers, "cookies": extra.pop("resp_cookies", []),
                     "content": content, "redirectURL": "", "headersSize": -1,
                     "bodySize": content.get("size", 0), "_transferSize": 900 + i},
        "cache": {}, "timings": {"blocked": 1.5, "dns": 2.0 + i, "ssl": 10.0, "connect": 20.0,
                                 "send": 0.2, "wait": 60.0 + i, "receive": 6.8},
        "serverIPAddress": "104.18.33.45", "connection": "443", "pageref": "page_1",
        **extra,
    }


def _shaped_entry(c: Corpus, kind: str, i: int) -> dict[str, Any]:
    def p(place: str) -> str:
        return c.plant(kind, place)

    url = (f"https://chatgpt.com/backend-api/conversation/{p('url-path')}?q={p('url-query')}"
           f"&model=gpt-4o#note={p('url-fragment')}")
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}],
            "metadata": {"a": [{"b": {"note": p("json-body-deep")}}]}}
    sse = (f'data: {{"choices":[{{"delta":{{"content":"{p("response-sse")}"}}}}]}}\n\n'
           "data: [DONE]\n\n")
    response_json = json.dumps({"error": {"message": f"bad {p('response-json')}",
                                          "code": "invalid_api_key"}})
    sse_content = {"size": len(sse), "mimeType": "text/event-stream", "text": sse}
    json_content = {"size": len(response_json), "mimeType": "application/json",
                    "text": response_json}
    # alternate which one is the real response content; the other rides in a custom field
    content, other = (sse_content, json_content) if i % 2 == 0 else (json_content, sse_content)
    status = (200, 401, 429, 500)[i % 4]
    return _entry(
        i, url, status,
        req_headers=_nv([(":authority", "chatgpt.com"), ("x-debug", p("request-header")),
                         ("content-type", "application/json")]),
        resp_headers=_nv([("x-request-id", f"req_{i:04d}"), ("x-note", p("response-header"))]),
        post={"mimeType": "application/json", "text": json.dumps(body)},
        content=content, _other_content=other,
        query=_nv([("q", p("har-query-array")), ("model", "gpt-4o")]),
        req_cookies=[{"name": "_ga", "value": p("har-cookie"), "path": "/", "httpOnly": False}],
        _initiator={"type": "script", "url": f"https://cdn.oaistatic.com/x.js?q={p('initiator-url')}",
                    "stack": {"callFrames": [{"url": "https://chatgpt.com/app.js",
                                              "functionName": p("initiator-url")}]}},
        _webSocketMessages=[{"type": "receive", "time": 1.5, "opcode": 1,
                             "data": json.dumps({"text": p("websocket")})}],
        _resourceType="fetch", _priority="High",
        _plain_text_response={"size": 10, "mimeType": "text/plain",
                              "text": f"error: key {p('response-text')} rejected"},
        _base64_response={"size": 10, "mimeType": "application/json", "encoding": "base64",
                          "text": base64.b64encode(json.dumps(
                              {"detail": p("response-base64")}).encode()).decode()},
        _form={"mimeType": "application/x-www-form-urlencoded",
               "text": f"note={p('form-body')}&lang=en",
               "params": _nv([("note", p("har-form-params"))])},
    )


def _named_entry(c: Corpus) -> dict[str, Any]:
    headers = []
    for name in NAMED_HEADERS:
        kind = f"header:{name}"
        if name.lower() == "authorization":
            headers.append((name, f"Bearer {c.plant(kind, 'request-header')}"))
        elif name == "Proxy-Authorization":
            raw = base64.b64encode(f"alice:{_rand(20)}".encode()).decode()
            headers.append((name, f"Basic {c.plant('basic-credentials', 'request-header', raw)}"))
        elif name == "Cookie":
            headers.append((name, f"__Secure-next-auth.session-token="
                                  f"{c.plant(kind, 'request-header')}; _puid="
                                  f"{c.plant(kind, 'request-header')}"))
        elif name == "Set-Cookie":
            headers.append((name, f"__cf_bm={c.plant(kind, 'response-header')}; path=/; "
                                  "HttpOnly; Secure; SameSite=None"))
        elif name == "OpenAI-Organization":
            headers.append((name, "org-" + c.plant(kind, "request-header")))
        elif name == "OpenAI-Project":
            headers.append((name, "proj_" + c.plant(kind, "request-header")))
        else:
            headers.append((name, c.plant(kind, "request-header")))
    query = "&".join(f"{n}={c.plant(f'param:{n}', 'url-query')}" for n in NAMED_PARAMS)
    fragment = "&".join(f"{n}={c.plant(f'param:{n}', 'url-fragment')}" for n in NAMED_PARAMS)
    userinfo = f"bob:{c.plant('url-password', 'url-userinfo')}"
    url = f"https://{userinfo}@api.example.com/v1/chat/completions?{query}&model=x#{fragment}"
    deep = {n: c.plant(f"field:{n}", "json-body-deep") for n in NAMED_FIELDS}
    body = {"model": "gpt-4o", "config": {"level1": {"level2": [{"level3": deep}]}}}
    form = "&".join(f"{n}={c.plant(f'field:{n}', 'form-body')}" for n in NAMED_FIELDS)
    response = {"access_token": c.plant("field:access_token", "response-json"),
                "refresh_token": c.plant("field:refresh_token", "response-json"),
                "expires_in": 3600, "token_type": "bearer"}
    return _entry(
        59, url, 403,
        req_headers=_nv(headers),
        resp_headers=_nv([("x-request-id", "req_named"),
                          ("set-cookie",
                           f"sid={c.plant('header:Set-Cookie', 'response-header')}")]),
        post={"mimeType": "application/json", "text": json.dumps(body)},
        content={"size": 100, "mimeType": "application/json", "text": json.dumps(response)},
        query=_nv((n, c.plant(f"param:{n}", "har-query-array")) for n in NAMED_PARAMS),
        req_cookies=[{"name": "anything", "value": c.plant("cookie", "har-cookie")}],
        _plain_text_response={"size": 10, "mimeType": "text/plain", "text": "debug: " + json.dumps(
            {n: c.plant(f"field:{n}", "response-text") for n in NAMED_FIELDS})[:-1]},
        resp_cookies=[{"name": "cf_clearance", "value": c.plant("cookie", "har-cookie"),
                       "httpOnly": True}],
        _form={"mimeType": "application/x-www-form-urlencoded", "text": form,
               "params": _nv((n, c.plant(f"field:{n}", "har-form-params"))
                             for n in NAMED_FIELDS)},
    )


def _jsonl_record(c: Corpus, kind: str, i: int) -> dict[str, Any]:
    status = (401, 429, 500, 200)[i % 4]
    return {
        "ts": f"2026-03-02T08:00:{i:02d}.000Z", "method": "POST",
        "url": f"https://api.openai.com/v1/chat/completions?q={c.plant(kind, 'url-query')}",
        "host": "api.openai.com", "endpoint": "/v1/chat/completions", "provider": "openai",
        "model": "gpt-4o-mini", "stream": False, "attempt": 0, "status": status,
        "error_type": None if status == 200 else "invalid_request_error",
        "error_code": None,
        "error_message": None if status == 200 else
        f"Incorrect API key provided: {c.plant(kind, 'jsonl-error-message')}",
        "exception": None, "latency_ms": 120.5 + i, "ttfb_ms": 100.0, "ttft_ms": None,
        "dns_ms": 1.0, "connect_ms": 2.0, "tls_ms": 3.0, "request_bytes": 100,
        "response_bytes": 200, "prompt_tokens": 10, "completion_tokens": 5,
        "request_id": f"req_{i:04d}",
        "extra": {"deep": [{"note": c.plant(kind, "jsonl-nested")}]},
    }


def _named_record(c: Corpus) -> dict[str, Any]:
    record = _jsonl_record(c, "openai-legacy-key", 58)
    record["headers"] = {n: c.plant(f"header:{n}", "jsonl-nested") for n in NAMED_HEADERS
                         if n not in ("Cookie", "Set-Cookie", "OpenAI-Organization",
                                      "OpenAI-Project", "Authorization", "authorization",
                                      "Proxy-Authorization")}
    record["body"] = {"nested": {n: c.plant(f"field:{n}", "jsonl-nested") for n in NAMED_FIELDS}}
    return record


def _report(c: Corpus) -> Report:
    findings = [
        Finding("api.key", "fail", "The API rejected the key", category="account",
                cause=f"401 for {c.plant(kind, 'report-cause')}", remedy="Create a new key.",
                evidence={"sent": c.plant(kind, "report-evidence"),
                          "api_key": c.plant("field:api_key", "report-evidence")})
        for kind in SHAPED
    ]
    password = c.plant("url-password", "report-target")
    target = {"base_url": f"https://u:{password}@api.example.com/v1",
              "provider": "openai", "key": "sk-...abcd"}
    env = {"os": "Linux 6.1", "proxy": {"HTTPS_PROXY": "http://u:"
                                        f"{c.plant('proxy-password', 'report-env')}@p:3128"}}
    return Report(findings=tuple(findings), target=target, environment=env)


def files_text(files: Mapping[str, bytes]) -> str:
    """All files of an output, as one text to search (binary content as latin-1)."""
    return "\n".join(data.decode("utf-8", "replace") for data in files.values())


# --- the planted HAR: 48 values where HAR sanitizers and secret scanners look --------------------
def _b64(n: int) -> str:
    return _rand(n, _ALNUM + "-_")


def _jwe() -> str:
    """next-auth's session token shape: a JWE in compact form (header, empty key, iv, data, tag)."""
    head = _b64url(b'{"alg":"dir","enc":"A256GCM"}')
    return f"{head}..{_b64(22)}.{_b64(300)}.{_b64(22)}"


def _chatgpt_jwt() -> str:
    head = _b64url(b'{"alg":"RS256","kid":"19344e65","typ":"JWT"}')
    body = _b64url(json.dumps({"aud": ["https://api.openai.com/v1"], "client_id": "app_" +
                               _rand(24), "exp": 1758601678}).encode())
    return f"{head}.{body}.{_b64(342)}"


def _uuid() -> str:
    h = _rand(32, "0123456789abcdef")
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def planted_har() -> tuple[dict[str, Any], list[Planted]]:
    """A chatgpt.com/API session HAR holding 48 planted secrets, each in one place.

    The places are the ones HAR sanitizers (Google's and Cloudflare's) and secret scanners
    (gitleaks, detect-secrets) look at: headers, cookies, URLs, bodies of every content type,
    WebSocket frames, base64 bodies, free-text messages; the values are the shapes chatkit's
    users hold (OpenAI, Anthropic, Azure, Google, AWS, GitHub, Slack, Stripe, Hugging Face
    keys; the ChatGPT web app's session, device and anti-abuse tokens; OAuth values).
    """
    planted: list[Planted] = []
    upper_digits = string.ascii_uppercase + string.digits

    def p(kind: str, place: str, value: str) -> str:
        planted.append(Planted(kind, place, value))
        return value

    did = _uuid()
    basic = base64.b64encode(f"alice:{_rand(16)}".encode()).decode()
    sse = ('data: {"message": {"content": {"parts": ["your key is '
           + p("openai-legacy-key", "response-sse", "sk-" + _rand(48))
           + '"]}}}\n\ndata: [DONE]\n\n')
    ws = json.dumps({"type": "message",
                     "text": "token " + p("github-token", "websocket", "ghp_" + _rand(36))})
    hf = p("huggingface-token", "response-base64", "hf_" + _rand(34, string.ascii_letters))
    b64_body = base64.b64encode(json.dumps({"hf": hf}).encode()).decode()
    cookies = {
        "oai-did": p("oai-did", "cookie-header", did),
        "__Secure-next-auth.session-token": p("session-jwe", "cookie-header", _jwe()),
        "cf_clearance": p("cf-clearance", "cookie-header",
                          _b64(43) + "-1700000000-1.2.1.1-" + _b64(120)),
        "__cf_bm": p("cf-bm", "cookie-header", _b64(43) + "-1700000000-1.0.1.1-" + _b64(80)),
        "_puid": p("puid", "cookie-header", f"user-{_rand(24)}:1700000000-{_b64(40)}"),
        "oai-hm": "ON_YOUR_MIND", "_dd_s": "rum=0&expire=1700000900",
    }
    request_headers = [
        (":authority", "chatgpt.com"),
        ("authorization", "Bearer " + p("chatgpt-access-token", "request-header",
                                        _chatgpt_jwt())),
        ("cookie", "; ".join(f"{n}={v}" for n, v in cookies.items())),
        ("oai-device-id", did),  # the copy of the oai-did cookie: the same planted value
        ("oai-language", "en-US"),
        ("openai-sentinel-chat-requirements-token",
         p("sentinel-requirements", "request-header", "gAAAAAB" + _b64(180))),
        ("openai-sentinel-proof-token",
         p("sentinel-proof", "request-header", "gAAAAAB" + _b64(120))),
        ("openai-sentinel-turnstile-token",
         p("sentinel-turnstile", "request-header", _b64(400))),
        ("oai-session-id", p("oai-session-id", "request-header", _uuid())),
        ("chatgpt-account-id", p("chatgpt-account-id", "request-header", _uuid())),
        ("x-api-key", p("anthropic-key", "request-header", "sk-ant-api03-" + _b64(93) + "AA")),
        ("api-key", p("azure-openai-key", "request-header", _rand(32, "0123456789abcdef"))),
        ("x-goog-api-key", p("google-key", "request-header", "AIza" + _b64(35))),
        ("proxy-authorization", "Basic " + p("basic-credentials", "request-header", basic)),
        ("x-debug", p("xai-key", "request-header", "xai-" + _rand(80))),
    ]
    response_headers = [
        ("set-cookie", "__Secure-next-auth.session-token="
                       + p("session-jwe", "set-cookie", _jwe())
                       + "; Path=/; Expires=Sat, 28 Feb 2026 08:00:00 GMT; HttpOnly; Secure"),
        ("set-cookie", f"oai-sc={p('oai-sc', 'set-cookie', '0g' + _b64(200))}; Path=/; Secure"),
        ("access-control-allow-credentials", "true"),
        ("x-request-id", "req_" + _rand(32, "0123456789abcdef")),
    ]
    akia = "AKIA" + _rand(16, string.ascii_uppercase + "234567")
    query = [("key", p("google-key", "url-query", "AIza" + _b64(35))),
             ("access_token", p("oauth-access-token", "url-query", _b64(40))),
             ("code", p("oauth-code", "url-query", "4/0A" + _b64(60))),
             ("state", p("oauth-state", "url-query", _b64(24))),
             ("X-Amz-Credential", p("aws-access-key", "url-query", akia)
              + "/20260302/us-east-1/s3/aws4_request"),
             ("X-Amz-Signature", p("aws-signature", "url-query",
                                   _rand(64, "0123456789abcdef"))),
             ("sig", p("azure-sas-signature", "url-query", _b64(43) + "=")),
             ("model", "gpt-4o")]
    userinfo = p("url-password", "url-userinfo", "bob:" + _rand(20))
    implicit = p("oauth-implicit-token", "url-fragment", _b64(40))
    url = (f"https://{userinfo}@chatgpt.com/backend-api/conversation?"
           f"{'&'.join(f'{n}={v}' for n, v in query)}#access_token={implicit}&token_type=bearer")
    webhook = (f"https://hooks.slack.com/services/T{_rand(8, upper_digits)}/"
               f"B{_rand(8, upper_digits)}/{_rand(24)}")
    config = {
        "api_key": p("opaque-api-key", "json-body-named", _rand(12) + "Zq" + _rand(22)),
        "client_secret": p("azure-ad-client-secret", "json-body-named",
                           _rand(3) + "8Q~" + _b64(34).replace("-", "~")),
        "value": p("azure-ad-client-secret", "json-body-neutral",
                   _rand(3) + "7Q~" + _b64(34).replace("-", ".")),
        "x": p("high-entropy", "json-body-neutral", _rand(40)),
        "webhook": p("slack-webhook", "json-body-neutral", webhook),
        "service_account": {"type": "service_account",
                            "private_key": p("pem-private-key", "json-body-named", _pem())},
        "SecretAccessKey": p("aws-secret-key", "json-body-named", _rand(40, _ALNUM + "+/")),
        "groq": p("groq-key", "json-body-neutral", "gsk_" + _rand(52)),
    }
    stripe = p("stripe-key", "json-body-text", "sk_live_" + _rand(40))
    body = {"action": "next", "model": "auto", "config": config,
            "messages": [{"author": {"role": "user"}, "content": {
                "content_type": "text", "parts": ["why does this fail? " + stripe]}}]}
    form = (f"grant_type=refresh_token&client_id=app_{_rand(24)}"
            f"&refresh_token={p('refresh-token', 'form-body', 'rt_' + _b64(60))}"
            f"&client_secret={p('oauth-client-secret', 'form-body', 'GOCSPX-' + _b64(28))}"
            f"&password={p('password', 'form-body', 'hunter2-' + _rand(6))}")
    session_json = json.dumps({
        "user": {"id": "user-" + _rand(24), "name": "Ada Lovelace", "email": "ada@example.com"},
        "expires": "2026-04-01T08:00:00.000Z",
        "accessToken": p("chatgpt-access-token", "response-json", _chatgpt_jwt()),
        "sessionToken": p("session-jwe", "response-json", _jwe()), "authProvider": "auth0"})
    requirements_json = json.dumps({
        "persona": "chatgpt-freeaccount",
        "token": p("sentinel-requirements", "response-json", "gAAAAAB" + _b64(180)),
        "proofofwork": {"required": True, "seed": "0.42", "difficulty": "06b2f5"}})
    log_text = ("next-auth: JWEDecryptionFailed: decryption operation failed for session token "
                + p("session-jwe", "text-log-message", _jwe()) + " (check NEXTAUTH_SECRET)")
    project_key = p("openai-project-key", "response-json-message", "sk-proj-" + _b64(100))
    error_json = json.dumps({"error": {
        "message": f"Incorrect API key provided: {project_key}. You can find your API key at "
                   "https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error", "code": "invalid_api_key"}})
    svcacct = p("openai-svcacct-key", "request-header", "sk-svcacct-" + _b64(60))

    def content(text: str, mime: str, **extra: Any) -> dict[str, Any]:
        return {"size": len(text), "mimeType": mime, "text": text, **extra}

    form_params = _nv((n, v) for n, _, v in (kv.partition("=") for kv in form.split("&")))
    entries = [
        _entry(0, url, 200, _nv(request_headers), _nv(response_headers),
               {"mimeType": "application/json", "text": json.dumps(body)},
               content(sse, "text/event-stream"), query=_nv(query),
               _webSocketMessages=[{"type": "receive", "time": 1.5, "opcode": 1, "data": ws}]),
        _entry(1, "https://chatgpt.com/api/auth/session", 200, _nv([("accept", "*/*")]), [],
               None, content(session_json, "application/json")),
        _entry(2, "https://chatgpt.com/backend-api/sentinel/chat-requirements", 200,
               _nv([("content-type", "application/json")]), [], None,
               content(requirements_json, "application/json")),
        _entry(3, "https://auth.openai.com/oauth/token", 200,
               _nv([("content-type", "application/x-www-form-urlencoded")]), [],
               {"mimeType": "application/x-www-form-urlencoded", "text": form,
                "params": form_params},
               content(b64_body, "application/json", encoding="base64")),
        _entry(4, "https://chatgpt.com/api/auth/error", 500, [], [], None,
               content(log_text, "text/plain")),
        _entry(5, "https://api.openai.com/v1/chat/completions", 401,
               _nv([("authorization", "Bearer " + svcacct)]), [], None,
               content(error_json, "application/json")),
    ]
    har = {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
                   "pages": [{"startedDateTime": "2026-03-02T08:00:00.000Z", "id": "page_1",
                              "title": "ChatGPT", "pageTimings": {"onLoad": 300.1}}],
                   "entries": entries}}
    return har, planted
