"""What one resolver said about one name: the answers the DNS check compares."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Literal

from chatkit.checks._stats import LatencySummary, summarize_latency

__all__ = ["ResolverAnswer", "Role", "address_kind"]

Role = Literal["system", "public"]


def address_kind(address: str) -> str:
    """``public``, or why an address cannot be a public API's: ``unspecified`` (0.0.0.0, the
    classic sinkhole), ``loopback``, ``link_local``, ``private`` (RFC 1918, ULA, shared)."""
    ip = ipaddress.ip_address(address)
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link_local"
    return "public" if ip.is_global else "private"


@dataclass(frozen=True, slots=True)
class ResolverAnswer:
    """What one resolver said about one name, over several queries."""

    address: str
    port: int
    role: Role
    rcode: str | None = None  # NOERROR, NXDOMAIN, SERVFAIL, ...; None: never answered
    a: tuple[str, ...] = ()
    aaaa: tuple[str, ...] = ()
    cname_chain: tuple[str, ...] = ()
    ttl: int | None = None
    latency: LatencySummary = field(default_factory=lambda: summarize_latency([]))
    error: str | None = None  # why nothing came back (timeout, refused, ...)

    @property
    def addresses(self) -> tuple[str, ...]:
        return self.a + self.aaaa

    @property
    def answered(self) -> bool:
        return self.rcode is not None

    @property
    def outcome(self) -> str:
        """``answer``, ``nodata``, the rcode in lower case, or ``timeout``/``error``."""
        if self.rcode is None:
            return "timeout" if self.error == "timeout" else "error"
        if self.rcode == "NOERROR":
            return "answer" if self.addresses else "nodata"
        return self.rcode.lower()

    @property
    def label(self) -> str:
        where = self.address if self.port == 53 else f"{self.address}:{self.port}"
        return f"{self.role} resolver {where}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "resolver": self.address, "port": self.port, "role": self.role,
            "rcode": self.rcode, "a": list(self.a), "aaaa": list(self.aaaa),
            "cname_chain": list(self.cname_chain), "ttl": self.ttl, "error": self.error,
            **self.latency,
        }
