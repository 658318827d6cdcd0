"""Running the checks: every selected group concurrently, into one :class:`Report`.

:func:`run_all` turns a check that overruns its time or crashes into a Finding too, so one bad
check never sinks the report; :func:`doctor` is its blocking twin for scripts.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import time
from collections.abc import Iterable

from chatkit.checks.base import GROUPS, Check, CheckContext, Progress
from chatkit.checks.status import with_open_incident
from chatkit.environment import snapshot
from chatkit.errors import UsageError
from chatkit.findings import Finding, Report, utcnow_iso
from chatkit.redaction.scrub import redact_text
from chatkit.targets import Target

__all__ = ["GROUP_ORDER", "available_groups", "doctor", "run_all"]

# The groups in the order a report lists them; the modules that register chatkit's own checks.
GROUP_ORDER = ("dns", "tcp", "tls", "proxy", "http", "control", "status", "api", "web", "sdk")
_BUILTIN_MODULES = (
    "chatkit.checks.dns",
    "chatkit.checks.tcp",
    "chatkit.checks.tls",
    "chatkit.checks.proxy",
    "chatkit.checks.http",
    "chatkit.checks.control",
    "chatkit.checks.status",
    "chatkit.checks.api",
    "chatkit.checks.web",
    "chatkit.checks.sdk",
)


def _load_builtin_checks() -> None:
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


def available_groups() -> list[str]:
    """The registered check groups, chatkit's own first in report order."""
    return _select(None)


def _select(only: Iterable[str] | str | None) -> list[str]:
    _load_builtin_checks()
    if only is None:
        return [g for g in GROUP_ORDER if g in GROUPS] + [g for g in GROUPS if g not in GROUP_ORDER]
    wanted = [g.strip() for g in (only.split(",") if isinstance(only, str) else only) if g.strip()]
    unknown = [g for g in wanted if g not in GROUPS]
    known = ", ".join(g for g in GROUP_ORDER if g in GROUPS)
    if unknown:
        raise UsageError(f"unknown check group {', '.join(unknown)}; choose from: {known}")
    if not wanted:  # an empty selection would run nothing and call that a pass
        raise UsageError(f"no check group selected; choose from: {known}")
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
    target = target or Target()
    ctx = context or CheckContext()
    groups = _select(only if only is not None else target.profile.groups)
    started_at = utcnow_iso()

    async def run(group: str, check: Check) -> list[Finding]:
        found = await _run_one(check, group, target, ctx)
        if progress is not None:
            for finding in found:
                progress(finding)
        return found

    jobs = [run(group, check) for group in groups for check in GROUPS[group]]
    results = await asyncio.gather(*jobs)
    findings = with_open_incident([f for found in results for f in found])
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
