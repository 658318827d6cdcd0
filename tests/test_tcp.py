"""TCP ping against loopback (open, refused, dropped) and the path check's tool handling."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest
from servers import FullBacklog, HTTPServer, closed_port

from chatkit.checks import CheckContext
from chatkit.checks.tcp import _judge, connect, judge_connect, parse_hops, path
from chatkit.findings import Finding
from chatkit.targets import Target


def target(port: int) -> Target:
    return Target(base_url=f"http://127.0.0.1:{port}/v1", provider="compatible")


def ping(port: int, environ: dict[str, str] | None = None, samples: int = 3) -> Finding:
    ctx = CheckContext(environ=environ or {}, timeout=0.6, samples=samples)
    [finding] = asyncio.run(connect(target(port), ctx))
    return finding


def test_open_port_reports_a_ping_style_summary() -> None:
    with HTTPServer() as server:
        finding = ping(server.port, samples=4)
    assert finding.status == "ok" and "0% loss" in finding.title
    e = finding.evidence
    assert e["sent"] == 4 and e["received"] == 4 and e["outcomes"] == ["ok"] * 4
    assert 0 < e["min_ms"] <= e["avg_ms"] <= e["max_ms"] and e["stddev_ms"] >= 0


def test_closed_port_is_refused() -> None:
    finding = ping(closed_port())
    assert finding.status == "fail" and finding.evidence["kind"] == "connect_refused"
    assert finding.evidence["outcomes"] == ["refused"] * 3 and finding.evidence["loss_pct"] == 100


def test_dropped_connection_attempts_time_out() -> None:
    with FullBacklog() as server:
        finding = ping(server.port, samples=2)
    assert finding.status == "fail" and finding.evidence["kind"] == "connect_timeout"
    assert finding.evidence["outcomes"] == ["timeout", "timeout"]


def test_failing_direct_connections_are_only_informational_behind_a_proxy() -> None:
    finding = ping(closed_port(), environ={"HTTP_PROXY": "http://user:pw@127.0.0.1:3128"})
    assert finding.status == "info" and finding.evidence["kind"] == "connect_refused"
    assert "pw" not in str(finding.evidence["proxy"])


def evidence(*outcomes: str, address: str = "192.0.2.1") -> dict:
    from chatkit.checks._stats import summarize_latency

    times = [1.0 if o == "ok" else None for o in outcomes]
    return {"address": address, "port": 443, "outcomes": list(outcomes),
            **summarize_latency(times)}


@pytest.mark.parametrize("outcomes,kind,status", [
    (("ok", "timeout", "ok"), "tcp_packet_loss", "warn"),
    (("network_unreachable",) * 3, "network_unreachable", "fail"),
    (("host_unreachable", "timeout", "host_unreachable"), "host_unreachable", "fail"),
])
def test_outcomes_are_named(outcomes: tuple[str, ...], kind: str, status: str) -> None:
    finding = _judge(Target(provider="openai"), evidence(*outcomes), None)
    assert (finding.evidence["kind"], finding.status) == (kind, status)


V6, V4 = "2001:db8::1", "192.0.2.1"


def test_broken_ipv6_with_working_ipv4_is_a_warning_not_a_failure() -> None:
    [finding] = judge_connect(Target(), evidence(*["network_unreachable"] * 3, address=V6),
                              evidence("ok", "ok", "ok", address=V4), None)
    assert finding.status == "warn" and finding.evidence["kind"] == "tcp_family_broken"
    assert "over IPv4 but not over IPv6 (network_unreachable)" in (finding.cause or "")


def test_broken_fallback_family_is_only_noted() -> None:
    main, note = judge_connect(Target(), evidence("ok", "ok", address=V4),
                               evidence("timeout", "timeout", address=V6), None)
    assert main.status == "ok" and (note.check, note.status) == ("tcp.family", "info")


def test_both_families_dead_is_the_first_ones_failure() -> None:
    [finding] = judge_connect(Target(), evidence("refused", "refused", address=V6),
                              evidence("timeout", "timeout", address=V4), None)
    assert finding.status == "fail" and finding.evidence["kind"] == "connect_refused"
    assert finding.evidence["fallback"]["outcomes"] == ["timeout", "timeout"]


def test_path_without_tools_is_a_skip_naming_them() -> None:
    ctx = CheckContext(environ={"PATH": ""}, timeout=1)
    [finding] = asyncio.run(path(target(9), ctx))
    assert finding.status == "skip"
    assert "tracepath" in finding.title and "traceroute" in finding.title


TRACEPATH = """\
 1?: [LOCALHOST]                      pmtu 1500
 1:  192.168.1.1                                           0.512ms
 1:  192.168.1.1                                           0.430ms
 2:  10.10.0.1                                             8.123ms
 3:  no reply
 4:  {host}                                            12.001ms reached
     Resume: pmtu 1500 hops 4 back 4
"""
TRACEROUTE = """\
traceroute to 203.0.113.9 (203.0.113.9), 20 hops max, 60 byte packets
 1  192.168.1.1  0.512 ms
 2  *
 3  2001:db8::1  8.123 ms
"""


def test_hops_are_parsed_from_both_tools() -> None:
    assert parse_hops(TRACEPATH.format(host="127.0.0.1")) == [
        {"hop": 1, "address": "192.168.1.1", "rtt_ms": 0.512, "reached": False},
        {"hop": 2, "address": "10.10.0.1", "rtt_ms": 8.123, "reached": False},
        {"hop": 3, "address": None, "rtt_ms": None, "reached": False},
        {"hop": 4, "address": "127.0.0.1", "rtt_ms": 12.001, "reached": True},
    ]
    assert [(h["hop"], h["address"]) for h in parse_hops(TRACEROUTE)] == [
        (1, "192.168.1.1"), (2, None), (3, "2001:db8::1")]


@pytest.mark.skipif(os.name != "posix", reason="the stand-in tool is a POSIX shell script")
def test_path_runs_the_tool_it_finds_on_path(tmp_path: Path) -> None:
    # A stand-in named tracepath that prints tracepath's format for the host it is given.
    tool = tmp_path / "tracepath"
    body = TRACEPATH.replace("{host}", "$4")
    tool.write_text(f'#!/bin/sh\ncat <<EOF\n{body}EOF\n')
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    search = os.pathsep.join([str(tmp_path), "/usr/bin", "/bin"])  # sh and cat still found
    ctx = CheckContext(environ={"PATH": search}, timeout=5)
    [finding] = asyncio.run(path(target(9), ctx))
    assert finding.status == "ok" and finding.evidence["tool"] == "tracepath"
    assert finding.evidence["reached"] and finding.evidence["hops"][-1]["address"] == "127.0.0.1"
    assert "4 hop(s)" in finding.title
