"""Does the API accept this key, know this model, and answer, streamed and not?

Group ``api``: ``key`` (``GET /models`` with the key), ``model`` (the model is in that list,
else the closest names), ``request`` (the request chatkit would send, and any payload handed
in as ``CheckContext(extra={"api.request": payload})``, validated before sending),
``completion`` (one tiny call: latency, ``openai-processing-ms``, ``x-request-id``, usage,
and the rate-limit budget from its headers) and ``stream`` (time to first token, inter-token
latency, tokens per second, clean end). Every failure is explained by
:mod:`chatkit.knowledge.classifier`.

Azure OpenAI goes through the Target's profile: ``api-key`` header, ``?api-version=``, and
``/deployments/<model>/chat/completions`` paths unless the base URL is Azure's ``/v1`` API.
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
from chatkit.findings import Finding
from chatkit.knowledge.classifier import classify, explain
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


def _payload(target: Target, *, stream: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {"model": _model(target),
                               "messages": [{"role": "user", "content": PROMPT}]}
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
    own = validate_request(_payload(target), headers=_headers(target, ctx), check="api.request")
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
    """One tiny non-streaming chat completion; its headers also give the rate-limit budget."""
    if not target.key(ctx.environ):
        return [Finding(check="api.completion", status="skip",
                        title="completion not tried: no API key")]
    url = _chat_url(target, _model(target))
    evidence = {**_context(target, ctx, url), "model": _model(target)}
    started = time.perf_counter()
    try:
        async with probe_client(target, ctx) as client:
            response = await client.post(url, json=_payload(target), headers=_headers(target, ctx),
                                         params=_params(target))
    except (httpx.HTTPError, OSError) as exc:
        return [_failure("api.completion", exc, started, evidence)]
    took = _ms(started)
    data = _json(response)
    if response.status_code != 200 or not isinstance(data, dict) or "choices" not in data:
        failed = _failure("api.completion", response, started, evidence)
        if "x-ratelimit-limit-requests" in response.headers:  # budget or not: it tells which
            return [failed, rate_limit_finding(response.headers, check="api.rate_limits")]
        return [failed]
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
    """One streamed completion: time to first token, inter-token latency, tokens per second."""
    if not target.key(ctx.environ):
        return [Finding(check="api.stream", status="skip", title="stream not tried: no API key")]
    url = _chat_url(target, _model(target))
    evidence: dict[str, Any] = {**_context(target, ctx, url), "model": _model(target)}
    started = time.perf_counter()
    meter = StreamMeter(started=started)
    try:
        async with probe_client(target, ctx) as client:
            async with client.stream("POST", url, json=_payload(target, stream=True),
                                     headers=_headers(target, ctx),
                                     params=_params(target)) as response:
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
    if meter.error is not None:
        error = meter.error
        return [explain("stream_error", check="api.stream", evidence={
            **evidence, **metrics, "status": 200, "error_type": error.get("type"),
            "error_code": error.get("code"),
            "message": redact_text(str(error.get("message") or "")) or None},
        ).replace(duration_ms=_ms(started))]
    if not meter.done:
        return [explain("stream_cut", check="api.stream", evidence={**evidence, **metrics})
                .replace(duration_ms=_ms(started))]
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
