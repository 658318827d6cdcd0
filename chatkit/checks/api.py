"""Does the API accept the key and answer a request? ``GET /models`` with the key, then one
tiny chat completion."""

from __future__ import annotations

import time
from typing import Any

import httpx

from chatkit.checks import CheckContext, probe_client, register
from chatkit.findings import Finding
from chatkit.targets import Target

DEFAULT_MODEL = "gpt-4o-mini"


def _error_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _failure(check: str, response: httpx.Response, took: float) -> Finding:
    error = _error_of(response)
    category = "account" if response.status_code in (401, 403) else (
        "service" if response.status_code >= 500 else "integration")
    return Finding(
        check=check, status="fail", category=category,  # type: ignore[arg-type]
        title=f"HTTP {response.status_code} {error.get('code') or ''}".strip(),
        cause=error.get("message") or f"the API answered HTTP {response.status_code}",
        evidence={"status": response.status_code, "error_type": error.get("type"),
                  "error_code": error.get("code"),
                  "request_id": response.headers.get("x-request-id")},
        duration_ms=took,
    )


@register("api")
async def key(target: Target, ctx: CheckContext) -> list[Finding]:
    """The key is accepted: GET <base>/models with it."""
    headers = target.auth_headers(ctx.environ)
    if not headers:
        return [Finding(
            check="api.key", status="fail", category="account",
            title=f"no API key in {target.key_env}",
            cause=f"the environment variable {target.key_env} is not set",
            remedy=f"export {target.key_env}=<your key> (or type it in the panel's key field)",
        )]
    started = time.perf_counter()
    try:
        async with probe_client(target, ctx) as client:
            response = await client.get(f"{target.url}/models", headers=headers)
    except httpx.HTTPError as exc:
        return [Finding(check="api.key", status="skip", title="key not checked: no connection",
                        cause=f"{type(exc).__name__}: {exc}")]
    took = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        return [_failure("api.key", response, took)]
    models = [m.get("id") for m in response.json().get("data", [])]
    return [Finding(
        check="api.key", status="ok", title=f"key accepted; {len(models)} models available",
        evidence={"models": models[:50], "request_id": response.headers.get("x-request-id")},
        duration_ms=took,
    )]


@register("api")
async def completion(target: Target, ctx: CheckContext) -> list[Finding]:
    """One tiny non-streaming chat completion."""
    headers = target.auth_headers(ctx.environ)
    if not headers:
        return [Finding(check="api.completion", status="skip",
                        title="completion not tried: no API key")]
    model = target.model or DEFAULT_MODEL
    payload = {"model": model, "messages": [{"role": "user", "content": "Say OK."}],
               "max_tokens": 5}
    started = time.perf_counter()
    try:
        async with probe_client(target, ctx) as client:
            response = await client.post(f"{target.url}/chat/completions", json=payload,
                                         headers=headers)
    except httpx.HTTPError as exc:
        return [Finding(check="api.completion", status="skip",
                        title="completion not tried: no connection",
                        cause=f"{type(exc).__name__}: {exc}")]
    took = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        return [_failure("api.completion", response, took)]
    usage = response.json().get("usage") or {}
    return [Finding(
        check="api.completion", status="ok",
        title=f"{model} answered in {took:.0f} ms",
        evidence={"model": model, "latency_ms": round(took, 1),
                  "processing_ms": response.headers.get("openai-processing-ms"),
                  "request_id": response.headers.get("x-request-id"), "usage": usage},
        duration_ms=took,
    )]
