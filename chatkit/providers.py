"""Provider profiles: what chatkit knows about each API people reach with an OpenAI client.

A :class:`ProviderProfile` says where the provider's API lives (default base URL, the hosts
and local ports that give it away), how it wants its key (environment variable, key shapes,
auth header), where its status page is and whether chatkit can read it, and which dashboard
pages a remedy should name (keys, billing, limits). Profiles live in a plain registry filled
by :func:`register_provider`; chatkit's own profiles are registered the same way, so a new
gateway is one entry. :func:`detect_provider` names the profile behind a base URL and
:func:`key_owner` the provider a key belongs to, so a key sent to the wrong provider can be
named before the 401 comes back.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from chatkit.errors import UnknownProvider

__all__ = [
    "PROVIDERS",
    "ProviderProfile",
    "StatusKind",
    "detect_provider",
    "get_provider",
    "key_owner",
    "register_provider",
]

#: How a status page can be read: Atlassian Statuspage, incident.io (which serves a
#: Statuspage-compatible ``/api/v2/summary.json``), or not by chatkit ("none": Instatus,
#: Better Stack, OnlineOrNot, Flashduty, RSS-only and home-made pages, which remedies still
#: name). Kinds as bentleypark/aiwatch's ``worker/src/services.ts`` reads each page.
StatusKind = Literal["statuspage", "incident.io", "none"]


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """What chatkit knows about one kind of endpoint."""

    name: str
    default_base_url: str | None
    key_env: str = "OPENAI_API_KEY"
    auth_header: str = "Authorization"  # "Authorization" -> "Bearer <key>"; else the raw key
    status_page: str | None = None  # the page a person opens
    status_kind: StatusKind = "statuspage"  # "none": chatkit cannot read it
    key_prefixes: tuple[str, ...] = ()  # what this provider's keys look like
    extra_hosts: tuple[str, ...] = ()  # other hosts worth a DNS/reachability look
    api_version: str | None = None  # sent as ?api-version= (Azure deployment paths)
    description: str = ""
    title: str = ""  # how people write its name
    hosts: tuple[str, ...] = ()  # host names (or their suffixes) that give the provider away
    local_ports: tuple[int, ...] = ()  # the default port of a local server on loopback
    keys_page: str | None = None  # where keys are created and revoked
    billing_page: str | None = None  # where credit is bought or the plan changed
    limits_page: str | None = None  # where rate limits and quotas are shown or raised
    models_hint: str = "list the models this key can use (GET /v1/models)"
    gateway: bool = False  # routes requests to other providers (errors may be theirs)
    groups: tuple[str, ...] | None = None  # the check groups that apply to it (None: all)

    def auth_headers(self, key: str) -> dict[str, str]:
        """The request headers that carry ``key`` for this provider."""
        if self.auth_header.lower() == "authorization":
            return {"Authorization": f"Bearer {key}"}
        return {self.auth_header: key}

    @property
    def label(self) -> str:
        """The provider's name as people write it."""
        return self.title or self.name

    @property
    def readable_status_page(self) -> str | None:
        """The status page's root when chatkit can read it, else None."""
        return self.status_page if self.status_kind != "none" else None


PROVIDERS: dict[str, ProviderProfile] = {}


def register_provider(profile: ProviderProfile) -> ProviderProfile:
    """Add (or replace) a provider profile; returns it so it can be used as a one-liner."""
    PROVIDERS[profile.name] = profile
    return profile


def get_provider(name: str) -> ProviderProfile:
    """The profile called ``name``; :class:`~chatkit.errors.UnknownProvider` if there is none."""
    try:
        return PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise UnknownProvider(f"unknown provider {name!r}; choose one of: {known}") from None


def _is_local(host: str) -> bool:
    if host in ("localhost", "host.docker.internal"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def detect_provider(url: str | None) -> str | None:
    """The name of the profile whose hosts (or local port) ``url`` points at, else None.

    A host matches a profile when it equals one of the profile's hosts or ends in
    ``.<host>``; a loopback or private address matches a local server by its default port.
    """
    if not url:
        return None
    parts = urlsplit(url if "//" in url else f"//{url}")
    host = (parts.hostname or "").lower()
    if not host:
        return None
    for profile in PROVIDERS.values():
        if any(host == h or host.endswith("." + h) for h in profile.hosts):
            return profile.name
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and _is_local(host):
        for profile in PROVIDERS.values():
            if port in profile.local_ports:
                return profile.name
    return None


def key_owner(key: str | None) -> str | None:
    """The provider whose key shape ``key`` has (longest prefix wins), else None.

    ``sk-`` alone names nobody: OpenAI, DeepSeek, gateways and local servers all use it.
    """
    if not key:
        return None
    best: tuple[int, str] | None = None
    for profile in PROVIDERS.values():
        for prefix in profile.key_prefixes:
            if prefix != "sk-" and key.startswith(prefix) and (
                    best is None or len(prefix) > best[0]):
                best = (len(prefix), profile.name)
    return best[1] if best else None


# --- the built-in profiles (pages as each provider's error messages and docs name them) -----

_P = register_provider
_P(ProviderProfile(
    "openai", "https://api.openai.com/v1", title="OpenAI",
    hosts=("api.openai.com",), extra_hosts=("chatgpt.com",),
    key_prefixes=("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-"),
    status_page="https://status.openai.com", status_kind="incident.io",
    keys_page="https://platform.openai.com/api-keys",
    billing_page="https://platform.openai.com/settings/organization/billing",
    limits_page="https://platform.openai.com/settings/organization/limits",
    description="OpenAI's own API"))
_P(ProviderProfile(
    "chatgpt-web", "https://chatgpt.com", title="ChatGPT", hosts=("chatgpt.com",),
    status_page="https://status.openai.com", status_kind="incident.io",
    # No group that sends a key: the website needs none to be reached.
    groups=("dns", "tcp", "tls", "proxy", "control", "status", "web"),
    description="the ChatGPT website: chatgpt.com and the hosts the page needs (no key)"))
_P(ProviderProfile(
    "azure", None, title="Azure OpenAI", key_env="AZURE_OPENAI_API_KEY", auth_header="api-key",
    api_version="2024-10-21",
    hosts=("openai.azure.com", "cognitiveservices.azure.com", "services.ai.azure.com"),
    status_page="https://azure.status.microsoft/en-us/status", status_kind="none",
    keys_page="the Azure portal: your resource > Keys and Endpoint (https://portal.azure.com)",
    billing_page="the Azure portal's Cost Management (https://portal.azure.com)",
    limits_page="https://aka.ms/oai/quotaincrease",
    models_hint="use the deployment name from the Azure portal (Deployments), not the model name",
    description="Azure OpenAI: api-key header; /openai/deployments/<name> with ?api-version=, "
                "or the newer /openai/v1 path without it"))
_P(ProviderProfile(
    "anthropic", "https://api.anthropic.com/v1", title="Anthropic", key_env="ANTHROPIC_API_KEY",
    hosts=("api.anthropic.com",), key_prefixes=("sk-ant-",),
    status_page="https://status.claude.com", status_kind="statuspage",
    keys_page="https://console.anthropic.com/settings/keys",
    billing_page="https://console.anthropic.com/settings/billing",
    limits_page="https://console.anthropic.com/settings/limits",
    description="Anthropic's OpenAI SDK compatibility layer"))
_P(ProviderProfile(
    "gemini", "https://generativelanguage.googleapis.com/v1beta/openai", title="Google Gemini",
    key_env="GEMINI_API_KEY", hosts=("generativelanguage.googleapis.com",),
    key_prefixes=("AIza",),
    status_page="https://aistudio.google.com/status", status_kind="none",
    keys_page="https://aistudio.google.com/apikey",
    billing_page="https://aistudio.google.com/apikey (set up billing to leave the free tier)",
    limits_page="https://ai.dev/usage?tab=rate-limit",
    description="Gemini's OpenAI-compatible endpoint (errors come wrapped in a list)"))
_P(ProviderProfile(
    "openrouter", "https://openrouter.ai/api/v1", title="OpenRouter",
    key_env="OPENROUTER_API_KEY", hosts=("openrouter.ai",), key_prefixes=("sk-or-v1-", "sk-or-"),
    status_page="https://status.openrouter.ai", status_kind="none", gateway=True,
    keys_page="https://openrouter.ai/settings/keys",
    billing_page="https://openrouter.ai/settings/credits",
    limits_page="https://openrouter.ai/settings/integrations (your own provider keys raise the "
                "upstream limits)",
    models_hint="pick a model that has a live provider at https://openrouter.ai/models (a free "
                "variant may be gone; tools or a data policy can rule providers out: "
                "https://openrouter.ai/settings/privacy)",
    description="a gateway to many providers; their errors arrive in error.metadata"))
_P(ProviderProfile(
    "deepseek", "https://api.deepseek.com", title="DeepSeek", key_env="DEEPSEEK_API_KEY",
    hosts=("api.deepseek.com",), key_prefixes=("sk-",),
    status_page="https://status.deepseek.com", status_kind="none",
    keys_page="https://platform.deepseek.com/api_keys",
    billing_page="https://platform.deepseek.com/top_up",
    limits_page="https://platform.deepseek.com/usage"))
_P(ProviderProfile(
    "groq", "https://api.groq.com/openai/v1", title="Groq", key_env="GROQ_API_KEY",
    hosts=("api.groq.com",), key_prefixes=("gsk_",),
    status_page="https://groqstatus.com", status_kind="incident.io",
    keys_page="https://console.groq.com/keys",
    billing_page="https://console.groq.com/settings/billing",
    limits_page="https://console.groq.com/settings/limits"))
_P(ProviderProfile(
    "mistral", "https://api.mistral.ai/v1", title="Mistral", key_env="MISTRAL_API_KEY",
    hosts=("api.mistral.ai",), status_page="https://status.mistral.ai", status_kind="none",
    keys_page="https://console.mistral.ai/api-keys",
    billing_page="https://console.mistral.ai/billing",
    limits_page="https://admin.mistral.ai/plateforme/limits"))
_P(ProviderProfile(
    "xai", "https://api.x.ai/v1", title="xAI", key_env="XAI_API_KEY", hosts=("api.x.ai",),
    key_prefixes=("xai-",), status_page="https://status.x.ai", status_kind="none",
    keys_page="https://console.x.ai", billing_page="https://console.x.ai",
    limits_page="https://console.x.ai (the team's rate limits)"))
_P(ProviderProfile(
    "together", "https://api.together.xyz/v1", title="Together AI", key_env="TOGETHER_API_KEY",
    hosts=("api.together.xyz", "api.together.ai"), key_prefixes=("tgp_v1_",),
    status_page="https://status.together.ai", status_kind="none",
    keys_page="https://api.together.xyz/settings/api-keys",
    billing_page="https://api.together.xyz/settings/billing",
    limits_page="https://api.together.xyz/settings/billing (limits grow with the tier)",
    models_hint="use a serverless model (https://api.together.ai/models), or create and start "
                "a dedicated endpoint for this one"))
_P(ProviderProfile(
    "fireworks", "https://api.fireworks.ai/inference/v1", title="Fireworks AI",
    key_env="FIREWORKS_API_KEY", hosts=("api.fireworks.ai",), key_prefixes=("fw_",),
    status_page="https://status.fireworks.ai", status_kind="incident.io",
    keys_page="https://app.fireworks.ai/settings/users/api-keys",
    billing_page="https://app.fireworks.ai/account/billing",
    limits_page="https://app.fireworks.ai/account/quotas",
    models_hint="use a serverless model id (accounts/fireworks/models/<name>) or deploy it"))
_P(ProviderProfile(
    "perplexity", "https://api.perplexity.ai", title="Perplexity", key_env="PERPLEXITY_API_KEY",
    hosts=("api.perplexity.ai",), key_prefixes=("pplx-",),
    status_page="https://status.perplexity.com", status_kind="none",
    keys_page="https://www.perplexity.ai/settings/api",
    billing_page="https://www.perplexity.ai/settings/api",
    limits_page="https://docs.perplexity.ai/guides/usage-tiers",
    models_hint="use a model named in https://docs.perplexity.ai/getting-started/models "
                "(sonar, sonar-pro, ...; no provider prefix)"))
_P(ProviderProfile(
    "cometapi", "https://api.cometapi.com/v1", title="CometAPI", key_env="COMETAPI_KEY",
    hosts=("api.cometapi.com",), gateway=True,
    keys_page="https://api.cometapi.com/console/token",
    billing_page="https://api.cometapi.com/console/topup",
    description="a gateway to many providers"))
_P(ProviderProfile(
    "litellm", "http://localhost:4000", title="LiteLLM proxy", key_env="LITELLM_API_KEY",
    local_ports=(4000,), gateway=True,
    keys_page="the proxy's admin UI (/ui) or POST /key/generate (ask the proxy's admin)",
    billing_page="the proxy's budget for this key (ask the proxy's admin)",
    limits_page="the proxy's rpm/tpm limits for this key (ask the proxy's admin)",
    models_hint="use a model_name from the proxy's config (GET /v1/models)",
    description="a self-hosted gateway; upstream errors arrive inside its messages"))
_P(ProviderProfile(
    "ollama", "http://localhost:11434/v1", title="Ollama", key_env="OLLAMA_API_KEY",
    local_ports=(11434,), models_hint="pull the model first: `ollama pull <model>` "
                                     "(`ollama list` shows what is there)",
    description="a local server; any key is accepted"))
_P(ProviderProfile(
    "vllm", "http://localhost:8000/v1", title="vLLM", key_env="VLLM_API_KEY",
    local_ports=(8000,), models_hint="use the name the server was started with (--model, or "
                                    "--served-model-name; GET /v1/models shows it)",
    description="a self-hosted server; the key is its --api-key, if set"))
_P(ProviderProfile(
    "lmstudio", "http://localhost:1234/v1", title="LM Studio", key_env="LM_STUDIO_API_KEY",
    local_ports=(1234,), models_hint="load the model in LM Studio (or `lms load <model>`) and "
                                    "use its identifier from GET /v1/models",
    description="a local server; any key is accepted"))
_P(ProviderProfile(
    "compatible", None, title="the provider",
    description="any other OpenAI-compatible gateway or server"))
