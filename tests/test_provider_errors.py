"""Real error bodies of real providers are classified right, and named with their own pages.

The corpus in ``tests/data/real/provider_errors/`` holds bodies quoted in public issue threads
and docs (``SOURCES.md`` names each), one file per body with a sidecar ``.meta.json``: the
status, the headers where the source showed them, and the expected kind, category and
retryability. Each body is classified as the ``httpx.Response`` a client would have got from
the provider's own base URL.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from chatkit.knowledge.classifier import classify
from chatkit.providers import PROVIDERS, detect_provider, get_provider, key_owner
from chatkit.targets import Target

CORPUS = Path(__file__).parent / "data" / "real" / "provider_errors"
SOURCES = (Path(__file__).parent / "data" / "real" / "SOURCES.md").read_text(encoding="utf-8")
BODIES = sorted(p for p in CORPUS.glob("*/*.json") if not p.name.endswith(".meta.json"))
#: The profile field a kind's remedy must name.
PAGE_OF_KIND = {
    "credits_exhausted": "billing_page", "billing_not_active": "billing_page",
    "insufficient_quota": "billing_page", "daily_quota_exhausted": "limits_page",
    "rate_limit": "limits_page", "upstream_rate_limited": "limits_page",
    "request_too_large": "limits_page", "invalid_api_key": "keys_page",
    "missing_api_key": "key_env", "server_error": "status_page",
    "server_overloaded": "status_page", "model_not_found": "models_hint",
    "model_not_pulled": "models_hint", "no_endpoints": "models_hint",
}
OPENAI_PAGES = ("platform.openai.com", "status.openai.com")


def base_url(provider: str) -> str:
    return get_provider(provider).default_base_url or "https://myres.openai.azure.com/openai/v1"


def response_for(body: Path) -> httpx.Response:
    meta = json.loads(body.with_name(body.stem + ".meta.json").read_text(encoding="utf-8"))
    request = httpx.Request("POST", base_url(body.parent.name) + "/chat/completions")
    return httpx.Response(meta["status"], headers=meta["headers"], content=body.read_bytes(),
                          request=request)


def expected(body: Path) -> dict[str, object]:
    meta = json.loads(body.with_name(body.stem + ".meta.json").read_text(encoding="utf-8"))
    return dict(meta["expect"])


def test_the_corpus_is_large_and_sourced() -> None:
    providers = {body.parent.name for body in BODIES}
    assert len(BODIES) >= 60 and len(providers) >= 10
    assert providers <= set(PROVIDERS)
    missing = [f"{b.parent.name}/{b.name}" for b in BODIES
               if f"provider_errors/{b.parent.name}/{b.name} — " not in SOURCES]
    assert missing == []


@pytest.mark.parametrize("body", BODIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_real_body_is_classified_right(body: Path) -> None:
    finding = classify(response_for(body))
    want = expected(body)
    assert (finding.evidence["kind"], finding.category, finding.retryable) == (
        want["kind"], want["category"], want["retryable"])
    assert finding.evidence["provider"] == body.parent.name


@pytest.mark.parametrize("body", BODIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_remedy_names_the_providers_own_pages(body: Path) -> None:
    finding = classify(response_for(body))
    profile = get_provider(body.parent.name)
    field = PAGE_OF_KIND.get(str(finding.evidence["kind"]))
    page = getattr(profile, field) if field else None
    if page:
        assert page in f"{finding.cause} {finding.remedy}"
    if profile.name != "openai":
        assert not any(p in f"{finding.cause} {finding.remedy}" for p in OPENAI_PAGES)


def test_a_gateway_names_the_upstream_that_failed() -> None:
    finding = classify(response_for(CORPUS / "openrouter" / "upstream_429_baseten.json"))
    assert finding.cause.startswith("BaseTen, the provider OpenRouter routed the request to, "
                                    "is rate-limiting (HTTP 429): z-ai/glm-5.3-flash is "
                                    "temporarily rate-limited upstream.")
    assert "use your own BaseTen key" in finding.remedy
    via_litellm = classify(response_for(CORPUS / "litellm" / "azure_429_throttling.json"))
    assert "(at Azure, behind LiteLLM)" in via_litellm.cause
    assert via_litellm.evidence["wait"] == "24h (as the error message says)"


def test_google_details_say_how_long_and_which_quota() -> None:
    finding = classify(response_for(CORPUS / "gemini" / "quota_429_retryinfo_nested_string.json"))
    assert finding.evidence["wait"] == "26 s (RetryInfo)"
    assert finding.evidence["quota_ids"] == ["GenerateContentInputTokensPerModelPerMinute-FreeTier"]
    assert finding.evidence["body_shape"] == "nested"


def test_the_content_filter_names_what_it_flagged() -> None:
    finding = classify(response_for(CORPUS / "azure" / "content_filter_400_violence.json"))
    assert "content filter refused the request (violence (medium))" in finding.cause
    assert finding.remedy.startswith("rephrase the prompt")


def test_a_key_of_another_provider_is_named_in_the_401() -> None:
    # The wording of continuedev/continue#12777: an OpenRouter key sent to OpenAI.
    body = json.loads((CORPUS / "openai" / "wrong_provider_key_401.json").read_text())
    body["error"]["message"] = (
        "Incorrect API key provided: sk-or-v1*******************94f6. You can find your API "
        "key at https://platform.openai.com/account/api-keys.")
    request = httpx.Request("POST", "https://api.openai.com/v1/chat/completions")
    finding = classify(httpx.Response(401, json=body, request=request))
    assert finding.cause.endswith("; the key looks like OpenRouter's, sent to OpenAI")


def test_an_error_in_a_200_is_still_an_error() -> None:
    finding = classify(response_for(CORPUS / "vllm" / "model_not_found_200_runpod.json"))
    assert finding.status == "fail" and finding.evidence["status"] == 200
    assert finding.evidence["model"] == "a model that does not exist"


@pytest.mark.parametrize(("url", "provider"), [
    ("https://api.openai.com/v1", "openai"),
    ("https://myres.openai.azure.com/openai/v1", "azure"),
    ("https://myres.cognitiveservices.azure.com/openai/deployments/gpt4o", "azure"),
    ("https://api.anthropic.com/v1/", "anthropic"),
    ("https://generativelanguage.googleapis.com/v1beta/openai/", "gemini"),
    ("https://openrouter.ai/api/v1", "openrouter"),
    ("https://api.deepseek.com", "deepseek"),
    ("https://api.groq.com/openai/v1", "groq"),
    ("https://api.mistral.ai/v1", "mistral"),
    ("https://api.x.ai/v1", "xai"),
    ("https://api.together.xyz/v1", "together"),
    ("https://api.fireworks.ai/inference/v1", "fireworks"),
    ("https://api.perplexity.ai", "perplexity"),
    ("https://api.cometapi.com/v1", "cometapi"),
    ("http://localhost:4000", "litellm"),
    ("http://127.0.0.1:11434/v1", "ollama"),
    ("http://192.168.1.20:8000/v1", "vllm"),
    ("http://localhost:1234/v1", "lmstudio"),
    ("https://example.com:11434/v1", None),  # a port says nothing off the local network
    ("https://llm.example.com/v1", None),
])
def test_the_provider_is_detected_from_the_base_url(url: str, provider: str | None) -> None:
    assert detect_provider(url) == provider


def test_a_target_takes_the_profile_its_url_points_at() -> None:
    target = Target(base_url="https://openrouter.ai/api/v1")
    assert (target.provider, target.key_env) == ("openrouter", "OPENROUTER_API_KEY")
    assert target.status_page is None  # OnlineOrNot: a page to open, not one chatkit reads
    assert Target(provider="anthropic").status_page == "https://status.claude.com"
    assert Target(base_url="https://llm.example.com/v1").provider == "openai"


@pytest.mark.parametrize(("key", "owner"), [
    ("sk-or-v1-0123456789abcdef", "openrouter"), ("sk-ant-api03-abcdef", "anthropic"),
    ("sk-proj-abcdef", "openai"), ("gsk_abcdef", "groq"), ("xai-abcdef", "xai"),
    ("AIzaSyAbcdef", "gemini"), ("pplx-abcdef", "perplexity"),
    ("sk-0123456789abcdef", None),  # OpenAI's old keys, DeepSeek's and most gateways' alike
    ("", None),
])
def test_a_key_shape_names_its_provider(key: str, owner: str | None) -> None:
    assert key_owner(key) == owner


def test_a_logged_failure_names_the_provider_its_url_points_at() -> None:
    row = {"status": 402, "error_type": "unknown_error", "error_code": "invalid_request_error",
           "error_message": "Insufficient Balance", "provider": None,
           "url": "https://api.deepseek.com/chat/completions", "host": "api.deepseek.com"}
    finding = classify(row)
    assert finding.evidence["kind"] == "credits_exhausted"
    assert "https://platform.deepseek.com/top_up" in finding.remedy


def test_a_status_page_for_people_only_is_named_not_read() -> None:
    from chatkit.checks import CheckContext, doctor

    target = Target(base_url="https://openrouter.ai/api/v1")
    report = doctor(target, only="status", context=CheckContext(environ={}, timeout=1))
    [finding] = report.findings
    assert (finding.status, finding.remedy) == ("skip", "open https://status.openrouter.ai in "
                                                        "a browser")


def test_the_model_is_named_in_each_providers_words() -> None:
    named = {body: classify(response_for(CORPUS / body)).evidence["model"] for body in (
        "together/model_not_available_400.json", "openrouter/no_endpoints_404.json",
        "ollama/model_not_found_404_native.json", "vllm/model_not_found_404.json")}
    assert named == {
        "together/model_not_available_400.json": "mistralai/Mistral-Small-24B-Instruct-2501",
        "openrouter/no_endpoints_404.json": "deepseek/deepseek-chat-v3.1:free",
        "ollama/model_not_found_404_native.json": "llama3",
        "vllm/model_not_found_404.json": "Qwen1.5-14B-Chat-GPTQ-Int8"}


def test_a_notebook_session_reads_the_key_of_the_provider_its_url_points_at() -> None:
    from chatkit.widgets import connect

    session = connect("https://openrouter.ai/api/v1", simulate=False,
                      environ={"OPENROUTER_API_KEY": "sk-or-v1-" + "0" * 56})
    assert (session.target.provider, session.target.key_env) == (
        "openrouter", "OPENROUTER_API_KEY")
