"""Target and provider profiles: defaults, validation, and a key that never shows."""

from __future__ import annotations

import pytest

from chatkit.errors import MissingKey, UnknownProvider, UsageError
from chatkit.targets import (
    PROVIDERS,
    ProviderProfile,
    Target,
    get_provider,
    mask_key,
    register_provider,
)


def test_openai_defaults() -> None:
    t = Target()
    assert t.url == "https://api.openai.com/v1"
    assert (t.host, t.port, t.scheme) == ("api.openai.com", 443, "https")
    assert t.key_env == "OPENAI_API_KEY"
    assert t.status_page == "https://status.openai.com"


def test_compatible_gateway_has_no_status_page_and_keeps_its_port() -> None:
    t = Target(base_url="http://127.0.0.1:4000/v1/", provider="compatible")
    assert t.url == "http://127.0.0.1:4000/v1"
    assert t.port == 4000 and t.status_page is None


def test_azure_needs_a_base_url_and_uses_the_api_key_header() -> None:
    with pytest.raises(UsageError, match="pass base_url="):
        Target(provider="azure")
    t = Target(base_url="https://res.openai.azure.com/openai", provider="azure",
               api_key="0123456789abcdef0123")
    assert t.key_env == "AZURE_OPENAI_API_KEY"
    assert t.auth_headers() == {"api-key": "0123456789abcdef0123"}


@pytest.mark.parametrize("url", ["api.openai.com/v1", "ftp://x/v1", "https:///v1", ""])
def test_bad_base_urls_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError, match="not an http"):
        Target(base_url=url or "nothing")


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProvider) as info:
        Target(provider="nope")
    assert isinstance(info.value, KeyError)
    assert str(info.value) == (
        "unknown provider 'nope'; choose one of: anthropic, azure, chatgpt-web, cometapi, "
        "compatible, deepseek, fireworks, gemini, groq, litellm, lmstudio, mistral, ollama, "
        "openai, openrouter, perplexity, together, vllm, xai")


def test_a_new_gateway_is_one_registration() -> None:
    register_provider(ProviderProfile(name="gateway-test", default_base_url="https://gw.test/v1",
                                      key_env="GW_KEY", status_page="https://status.gw.test"))
    try:
        t = Target(provider="gateway-test")
        assert (t.url, t.key_env, t.status_page) == (
            "https://gw.test/v1", "GW_KEY", "https://status.gw.test")
        assert get_provider("gateway-test").auth_headers("k") == {"Authorization": "Bearer k"}
    finally:
        del PROVIDERS["gateway-test"]


def test_key_from_environment_or_widget_and_only_masked_in_dict_and_repr() -> None:
    key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
    t = Target(key_env="MY_KEY")
    assert t.key({"MY_KEY": key}) == key
    assert t.key({}) is None
    with pytest.raises(MissingKey, match="set MY_KEY"):
        t.require_key({})
    typed = Target(api_key=key)
    assert typed.key({}) == key
    assert typed.to_dict()["key"] == "sk-...6789"
    assert key not in repr(typed) and key not in str(typed.to_dict())


def test_mask_key() -> None:
    assert mask_key("sk-abcdefghijklmnop1234") == "sk-...1234"
    assert mask_key("short") == "***"
    assert mask_key(None) is None and mask_key("") is None


def test_proxy_credentials_are_removed_from_dict_and_repr() -> None:
    t = Target(proxy="http://alice:s3cret@proxy.corp:3128")
    assert t.to_dict()["proxy"] == "http://REDACTED:userinfo@proxy.corp:3128"
    assert "s3cret" not in repr(t)


def test_credentials_in_the_base_url_are_removed_from_dict_report_and_repr() -> None:
    from chatkit.findings import Report

    url = "https://alice:hunter2pass@gw.example/v1?api-key=abcdef1234567890XYZ"
    t = Target(base_url=url, provider="compatible",
               status_page="https://bob:statuspw@status.example")
    assert t.url == url  # requests still go to the URL as given
    shown = [repr(t), str(t.to_dict({})), Report(findings=(), target=t.to_dict({})).to_json()]
    for text in shown:
        assert "hunter2pass" not in text and "abcdef1234567890XYZ" not in text
        assert "statuspw" not in text
    assert t.to_dict({})["base_url"].startswith("https://REDACTED:userinfo@gw.example/v1?api-key=")
