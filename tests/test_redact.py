"""redact_url / redact_headers / text and nested-data scrubbing (the pure layer)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from chatkit.redaction.scrub import (
    Redactor,
    is_secret_header,
    redact_headers,
    redact_obj,
    redact_text,
    redact_url,
)

KEY = "sk-proj-Tq3ZxW9vLm2Rk8YbN4cPj7HdQe1Fs6Ga0UiOo5Kl"


def test_url_userinfo_query_and_fragment() -> None:
    url = ("https://bob:hunter2@api.example.com:8443/v1/chat?api_key=abc123&model=gpt-4o"
           "&code=4/0AeanS0b7Xq2kPz9&sig=dEadB33f9Qx2kLm7#access_token=tok999"
           "&state=Yx81rKQz0pW3&tab=2")
    out = redact_url(url)
    for secret in ("bob", "hunter2", "abc123", "4/0AeanS0b7Xq2kPz9", "dEadB33f9Qx2kLm7",
                   "tok999", "Yx81rKQz0pW3"):
        assert secret not in out
    assert out.startswith("https://REDACTED:userinfo@api.example.com:8443/v1/chat?")
    assert "model=gpt-4o" in out and "tab=2" in out
    assert "api_key=[REDACTED:api_key]" in out and "access_token=[REDACTED:access_token]" in out


def test_redacted_userinfo_still_parses_and_is_not_redacted_again() -> None:
    red = Redactor(hash_key=b"k")
    once = red.url("http://alice:s3cret@[::1]:3128/v1")
    assert "alice" not in once and "s3cret" not in once
    parts = urlsplit(once)  # a bracketed marker before "@" raised "not an IPv6 address"
    assert (parts.username, parts.hostname, parts.port) == ("REDACTED", "::1", 3128)
    assert red.url(once) == once and red.text(f"via {once}") == f"via {once}"
    assert red.counts["userinfo"] == 1
    old_form = "http://[REDACTED:userinfo]@proxy:3128"  # files redacted before the change
    assert redact_text(f"via {old_form}") == f"via {old_form}"


def test_url_without_secrets_is_unchanged() -> None:
    url = "https://api.openai.com/v1/chat/completions?stream=true&limit=20#top"
    assert redact_url(url) == url
    assert redact_url("") == ""


def test_url_key_in_path_and_unparsable_url() -> None:
    assert KEY not in redact_url(f"https://h/bot{'/'}{KEY}/send")
    assert "pw" not in redact_url("http://u:pw@[::1")  # broken IPv6: scrubbed as text


def test_headers() -> None:
    headers = {
        "Authorization": f"Bearer {KEY}",
        "Proxy-Authorization": "Basic dXNlcjpwYXNzd29yZA==",
        "api-key": "azurekey0123456789",
        "X-Api-Key": "anthropic-ish",  # whatever an api-key header holds is the key
        "Cookie": "a=1; __Secure-next-auth.session-token=cookieval",
        "Set-Cookie": "__cf_bm=cfvalue; Path=/; HttpOnly; Secure",
        "OpenAI-Organization": "org-AbCdEfGhIjKlMnOp1234",
        "X-CSRF-Token": "csrfval",
        "x-ratelimit-remaining-tokens": "149000",
        "Idempotency-Key": "stainless-python-retry-1",
        "x-request-id": "req_abc",
        "Content-Type": "application/json",
    }
    out = redact_headers(headers)
    assert list(out) == list(headers)
    assert out["Authorization"] == "Bearer [REDACTED:authorization]"
    assert out["Proxy-Authorization"] == "Basic [REDACTED:proxy-authorization]"
    assert out["api-key"] == "[REDACTED:api-key]"
    assert out["X-Api-Key"] == "[REDACTED:x-api-key]"
    assert out["Cookie"] == "a=1; __Secure-next-auth.session-token=[REDACTED:cookie]"
    assert out["Set-Cookie"] == "__cf_bm=[REDACTED:set-cookie]; Path=/; HttpOnly; Secure"
    assert out["OpenAI-Organization"].startswith("org-[REDACTED:openai-organization]")
    assert out["OpenAI-Organization"].endswith("1234")
    assert "AbCdEfGhIjKlMnOp1234" not in out["OpenAI-Organization"]
    assert out["X-CSRF-Token"] == "[REDACTED:x-csrf-token]"
    for kept in ("x-ratelimit-remaining-tokens", "Idempotency-Key", "x-request-id", "Content-Type"):
        assert out[kept] == headers[kept]
    assert redact_headers(out) == out  # idempotent


@pytest.mark.parametrize(
    ("name", "secret"),
    [("x-auth-token", True), ("X-Goog-Api-Key", True), ("x-session-id", True),
     ("x-amz-security-token", True), ("WWW-Authenticate", False),
     ("x-ratelimit-reset-tokens", False),
     ("openai-processing-ms", False), ("Keep-Alive", False)],
)
def test_header_names(name: str, secret: bool) -> None:
    assert is_secret_header(name) is secret


def test_text_shapes_and_masked_401_message() -> None:
    message = ("Incorrect API key provided: sk-proj-**********************************wxyz. "
               "You can find your API key at https://platform.openai.com/account/api-keys.")
    out = redact_text(message)
    assert "wxyz" not in out and "[REDACTED:openai-key]" in out
    assert out.endswith("https://platform.openai.com/account/api-keys.")
    assert redact_text("Basic authentication is off") == "Basic authentication is off"


def test_hash_key_maps_equal_secrets_to_equal_placeholders() -> None:
    redactor = Redactor(hash_key=b"per-file")
    a = redactor.header("Authorization", "Bearer tokenAAAA1111")
    b = redactor.header("Authorization", "Bearer tokenAAAA1111")
    c = redactor.header("Authorization", "Bearer tokenBBBB2222")
    assert a == b != c
    assert redactor.counts["authorization"] == 3
    other = Redactor(hash_key=b"another-file").header("Authorization", "Bearer tokenAAAA1111")
    assert other != a


def test_nested_json_fields_and_measures() -> None:
    data = {"a": [{"b": {"client_secret": "cs~9Fq2", "refreshToken": "rt.Kd83jQ",
                         "pin": 123456}}],
            "usage": {"prompt_tokens": 12, "total_tokens": 20}, "token_count": 5000,
            "max_tokens": 100, "error": {"code": "invalid_api_key", "message": f"bad {KEY}"}}
    out = redact_obj(data)
    assert out["a"][0]["b"] == {"client_secret": "[REDACTED:client_secret]",
                                "refreshToken": "[REDACTED:refreshtoken]",
                                "pin": "[REDACTED:pin]"}
    assert out["usage"] == data["usage"] and out["token_count"] == 5000
    assert out["error"]["code"] == "invalid_api_key"
    assert KEY not in out["error"]["message"]


def test_partly_redacted_values_are_finished_not_trusted() -> None:
    out = redact_headers({"Cookie": "a=[REDACTED:cookie]; session=still-secret-9f2K",
                          "Authorization": "Bearer [REDACTED:authorization]"})
    assert "still-secret" not in out["Cookie"] and out["Cookie"].startswith("a=[REDACTED:cookie]")
    assert out["Authorization"] == "Bearer [REDACTED:authorization]"
    red = Redactor()
    sse = 'data:{"a": 1}\n\ndata: {"password": "pw"}\n\ndata: [DONE]\n'
    assert red.body(sse, "text/event-stream") == (
        'data:{"a": 1}\n\ndata: {"password": "[REDACTED:password]"}\n\ndata: [DONE]\n')


@pytest.mark.parametrize("name", ["key_env", "key_owner", "cookie_bytes", "cookie_kb",
                                  "token_count", "expires_in", "max_tokens", "prompt_tokens",
                                  "x-ratelimit-remaining-tokens", "token_type", "secret_name"])
def test_names_that_describe_a_secret_are_kept(name: str) -> None:
    assert redact_obj({name: "OPENAI_API_KEY-ish value 12345"}) == {
        name: "OPENAI_API_KEY-ish value 12345"}
