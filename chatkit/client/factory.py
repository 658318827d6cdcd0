"""Ready clients: an ``httpx2.Client`` or ``httpx.Client`` with recording transports mounted.

:func:`resilient_client` / :func:`async_resilient_client` build a client of the flavour the
installed openai package takes (``httpx2`` for openai >= 3, ``httpx`` before), with the
Target's proxy and CA bundle, or the environment's proxies each through a recording transport.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from chatkit.client.policy import RetryPolicy
from chatkit.client.recorder import as_log
from chatkit.client.requestlog import RequestLog
from chatkit.client.transport import (
    AsyncRecordingTransport,
    Flavour,
    RecordingTransport,
    http_module,
)
from chatkit.targets import Target

__all__ = ["async_resilient_client", "resilient_client"]


def _target(target_or_base_url: Target | str | None) -> Target:
    if isinstance(target_or_base_url, Target):
        return target_or_base_url
    if target_or_base_url is None:
        return Target()
    host = urlsplit(target_or_base_url).hostname or ""
    return Target(target_or_base_url, provider="openai" if host.endswith("openai.com")
                  else "compatible")


def _client_options(target: Target, module: ModuleType, log: RequestLog | None,
                    policy: RetryPolicy, timeout: Any, make: Callable[..., Any],
                    recorder: type, sleep: Any) -> dict[str, Any]:
    transport_options: dict[str, Any] = {
        "limits": module.Limits(max_connections=1000, max_keepalive_connections=100),
        "trust_env": True,  # SSL_CERT_FILE / SSL_CERT_DIR
    }
    if target.ca_bundle:
        transport_options["verify"] = ssl.create_default_context(cafile=target.ca_bundle)
    extra = {"sleep": sleep} if sleep is not None else {}

    def recorded(proxy: str | None) -> Any:
        inner = make(**transport_options, **({"proxy": proxy} if proxy else {}))
        return recorder(inner, log=log, policy=policy, provider=target.provider, **extra)

    mounts: dict[str, Any] = {}
    if target.proxy:
        main = recorded(target.proxy)
    else:
        main = recorded(None)
        # The environment's proxies (HTTPS_PROXY, NO_PROXY...) as httpx reads them, each
        # through a recording transport, so proxied traffic is logged too.
        for pattern, proxy in module._utils.get_environment_proxies().items():
            mounts[pattern] = recorded(proxy) if proxy else None
    return {"transport": main, "mounts": mounts, "trust_env": False, "follow_redirects": True,
            "timeout": timeout if timeout is not None else module.Timeout(600.0, connect=5.0)}


def resilient_client(target_or_base_url: Target | str | None = None, *,
                     log_path: str | os.PathLike[str] | RequestLog | None = None,
                     policy: RetryPolicy | None = None, flavour: Flavour | None = None,
                     timeout: Any = None, sleep: Callable[[float], Any] | None = None,
                     **client_options: Any) -> Any:
    """A ready ``httpx2.Client`` (openai >= 3) or ``httpx.Client`` (older openai) that retries
    by ``policy`` (default :class:`RetryPolicy`) and appends every attempt to ``log_path``
    (a path, or a :class:`~chatkit.client.requestlog.RequestLog` shared by several clients).

    Proxy and CA bundle come from the Target (or the environment); timeouts default to the
    openai client's (600 s, 5 s to connect). Pass it as ``openai.OpenAI(http_client=...,
    max_retries=0)``.
    """
    target = _target(target_or_base_url)
    module = http_module(flavour)
    log = as_log(log_path)
    options = _client_options(target, module, log, policy or RetryPolicy(), timeout,
                              module.HTTPTransport, RecordingTransport, sleep)
    return module.Client(**{**options, **client_options})


def async_resilient_client(target_or_base_url: Target | str | None = None, *,
                           log_path: str | os.PathLike[str] | RequestLog | None = None,
                           policy: RetryPolicy | None = None, flavour: Flavour | None = None,
                           timeout: Any = None,
                           sleep: Callable[[float], Awaitable[Any]] | None = None,
                           **client_options: Any) -> Any:
    """The async twin of :func:`resilient_client`, for ``openai.AsyncOpenAI(http_client=...)``."""
    target = _target(target_or_base_url)
    module = http_module(flavour)
    log = as_log(log_path)
    options = _client_options(target, module, log, policy or RetryPolicy(), timeout,
                              module.AsyncHTTPTransport, AsyncRecordingTransport, sleep)
    return module.AsyncClient(**{**options, **client_options})
