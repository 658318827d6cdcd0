"""One HTTP client per probe, configured as the user's client would be (proxy, trust store)."""

from __future__ import annotations

import functools
from typing import Any

import httpx

from chatkit.checks.base import CheckContext
from chatkit.checks.proxy import proxy_for
from chatkit.checks.tls import trust_store, verifying_context
from chatkit.targets import Target

__all__ = ["probe_client"]


def probe_client(target: Target, ctx: CheckContext, *, url: str | None = None,
                 **kwargs: Any) -> Any:
    """An ``httpx.AsyncClient`` for one probe of ``url`` (default: the target's): the proxy
    that applies to it (the target's own, else HTTP(S)_PROXY/NO_PROXY from ``ctx.environ``),
    the trust store the client would use (``ca_bundle``, ``SSL_CERT_FILE``, certifi), the
    context's timeout and transport. Nothing is read from ``os.environ`` behind the context's
    back, so an injected environment is the whole truth."""
    options: dict[str, Any] = {"timeout": ctx.timeout, "follow_redirects": False,
                               "trust_env": False}
    if ctx.transport is not None:
        options["transport"] = ctx.transport
    proxy = proxy_for(url or target.url, ctx.environ, target.proxy).url
    if proxy:
        options["proxy"] = proxy
    _, cafile = trust_store(target, ctx.environ)
    options["verify"] = _ssl_context(cafile)
    options.update(kwargs)
    return httpx.AsyncClient(**options)


@functools.lru_cache(maxsize=8)
def _ssl_context(cafile: str | None) -> Any:
    """One verifying context per trust store: loading a CA bundle takes milliseconds, and
    a context is safe to share between clients."""
    return verifying_context(cafile)
