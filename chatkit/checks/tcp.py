"""TCP reachability: an unprivileged "TCP ping" to the API's port, and the path to it.

``tcp.connect`` opens ``ctx.samples`` connections one after another and summarises them like
ping does (min/avg/max/stddev, loss), telling a refused port (something answered "no") from a
timeout (packets dropped on the way) from an unreachable network (no route). ``tcp.path`` runs
``tracepath`` or ``traceroute`` when the OS has one and parses the hops; when it has neither it
says so in a ``skip``.
"""

from __future__ import annotations

import asyncio
import errno
import re
import shutil
import socket
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from chatkit.checks._stats import summarize_latency
from chatkit.checks.base import CheckContext, register
from chatkit.checks.dns import os_lookup
from chatkit.checks.proxy import proxy_for
from chatkit.findings import Finding
from chatkit.knowledge.classifier import explain
from chatkit.redaction.scrub import redact_url
from chatkit.targets import Target

__all__ = ["connect_once", "parse_hops", "tcp_ping"]

_UNREACHABLE = {errno.ENETUNREACH: "network_unreachable", errno.EHOSTUNREACH: "host_unreachable"}
_KIND = {"refused": "connect_refused", "timeout": "connect_timeout"}


async def connect_once(address: str, port: int, timeout: float) -> tuple[float | None, str | None]:
    """One TCP connect: (milliseconds, None) or (None, refused|timeout|<kind>|error text)."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    started = time.perf_counter()
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (address, port)), timeout)
        return (time.perf_counter() - started) * 1000, None
    except asyncio.TimeoutError:
        return None, "timeout"
    except ConnectionRefusedError:
        return None, "refused"
    except OSError as exc:
        return None, _UNREACHABLE.get(exc.errno or 0, f"{type(exc).__name__}: {exc}")
    finally:
        sock.close()


async def tcp_ping(address: str, port: int, *, samples: int = 3,
                   timeout: float = 5.0) -> dict[str, Any]:
    """``samples`` connects in a row: the latency summary plus each attempt's outcome."""
    times: list[float | None] = []
    outcomes: list[str] = []
    for _ in range(max(1, samples)):
        took, why = await connect_once(address, port, timeout)
        times.append(took)
        outcomes.append(why or "ok")
    return {"address": address, "port": port, "outcomes": outcomes, **summarize_latency(times)}


def _family(address: str) -> str:
    return "IPv6" if ":" in address else "IPv4"


@register("tcp")
async def connect(target: Target, ctx: CheckContext) -> list[Finding]:
    """TCP ping to the API's host and port."""
    started = time.perf_counter()
    # Distinct addresses in the order getaddrinfo gives them (the order clients try).
    lookup = await os_lookup(target.host, target.port)
    addresses, error = lookup["addresses"], lookup["error"]
    if not addresses:
        return [Finding(check="tcp.connect", status="skip",
                        title=f"{target.host} has no address to connect to (see dns)",
                        evidence={"host": target.host, "error": error})]
    # The first address is what clients try first; the first of the other family (if the
    # name has both) is where they fall back to, so a broken IPv6 path shows up here.
    primary = addresses[0]
    other = next((a for a in addresses if _family(a) != _family(primary)), None)
    # Per attempt: the whole budget split over the samples, but no more than 5 s each.
    per_try = min(5.0, max(0.2, ctx.timeout / max(1, ctx.samples)))
    pings = await asyncio.gather(*(tcp_ping(a, target.port, samples=ctx.samples,
                                            timeout=per_try) for a in (primary, other) if a))
    took = (time.perf_counter() - started) * 1000
    proxied = proxy_for(target.url, ctx.environ, target.proxy).url
    fallback = pings[1] if other else None
    return [f.replace(duration_ms=took) for f in judge_connect(target, pings[0], fallback,
                                                               proxied)]


def judge_connect(target: Target, primary: dict[str, Any], fallback: dict[str, Any] | None,
                  proxied: str | None) -> list[Finding]:
    """The verdict on the first address, unless the other address family saves the day (or
    is broken while the first works: worth a note)."""
    evidence = {"host": target.host, **primary, "fallback": fallback}
    main = _judge(target, evidence, proxied)
    if fallback is None:
        return [main]
    first_dead, other_dead = primary["received"] == 0, fallback["received"] == 0
    if first_dead == other_dead:
        return [main]
    good, bad = (fallback, primary) if first_dead else (primary, fallback)
    why = Counter(o for o in bad["outcomes"] if o != "ok").most_common(1)[0][0]
    note = explain("tcp_family_broken", check="tcp.connect" if first_dead else "tcp.family",
                   status="warn" if first_dead else "info", evidence=evidence,
                   host=target.host, good=_family(good["address"]),
                   bad=_family(bad["address"]), why=why)
    return [note] if first_dead else [main, note]


def _judge(target: Target, evidence: dict[str, Any], proxied: str | None) -> Finding:
    where = f"{target.host}:{target.port}"
    outcomes = evidence["outcomes"]
    if evidence["received"] == evidence["sent"]:
        return Finding(
            check="tcp.connect", status="ok",
            title=f"{where} ({evidence['address']}) accepts connections: "
                  f"min/avg/max/stddev {evidence['min_ms']:.1f}/{evidence['avg_ms']:.1f}/"
                  f"{evidence['max_ms']:.1f}/{evidence['stddev_ms']:.1f} ms, 0% loss",
            evidence=evidence)
    if evidence["received"]:
        return explain("tcp_packet_loss", check="tcp.connect", status="warn", evidence=evidence,
                       host=where, loss_pct=evidence["loss_pct"], sent=evidence["sent"])
    failure = Counter(o for o in outcomes if o != "ok").most_common(1)[0][0]
    kind = _KIND.get(failure, failure if failure.endswith("_unreachable") else "connect_failed")
    # Direct connections are not needed when a proxy carries the traffic.
    return explain(kind, check="tcp.connect", status="info" if proxied else "fail",
                   evidence={**evidence, "proxy": redact_url(proxied) if proxied else None},
                   host=target.host, port=target.port, detail=failure)


# --- the path: tracepath / traceroute ----------------------------------------------------------

_HOP = re.compile(r"^\s*(\d+)[:\s]\s*(.*)$")
_RTT = re.compile(r"([\d.]+)\s*ms")
_ADDRESS = re.compile(r"^([0-9a-fA-F:.]+[0-9a-fA-F])\b")


def parse_hops(output: str) -> list[dict[str, Any]]:
    """Hops from ``tracepath -n`` or ``traceroute -n`` output: hop, address, rtt_ms."""
    hops: dict[int, dict[str, Any]] = {}
    for line in output.splitlines():
        if "?:" in line or line.lstrip().startswith(("traceroute", "Resume")):
            continue  # tracepath's pmtu probe line, traceroute's header, tracepath's summary
        match = _HOP.match(line)
        if not match:
            continue
        number, rest = int(match.group(1)), match.group(2).strip()
        address = _ADDRESS.match(rest)
        rtt = _RTT.search(rest)
        hop = {"hop": number, "address": address.group(1) if address else None,
               "rtt_ms": float(rtt.group(1)) if rtt else None,
               "reached": "reached" in rest}
        if number not in hops or (hops[number]["address"] is None and hop["address"]):
            hops[number] = hop
    return [hops[n] for n in sorted(hops)]


def _tool(environ: Mapping[str, str]) -> tuple[str, list[str]] | None:
    path = environ.get("PATH")
    for name, args in (("tracepath", ["-n", "-m", "20"]),
                       ("traceroute", ["-n", "-q", "1", "-w", "1", "-m", "20"])):
        found = shutil.which(name, path=path)
        if found:
            return found, args
    return None


@register("tcp")
async def path(target: Target, ctx: CheckContext) -> list[Finding]:
    """The route to the API host, hop by hop, when the OS has a tool for it."""
    tool = _tool(ctx.environ)
    if tool is None:
        return [Finding(check="tcp.path", status="skip",
                        title="path not traced: neither tracepath nor traceroute is installed",
                        cause="this machine has no tracepath or traceroute on PATH",
                        remedy="install iputils-tracepath (Debian/Ubuntu) or traceroute to see "
                               "the hops; on Windows run `tracert` yourself",
                        evidence={"host": target.host})]
    exe, args = tool
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        exe, *args, target.host, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, env=dict(ctx.environ))
    timed_out = False
    try:
        out, _ = await asyncio.wait_for(process.communicate(), ctx.timeout)
    except asyncio.TimeoutError:
        timed_out = True
        process.kill()
        out, _ = await process.communicate()
    took = (time.perf_counter() - started) * 1000
    hops = parse_hops(out.decode(errors="replace"))
    answered = [h for h in hops if h["address"]]
    reached = any(h["reached"] for h in hops) or bool(
        answered and answered[-1]["address"] == target.host)
    evidence = {"host": target.host, "tool": exe.rsplit("/", 1)[-1], "hops": hops,
                "reached": reached, "timed_out": timed_out}
    if reached:
        title = f"{target.host} reached in {len(hops)} hop(s)"
    elif answered:
        title = (f"path to {target.host}: {len(hops)} hop(s) probed, last answer from "
                 f"{answered[-1]['address']} (hop {answered[-1]['hop']})")
    else:
        title = f"path to {target.host}: no hop answered"
    return [Finding(check="tcp.path", status="ok" if reached else "info", title=title,
                    evidence=evidence, duration_ms=took)]
