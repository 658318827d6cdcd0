"""Benchmark: is the whole doctor suite about as fast as its slowest check?

Run on demand (not part of the test suite)::

    python tests/benchmarks/bench_doctor.py [--latency-ms 300] [--rounds 5]
                                                            [--in-process]

The simulator runs in its own process (``chatkit sim --latency-ms N``: every ``/v1`` answer
waits N ms), as a real API would, so the server's accept loop does not share the client's
GIL. Then, in this process, each registered check is run alone, one after another (the
baseline: its duration, median over the rounds), and the whole suite is run with
``run_all`` (the median wall time over the rounds). It prints every check's time, the sum,
and the figure that matters: wall / slowest check (goal <= 1.2; 1.0 is perfect overlap).
``--in-process`` runs the simulator on a thread of this process instead; ``--listen-backlog``
sets its listen queue (the stdlib default of 5 drops SYNs when a dozen checks connect at once
on a busy machine, and every dropped SYN costs a 1 s retransmit).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from typing import Any

from chatkit.checks.base import GROUPS, CheckContext
from chatkit.checks.runner import _select, run_all
from chatkit.sim import DEFAULT_KEY
from chatkit.targets import Target

_SIM = """
import sys
from chatkit.sim import httpd
if sys.argv[1]:
    httpd.SimHTTPServer.request_queue_size = int(sys.argv[1])
from chatkit.cli import main
sys.exit(main(["sim", "--latency-ms", sys.argv[2]]))
"""


def start_sim(stack: ExitStack, latency_ms: float, in_process: bool,
              backlog: int | None) -> tuple[str, str]:
    """(base_url, root_url) of a simulator that answers /v1 after ``latency_ms``."""
    if in_process:
        from chatkit.sim import SimServer, httpd

        if backlog:
            httpd.SimHTTPServer.request_queue_size = backlog
        sim = stack.enter_context(SimServer(latency_ms=latency_ms))
        return sim.base_url, sim.root_url
    process = subprocess.Popen(
        [sys.executable, "-c", _SIM, str(backlog or ""), str(latency_ms)],
        stdout=subprocess.PIPE, text=True)
    stack.callback(process.wait, 10)
    stack.callback(process.terminate)
    base_url = (process.stdout.readline() if process.stdout else "").strip()
    if not base_url.startswith("http"):
        raise SystemExit(f"the simulator did not start: {base_url!r}")
    return base_url, base_url.removesuffix("/v1")


async def time_each(target: Target, ctx: CheckContext) -> dict[str, float]:
    """Every check alone, one after another: name -> seconds."""
    times: dict[str, float] = {}
    for group in _select(None):
        for check in GROUPS[group]:
            started = time.perf_counter()
            await check(target, ctx)
            times[f"{group}.{check.__name__}"] = time.perf_counter() - started
    return times


async def time_all(target: Target, ctx: CheckContext) -> tuple[float, Any]:
    started = time.perf_counter()
    report = await run_all(target, context=ctx)
    return time.perf_counter() - started, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--listen-backlog", type=int, metavar="N",
                        help="the simulator's listen queue (default: its own, the stdlib's 5); "
                        "a short queue drops SYNs when the checks connect at once, and each "
                        "drop costs a 1 s retransmit")
    args = parser.parse_args()
    with ExitStack() as stack:
        base_url, root_url = start_sim(stack, args.latency_ms, args.in_process,
                                       args.listen_backlog)
        target = Target(base_url=base_url, provider="compatible", status_page=root_url)
        ctx = CheckContext(environ={"OPENAI_API_KEY": DEFAULT_KEY, "PATH": ""},
                           local_only=True, timeout=10)
        asyncio.run(time_all(target, ctx))  # warm-up: imports, first connections
        alone: dict[str, list[float]] = {}
        walls: list[float] = []
        for _ in range(args.rounds):
            for name, took in asyncio.run(time_each(target, ctx)).items():
                alone.setdefault(name, []).append(took)
            wall, report = asyncio.run(time_all(target, ctx))
            walls.append(wall)
    each = {name: statistics.median(times) for name, times in alone.items()}
    slowest_name = max(each, key=each.__getitem__)
    slowest, wall = each[slowest_name], statistics.median(walls)
    print(f"simulator latency {args.latency_ms:.0f} ms per /v1 answer, {args.rounds} rounds, "
          f"{'in-process' if args.in_process else 'separate process'}")
    for name, took in sorted(each.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<22} {took * 1000:8.1f} ms alone")
    print(f"sum of checks run alone  {sum(each.values()) * 1000:8.1f} ms")
    print(f"slowest check            {slowest * 1000:8.1f} ms ({slowest_name})")
    print(f"run_all wall time        {wall * 1000:8.1f} ms (rounds: "
          f"{', '.join(f'{w * 1000:.0f}' for w in walls)})")
    print(f"wall / slowest check     {wall / slowest:8.2f}  (goal <= 1.2)")
    print(f"last report: {report.summary}, verdict {report.verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
