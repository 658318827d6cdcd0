"""Personas: the simulator answering in the dialect of a real provider.

A persona is a provider (a :mod:`chatkit.providers` profile) and the answers it gives to the
simulator's faults, copied from real error bodies in ``tests/data/real/provider_errors/``
(each answer names its file there): ``chatkit sim --persona openrouter --fault
429_insufficient_quota`` answers OpenRouter's 402 "requires more credits", ``anthropic``
answers ``503_overloaded`` with Anthropic's 529. A persona may add faults of its own
(``azure``: ``400_content_filter``); a fault it does not know is answered as OpenAI would.

Chosen per server (``SimServer(persona=...)``), per request (header ``x-chatkit-persona``)
or per base URL (``http://127.0.0.1:PORT/persona/NAME/v1``, before any ``/fault/NAME``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from chatkit.errors import UsageError
from chatkit.sim.faults import Fault, FaultContext, Reply

__all__ = ["PERSONAS", "check_persona", "persona_fault", "split_persona"]

_PREFIX = re.compile(r"^/persona/([^/]+)(/.*)?$")


@dataclass(frozen=True, slots=True)
class _Recorded:
    """One real answer: status, the file it was copied from, headers the source showed, body."""

    status: int
    source: str
    headers: Mapping[str, str]
    body: str

    def reply(self, ctx: FaultContext) -> Reply:
        provider = self.source.split("/", 1)[0]
        return Reply(self.status, self.body.encode("utf-8"), headers=dict(self.headers),
                     from_api=provider == "openai")  # no OpenAI headers on another's answer


#: persona -> fault name -> the provider's real answer to it.
_ANSWERS: dict[str, dict[str, _Recorded]] = {
    "anthropic": {
        "401_invalid_key": _Recorded(401, "anthropic/invalid_x_api_key_401", {},
            '{"type":"error","error":{"type":"authentication_error","message":"invalid x-'
            'api-key"},"request_id":"req_011CXw8h8A796q3f74Ezmhav"}'),
        "429_insufficient_quota": _Recorded(400, "anthropic/credit_balance_low_400", {},
            '{"type":"error","error":{"type":"invalid_request_error","message":"Your cred'
            'it balance is too low to access the Anthropic API. Please go to Plans & Bill'
            'ing to upgrade or purchase credits."},"request_id":"req_011CbrFTcXhtiMzr3s6E'
            'ocF7"}'),
        "429_rate_limit": _Recorded(429, "anthropic/compat_rate_limit_429", {},
            '{"error":{"code":"rate_limit_error","message":"This request would exceed the'
            ' rate limit for your organization of 20,000 input tokens per minute. For det'
            'ails, refer to: https://docs.anthropic.com/en/api/rate-limits. You can see t'
            'he response headers for current usage. Please reduce the prompt length or th'
            'e maximum tokens requested, or try again later. You may also contact sales a'
            't https://www.anthropic.com/contact-sales to discuss your options for a rate'
            ' limit increase.","type":"invalid_request_error","param":null}}'),
        "500": _Recorded(500, "anthropic/api_error_500", {},
            '{"type":"error","error":{"type":"api_error","message":"Internal server error'
            '"},"request_id":"req_011CbGwJbzjfDGN6vNFPYMGA"}'),
        "503_overloaded": _Recorded(529, "anthropic/overloaded_529", {
            "request-id": "req_01RCc7MbLyQNtGKzBTv8VCep",
            "server": "cloudflare",
            "cf-ray": "8e695a03eed4f9fd-SJC",
            "via": "1.1 google",
            "x-should-retry": "true",
        },
            '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'),
    },
    "azure": {
        "400_content_filter": _Recorded(400, "azure/content_filter_400_violence", {},
            '{"error":{"message":"The response was filtered due to the prompt triggering '
            "Azure OpenAI's content management policy. Please modify your prompt and retr"
            'y. To learn more about our content filtering policies please read our docume'
            'ntation: https://go.microsoft.com/fwlink/?linkid=2198766","type":null,"param'
            '":"prompt","code":"content_filter","status":400,"innererror":{"code":"Respon'
            'sibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":false,"s'
            'everity":"safe"},"jailbreak":{"filtered":false,"detected":false},"self_harm"'
            ':{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":'
            '"safe"},"violence":{"filtered":true,"severity":"medium"}}}}}'),
        "401_invalid_key": _Recorded(401, "azure/invalid_key_401", {},
            '{"error":{"code":"401","message":"Access denied due to invalid subscription '
            'key or wrong API endpoint. Make sure to provide a valid key for an active su'
            'bscription and use a correct regional API endpoint for your resource."}}'),
        "429_insufficient_quota": _Recorded(429, "azure/rate_limit_429_s0", {},
            '{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Ope'
            'ration under Azure OpenAI API version 2024-08-01-preview have exceeded token'
            ' rate limit of your current OpenAI S0 pricing tier. Please retry after 86400'
            ' seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like'
            ' to further increase the default rate limit."}}'),
        "429_rate_limit": _Recorded(429, "azure/rate_limit_429_seconds", {
            "apim-request-id": "3d37de60-f6c3-4ced-a637-92bc9d16d8b5",
            "x-ms-region": "North Central US",
            "x-ratelimit-limit-requests": "8",
            "x-ratelimit-limit-tokens": "8000",
            "x-ratelimit-remaining-requests": "7",
            "x-ratelimit-remaining-tokens": "1014",
        },
            '{"error":{"code":"429","message":"Rate limit is exceeded. Try again in 2 sec'
            'onds."}}'),
    },
    "deepseek": {
        "400_bad_request": _Recorded(400, "deepseek/context_length_400", {},
            '{"error":{"message":"This model\'s maximum context length is 65536 tokens. Ho'
            'wever, you requested 68161 tokens (68161 in the messages, 0 in the completio'
            'n). Please reduce the length of the messages or completion.","type":"invalid'
            '_request_error","param":null,"code":"invalid_request_error"}}'),
        "401_invalid_key": _Recorded(401, "deepseek/invalid_key_401", {},
            '{"error":{"message":"Authentication Fails, Your API key: ****eek} is invalid'
            '","type":"authentication_error","param":null,"code":"invalid_request_error"}'
            '}'),
        "429_insufficient_quota": _Recorded(402, "deepseek/insufficient_balance_402", {},
            '{"error":{"message":"Insufficient Balance","type":"unknown_error","param":nu'
            'll,"code":"invalid_request_error"}}'),
    },
    "fireworks": {
        "401_invalid_key": _Recorded(401, "fireworks/invalid_apikey_401", {},
            '{"fault":{"faultstring":"Invalid ApiKey","detail":{"errorcode":"oauth.v2.Inv'
            'alidApiKey"}}}'),
        "404_model": _Recorded(404, "fireworks/conversation_config_404", {},
            '{"error":{"object":"error","type":"invalid_request_error","message":"model i'
            's missing conversation_config, please use /completions API instead"}}'),
        "429_rate_limit": _Recorded(429, "fireworks/usage_limits_429", {},
            '{"error":"Too Many Requests","message":"You have exceeded your usage limits.'
            ' Please try again later or contact Fireworks to explore dedicated capacity."'
            '}'),
    },
    "gemini": {
        "401_invalid_key": _Recorded(400, "gemini/invalid_key_400_list", {},
            '[{"error":{"code":400,"message":"API key not valid. Please pass a valid API '
            'key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/g'
            'oogle.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","m'
            'etadata":{"service":"generativelanguage.googleapis.com"}},{"@type":"type.goo'
            'gleapis.com/google.rpc.LocalizedMessage","locale":"en-US","message":"API key'
            ' not valid. Please pass a valid API key."}]}}]'),
        "429_rate_limit": _Recorded(429, "gemini/openai_compat_429_list", {},
            '[{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quo'
            'ta).","status":"RESOURCE_EXHAUSTED"}}]'),
        "503_overloaded": _Recorded(503, "gemini/overloaded_503", {},
            '{"error":{"code":503,"message":"The model is overloaded. Please try again la'
            'ter.","status":"UNAVAILABLE"}}'),
    },
    "groq": {
        "413_request_too_large": _Recorded(413, "groq/request_too_large_413", {},
            '{"error":{"message":"Request too large for model `llama-3.1-70b-versatile` i'
            'n organization `org_01hw8f0aa0ekmrn70ffm2zkdv1` on tokens per minute (TPM): '
            'Limit 6000, Requested 14368, please reduce your message size and try again. '
            'Visit https://console.groq.com/docs/rate-limits for more information.","type'
            '":"tokens","code":"rate_limit_exceeded"}}'),
        "429_rate_limit": _Recorded(429, "groq/rate_limit_429_tpm", {
            "retry-after": "2",
            "x-ratelimit-limit-requests": "14400",
            "x-ratelimit-limit-tokens": "18000",
            "x-ratelimit-remaining-requests": "14370",
            "x-ratelimit-remaining-tokens": "17997",
            "x-ratelimit-reset-requests": "2m59.56s",
            "x-ratelimit-reset-tokens": "7.66s",
        },
            '{"error":{"message":"Rate limit reached for model `llama3-70b-8192` in organ'
            'ization `org_01hrsvc1b8ey0anvbgha0xckf2` on tokens per minute (TPM): Limit 7'
            '000, Used 0, Requested ~12903. Please try again in 50.597142857s. Visit http'
            's://console.groq.com/docs/rate-limits for more information.","type":"tokens"'
            ',"code":"rate_limit_exceeded"}}'),
    },
    "litellm": {
        "401_invalid_key": _Recorded(401, "litellm/invalid_proxy_token_401", {},
            '{"error":{"message":"Authentication Error, Invalid proxy server token passed'
            '. valid_token=None.","type":"auth_error","param":"None","code":"401"}}'),
        "429_insufficient_quota": _Recorded(429, "litellm/azure_429_throttling", {},
            '{"error":{"message":"litellm.RateLimitError: AzureException RateLimitError -'
            " Error code: 429 - {'error': {'code': '429', 'message': 'Requests to the Cha"
            'tCompletions_Create Operation under Azure OpenAI API version 2023-05-15 have'
            ' exceeded token rate limit of your current AIServices S0 pricing tier. Pleas'
            'e retry after 86400 seconds. Please contact Azure support service if you wou'
            "ld like to further increase the default rate limit.'}}\\nReceived Model Group"
            '=azure-gpt-4o-mini\\nAvailable Model Group Fallbacks=None","type":"throttling'
            '_error","param":null,"code":"429"}}'),
    },
    "lmstudio": {
        "404_model": _Recorded(404, "lmstudio/model_not_found_404", {},
            '{"error":{"message":"Model \\"local model\\" not found. Please specify a valid'
            ' model.\\n\\nYour models:\\n\\ntext-embedding-nomic-embed-text-v1.5\\nh...-7b@q6_'
            'k","type":"invalid_request_error","param":"model","code":"model_not_found"}}'),
    },
    "mistral": {
        "429_rate_limit": _Recorded(429, "mistral/rate_limited_429", {},
            '{"object":"error","message":"Rate limit exceeded","type":"rate_limited","par'
            'am":null,"code":"1300"}'),
    },
    "ollama": {
        "404_model": _Recorded(404, "ollama/model_not_found_404_openai", {},
            '{"error":{"message":"model \\"ollama\\" not found, try pulling it first","type'
            '":"api_error","param":null,"code":null}}'),
        "500": _Recorded(500, "ollama/memory_500_native", {},
            '{"error":"model requires more system memory (3.7 GiB) than is available (3.6'
            ' GiB)"}'),
    },
    "openai": {
        "401_invalid_key": _Recorded(401, "openai/wrong_provider_key_401", {},
            '{"error":{"message":"Incorrect API key provided: nvapi-dy*******************'
            '***************************************xZvs. You can find your API key at ht'
            'tps://platform.openai.com/account/api-keys.","type":"invalid_request_error",'
            '"param":null,"code":"invalid_api_key"}}'),
        "429_billing_not_active": _Recorded(429, "openai/billing_not_active_429", {
            "server": "cloudflare",
            "cf-ray": "9510cccdcebc0327-MAD",
            "x-request-id": "req_c8a9aa9843db449de0e4f3ada778f6ce",
        },
            '{"error":{"message":"Your account is not active, please check your billing d'
            'etails on our website.","type":"billing_not_active","param":null,"code":"bil'
            'ling_not_active"}}'),
    },
    "openrouter": {
        "400_upstream": _Recorded(400, "openrouter/upstream_400_raw_json", {},
            '{"error":{"message":"Provider returned error","code":400,"metadata":{"raw":"'
            '{\\"error\\":{\\"type\\":\\"invalid_request_error\\",\\"code\\":\\"invalid_request_er'
            'ror\\",\\"message\\":\\"Model \'moonshotai/kimi-k2.6\' supports at most 1 image pe'
            'r prompt.\\",\\"request_id\\":\\"req_*******\\"}}","provider_name":"Crucible","is'
            '_byok":false}},"user_id":"user_***************"}'),
        "401_invalid_key": _Recorded(401, "openrouter/user_not_found_401", {},
            '{"error":{"message":"User not found.","code":401}}'),
        "404_model": _Recorded(404, "openrouter/no_endpoints_404", {},
            '{"error":{"message":"No endpoints found for deepseek/deepseek-chat-v3.1:free'
            '.","code":404},"user_id":"user_2pPjrQhn6IzsURGjjb61gZqeF8d"}'),
        "429_insufficient_quota": _Recorded(402, "openrouter/credits_402_paid", {},
            '{"error":{"message":"This request requires more credits, or fewer max_tokens'
            '. You requested up to 65536 tokens, but can only afford 10114. To increase, '
            'visit https://openrouter.ai/settings/credits and upgrade to a paid account",'
            '"code":402,"metadata":{"provider_name":null}},"user_id":"user_"}'),
        "429_rate_limit": _Recorded(429, "openrouter/upstream_429_chutes", {},
            '{"error":{"message":"Provider returned error","code":429,"metadata":{"raw":"'
            'deepseek/deepseek-chat-v3-0324:free is temporarily rate-limited upstream. Pl'
            'ease retry shortly, or add your own key to accumulate your rate limits: http'
            's://openrouter.ai/settings/integrations","provider_name":"Chutes"}},"user_id'
            '":"user_33jF90V8MuPsx2czsN5fxAmwXnx"}'),
    },
    "perplexity": {
        "404_model": _Recorded(400, "perplexity/invalid_model_400", {},
            '{"error":{"message":"Invalid model \'perplexity/sonar\'. Permitted models can '
            'be found in the documentation at https://docs.perplexity.ai/docs/getting-sta'
            'rted/models.","type":"invalid_model","code":400}}'),
    },
    "together": {
        "401_invalid_key": _Recorded(401, "together/invalid_api_key_401", {},
            '{"error":{"message":"Invalid API key provided. You can find your API key at '
            'https://api.together.xyz/settings/api-keys.","type":"invalid_request_error",'
            '"param":null,"code":"invalid_api_key"}}'),
        "404_model": _Recorded(400, "together/model_not_available_400", {},
            '{"id":"okkMWqL-2kFHot-a023f60e9b77ff7e","error":{"message":"Unable to access'
            ' non-serverless model mistralai/Mistral-Small-24B-Instruct-2501. Please visi'
            't https://api.together.ai/models/mistralai/Mistral-Small-24B-Instruct-2501 t'
            'o create and start a new dedicated endpoint for the model.","type":"invalid_'
            'request_error","param":null,"code":"model_not_available"}}'),
    },
    "vllm": {
        "400_bad_request": _Recorded(400, "vllm/context_length_400", {},
            '{"object":"error","message":"This model\'s maximum context length is 6048 tok'
            'ens. However, you requested 6616 tokens (568 in the messages, 6048 in the co'
            'mpletion). Please reduce the length of the messages or completion.","type":"'
            'BadRequestError","param":null,"code":400}'),
        "404_model": _Recorded(404, "vllm/model_not_found_404", {},
            '{"object":"error","message":"The model `Qwen1.5-14B-Chat-GPTQ-Int8` does not'
            ' exist.","type":"NotFoundError","param":null,"code":404}'),
    },
    "xai": {
        "401_invalid_key": _Recorded(400, "xai/incorrect_key_400_string", {},
            '"Incorrect API key provided: na***ys. You can obtain an API key from https:/'
            '/console.x.ai."'),
        "429_rate_limit": _Recorded(429, "xai/team_tpm_429_string", {},
            '"Too many tokens for team e9fe19cb-de96-4c57-9ffb-2f1b9c631ce2 and model gro'
            "k-4-0709. Your team's rate limit is — Tokens per Minute (actual/limit): 6560"
            '5/16000. You can view your team rate limits at https://console.x.ai."'),
    },
}

#: persona -> the faults it answers in its own dialect (and their descriptions).
PERSONAS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    name: MappingProxyType({fault: f"HTTP {answer.status} as in {answer.source}.json"
                            for fault, answer in sorted(answers.items())})
    for name, answers in _ANSWERS.items()
})


def check_persona(name: str | None) -> str | None:
    """``name`` if it is a persona (or None); :class:`~chatkit.errors.UsageError` if not."""
    if name is None or name in _ANSWERS:
        return name
    raise UsageError(f"unknown persona {name!r}; choose one of: {', '.join(sorted(_ANSWERS))}")


def split_persona(path: str) -> tuple[str | None, str]:
    """``("openrouter", "/v1/models")`` from ``/persona/openrouter/v1/models``."""
    match = _PREFIX.match(path)
    return (match[1], match[2] or "/") if match else (None, path)


def persona_fault(persona: str | None, spec: str) -> Fault | None:
    """The fault ``spec`` as ``persona`` answers it, or None when it answers it as OpenAI."""
    answer = _ANSWERS.get(check_persona(persona) or "", {}).get(spec.strip())
    if answer is None:
        return None
    return Fault(spec.strip(), "answer", f"{persona}: {answer.source}", answer.reply)

