"""What every check shares: the registry of check groups and the options a check may read.

A check group (``dns``, ``tcp``, ``tls``, ...) is one or more ``async`` functions
``check(target, ctx) -> list[Finding]`` registered with :func:`register`; chatkit's own groups
register the same way as anyone else's. :class:`CheckContext` holds everything a check reads
from outside, so a test can hand all of it in.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chatkit.findings import Finding
from chatkit.targets import Target

__all__ = ["GROUPS", "Check", "CheckContext", "Progress", "register"]

Check = Callable[[Target, "CheckContext"], Awaitable[list[Finding]]]
Progress = Callable[[Finding], Any]

GROUPS: dict[str, list[Check]] = {}


def register(group: str) -> Callable[[Check], Check]:
    """Decorator: add an async check function to ``group``."""

    def decorate(fn: Check) -> Check:
        GROUPS.setdefault(group, [])
        if fn not in GROUPS[group]:
            GROUPS[group].append(fn)
        return fn

    return decorate


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
    # Where the sdk check looks for installed distributions (None: sys.path).
    site_paths: tuple[str, ...] | None = None
    transport: Any = None  # an httpx.AsyncBaseTransport to send through instead of the network
    # Where to connect instead of where DNS points, as curl's --connect-to: "host" or
    # "host:port" -> "address:port"; the name still goes into SNI and Host. The web group
    # reads it (tests stand loopback servers in for the web app's hosts with it).
    connect_to: Mapping[str, str] = field(default_factory=dict)
    # Which API the api group's completion and stream probes call: "responses", "chat", or
    # None for the Responses API where the provider serves it (openai, azure), else chat.
    api: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # options of third-party checks
