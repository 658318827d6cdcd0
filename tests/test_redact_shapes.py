"""Secret shapes, from a maintained scanner's own rules: gitleaks' samples must all come out.

For each gitleaks rule of a service a chatkit user touches (OpenAI, Anthropic, Azure AD, Google
Cloud, AWS, GitHub, Hugging Face, Slack, Stripe, Perplexity, JWT) the samples below are the
rule's true positives from gitleaks' ``cmd/generate/config/rules/*.go`` (copied) or built as
those files build them (prefix plus the rule's alphabet and length). Each sample is first shown
to match the rule's regex in ``tests/data/real/secrets/gitleaks.toml`` (so it is of the rule's
shape), then planted where a HAR or log holds it: prose, a JSON body under a plain name, a
header that says nothing, a URL query parameter that says nothing.
"""

from __future__ import annotations

import json
import random
import re
import string
from pathlib import Path

import pytest
import tomllib

from chatkit.redaction.scrub import Redactor

RULES = {r["id"]: r for r in tomllib.loads(
    (Path(__file__).parent / "data/real/secrets/gitleaks.toml").read_text())["rules"]}
_rng = random.Random(15)
_ALNUM = string.ascii_letters + string.digits


def _gen(alphabet: str, n: int) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


SAMPLES: list[tuple[str, str]] = [
    # openai.go: true positives, verbatim
    ("openai-api-key", "sk-proj-SevzWEV_NmNnMndQ5gn6PjFcX_9ay5SEKse8AL0EuYAB0cIgFW7Equ3vCbUbYShvi"
                       "i6L3rBw3WT3BlbkFJdD9FqO9Z3BoBu9F-KFR6YJtvW6fUfqg2o2Lfel3diT3OCRmBB24hjcd_"
                       "uLEjgr9tCqnnerVw8A"),
    ("openai-api-key", "sk-svcacct-0Zkr4NUd4f_6LkfHfi3LlC8xKZQePXJCb21UiUWGX0F3_-6jv9PpY9JtaoooN9"
                       "CCUPltpFiamwT3BlbkFJZVaaY7Z2aq_-I96dwiXeKVhRNi8Hs7uGmCFv5VTi2SxzmUsRgJoUJ"
                       "CbgPFWSXYDPPbYHJAuwIA"),
    ("openai-api-key", "sk-admin-JWARXiHjpLXSh6W_0pFGb3sW7yr0cKheXXtWGMY0Q8kbBNqsxLskJy0LCOT3Blbk"
                       "FJgTJWgjMvdi6YlPvdXRqmSlZ4dLK-nFxUG2d9Tgaz5Q6weGVNBaLuUmMV4A"),
    ("openai-api-key", "sk-" + _gen(_ALNUM, 20) + "T3BlbkFJ" + _gen(_ALNUM, 20)),
    # anthropic.go
    ("anthropic-api-key", "sk-ant-api03-abc123xyz-456def789ghij-klmnopqrstuvwx-3456yza789bcde-123"
                          "4fghijklmnopby56aaaogaopaaaabc123xyzAA"),
    ("anthropic-admin-api-key", "sk-ant-admin01-abc12fake-456def789ghij-klmnopqrstuvwx-3456yza789"
                                "bcde-12fakehijklmnopby56aaaogaopaaaabc123xyzAA"),
    # azure.go (azure-ad-client-secret)
    ("azure-ad-client-secret", "t028Q~-aLbmQuinnZtzbgtlEAYstnBWEmGPAoBm"),
    ("azure-ad-client-secret", "qHF8Q~PCM5HhMoyTFc5TYEomnzR6Kim9UJhe8a.P"),
    ("azure-ad-client-secret", "dO29Q~F5-VwnW.lZdd11xFF_t5NAXCaGwDl9NbT1"),
    ("azure-ad-client-secret", "QtT8Q~9C-_Ij~RouHVpD2Tuf3oHWGh.DQ3kcjbAn"),
    # gcp.go (gcp-api-key): "non-word character at end", and one built from AIza[\w-]{35}
    ("gcp-api-key", "AIzaSyNHxIf32IQ1a1yjl3ZJIqKZqzLAK1XhDk-"),
    ("gcp-api-key", "AIza" + _gen(_ALNUM + "_-", 35)),
    # aws.go (aws-access-token): built from (?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}
    ("aws-access-token", "AKIA" + _gen(string.ascii_uppercase + "234567", 16)),
    ("aws-access-token", "ASIA" + _gen(string.ascii_uppercase + "234567", 16)),
    # github.go: built as GenerateSampleSecrets does (prefix + alphanumerics)
    ("github-pat", "ghp_" + _gen(_ALNUM, 36)),
    ("github-oauth", "gho_" + _gen(_ALNUM, 36)),
    ("github-app-token", "ghs_" + _gen(_ALNUM, 36)),
    ("github-fine-grained-pat", "github_pat_" + _gen(_ALNUM, 82)),
    # huggingface.go: true positives, verbatim
    ("huggingface-access-token", "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"),
    ("huggingface-access-token", "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"),
    # slack.go: true positives, verbatim
    ("slack-bot-token", "xoxb-781236542736-2364535789652-GkwFDQoHqzXDVsC6GzqYUypD"),
    ("slack-user-token", "xoxp-41684372915-1320496754-45609968301-e708ba56e1517a99f6b5fb07349476e"
                         "f"),
    ("slack-app-token", "xapp-1-A052FGTS2DL-5171572773297-610b6a11f4b7eb819e87b767d80e6575a363479"
                        "1acb9a9ead051da879eb5b55e"),
    ("slack-webhook-url", "https://hooks.slack.com/services/T" + _gen(string.ascii_uppercase, 8)
     + "/B" + _gen(string.ascii_uppercase, 10) + "/" + _gen(_ALNUM, 24)),
    # stripe.go: built as its GenerateSampleSecrets calls do
    ("stripe-access-token", "sk_test_" + _gen(_ALNUM, 30)),
    ("stripe-access-token", "sk_prod_" + _gen(_ALNUM, 99)),
    ("stripe-access-token", "rk_live_" + _gen(_ALNUM, 24)),
    # perplexity.go
    ("perplexity-api-key", "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"),
    # jwt.go: RFC 7519's sample token, as the rule's generateTestValues uses it
    ("jwt", "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAs"
            "DQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gF"
            "WFOEjXk"),
]
#: gitleaks' false positives for the same rules that chatkit must leave alone too (azure.go)
NOT_SECRETS = [
    "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
    ".ui.visible.right.sidebar~.ui.visible.left.sidebar~.pusher{transform:translate3d(0,0,0)}",
    "'#!/registries/5/portainer.demo~2Fportainerregistrytesting~2Falpine',",
    "'url': 'http://www.2doc.nl/speel~VARA_101375237~mh17-het-verdriet-van-nederland~.html',",
]


def _gitleaks_matches(rule_id: str, text: str) -> bool:
    pattern = RULES[rule_id]["regex"]
    return re.search(pattern, text) is not None


@pytest.mark.parametrize(("rule", "sample"), SAMPLES, ids=[f"{r}-{i}" for i, (r, _) in
                                                           enumerate(SAMPLES)])
def test_every_gitleaks_sample_comes_out_wherever_it_sits(rule: str, sample: str) -> None:
    assert _gitleaks_matches(rule, f'value = "{sample}"\n'), "not of the rule's shape"
    red = Redactor()
    prose = red.text(f"the request failed with {sample} in it")
    body = red.body(json.dumps({"data": {"note": sample}}), "application/json")
    header = red.header("x-debug", sample)
    url = red.url(f"https://example.com/cb?q={sample}&n=1")
    script = red.body(f'var cfg={{key:"{sample}"}};', "application/javascript")
    for out in (prose, body, header, url, script):
        assert sample not in out and "[REDACTED:" in out, out


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_gitleaks_false_positives_stay(text: str) -> None:
    red = Redactor()
    assert red.text(text) == text and red.code(text) == text
    assert not red.counts


def test_samples_cover_the_services_and_the_rules_are_current() -> None:
    services = {rule.split("-")[0] for rule, _ in SAMPLES}
    assert services >= {"openai", "anthropic", "azure", "gcp", "aws", "github", "huggingface",
                        "slack", "stripe", "perplexity", "jwt"}
    assert all(rule in RULES for rule, _ in SAMPLES)
