"""The measurements, and :func:`run_all`, which runs them concurrently into a :class:`Report`.

Each check group (``dns``, ``tcp``, ``tls``, ``proxy``, ``http``, ``control``, ``status``,
``api``) is one or more ``async`` functions ``check(target, ctx) -> list[Finding]`` registered
with :func:`register`. chatkit's own groups register the same way as anyone else's. A check
never raises for a failed measurement (that is a Finding); :func:`run_all` turns a check that
overruns its time or crashes into a Finding too, so one bad check never sinks the report.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import importlib
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatkit.errors import UsageError
from chatkit.findings import Finding, Report, utcnow_iso
from chatkit.targets import Target

__all__ = [
    "GROUPS",
    "Check",
    "CheckContext",
    "available_groups",
    "doctor",
    "probe_client",
    "register",
    "run_all",
]

Check = Callable[[Target, "CheckContext"], Awaitable[list[Finding]]]
Progress = Callable[[Finding], Any]

# The groups in the order a report lists them; the modules that register chatkit's own checks.
GROUP_ORDER = ("dns", "tcp", "tls", "proxy", "http", "control", "status", "api")
_BUILTIN_MODULES = (
    "chatkit.checks.dns",
    "chatkit.checks.tcp",
    "chatkit.checks.tls",
    "chatkit.checks.proxy",
    "chatkit.checks.http",
    "chatkit.checks.control",
    "chatkit.checks.status",
    "chatkit.checks.api",
)

GROUPS: dict[str, list[Check]] = {}


def register(group: str) -> Callable[[Check], Check]:
    """Decorator: add an async check function to ``group``."""

    def decorate(fn: Check) -> Check:
        GROUPS.setdefault(group, [])
        if fn not in GROUPS[group]:
            GROUPS[group].append(fn)
        return fn

    return decorate


def _load_builtin_checks() -> None:
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


@dataclass(frozen=True)
class CheckContext:
    """Options every check may read; everything that reaches outside can be handed in."""

    # repr=False: the environment holds API keys, and a context may be shown in a notebook.
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)
    timeout: float = 10.0
    # Reach only the target itself: skip public resolvers and control hosts (the --sim demo,
    # and machines with no internet) with a finding that says so.
    local_only: bool = False
    resolvers: tuple[str, ...] = ("8.8.8.8", "1.1.1.1", "9.9.9.9")
    dns_port: int = 53
    # The resolvers to treat as "the system's" (None: the OS configuration, plus getaddrinfo);
    # entries as in ``resolvers``: "ip" (port 53) or "ip:port".
    system_resolvers: tuple[str, ...] | None = None
    control_hosts: tuple[str, ...] = ("www.google.com", "www.cloudflare.com", "github.com")
    samples: int = 3
    transport: Any = None  # an httpx.AsyncBaseTransport to send through instead of the network
    extra: Mapping[str, Any] = field(default_factory=dict)  # options of third-party checks


def probe_client(target: Target, ctx: CheckContext, *, url: str | None = None,
                 **kwargs: Any) -> Any:
    """An ``httpx.AsyncClient`` for one probe of ``url`` (default: the target's): the proxy
    that applies to it (the target's own, else HTTP(S)_PROXY/NO_PROXY from ``ctx.environ``),
    the trust store the client would use (``ca_bundle``, ``SSL_CERT_FILE``, certifi), the
    context's timeout and transport. Nothing is read from ``os.environ`` behind the context's
    back, so an injected environment is the whole truth."""
    import httpx

    from chatkit.checks.proxy import proxy_for
    from chatkit.checks.tls import trust_store

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
    from chatkit.checks.tls import verifying_context

    return verifying_context(cafile)


def available_groups() -> list[str]:
    """The registered check groups, chatkit's own first in report order."""
    return _select(None)


def _select(only: Iterable[str] | str | None) -> list[str]:
    _load_builtin_checks()
    if only is None:
        return [g for g in GROUP_ORDER if g in GROUPS] + [g for g in GROUPS if g not in GROUP_ORDER]
    wanted = [g.strip() for g in (only.split(",") if isinstance(only, str) else only) if g.strip()]
    unknown = [g for g in wanted if g not in GROUPS]
    if unknown:
        known = ", ".join(g for g in GROUP_ORDER if g in GROUPS)
        raise UsageError(f"unknown check group {', '.join(unknown)}; choose from: {known}")
    return wanted


async def _run_one(check: Check, group: str, target: Target, ctx: CheckContext) -> list[Finding]:
    started = time.perf_counter()
    name = getattr(check, "__name__", "check")
    # A little over the context's timeout: a check handles its own timeouts; this catches hangs.
    limit = ctx.timeout * 1.5 + 1.0
    try:
        return list(await asyncio.wait_for(check(target, ctx), timeout=limit))
    except asyncio.TimeoutError:
        return [Finding(
            check=f"{group}.{name}", status="warn",
            title=f"check did not finish within {limit:.0f} s",
            cause="the measurement hung past its time limit",
            remedy="run it again; if it persists, run with --only to isolate the slow group",
            duration_ms=(time.perf_counter() - started) * 1000,
        )]
    except UsageError:
        raise
    except Exception as exc:  # a bug in a check must not sink the whole report
        from chatkit.redact import redact_text

        return [Finding(
            check=f"{group}.{name}", status="warn", title="check could not run",
            cause=redact_text(f"{type(exc).__name__}: {exc}"),  # its text may hold a key
            remedy="this is a chatkit problem, not yours: please report it with the bundle",
            duration_ms=(time.perf_counter() - started) * 1000,
        )]


async def run_all(
    target: Target | None = None,
    *,
    only: Iterable[str] | str | None = None,
    progress: Progress | None = None,
    context: CheckContext | None = None,
) -> Report:
    """Run every selected check group concurrently and collect a :class:`Report`.

    ``progress`` is called with each Finding as soon as its check completes.
    """
    from chatkit.environment import snapshot

    target = target or Target()
    ctx = context or CheckContext()
    groups = _select(only)
    started_at = utcnow_iso()

    async def run(group: str, check: Check) -> list[Finding]:
        found = await _run_one(check, group, target, ctx)
        if progress is not None:
            for finding in found:
                progress(finding)
        return found

    jobs = [run(group, check) for group in groups for check in GROUPS[group]]
    results = await asyncio.gather(*jobs)
    findings = [f for found in results for f in found]
    return Report(
        findings=tuple(findings),
        target=target.to_dict(ctx.environ),
        started_at=started_at,
        finished_at=utcnow_iso(),
        environment=snapshot(ctx.environ),
    )


def doctor(
    target: Target | None = None,
    *,
    only: Iterable[str] | str | None = None,
    progress: Progress | None = None,
    context: CheckContext | None = None,
) -> Report:
    """The blocking twin of :func:`run_all`, for scripts; works inside a running event loop
    (a notebook) by running on a worker thread."""
    coro_factory = lambda: run_all(target, only=only, progress=progress, context=context)  # noqa: E731
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro_factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coro_factory())).result()
