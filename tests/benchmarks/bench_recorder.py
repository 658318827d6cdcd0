"""Benchmark: what recording costs, as the ratio recorded / bare client, measured in one run.

Run on demand (not part of the test suite)::

    /work/venv/bin/python tests/benchmarks/bench_recorder.py [--requests 200] [--rounds 25]

Against the simulator on 127.0.0.1 (a real server, real sockets, kept-alive connections),
the same requests go through a bare client and through a client whose transport is
:class:`chatkit.client.RecordingTransport` (no retries, one JSONL line per request written
to a temporary file). Rounds alternate bare/recorded so that drift (CPU frequency, the
server warming up) hits both alike; the figure is the median over rounds of the per-round
ratio. Loopback is the worst case for the ratio: on a real network the request itself is
tens of milliseconds and the recorder's microseconds vanish in it (``--latency-ms 20``
shows it). Goal: <= 1.05.

    python tests/benchmarks/bench_recorder.py --latency-ms 20 --requests 30 --rounds 9
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chatkit.client import NO_RETRY, RecordingTransport
from chatkit.sim import DEFAULT_KEY

HEADERS = {"Authorization": f"Bearer {DEFAULT_KEY}"}
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say OK."}],
        "max_tokens": 5}


def _calls(client: Any, base: str, kind: str) -> Callable[[], None]:
    if kind == "models":
        return lambda: client.get(f"{base}/models", headers=HEADERS).raise_for_status()
    if kind == "chat":
        return lambda: client.post(f"{base}/chat/completions", headers=HEADERS,
                                   json=BODY).raise_for_status()

    def stream() -> None:
        with client.stream("POST", f"{base}/chat/completions", headers=HEADERS,
                           json={**BODY, "stream": True}) as response:
            for _ in response.iter_raw():
                pass

    return stream


def _time(call: Callable[[], None], n: int) -> tuple[float, float]:
    """Wall-clock and this thread's CPU seconds for ``n`` calls."""
    wall, cpu = time.perf_counter(), time.thread_time()
    for _ in range(n):
        call()
    return time.perf_counter() - wall, time.thread_time() - cpu


def bench(module: Any, base: str, kind: str, n: int, rounds: int, log: Path) -> float:
    """Print one line and return the median wall-clock ratio recorded / bare."""
    bare = module.Client(transport=module.HTTPTransport(), trust_env=False)
    recorded = module.Client(transport=RecordingTransport(module.HTTPTransport(), log=str(log),
                                                          policy=NO_RETRY), trust_env=False)
    calls = {"bare": _calls(bare, base, kind), "recorded": _calls(recorded, base, kind)}
    for call in calls.values():  # warm up: connections, imports, caches
        _time(call, max(20, n // 20))
    ratios: list[float] = []
    wall: dict[str, list[float]] = {"bare": [], "recorded": []}
    cpu: dict[str, list[float]] = {"bare": [], "recorded": []}
    for index in range(rounds):
        order = ("bare", "recorded") if index % 2 == 0 else ("recorded", "bare")
        took = {name: _time(calls[name], n) for name in order}
        ratios.append(took["recorded"][0] / took["bare"][0])
        for name, (seconds, cpu_seconds) in took.items():
            wall[name].append(seconds / n * 1e6)
            cpu[name].append(cpu_seconds / n * 1e6)
    bare.close()
    recorded.close()
    bare_us, recorded_us = statistics.median(wall["bare"]), statistics.median(wall["recorded"])
    # CPU time of the client thread: what the recorder adds, little disturbed by other load
    added_cpu = statistics.median(cpu["recorded"]) - statistics.median(cpu["bare"])
    ratio = statistics.median(ratios)
    print(f"{module.__name__:7} {kind:7} bare {bare_us:8.1f} us  recorded {recorded_us:8.1f} us"
          f"  ratio {ratio:.3f} [rounds p25-p75 {_quartiles(ratios)}]"
          f"  recorder CPU +{added_cpu:5.1f} us/request")
    return ratio


def _quartiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=4)
    return f"{q[0]:.3f}-{q[2]:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200, help="requests per round")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--kinds", default="models,chat,stream")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="simulated server latency (default 0: the loopback worst case)")
    args = parser.parse_args()
    import httpx

    # The figures are only comparable within one run on a shared machine: say how busy it was.
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")

    modules = [httpx]
    try:
        import httpx2

        modules.append(httpx2)
    except ImportError:
        pass
    # The server runs in its own process, as a real API would: the client's CPU time is
    # then what the recorder adds to, not a GIL shared with the server's threads.
    server = subprocess.Popen([sys.executable, "-m", "chatkit", "sim", "--latency-ms",
                               str(args.latency_ms)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "requests.jsonl"
            for module in modules:
                for kind in args.kinds.split(","):
                    bench(module, base_url, kind, args.requests, args.rounds, log)
            lines = sum(1 for _ in log.open())
            print(f"log lines written: {lines}")
            print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
