"""Does the API accept this key, know this model, and answer, streamed and not?

Group ``api``: ``key`` (``GET /models`` with the key), ``model`` (the model is in that list,
else the closest names), ``request`` (the request chatkit would send, and any payload handed
in as ``CheckContext(extra={"api.request": payload})``, validated before sending),
``completion`` (one tiny call: latency, ``openai-processing-ms``, ``x-request-id``, usage,
and the rate-limit budget from its headers) and ``stream`` (time to first token, inter-token
latency, tokens per second, clean end). Every failure is explained by
:mod:`chatkit.knowledge.classifier`.

``completion`` and ``stream`` call the Responses API (``POST /responses``) or chat
completions, as ``CheckContext.api`` says; by default the Responses API for the providers
that serve it (:data:`RESPONSES_PROVIDERS`), chat completions for any other gateway.

Azure OpenAI goes through the Target's profile: ``api-key`` header, ``?api-version=``, and
``/deployments/<model>/chat/completions`` paths unless the base URL is Azure's ``/v1`` API;
Azure serves the Responses API on its ``/openai/v1`` API only.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from chatkit.checks.base import CheckContext, register
from chatkit.checks.probe import probe_client
from chatkit.checks.proxy import proxy_for
from chatkit.errors import UsageError
from chatkit.findings import Finding
from chatkit.knowledge.classifier import classify, explain
from chatkit.knowledge.outcomes import stream_outcome
from chatkit.knowledge.ratelimits import rate_limit_finding
from chatkit.knowledge.sse import StreamMeter
from chatkit.knowledge.validation import validate_request
from chatkit.providers import get_provider, key_owner
from chatkit.redaction.scrub import redact_text, redact_url
from chatkit.targets import Target, mask_key

DEFAULT_MODEL = "gpt-4o-mini"
PROMPT = "Reply with the single word OK."
#: A tiny completion slower than this is worth a warning (the network or the service is slow).
SLOW_MS = 1500.0
#: The probe's answer length: enough for "OK", cheap and quick.
ANSWER_TOKENS = 16
#: Providers whose API serves ``POST /responses``; others are probed with chat completions.
RESPONSES_PROVIDERS = frozenset({"openai", "azure"})
APIS = ("responses", "chat")
#: An answer that stopped early is a warning, not a failure: the API did answer.
_INCOMPLETE = ("response_incomplete", "response_content_filter")
#: A chat completion's finish_reason that means the answer stopped early -> kind.
_CHAT_STOPS = {"length": "response_incomplete", "content_filter": "response_content_filter"}


# --- where to send what ------------------------------------------------------------------


def _deployments(target: Target) -> bool:
    """Azure's classic data plane: /deployments/<name>/... with ?api-version=."""
    return bool(target.profile.api_version) and not target.url.rstrip("/").endswith("/v1")


def _params(target: Target) -> dict[str, str]:
    version = target.profile.api_version
    return {"api-version": version} if version and _deployments(target) else {}


def _models_url(target: Target) -> str:
    return f"{target.url}/models"


def _chat_url(target: Target, model: str) -> str:
    if _deployments(target):
        return f"{target.url}/deployments/{model}/chat/completions"
    return f"{target.url}/chat/completions"


def _model(target: Target) -> str:
    return target.model or DEFAULT_MODEL


def default_api(provider: str | None) -> str:
    """The API to probe a provider through when none is asked for: the Responses API where
    the provider serves it, chat completions elsewhere."""
    return "responses" if provider in RESPONSES_PROVIDERS else "chat"


def probed_api(target: Target, ctx: CheckContext) -> str:
    """The API the completion and stream probes call: ``ctx.api``, else
    :func:`default_api`."""
    if ctx.api is None:
        return default_api(target.provider)
    if ctx.api not in APIS:
        raise UsageError(f"api must be 'responses' or 'chat', not {ctx.api!r}")
    return ctx.api


def _endpoint(target: Target, api: str) -> tuple[str, dict[str, str]]:
    """URL and query parameters of the probed API."""
    if api == "chat":
        return _chat_url(target, _model(target)), _params(target)
    if _deployments(target):  # Azure's classic data plane: the v1 API beside it
        return f"{target.url}/v1/responses", {}
    return f"{target.url}/responses", {}


def _payload(target: Target, api: str = "chat", *, stream: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {"model": _model(target)}
    if api == "responses":
        payload.update(input=PROMPT, max_output_tokens=ANSWER_TOKENS, store=False)
        if stream:
            payload["stream"] = True
        return payload
    payload["messages"] = [{"role": "user", "content": PROMPT}]
    payload["max_completion_tokens" if _model(target).startswith("o") else "max_tokens"] = \
        ANSWER_TOKENS
    if stream:
        payload.update(stream=True, stream_options={"include_usage": True})
    return payload


def _headers(target: Target, ctx: CheckContext) -> dict[str, str]:
    return {**target.auth_headers(ctx.environ), "Content-Type": "application/json"}


def _context(target: Target, ctx: CheckContext, url: str) -> dict[str, Any]:
    """Evidence that helps explain a failure: where it went, through which proxy (the one
    :func:`~chatkit.checks.probe_client` sends it through, credentials removed)."""
    return {"url": redact_url(url), "host": urlsplit(url).hostname, "port": target.port,
            "provider": target.provider,
            "proxy": proxy_for(url, ctx.environ, target.proxy).shown}


def _no_key(check: str, target: Target) -> Finding:
    return explain("missing_api_key", check=check, title=f"no API key in {target.key_env}",
                   evidence={"key_env": target.key_env}).replace(
        cause=f"the environment variable {target.key_env} is not set (and no key was typed in)",
        remedy=f"export {target.key_env}=<your key> in the shell that starts Python or "
               "Jupyter (restart the kernel afterwards), or type it in the panel's key field")


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _failure(check: str, failure: object, started: float, evidence: Mapping[str, Any]
             ) -> Finding:
    return classify(failure, check=check, evidence=evidence).replace(duration_ms=_ms(started))


# --- the checks -----------------------------------------------------------------------------


@register("api")
async def key(target: Target, ctx: CheckContext) -> list[Finding]:
    """The key is accepted: ``GET <base>/models`` with it."""
    api_key = target.key(ctx.environ)
    if not api_key:
        return [_no_key("api.key", target)]
    masked = mask_key(api_key)
    found: list[Finding] = []
    owner = key_owner(api_key)
    if owner and owner != target.provider and target.profile.hosts:  # a hosted API's own keys
        found.append(explain(
            "invalid_api_key", check="api.key", status="warn",
            title=f"the key {masked} looks like {get_provider(owner).label}'s, not "
                  f"{target.profile.label}'s",
            evidence={"key": masked, "key_owner": owner, "provider": target.provider}))
    url = _models_url(target)
    evidence = {**_context(target, ctx, url), "key": masked}
    started = time.perf_counter()
    try:
        async with probe_client(target, ctx) as client:
            response = await client.get(url, headers=_headers(target, ctx),
                                        params=_params(target))
    except (httpx.HTTPError, OSError) as exc:
        return [*found, _failure("api.key", exc, started, evidence)]
    data = _json(response)
    if response.status_code != 200 or not isinstance(data, dict):
        return [*found, _failure("api.key", response, started, evidence)]
    models = [m.get("id") for m in data.get("data") or [] if isinstance(m, dict)]
    return [*found, Finding(
        check="api.key", status="ok", title=f"key {masked} accepted; {len(models)} models listed",
        evidence={**evidence, "status": 200, "models": models[:100],
                  "request_id": response.headers.get("x-request-id")},
        duration_ms=_ms(started),
    )]


@register("api")
async def model(target: Target, ctx: CheckContext) -> list[Finding]:
    """The requested model is one this key can use; if not, the closest names."""
    name = _model(target)
    if not target.key(ctx.environ):
        return [Finding(check="api.model", status="skip", title="model not checked: no API key")]
    if _deployments(target):
        return [Finding(check="api.model", status="skip",
                        title="Azure deployment checked by the completion call",
                        cause="Azure lists models, not deployments, on its data plane")]
    url = _models_url(target)
    evidence = {**_context(target, ctx, url), "model": name}
    started = time.perf_counter()
    try:
        async with probe_client(target, ctx) as client:
            response = await client.get(url, headers=_headers(target, ctx))
    except (httpx.HTTPError, OSError) as exc:
        return [_failure("api.model", exc, started, evidence)]
    data = _json(response)
    if response.status_code != 200 or not isinstance(data, dict):
        return [_failure("api.model", response, started, evidence)]
    models = [str(m.get("id")) for m in data.get("data") or [] if isinstance(m, dict)]
    if name in models:
        return [Finding(check="api.model", status="ok", title=f"model {name} is available",
                        evidence=evidence, duration_ms=_ms(started))]
    return [classify(status=404, body={"error": {
        "message": f"The model `{name}` does not exist or you do not have access to it.",
        "type": "invalid_request_error", "param": None, "code": "model_not_found"}},
        check="api.model", evidence={**evidence, "available_models": models},
    ).replace(title=f"model {name} is not in this key's model list", duration_ms=_ms(started))]


@register("api")
async def request(target: Target, ctx: CheckContext) -> list[Finding]:
    """The request is well-formed before it is sent (chatkit's own, and a handed-in one)."""
    own = validate_request(_payload(target, probed_api(target, ctx)),
                           headers=_headers(target, ctx), check="api.request")
    own = [f for f in own if f.evidence.get("kind") != "missing_api_key"]  # api.key says so
    theirs: list[Finding] = []
    payload = ctx.extra.get("api.request")
    if payload is not None:
        theirs = validate_request(payload, check="api.request")
    problems = own + theirs
    if problems:
        return problems
    what = "the probe request and your payload are" if payload is not None else \
        "the probe request is"
    return [Finding(check="api.request", status="ok", title=f"{what} well-formed",
                    evidence={"model": _model(target)})]


@register("api")
async def completion(target: Target, ctx: CheckContext) -> list[Finding]:
    """One tiny non-streaming answer (Responses API or chat completion); its headers also give
    the rate-limit budget."""
    if not target.key(ctx.environ):
        return [Finding(check="api.completion", status="skip",
                        title="completion not tried: no API key")]
    api = probed_api(target, ctx)
    url, params = _endpoint(target, api)
    evidence = {**_context(target, ctx, url), "model": _model(target), "api": api}
    started = time.perf_counter()
    try:
        async with probe_client(target, ctx) as client:
            response = await client.post(url, json=_payload(target, api),
                                         headers=_headers(target, ctx), params=params)
    except (httpx.HTTPError, OSError) as exc:
        return [_failure("api.completion", exc, started, evidence)]
    took = _ms(started)
    data = _json(response)
    answered = isinstance(data, dict) and (
        "choices" in data if api == "chat" else data.get("object") == "response")
    if isinstance(data, dict) and answered and data.get("status") in ("incomplete", "failed"):
        ended = _failure("api.completion", response, started, evidence)
        if ended.evidence.get("kind") in _INCOMPLETE:
            ended = ended.replace(status="warn")
        return [ended, rate_limit_finding(response.headers, check="api.rate_limits")]
    if response.status_code != 200 or not isinstance(data, dict) or not answered:
        failed = _failure("api.completion", response, started, evidence)
        if "x-ratelimit-limit-requests" in response.headers:  # budget or not: it tells which
            return [failed, rate_limit_finding(response.headers, check="api.rate_limits")]
        return [failed]
    choices = data.get("choices") or [{}]
    stop = choices[0].get("finish_reason") if isinstance(choices[0], dict) else None
    if api == "chat" and stop in _CHAT_STOPS:
        stopped = explain(_CHAT_STOPS[stop], check="api.completion", status="warn",
                          evidence={**evidence, "status": 200, "error_code": stop})
        return [stopped.replace(duration_ms=took),
                rate_limit_finding(response.headers, check="api.rate_limits")]
    processing = response.headers.get("openai-processing-ms")
    usage = data.get("usage") or {}
    found = {**evidence, "status": 200, "latency_ms": took, "processing_ms": _float(processing),
             "request_id": response.headers.get("x-request-id"), "usage": usage,
             "answered_by": data.get("model")}
    title = f"{_model(target)} answered in {took:.0f} ms"
    if took <= float(ctx.extra.get("api.slow_ms", SLOW_MS)):
        result = Finding(check="api.completion", status="ok", title=title, evidence=found,
                         duration_ms=took)
    else:
        server = _float(processing)
        where = (f"the API itself took {server:.0f} ms of it (openai-processing-ms)"
                 if server is not None and server > took / 2 else
                 "most of it was spent outside the API's processing (network, proxy, queueing)"
                 if server is not None else "the API did not say how long it worked on it")
        result = explain("slow_completion", check="api.completion", status="warn", title=title,
                         evidence=found, tokens=ANSWER_TOKENS, took=f"{took:.0f}",
                         where=where).replace(duration_ms=took)
    return [result, rate_limit_finding(response.headers, check="api.rate_limits")]


@register("api")
async def stream(target: Target, ctx: CheckContext) -> list[Finding]:
    """One streamed answer: time to first token, inter-token latency, tokens per second."""
    if not target.key(ctx.environ):
        return [Finding(check="api.stream", status="skip", title="stream not tried: no API key")]
    api = probed_api(target, ctx)
    url, params = _endpoint(target, api)
    evidence: dict[str, Any] = {**_context(target, ctx, url), "model": _model(target),
                                "api": api}
    started = time.perf_counter()
    meter = StreamMeter(started=started)
    try:
        async with probe_client(target, ctx) as client:
            async with client.stream("POST", url, json=_payload(target, api, stream=True),
                                     headers=_headers(target, ctx),
                                     params=params) as response:
                if response.status_code != 200 or "event-stream" not in \
                        response.headers.get("content-type", ""):
                    await response.aread()
                    return [_failure("api.stream", response, started, evidence)]
                evidence["request_id"] = response.headers.get("x-request-id")
                async for piece in response.aiter_bytes():
                    meter.feed(piece, time.perf_counter())
                meter.close(time.perf_counter())
    except (httpx.HTTPError, OSError) as exc:
        return [_failure("api.stream", exc, started, {**evidence, **meter.summary()})]
    metrics = meter.summary()
    outcome = stream_outcome(meter)
    if outcome is None and api == "chat" and meter.finish_reason in _CHAT_STOPS:
        outcome = (_CHAT_STOPS[meter.finish_reason], {"error_code": meter.finish_reason})
    if outcome is not None:
        kind, error = outcome
        if error.get("message"):
            error["message"] = redact_text(str(error["message"])) or None
        extra = {"status": 200, **error} if kind != "stream_cut" else {}
        ended = explain(kind, check="api.stream", evidence={**evidence, **metrics, **extra})
        return [ended.replace(duration_ms=_ms(started),
                              status="warn" if kind in _INCOMPLETE else "fail")]
    ttft, rate = metrics["ttft_ms"], metrics["tokens_per_s"]
    title = (f"stream: first token in {ttft:.0f} ms, {rate:.0f} tokens/s, ended cleanly"
             if ttft is not None and rate is not None else "stream ended cleanly")
    return [Finding(check="api.stream", status="ok", title=title,
                    evidence={**evidence, **metrics}, duration_ms=_ms(started))]


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None
