"""What redaction leaves alone, what it follows, and what ``--pii`` adds."""

from __future__ import annotations

import json

import pytest

from chatkit.cli import main
from chatkit.redaction.scrub import Redactor, redact_headers, redact_obj, redact_text

DID = "cc718b67-dee8-43c7-a3f7-725bcf6b9b1f"


@pytest.mark.parametrize(("mime", "code"), [
    ("application/javascript", 'this._state=0,this._handled=!1;var o={credentials:"omit",'
                               'key:"resolveOptions"};t.password=e.password||""'),
    ("text/css", ".a{background:url(/i.png?token=abc)}"),
    ("text/html", '<input type="hidden" name="state" value="signup">'
                  '<a href="/x?session=42&key=mit">x</a>'),
])
def test_code_and_markup_are_never_rewritten_by_name(mime: str, code: str) -> None:
    red = Redactor()
    assert red.body(code, mime) == code and not red.counts
    key = "sk-proj-" + "Zq3" * 20
    assert key not in red.body(f'{code};const k="{key}"', mime)  # shapes still come out


def test_a_name_rule_needs_a_value_that_could_be_a_secret() -> None:
    doc = {"license": {"key": "mit", "name": "MIT License"}, "key": "apache-2.0",
           "logprobs": [{"token": "Hello", "logprob": -0.1}], "state": "CA", "code": "404",
           "sid": "hp_970x250_bnr_atf_01", "credentials": "include", "auth": "none",
           "token": "k8Jq2ZpW0xR4", "session": DID, "key_id": "kms-key-1234abcd"}
    out = redact_obj(doc)
    assert {k: v for k, v in out.items() if v != doc[k]} == {
        "token": "[REDACTED:token]", "session": "[REDACTED:session]"}


def test_a_json_body_is_rewritten_only_where_a_secret_was() -> None:
    red = Redactor()
    pretty = json.dumps({"model": "gpt-4o", "key": "mit", "x": "caf\u00e9"}, indent=4)
    assert red.body(pretty, "application/json") == pretty  # not re-serialised
    secret = {"a": {"password": "hunter2"}, "b": [1, 2.50, "é"], "key": "mit"}
    text = json.dumps(secret, indent=2, ensure_ascii=False).replace("2.5", "2.50")
    out = red.body(text, "application/json")
    assert out == text.replace('"hunter2"', '"[REDACTED:password]"')  # spacing, 2.50 kept


def test_headers_that_carry_policy_stay() -> None:
    headers = {"access-control-allow-credentials": "true",
               "Access-Control-Allow-Headers": "authorization, x-api-key",
               "public-key-pins-report-only": 'pin-sha256="2fRAUXyxl4A1/XHrKNBmc8bTkzA7y4FB/'
                                              'GLJuNAzCqY="; max-age=2592000',
               "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
               "x-slack-shared-secret-outcome": "no-match",
               "x-amz-server-side-encryption-aws-kms-key-id":
                   "arn:aws:kms:us-west-2:065771177658:key/213d182a-0c06-47f7-b786-1ed59ab92bc4"}
    assert redact_headers(headers) == headers


def test_the_device_id_is_followed_wherever_it_travels() -> None:
    red = Redactor()
    entry = {"request": {
        "headers": [{"name": "cookie", "value": f"oai-did={DID}; oai-hm=ON_YOUR_MIND"},
                    {"name": "oai-device-id", "value": DID},
                    {"name": "x-trace", "value": f"device {DID} turn 3"}],
        "postData": {"mimeType": "application/json",
                     "text": json.dumps({"client": {"did": DID}, "text": "hi"})},
        "url": f"https://chatgpt.com/ces/v1/t?d={DID}"}}
    out = json.dumps(red.obj(entry))
    assert DID not in out and "ON_YOUR_MIND" in out
    assert red.counts["cookie"] + red.counts["oai-device-id"] >= 5


def test_entropy_under_plain_names_but_not_ids_and_hashes() -> None:
    red = Redactor()
    doc = {"x": "Qw7rT2yU9iO4pA6sD1fG3hJ5kL8zX0cV", "node_id": "MDEyOk9yZ2FuaXphdGlvbjQ2NTI3ODc=",
           "sha": "8c317fdcf5550e9b145421a339d6648d684d2188", "v": DID,
           "blob": "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=", "words": "the quick brown fox jumps"}
    out = red.obj(doc)
    assert out["x"] == "[REDACTED:high-entropy]"
    assert {k: v for k, v in out.items() if k != "x"} == {k: v for k, v in doc.items()
                                                          if k != "x"}
    assert Redactor(entropy=False).obj(doc) == doc


def test_jwe_and_azure_ad_secrets_in_free_text() -> None:
    jwe = ("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..Kd83jQz0pW3x9fLm.ciphertextAbC123xyz"
           "QwErTy.tagTag1234567890ab")
    azure = "qHF8Q~PCM5HhMoyTFc5TYEomnzR6Kim9UJhe8a.P"
    out = redact_text(f"decryption failed for {jwe}; secret {azure} expired")
    assert out == ("decryption failed for [REDACTED:jwe]; secret "
                   "[REDACTED:azure-ad-client-secret] expired")


def test_pii_only_when_asked() -> None:
    doc = {"user": {"name": "Ada Lovelace", "email": "ada@example.com"},
           "first_name": "Ada", "note": "call +44 20 7946 0958 or (555) 123-4567",
           "model": {"name": "gpt-4o"}, "date": "2026-03-02", "ip": "104.18.33.45"}
    assert redact_obj(doc) == doc
    red = Redactor(pii=True)
    out = red.obj(doc)
    assert out["user"] == {"name": "[REDACTED:name]", "email": "[REDACTED:email]"}
    assert out["first_name"] == "[REDACTED:name]"
    assert out["note"] == "call [REDACTED:phone] or [REDACTED:phone]"
    assert (out["model"], out["date"], out["ip"]) == (doc["model"], doc["date"], doc["ip"])
    form = red.body("email=ada%40example.com&username=ada99&lang=en",
                    "application/x-www-form-urlencoded")
    assert form == "email=[REDACTED:email]&username=[REDACTED:name]&lang=en"


def test_cli_help_says_why_pii_is_off(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["redact", "--help"])
    except SystemExit as exc:  # argparse's own exit, when main lets it through
        code = exc.code  # type: ignore[assignment]
    assert code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--pii" in text and "needs the account's e-mail" in text and ".gz" in text
